package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/query"
)

// runPersonFunnel is the person funnel verb: the persons behind a funnel figure, from the
// local data dir or a running server (POST …/funnel/persons), printed as JSON.
func runPersonFunnel(ctx context.Context, env *cliEnv, args []string) error {
	f := newPersonFlags(env, "person funnel", `jingyun person funnel --data ./data --project 1 --step 4 docs/examples/funnel.json
  jingyun person funnel --server http://127.0.0.1:8080 --key sk_… --project 1 --step 2 --dropped --limit 200 funnel.json`)
	step := f.Int("step", 0, "the funnel step whose persons to list, from 1 (required)")
	dropped := f.Bool("dropped", false, "list who reached the step before --step but not --step")
	var breakdown optionalString
	f.Var(&breakdown, "breakdown", "only this breakdown row of the funnel (a value, or $other)")
	limit := f.Int("limit", DefaultFunnelPersonsLimit, fmt.Sprintf("persons per page (1 to %d)", MaxFunnelPersonsLimit))
	offset := f.Int("offset", 0, "skip this many persons (the next page: offset + limit)")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return &usageError{"give one funnel spec file, or - for standard input"}
	case *f.project == 0:
		return &usageError{"--project is required"}
	case *step < 1:
		return &usageError{"--step is required: the step whose persons to list, from 1"}
	case *limit < 1 || *limit > MaxFunnelPersonsLimit:
		return &usageError{fmt.Sprintf("--limit must be from 1 to %d", MaxFunnelPersonsLimit)}
	case *offset < 0:
		return &usageError{"--offset must not be negative"}
	}
	var body []byte
	if pos[0] == "-" {
		body, err = io.ReadAll(env.stdin)
	} else {
		body, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return fmt.Errorf("cannot read spec: %w", err)
	}
	sel := analysis.StepPersons{Step: *step, Dropped: *dropped, Breakdown: breakdown.ptr()}
	if *f.server != "" {
		k := *f.key
		if k == "" {
			k = env.getenv("JINGYUN_SECRET_KEY")
		}
		if k == "" {
			return &usageError{"--server needs --key (or JINGYUN_SECRET_KEY)"}
		}
		req, err := json.Marshal(FunnelPersonsRequest{Spec: json.RawMessage(body), Step: sel.Step, Dropped: sel.Dropped,
			Breakdown: sel.Breakdown, Limit: *limit, Offset: *offset})
		if err != nil {
			return fmt.Errorf("cannot encode request: %w", err)
		}
		u := strings.TrimRight(*f.server, "/") + "/api/v1/projects/" + strconv.FormatUint(uint64(*f.project), 10) + "/funnel/persons"
		out, err := cliCall(ctx, http.MethodPost, u, k, req)
		if err != nil {
			return err
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, out, "", "  "); err != nil {
			return fmt.Errorf("cannot decode answer: %w", err)
		}
		pretty.WriteByte('\n')
		_, err = env.stdout.Write(pretty.Bytes())
		return err
	}
	spec, err := query.Decode(bytes.NewReader(body))
	if err != nil {
		return err
	}
	a, err := Open(ctx, f.cfg, newLogger(env, "warn"), false)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := f.flags.project(ctx, a, f.project)
	if err != nil {
		return err
	}
	page, err := a.FunnelPersonsPage(ctx, p, spec, sel, *limit, *offset)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, page)
}

// optionalString is a string flag that knows whether it was given.
type optionalString struct {
	v   string
	set bool
}

func (o *optionalString) String() string { return o.v }

func (o *optionalString) Set(s string) error {
	o.v, o.set = s, true
	return nil
}

func (o *optionalString) ptr() *string {
	if !o.set {
		return nil
	}
	return &o.v
}
