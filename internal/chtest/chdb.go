package chtest

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ChDBVersion is the version of the npm package chdb that ChDB installs. chdb 3.4.0 ships
// the ClickHouse 26.7 engine as libchdb.so (~540 MB, package @chdb/lib-linux-x64-gnu).
const ChDBVersion = "3.4.0"

// EnvChDBDir names an environment variable that overrides the directory where chdb is
// installed (default $HOME/.cache/jingyun-chdb). The installation is reused across runs.
const EnvChDBDir = "JINGYUN_CHDB_DIR"

//go:embed chdb/run.js
var chdbRunJS []byte

var sharedChDB struct {
	once sync.Once
	db   *ChDBRunner
	err  error
	skip string
}

// ChDBRunner runs SQL on current ClickHouse in process through chdb, in a node child
// process holding one chdb session on a temporary data directory. It is safe for
// concurrent use; statements run one at a time.
type ChDBRunner struct {
	// Version is the engine's version(), e.g. "26.7.2.1".
	Version string
	// InstallDir holds node_modules with chdb.
	InstallDir string

	dataDir string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *bufio.Reader
	mu      sync.Mutex
	done    chan struct{}
}

// ChDB returns the shared chdb runner of the test binary, installing chdb with npm into
// the cache directory on first use (minutes the first time on a machine: ~540 MB; seconds
// afterwards). It skips t when node or npm is missing or the install fails, except with
// CI=true, where it fails t.
func ChDB(t testing.TB) *ChDBRunner {
	t.Helper()
	sharedChDB.once.Do(func() {
		node, err := exec.LookPath("node")
		if err != nil {
			sharedChDB.skip = "node not found (chdb needs Node.js >= 18 with npm; see scripts/clickhouse-setup.sh)"
			return
		}
		dir, err := chdbDir()
		if err != nil {
			sharedChDB.skip = err.Error()
			return
		}
		start := time.Now()
		installed, err := installChDB(dir)
		if err != nil {
			sharedChDB.skip = err.Error()
			return
		}
		if installed {
			fmt.Fprintf(os.Stderr, "chtest: installed chdb %s into %s in %v\n", ChDBVersion, dir, time.Since(start).Round(time.Second))
		}
		sharedChDB.db, sharedChDB.err = startChDB(node, dir)
	})
	if sharedChDB.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chtest: %s (CI=true: chdb tests must not be skipped)", sharedChDB.skip)
		}
		t.Skipf("chtest: %s", sharedChDB.skip)
	}
	if sharedChDB.err != nil {
		t.Fatalf("chtest: %v", sharedChDB.err)
	}
	return sharedChDB.db
}

func chdbDir() (string, error) {
	if d := os.Getenv(EnvChDBDir); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a cache directory for chdb (set %s): %v", EnvChDBDir, err)
	}
	return filepath.Join(home, ".cache", "jingyun-chdb"), nil
}

// installChDB makes sure dir/node_modules holds chdb ChDBVersion and dir/run.js is the
// current script. An exclusive lock on dir/.lock keeps parallel test binaries from
// installing at the same time. It reports whether npm ran.
func installChDB(dir string) (bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("cannot create %s: %v", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return false, fmt.Errorf("cannot lock %s: %v", dir, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return false, fmt.Errorf("cannot lock %s: %v", dir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	if err := writeIfChanged(filepath.Join(dir, "run.js"), chdbRunJS); err != nil {
		return false, err
	}
	if chdbInstalled(dir) {
		return false, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return false, errors.New("npm not found (chdb needs Node.js >= 18 with npm)")
	}
	pkg := fmt.Sprintf(`{"private": true, "description": "chdb for Jingyun's tests", "dependencies": {"chdb": %q}}`+"\n", ChDBVersion)
	if err := writeIfChanged(filepath.Join(dir, "package.json"), []byte(pkg)); err != nil {
		return false, err
	}
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--no-update-notifier")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("cannot install chdb %s with npm in %s: %v\n%s", ChDBVersion, dir, err, tail(out, 3000))
	}
	if !chdbInstalled(dir) {
		return false, fmt.Errorf("npm install of chdb %s in %s left no usable chdb\n%s", ChDBVersion, dir, tail(out, 3000))
	}
	return true, nil
}

func chdbInstalled(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "node_modules", "chdb", "package.json"))
	if err != nil {
		return false
	}
	var pkg struct{ Version string }
	if json.Unmarshal(data, &pkg) != nil || pkg.Version != ChDBVersion {
		return false
	}
	libs, _ := filepath.Glob(filepath.Join(dir, "node_modules", "@chdb", "lib-*", "libchdb.so"))
	return len(libs) > 0
}

func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	return nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func startChDB(node, dir string) (*ChDBRunner, error) {
	dataDir, err := os.MkdirTemp("", "jingyun-chdb-")
	if err != nil {
		return nil, fmt.Errorf("cannot create chdb data directory: %w", err)
	}
	c := &ChDBRunner{InstallDir: dir, dataDir: dataDir, done: make(chan struct{})}
	c.cmd = exec.Command(node, filepath.Join(dir, "run.js"), dataDir)
	c.cmd.Dir = dir
	c.cmd.Stderr = os.Stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("cannot start chdb: %w", err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("cannot start chdb: %w", err)
	}
	c.stdout = bufio.NewReaderSize(out, 1<<20)
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("cannot start chdb: %w", err)
	}
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	v, err := c.Query("SELECT version()")
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("cannot start chdb: %w", err)
	}
	c.Version = strings.TrimSpace(v)
	return c, nil
}

// Query runs sql (one statement, or several separated by ";") and returns the
// TabSeparated output of the last one.
func (c *ChDBRunner) Query(sql string) (string, error) {
	return c.QueryFormat(sql, "TabSeparated")
}

// QueryFormat runs sql and returns its output in the named ClickHouse text format.
func (c *ChDBRunner) QueryFormat(sql, format string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	req, err := json.Marshal(struct {
		SQL    string `json:"sql"`
		Format string `json:"format"`
	}{sql, format})
	if err != nil {
		return "", fmt.Errorf("cannot encode chdb request: %w", err)
	}
	if _, err := c.stdin.Write(append(req, '\n')); err != nil {
		return "", fmt.Errorf("cannot send to chdb: %w", err)
	}
	line, err := c.stdout.ReadBytes('\n')
	if err != nil {
		return "", fmt.Errorf("cannot read from chdb (did it crash?): %w", err)
	}
	var resp struct {
		OK    bool   `json:"ok"`
		Out   string `json:"out"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return "", fmt.Errorf("cannot decode chdb answer %q: %w", tail(line, 200), err)
	}
	if !resp.OK {
		return "", fmt.Errorf("chdb: %s", resp.Error)
	}
	return resp.Out, nil
}

// Exec runs sql and discards its output.
func (c *ChDBRunner) Exec(sql string) error {
	_, err := c.Query(sql)
	return err
}

// Stop ends the node process and removes the data directory; the installation stays.
func (c *ChDBRunner) Stop() error {
	c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
	if err := os.RemoveAll(c.dataDir); err != nil {
		return fmt.Errorf("cannot remove chdb data directory: %w", err)
	}
	return nil
}
