// Package e2e drives the built jingyun binary over HTTP, as a user and a crash would.
package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/internal/testserver"
	"github.com/jingyun/jingyun/store/duckdb"
)

var binary string

func TestMain(m *testing.M) {
	bin, cleanup, err := testserver.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = bin
	code := chtest.RunTests(m)
	cleanup()
	os.Exit(code)
}

type (
	project = testserver.Project
	server  = testserver.Server
)

// cli runs a verb and returns its stdout; it fails the test on a non-zero exit.
func cli(t *testing.T, args ...string) []byte { return testserver.CLI(t, binary, args...) }

func createProject(t *testing.T, data string) project {
	return testserver.CreateProject(t, binary, data, "e2e 店")
}

// startServer starts a server on a free loopback port with extra serve flags.
func startServer(t *testing.T, data string, extra ...string) *server {
	return testserver.Start(t, binary, data, append([]string{"--addr", "127.0.0.1:0"}, extra...)...)
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
					status, err := post(s.URL+"/v1/batch", p.WriteKey, batchBody(c, i, perBatch))
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
		s.Kill()
		cancel()
		wg.Wait()
		seq += 10_000
	}
	s := startServer(t, data)
	s.WaitCaughtUp(t, p)
	s.Stop(t)
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
