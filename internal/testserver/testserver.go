// Package testserver builds the jingyun binary and runs it as a real server process for
// end-to-end tests (package e2e, the SDK tests): start on loopback, wait until it serves,
// create projects with the CLI, wait until the loader has caught up, stop or kill it. It
// owns only that life cycle; what the tests check is theirs.
package testserver

import (
	"bufio"
	"bytes"
	"encoding/json"
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
)

// Build compiles cmd/jingyun into a temporary directory and returns the binary's path and a
// function removing it. Call it from TestMain.
func Build() (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "jingyun-bin")
	if err != nil {
		return "", nil, fmt.Errorf("cannot create build dir: %w", err)
	}
	bin = filepath.Join(dir, "jingyun")
	build := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", bin, "github.com/jingyun/jingyun/cmd/jingyun")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("cannot build jingyun: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// CLI runs a verb of bin and returns its stdout; it fails t on a non-zero exit.
func CLI(t testing.TB, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jingyun %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// Project is what `jingyun project create` prints.
type Project struct {
	ID        uint32 `json:"id"`
	WriteKey  string `json:"write_key"`
	SecretKey string `json:"secret_key"`
}

// CreateProject creates a project in the data dir with the CLI.
func CreateProject(t testing.TB, bin, data, name string) Project {
	t.Helper()
	var p Project
	if err := json.Unmarshal(CLI(t, bin, "project", "create", name, "--data", data, "--timezone", "Asia/Shanghai"), &p); err != nil {
		t.Fatalf("cannot decode project: %v", err)
	}
	return p
}

// Server is a running `jingyun serve` process. It is killed when the test ends.
type Server struct {
	// URL is http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	logs bytes.Buffer
}

var servingRe = regexp.MustCompile(`msg=serving url=(http://\S+)`)

// Start runs `bin serve --data data args…` (args should include --addr) and waits until
// the server logs the URL it serves.
func Start(t testing.TB, bin, data string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", data}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start server: %v", err)
	}
	s := &Server{cmd: cmd, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.URL = <-urlc:
	case err := <-s.done:
		t.Fatalf("server exited at start: %v\n%s", err, s.Log())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start\n%s", s.Log())
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	return s
}

// Log returns what the server has logged so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop sends SIGTERM and waits for the process to exit.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// WaitCaughtUp polls the status endpoint until every acknowledged event is in the store.
func (s *Server) WaitCaughtUp(t testing.TB, p Project) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/projects/%d/status", s.URL, p.ID), nil)
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
	t.Fatalf("loader did not catch up\n%s", s.Log())
}
