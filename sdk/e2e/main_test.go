// Package e2e tests the SDKs against a real Jingyun server: it builds the jingyun binary,
// starts it on loopback, drives the Go SDK in process, the mini-program build in Node and
// the web build in headless Chromium, then stops the server and checks in the DuckDB store
// that every event arrived once, with the right persons, scenes and share chains.
//
// The JavaScript tests need node, sdk/js/node_modules (npm ci) and, for the browser,
// Debian's chromium (or $CHROMIUM). Without them they skip, except under CI=true where
// they fail: CI must run them.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/internal/testserver"
	"github.com/jingyun/jingyun/store/duckdb"
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("sdk/e2e: builds and runs servers, skipped in -short")
		os.Exit(0)
	}
	bin, cleanup, err := testserver.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

type (
	project = testserver.Project
	server  = testserver.Server
)

func createProject(t *testing.T, data string) project {
	return testserver.CreateProject(t, binary, data, "SDK 测试店")
}

// startServer starts jingyun serve on addr ("127.0.0.1:0" for any port) and waits until
// it listens.
func startServer(t *testing.T, data, addr string) *server {
	return testserver.Start(t, binary, data, "--addr", addr)
}

// stored is one event as the store holds it, with its person resolved through
// person_overrides.
type stored struct {
	ID          string
	Type        string
	Event       string
	TS          int64
	Person      int64
	DistinctID  string
	AnonymousID string
	UserID      string
	Props       map[string]any
	Context     map[string]any
}

// readEvents opens the stopped server's DuckDB file and returns the project's events in
// time order, and how many times each event id is stored.
func readEvents(t *testing.T, data string, p project) (events []stored, copies map[string]int) {
	t.Helper()
	st, err := duckdb.Open(filepath.Join(data, "events.duckdb"))
	if err != nil {
		t.Fatalf("cannot open store: %v", err)
	}
	defer st.Close()
	copies = map[string]int{}
	q := `SELECT e.event_id, e.type, e.event, e.ts, coalesce(o.new_person_id, e.person_id), e.distinct_id,
	             e.anonymous_id, e.user_id, e.properties, e.context
	      FROM events e LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
	      WHERE e.project_id = ? ORDER BY e.ts, e.received_at`
	err = st.Query(context.Background(), q, []any{p.ID}, func(r []any) error {
		e := stored{ID: r[0].(string), Type: r[1].(string), Event: r[2].(string), TS: r[3].(int64), Person: r[4].(int64),
			DistinctID: r[5].(string), AnonymousID: r[6].(string), UserID: r[7].(string)}
		for i, dst := range []*map[string]any{&e.Props, &e.Context} {
			if s, _ := r[8+i].(string); s != "" {
				if err := json.Unmarshal([]byte(s), dst); err != nil {
					return fmt.Errorf("cannot decode %s of %s: %w", []string{"properties", "context"}[i], e.ID, err)
				}
			}
		}
		copies[e.ID]++
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatalf("cannot read events: %v", err)
	}
	return events, copies
}

// checkOnce fails the test for every event id stored more than once, and for every id in
// want that is missing; it returns the number of distinct stored ids.
func checkOnce(t *testing.T, copies map[string]int, want []string) {
	t.Helper()
	for id, n := range copies {
		if n > 1 {
			t.Errorf("event %s stored %d times", id, n)
		}
	}
	missing := 0
	for _, id := range want {
		if copies[id] == 0 {
			if missing++; missing <= 5 {
				t.Errorf("event %s was sent but is not stored", id)
			}
		}
	}
	if missing > 5 {
		t.Errorf("… %d events missing in all", missing)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// jsDir is sdk/js, relative to this package.
const jsDir = "../js"

var (
	distOnce sync.Once
	distErr  error
)

// needJS skips the test (fails under CI) unless node and sdk/js/node_modules are there,
// then builds sdk/js/dist once.
func needJS(t *testing.T, modules ...string) {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	}
	for _, m := range append([]string{"esbuild", "typescript"}, modules...) {
		if _, err := os.Stat(filepath.Join(jsDir, "node_modules", m)); err != nil && missing == "" {
			missing = "sdk/js/node_modules/" + m + " is missing: run npm ci in sdk/js"
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	distOnce.Do(func() {
		cmd := exec.Command("node", "scripts/build.mjs")
		cmd.Dir = jsDir
		out, err := cmd.CombinedOutput()
		if err != nil {
			distErr = fmt.Errorf("cannot build sdk/js: %v\n%s", err, out)
		}
	})
	if distErr != nil {
		t.Fatal(distErr)
	}
}

// node runs a script of sdk/js with the server's address and write key and decodes the
// JSON it prints last.
func node(t *testing.T, script string, s *server, p project, out any, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), append(env, "JY_HOST="+s.URL, "JY_WRITE_KEY="+p.WriteKey)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s\nserver:\n%s", script, err, stdout.String(), stderr.String(), s.Log())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
		t.Fatalf("cannot decode the output of %s: %v\n%s\n%s", script, err, stdout.String(), stderr.String())
	}
}
