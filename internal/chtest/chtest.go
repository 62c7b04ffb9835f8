// Package chtest starts a real ClickHouse server for tests: the Debian package
// clickhouse-server (18.16, the oldest release Jingyun supports) run as the current user on a
// free loopback port, with its own temporary data directory and a generated minimal
// config.xml/users.xml. One server is shared by all tests of a test binary; it is started on
// first use and stopped by Main when the tests end.
//
// When the server binary is absent, Start skips the test with a message naming the package
// to install, except when the environment variable CI is "true": there it fails, because CI
// must never pass by skipping the ClickHouse tests silently.
//
// The server listens on 127.0.0.1 only, has a user "default" without password (and a user
// "jingyun" with password "secret", to test authentication), runs in UTC and logs to files in
// its data directory; the tail of the error log is included in start-up failures. Running as
// root works with the explicit paths of the generated config (checked on Debian 12 with
// 18.16.1).
//
// ChDB is the peer for current ClickHouse: the npm package chdb (ClickHouse 26.7 as a
// library) driven by the node script chdb/run.js, installed once into a cache directory.
// Tests use it to prove that SQL printed for ClickHouse runs on a current release too. The
// same skip rules apply.
//
// The package owns only the life cycle of these test engines: it must not know about
// Jingyun's schema.
package chtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// EnvServer names an environment variable that overrides the path of the clickhouse-server
// binary (or of the single "clickhouse" binary of upstream packages, run as "clickhouse server").
const EnvServer = "JINGYUN_CLICKHOUSE_SERVER"

// Password of the extra user "jingyun" that the test server accepts besides "default".
const (
	AuthUser     = "jingyun"
	AuthPassword = "secret"
)

var shared struct {
	once sync.Once
	srv  *Server
	err  error
	skip string
}

// Main runs the tests of a package and stops the shared server and chdb runner afterwards. Call it from
// TestMain: func TestMain(m *testing.M) { chtest.Main(m) }.
func Main(m *testing.M) {
	os.Exit(RunTests(m))
}

// RunTests is Main without the exit: it returns the tests' exit code, for a TestMain that has its
// own clean-up to do.
func RunTests(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
		}
	}
	if sharedChDB.db != nil {
		if err := sharedChDB.db.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "chtest: %v\n", err)
		}
	}
	return code
}

// Start returns the HTTP URL (http://127.0.0.1:PORT) of the shared test server, starting it
// on first use. It skips t when ClickHouse is not installed, or fails t when CI=true. Tests
// sharing the server should work in their own database (see Database).
func Start(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		bin, err := findServer()
		if err != nil {
			shared.skip = err.Error()
			return
		}
		shared.srv, shared.err = StartServer(bin)
	})
	if shared.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chtest: %s (CI=true: ClickHouse tests must not be skipped)", shared.skip)
		}
		t.Skipf("chtest: %s", shared.skip)
	}
	if shared.err != nil {
		t.Fatalf("chtest: %v", shared.err)
	}
	return shared.srv.URL
}

var dbSeq atomic.Int64

// Database returns the name of a new, not yet existing database for t and drops it when t
// ends. The name is a plain identifier, unique within the shared server.
func Database(t testing.TB, serverURL string) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d_%s", os.Getpid(), dbSeq.Add(1), sanitize(t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	t.Cleanup(func() {
		if err := Exec(context.Background(), serverURL, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("chtest: %v", err)
		}
	})
	return name
}

