package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/query"
)

// The person trends, person funnel and person retention verbs: the persons behind a figure
// of a trends line, a funnel or a retention table, from the local data dir or a running
// server (POST …/trends/persons, …/funnel/persons, …/retention/persons), printed as JSON.

func runPersonFunnel(ctx context.Context, env *cliEnv, args []string) error {
	f := newPersonFlags(env, "person funnel", `jingyun person funnel --data ./data --project 1 --step 4 docs/examples/funnel.json
  jingyun person funnel --server http://127.0.0.1:8080 --key sk_… --project 1 --step 2 --dropped --limit 200 funnel.json`)
	step := f.Int("step", 0, "the funnel step whose persons to list, from 1 (required)")
	dropped := f.Bool("dropped", false, "list who reached the step before --step but not --step")
	var breakdown optionalString
	f.Var(&breakdown, "breakdown", "only this breakdown row of the funnel (a value, or $other)")
	return runFigurePersons(ctx, env, f, args, "/funnel/persons", func() (any, error) {
		if *step < 1 {
			return nil, &usageError{"--step is required: the step whose persons to list, from 1"}
		}
		return analysis.StepPersons{Step: *step, Dropped: *dropped, Breakdown: breakdown.ptr()}, nil
	})
}

func runPersonTrends(ctx context.Context, env *cliEnv, args []string) error {
	f := newPersonFlags(env, "person trends", `jingyun person trends --data ./data --project 1 --series A --time 2026-11-20 docs/examples/trends.json
  jingyun person trends --server http://127.0.0.1:8080 --key sk_… --project 1 --series B --compare trends.json`)
	series := f.String("series", "A", "the series' letter")
	at := f.String("time", "", "the point, as the result labels it (2026-11-20, or 2026-11-20T13:00 for hours); without it, the whole range")
	var breakdown optionalString
	f.Var(&breakdown, "breakdown", "only this breakdown line (a value, or $other)")
	compare := f.Bool("compare", false, "the previous period's line")
	return runFigurePersons(ctx, env, f, args, "/trends/persons", func() (any, error) {
		return analysis.PointPersons{Series: *series, Time: *at, Breakdown: breakdown.ptr(), Compare: *compare}, nil
	})
}

func runPersonRetention(ctx context.Context, env *cliEnv, args []string) error {
	f := newPersonFlags(env, "person retention", `jingyun person retention --data ./data --project 1 --cohort 2026-11-02 --period 1 --lost retention.json
  jingyun person retention --server http://127.0.0.1:8080 --key sk_… --project 1 --cohort 2026-11-02 retention.json`)
	cohort := f.String("cohort", "", "the cohort's start as the result labels it, e.g. 2026-11-02 (required)")
	var period optionalInt
	f.Var(&period, "period", "only who returned in this period of the cohort (0…periods); without it, the whole cohort")
	lost := f.Bool("lost", false, "with --period: who did not return in it")
	return runFigurePersons(ctx, env, f, args, "/retention/persons", func() (any, error) {
		if *cohort == "" {
			return nil, &usageError{"--cohort is required: the start of a cohort, as the result labels it"}
		}
		if *lost && !period.set {
			return nil, &usageError{"--lost needs --period"}
		}
		return analysis.CohortPersons{Cohort: *cohort, Period: period.ptr(), Lost: *lost}, nil
	})
}

// runFigurePersons parses the common flags, reads the spec and lists the persons of the
// selection that sel builds from the verb's own flags.
func runFigurePersons(ctx context.Context, env *cliEnv, f *personFlags, args []string, path string, sel func() (any, error)) error {
	limit := f.Int("limit", DefaultPersonsPage, fmt.Sprintf("persons per page (1 to %d)", MaxPersonsPage))
	offset := f.Int("offset", 0, "skip this many persons (the next page: offset + limit)")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return &usageError{"give one spec file, or - for standard input"}
	case *f.project == 0:
		return &usageError{"--project is required"}
	case *limit < 1 || *limit > MaxPersonsPage:
		return &usageError{fmt.Sprintf("--limit must be from 1 to %d", MaxPersonsPage)}
	case *offset < 0:
		return &usageError{"--offset must not be negative"}
	}
	s, err := sel()
	if err != nil {
		return err
	}
	body, err := readInput(env, pos[0])
	if err != nil {
		return fmt.Errorf("cannot read spec: %w", err)
	}
	if *f.server != "" {
		k, err := secretKey(env, *f.key, "--server needs --key (or JINGYUN_SECRET_KEY)")
		if err != nil {
			return err
		}
		// The request is the selection's fields with the spec and the page.
		var req map[string]any
		b, _ := json.Marshal(s)
		json.Unmarshal(b, &req)
		req["spec"], req["limit"], req["offset"] = json.RawMessage(body), *limit, *offset
		rb, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("cannot encode request: %w", err)
		}
		u := strings.TrimRight(*f.server, "/") + "/api/v1/projects/" + strconv.FormatUint(uint64(*f.project), 10) + path
		out, err := cliCall(ctx, http.MethodPost, u, k, rb)
		if err != nil {
			return err
		}
		return printIndented(env.stdout, out)
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
	page, err := a.FigurePersons(ctx, p, spec, s, *limit, *offset)
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

// optionalInt is an integer flag that knows whether it was given.
type optionalInt struct {
	v   int
	set bool
}

func (o *optionalInt) String() string { return strconv.Itoa(o.v) }

func (o *optionalInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not a whole number: %q", s)
	}
	o.v, o.set = n, true
	return nil
}

func (o *optionalInt) ptr() *int {
	if !o.set {
		return nil
	}
	return &o.v
}
