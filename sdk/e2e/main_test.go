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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jingyun/jingyun/store/duckdb"
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("sdk/e2e: builds and runs servers, skipped in -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "jingyun-sdk-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot create temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "jingyun")
	build := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", binary, "github.com/jingyun/jingyun/cmd/jingyun")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build jingyun:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type project struct {
	ID        uint32 `json:"id"`
	WriteKey  string `json:"write_key"`
	SecretKey string `json:"secret_key"`
}

func createProject(t *testing.T, data string) project {
	t.Helper()
	out, err := exec.Command(binary, "project", "create", "SDK 测试店", "--data", data).Output()
	if err != nil {
		t.Fatalf("cannot create project: %v", err)
	}
	var p project
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("cannot decode project: %v\n%s", err, out)
	}
	return p
}

type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	mu   sync.Mutex
	logs bytes.Buffer
}

var servingRe = regexp.MustCompile(`msg=serving url=(http://\S+)`)

// startServer starts jingyun serve on addr ("127.0.0.1:0" for any port) and waits until
// it listens.
func startServer(t *testing.T, data, addr string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--data", data, "--addr", addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start server: %v", err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.url = <-urlc:
	case err := <-s.done:
		t.Fatalf("server exited at start: %v\n%s", err, s.log())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start\n%s", s.log())
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	return s
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

// kill stops the server with SIGKILL, as a crash would.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// waitCaughtUp polls the status endpoint until every acknowledged event is in the store.
func (s *server) waitCaughtUp(t *testing.T, p project) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/projects/%d/status", s.url, p.ID), nil)
		req.Header.Set("Authorization", "Bearer "+p.SecretKey)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var st struct {
				CaughtUp bool `json:"caught_up"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.CaughtUp {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("loader did not catch up\n%s", s.log())
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
	cmd.Env = append(os.Environ(), append(env, "JY_HOST="+s.url, "JY_WRITE_KEY="+p.WriteKey)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s\nserver:\n%s", script, err, stdout.String(), stderr.String(), s.log())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
		t.Fatalf("cannot decode the output of %s: %v\n%s\n%s", script, err, stdout.String(), stderr.String())
	}
}
