// Package e2e drives the built jingyun binary over HTTP, as a user and a crash would.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store/duckdb"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jingyun-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "jingyun")
	build := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", binary, "github.com/jingyun/jingyun/cmd/jingyun")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build jingyun:", err)
		os.Exit(1)
	}
	code := chtest.RunTests(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs a verb and returns its stdout; it fails the test on a non-zero exit.
func cli(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jingyun %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

type project struct {
	ID        uint32 `json:"id"`
	WriteKey  string `json:"write_key"`
	SecretKey string `json:"secret_key"`
}

func createProject(t *testing.T, data string) project {
	t.Helper()
	var p project
	if err := json.Unmarshal(cli(t, "project", "create", "e2e 店", "--data", data, "--timezone", "Asia/Shanghai"), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	logs *bytes.Buffer
}

var servingRe = regexp.MustCompile(`msg=serving url=(http://\S+)`)

func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(binary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1), logs: &bytes.Buffer{}}
	urlc := make(chan string, 1)
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.url = <-urlc:
	case err := <-s.done:
		t.Fatalf("server exited at start: %v\n%s", err, s.logs.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start\n%s", s.logs.String())
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// waitCaughtUp polls the status endpoint until the loader has applied the whole WAL.
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
	t.Fatal("loader did not catch up")
}

func post(url, key string, body []byte) (int, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func batchBody(client, seq, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"batch":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"track","event":"Product Viewed","anonymousId":"dev-%d-%d","messageId":"c%d-%d-%d","properties":{"product_id":"p%d","price":59.90}}`,
			client, i%7, client, seq, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// TestKill9DuringIngest sends batches from several clients, kills the server with SIGKILL
// mid-stream (three times), restarts it, and checks that every acknowledged event is stored
// exactly once and nothing is stored twice.
func TestKill9DuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server: not in -short")
	}
	data := t.TempDir()
	p := createProject(t, data)
	acked := map[string]bool{}
	var mu sync.Mutex
	const clients, perBatch = 4, 100
	seq := 0
	for round := 0; round < 3; round++ {
		s := startServer(t, data)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c, base int) {
				defer wg.Done()
				for i := base; ctx.Err() == nil; i++ {
					status, err := post(s.url+"/v1/batch", p.WriteKey, batchBody(c, i, perBatch))
					if err != nil {
						return // the server is gone: this batch was not acknowledged
					}
					if status == 200 {
						mu.Lock()
						for k := 0; k < perBatch; k++ {
							acked[fmt.Sprintf("c%d-%d-%d", c, i, k)] = true
						}
						mu.Unlock()
					}
				}
			}(c, seq+c*1_000_000)
		}
		time.Sleep(time.Duration(700+round*400) * time.Millisecond)
		s.kill()
		cancel()
		wg.Wait()
		seq += 10_000
	}
	s := startServer(t, data)
	s.waitCaughtUp(t, p)
	s.stop(t)
	if len(acked) < 1000 {
		t.Fatalf("only %d events acknowledged before the kills: the test proves nothing", len(acked))
	}
	st, err := duckdb.Open(filepath.Join(data, "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := map[string]int64{}
	err = st.Query(context.Background(), `SELECT event_id, count(*) FROM events GROUP BY event_id`, nil, func(r []any) error {
		stored[r[0].(string)] = r[1].(int64)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing, doubled int
	for id, n := range stored {
		if n > 1 {
			doubled++
			if doubled < 5 {
				t.Errorf("event %s stored %d times", id, n)
			}
		}
	}
	for id := range acked {
		if stored[id] == 0 {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged event %s lost", id)
			}
		}
	}
	t.Logf("acknowledged %d, stored %d distinct (unacknowledged in-flight events may be stored too), goroutines %d",
		len(acked), len(stored), runtime.NumGoroutine())
	if missing > 0 || doubled > 0 {
		t.Fatalf("%d acknowledged events lost, %d stored twice", missing, doubled)
	}
}

// TestCLIErrors checks that mistakes give a message on stderr and a non-zero exit.
func TestCLIErrors(t *testing.T) {
	data := t.TempDir()
	f := func(wantCode int, wantErr string, args ...string) {
		t.Helper()
		cmd := exec.Command(binary, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != wantCode || !strings.Contains(stderr.String(), wantErr) {
			t.Fatalf("jingyun %v: exit %d stderr %q; want exit %d with %q", args, code, stderr.String(), wantCode, wantErr)
		}
	}
	f(2, "unknown command", "frobnicate")
	f(2, "exactly one project NAME", "project", "create", "--data", data)
	f(2, "timezone", "project", "create", "x", "--timezone", "Mars/Olympus", "--data", data)
	f(2, "--project is required", "query", "--data", data, "/dev/null")
	f(1, "cannot find project 9", "person", "delete", "--data", data, "--project", "9", "u1")
	f(0, "Example:", "import", "--help")
	f(2, "flag provided but not defined", "serve", "--nope")
}
