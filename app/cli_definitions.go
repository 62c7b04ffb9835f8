package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/jingyun/jingyun/definitions"
)

// The definitions list verb: a project's event names with volume, last seen and the
// tracking plan, or one event's property paths, as JSON; from a local data dir (which a
// running server locks) or from a running server with --server and --key.

func runDefinitionsList(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "definitions list", `jingyun definitions list --data ./data --project 1
  jingyun definitions list --project 1 --event "Order Completed"
  jingyun definitions list --server http://127.0.0.1:8080 --key sk_… --project 1`)
	project := projectFlag(f)
	event := f.String("event", "", "list this event's property paths instead of the event names")
	sample := f.Int("sample", definitions.DefaultSample, "with --event: how many of its latest events to read (1 to 100000)")
	server := f.String("server", "", "ask a running server at this URL instead of opening the data dir (which a running server locks)")
	key := f.String("key", "", "the project's secret key, with --server (env JINGYUN_SECRET_KEY)")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{"definitions list takes no arguments; give the event with --event"}
	}
	if *project == 0 {
		return &usageError{"--project is required"}
	}
	if *sample < 1 || *sample > 100000 {
		return &usageError{"--sample must be from 1 to 100000"}
	}
	if *server != "" {
		k, err := secretKey(env, *key, "--server needs --key (or JINGYUN_SECRET_KEY)")
		if err != nil {
			return err
		}
		path := "/definitions/events"
		if *event != "" {
			path = "/definitions/properties?" + url.Values{"event": {*event}, "sample": {strconv.Itoa(*sample)}}.Encode()
		}
		body, err := cliGet(ctx, strings.TrimRight(*server, "/")+"/api/v1/projects/"+strconv.FormatUint(uint64(*project), 10)+path, k)
		if err != nil {
			return err
		}
		return printIndented(env.stdout, body)
	}
	a, err := Open(ctx, f.cfg, newLogger(env, "warn"), false)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := f.project(ctx, a, project)
	if err != nil {
		return err
	}
	if *event == "" {
		evs, err := a.eventDefinitions(ctx, p.ID)
		if err != nil {
			return err
		}
		return printJSON(env.stdout, map[string]any{"events": evs})
	}
	props, n, err := a.eventPropertyDefinitions(ctx, p.ID, *event, *sample)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, map[string]any{"event": *event, "sampled": n, "properties": props})
}

// secretKey is the --key flag's value, else JINGYUN_SECRET_KEY; without either it is a
// usage error saying missing.
func secretKey(env *cliEnv, flag, missing string) (string, error) {
	if flag == "" {
		flag = env.getenv("JINGYUN_SECRET_KEY")
	}
	if flag == "" {
		return "", &usageError{missing}
	}
	return flag, nil
}

// readInput reads the file named by a positional argument, or standard input for "-".
func readInput(env *cliEnv, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(env.stdin)
	}
	return os.ReadFile(name)
}

// printIndented writes a server's JSON answer indented, ending in one newline.
func printIndented(w io.Writer, raw []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
		return fmt.Errorf("cannot decode answer: %w", err)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// cliGet sends a GET with a secret key and returns the body of a 200 answer.
func cliGet(ctx context.Context, u, key string) ([]byte, error) {
	return cliCall(ctx, http.MethodGet, u, key, nil)
}

// cliCall sends a request with the project's secret key (and a JSON body when body is not
// nil) and returns the body of a 200 answer; any other status is an error with the answer.
func cliCall(ctx context.Context, method, u, key string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("cannot build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach server: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server answered %s: %s", resp.Status, bytes.TrimSpace(out))
	}
	return out, nil
}