func sanitize(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Exec runs one statement on the server at serverURL as user default and discards its
// output. It is for test set-up; stores have their own clients.
func Exec(ctx context.Context, serverURL, sql string) error {
	_, err := Run(ctx, serverURL, sql)
	return err
}

// Run runs one statement on the server at serverURL as user default and returns its output
// (TabSeparated unless the statement says FORMAT).
func Run(ctx context.Context, serverURL, sql string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, serverURL+"/", strings.NewReader(sql))
	if err != nil {
		return "", fmt.Errorf("cannot build request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot run %q: %w", sql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("cannot read result of %q: %w", sql, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cannot run %q: %s", sql, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// Server is a running ClickHouse server process owned by the test binary.
type Server struct {
	// URL is the HTTP interface, http://127.0.0.1:PORT.
	URL string
	// TCPPort is the native protocol port, for clickhouse-client when debugging.
	TCPPort int
	// Dir is the temporary directory holding config, data and logs; removed by Stop.
	Dir string

	cmd  *exec.Cmd
	done chan struct{}
}

// findServer locates the server binary, or says why it cannot.
func findServer() (string, error) {
	if p := os.Getenv(EnvServer); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v", EnvServer, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	// /usr/sbin is not on every user's PATH; the Debian package installs there.
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server", "/usr/bin/clickhouse"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("clickhouse-server not found (install the Debian package: apt-get install -y clickhouse-server clickhouse-client)")
}

// StartServer starts a server from binary bin ("" finds the installed one) on free loopback
// ports and waits until it answers /ping. The caller must call Stop. Most tests want Start
// instead.
func StartServer(bin string) (*Server, error) {
	if bin == "" {
		var err error
		if bin, err = findServer(); err != nil {
			return nil, err
		}
	}
	var lastErr error
	// The free ports are found by binding and releasing them, so another process may take
	// one before the server binds it: retry a few times.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startOnce(bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startOnce(bin string) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "jingyun-clickhouse-")
	if err != nil {
		return nil, fmt.Errorf("cannot create server directory: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), TCPPort: ports[1], Dir: dir, done: make(chan struct{})}
	if err := writeConfig(dir, ports[0], ports[1]); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"--config-file=" + filepath.Join(dir, "config.xml")}
	if filepath.Base(bin) == "clickhouse" {
		args = append([]string{"server"}, args...)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot create server log: %w", err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	// The server dies with the test binary even when Main is not used or the binary is
	// killed, so no server outlives its tests.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		out.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot start %s: %w", bin, err)
	}
	go func() {
		s.cmd.Wait()
		out.Close()
		close(s.done)
	}()
	if err := s.waitReady(30 * time.Second); err != nil {
		msg := s.logTail()
		s.Stop()
		return nil, fmt.Errorf("cannot start clickhouse-server: %w\n%s", err, msg)
	}
	return s, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	delay := 10 * time.Millisecond
	for {
		select {
		case <-s.done:
			return fmt.Errorf("server exited: %v", s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(s.URL + "/ping")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte("Ok.")) {
				return nil
			}
			err = fmt.Errorf("ping answered %s: %q", resp.Status, body)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server did not answer /ping within %v: %w", timeout, err)
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

func (s *Server) logTail() string {
	var b strings.Builder
	for _, name := range []string{"stdout.log", "server.err.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil || len(data) == 0 {
			continue
		}
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s ---\n%s\n", name, data)
	}
	return b.String()
}

// Stop kills the server, waits for it to exit and removes its directory. The data is
// thrown away, so the server is killed rather than asked to shut down (a clean shutdown of
// 18.16 takes about ten seconds, which would double the run time of a small test binary).
func (s *Server) Stop() error {
	if s.cmd.Process != nil {
		// The server is a process group leader (Setpgid), so its children go too.
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		return fmt.Errorf("cannot remove server directory: %w", err)
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cannot find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func writeConfig(dir string, httpPort, tcpPort int) error {
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("cannot create server directory: %w", err)
		}
	}
	p := func(sub string) string { return xmlEscape(filepath.Join(dir, sub)) + "/" }
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>%[1]s</log>
    <errorlog>%[2]s</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>%[3]d</http_port>
  <tcp_port>%[4]d</tcp_port>
  <path>%[5]s</path>
  <tmp_path>%[6]s</tmp_path>
  <user_files_path>%[7]s</user_files_path>
  <format_schema_path>%[8]s</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
</yandex>
`, xmlEscape(filepath.Join(dir, "server.log")), xmlEscape(filepath.Join(dir, "server.err.log")),
		httpPort, tcpPort, p("data"), p("tmp"), p("user_files"), p("format_schemas"))
	users := `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <` + AuthUser + `>
      <password>` + AuthPassword + `</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </` + AuthUser + `>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		return fmt.Errorf("cannot write config.xml: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
		return fmt.Errorf("cannot write users.xml: %w", err)
	}
	return nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ServerVersion returns the version() of the server at serverURL, e.g. "18.16.1".
func ServerVersion(ctx context.Context, serverURL string) (string, error) {
	out, err := Run(ctx, serverURL, "SELECT version()")
	return strings.TrimSpace(out), err
}
