package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/auth"
)

// newLiveServer is a real app with WAL, loader and collector on a temporary data dir, behind
// a loopback server with short read and write timeouts (which a stream must outlive), set
// up with project A (an owner, an operator and a viewer) and project B (an outsider).
func newLiveServer(t *testing.T) (s *testServer, pa, pb uint32, writeKey string, c map[string]*client) {
	t.Helper()
	return newServerWithWAL(t, 2*time.Second)
}

// newServerWithWAL is newLiveServer with the HTTP server's read and write timeouts (0: none).
func newServerWithWAL(t *testing.T, timeout time.Duration) (s *testServer, pa, pb uint32, writeKey string, c map[string]*client) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.WAL.NoSync = true
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Config.ReadTimeout = timeout
	srv.Config.WriteTimeout = timeout
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	s = &testServer{t: t, a: a, url: srv.URL}
	owner := s.signedIn(s.anon().do("POST", "/api/v1/setup", map[string]string{"email": "owner@shop.cn", "password": pw, "name": "店主"}))
	create := func(name string) (uint32, string, string) {
		r := owner.do("POST", "/api/v1/projects", map[string]string{"name": name})
		expect(t, "create "+name, r, 201)
		pr := r.body["project"].(map[string]any)
		return uint32(pr["id"].(float64)), pr["write_key"].(string), r.body["secret_key"].(string)
	}
	var sk string
	pa, writeKey, sk = create("A")
	pb, _, _ = create("B")
	expect(t, "add operator", owner.do("POST", fmt.Sprintf("/api/v1/projects/%d/members", pa),
		map[string]string{"email": "operator@shop.cn", "role": "operator", "password": pw}), 201)
	expect(t, "add viewer", owner.do("POST", fmt.Sprintf("/api/v1/projects/%d/members", pa),
		map[string]string{"email": "viewer@shop.cn", "role": "viewer", "password": pw}), 201)
	expect(t, "add outsider", owner.do("POST", fmt.Sprintf("/api/v1/projects/%d/members", pb),
		map[string]string{"email": "outsider@other.cn", "role": "owner", "password": pw}), 201)
	c = map[string]*client{"owner": owner, "operator": s.login("operator@shop.cn", pw), "viewer": s.login("viewer@shop.cn", pw), "outsider": s.login("outsider@other.cn", pw),
		"nobody": s.anon(), "key": {s: s, key: sk}}
	return s, pa, pb, writeKey, c
}

// sse is one server-sent event.
type sse struct {
	name, id, data string
}

// stream is an open live stream.
type stream struct {
	t      *testing.T
	c      chan sse
	cancel context.CancelFunc
}

// openStream subscribes as c; it fails t unless the answer is a 200 event stream.
func openStream(t *testing.T, c *client, path string, header ...string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.s.url+path, nil)
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.session})
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("stream %s: %s %s", path, resp.Status, b)
	}
	st := &stream{t: t, c: make(chan sse, 100), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(st.c)
		sc := bufio.NewScanner(resp.Body)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.data != "" {
					st.c <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	t.Cleanup(cancel)
	return st
}

// next returns the next event (skipping none), failing after 5 s.
func (s *stream) next() sse {
	s.t.Helper()
	select {
	case e, ok := <-s.c:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		return e
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5 s")
	}
	return sse{}
}

// nextEvent returns the next data event (an arriving event), decoded.
func (s *stream) nextEvent() map[string]any {
	s.t.Helper()
	e := s.next()
	if e.name != "" {
		s.t.Fatalf("got %q event %s, want an event", e.name, e.data)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(e.data), &m); err != nil {
		s.t.Fatalf("cannot decode %q: %v", e.data, err)
	}
	return m
}

func (s *stream) ready() map[string]any {
	s.t.Helper()
	e := s.next()
	if e.name != "ready" {
		s.t.Fatalf("got %q %s, want ready", e.name, e.data)
	}
	var m map[string]any
	json.Unmarshal([]byte(e.data), &m)
	return m
}

// track sends an event through the collector with the write key.
func track(t *testing.T, s *testServer, writeKey, userID, name string) {
	t.Helper()
	body := fmt.Sprintf(`{"userId":%q,"event":%q,"properties":{"sku":"A1","price":9.9}}`, userID, name)
	req, _ := http.NewRequest("POST", s.url+"/v1/track", strings.NewReader(body))
	req.SetBasicAuth(writeKey, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("track: %s %s", resp.Status, b)
	}
}

// TestLiveAPI subscribes to the live stream, sends events through the collector and sees them
// arrive, filtered; checks the backlog, resuming, access, bad filters, the summary and the end
// of the streams at shutdown.
func TestLiveAPI(t *testing.T) {
	s, pa, pb, wk, c := newLiveServer(t)
	p := fmt.Sprintf("/api/v1/projects/%d/live", pa)

	all := openStream(t, c["operator"], p+"/events")
	if r := all.ready(); r["backlog"] != float64(0) {
		t.Fatalf("ready %v", r)
	}
	orders := openStream(t, c["owner"], p+"/events?event=Order+Completed&event=Refund")
	orders.ready()
	mine := openStream(t, c["operator"], p+"/events?distinct_id=u2&type=track")
	mine.ready()
	// Outlive the server's read and write timeouts (2 s; password hashing needs the time).
	time.Sleep(2500 * time.Millisecond)

	track(t, s, wk, "u1", "Product Viewed")
	track(t, s, wk, "u2", "Order Completed")
	e := all.nextEvent()
	if e["event"] != "Product Viewed" || e["distinct_id"] != "u1" || e["type"] != "track" || e["person_id"].(float64) <= 0 ||
		e["properties"].(map[string]any)["sku"] != "A1" || e["timestamp"].(float64) < float64(time.Now().Add(-time.Minute).UnixMilli()) {
		t.Fatalf("event %v", e)
	}
	if e := all.nextEvent(); e["event"] != "Order Completed" {
		t.Fatalf("second event %v", e)
	}
	if e := orders.nextEvent(); e["event"] != "Order Completed" || e["distinct_id"] != "u2" {
		t.Fatalf("filtered by event: %v", e)
	}
	if e := mine.nextEvent(); e["event"] != "Order Completed" {
		t.Fatalf("filtered by distinct id: %v", e)
	}

	// A new subscriber gets the latest events at once; one that resumes gets only what it missed.
	late := openStream(t, c["operator"], p+"/events?backlog=1")
	last := late.next()
	if !strings.Contains(last.data, `"Order Completed"`) {
		t.Fatalf("backlog %v", last)
	}
	if r := late.ready(); r["backlog"] != float64(1) {
		t.Fatalf("ready %v", r)
	}
	resumed := openStream(t, c["operator"], p+"/events", "Last-Event-ID", last.id)
	if r := resumed.ready(); r["backlog"] != float64(0) {
		t.Fatalf("resumed after the last event: %v", r)
	}
	other := openStream(t, c["operator"], p+"/events", "Last-Event-ID", "1-1")
	if other.nextEvent()["event"] != "Product Viewed" {
		t.Fatal("an id of another server did not replay the backlog")
	}

	// Access: another project's member and key get 404, like an unknown project.
	r := c["outsider"].do("GET", p+"/events", nil)
	expect(t, "outsider", r, 404, "project_not_found")
	expect(t, "nobody", c["nobody"].do("GET", p+"/events", nil), 401)
	expect(t, "outsider summary", c["outsider"].do("GET", p+"/summary", nil), 404)
	expect(t, "operator of A on B", c["operator"].do("GET", fmt.Sprintf("/api/v1/projects/%d/live/events", pb), nil), 404, "project_not_found")
	// The stream shows identifiers and traits: a viewer may read the summary, not the stream.
	expect(t, "viewer's stream", c["viewer"].do("GET", fmt.Sprintf("/api/v1/projects/%d/live/events", pa), nil), 403, "forbidden")
	expect(t, "viewer's summary", c["viewer"].do("GET", fmt.Sprintf("/api/v1/projects/%d/live/summary", pa), nil), 200)
	bs := openStream(t, c["outsider"], fmt.Sprintf("/api/v1/projects/%d/live/events", pb))
	bs.ready()

	// Bad filters: 400 with a stable code and the parameter at fault.
	bad := func(query, code, field string) {
		t.Helper()
		expect(t, query, c["operator"].do("GET", p+"/events?"+query, nil), 400, code, field)
	}
	bad("type=bogus", "invalid_filter", "type")
	bad("event=", "invalid_filter", "event")
	bad("event="+strings.Repeat("x", 300), "invalid_filter", "event")
	bad("distinct_id=a&distinct_id=b", "invalid_filter", "distinct_id")
	bad("person_id=x", "invalid_filter", "person_id")
	bad("backlog=-1", "invalid_backlog", "backlog")
	bad("backlog=100000", "invalid_backlog", "backlog")
	bad("events=Order", "unknown_parameter", "events")
	expect(t, "summary params", c["viewer"].do("GET", p+"/summary?x=1", nil), 400, "unknown_parameter", "x")

	// Nothing of project A reached B's stream.
	track(t, s, wk, "u3", "Refund")
	if e := orders.nextEvent(); e["event"] != "Refund" {
		t.Fatalf("second filter name: %v", e)
	}
	select {
	case e := <-bs.c:
		t.Fatalf("project B got %v", e)
	case <-time.After(100 * time.Millisecond):
	}

	// The summary counts what was just sent.
	r = c["viewer"].do("GET", p+"/summary", nil)
	expect(t, "summary", r, 200)
	sum := r.body["summary"].(map[string]any)
	if sum["events"] != float64(3) || sum["persons"] != float64(3) || len(sum["minutes"].([]any)) != 30 {
		t.Fatalf("summary %s", r.raw)
	}
	if top := sum["top_events"].([]any); len(top) != 3 {
		t.Fatalf("top events %v", top)
	}
	// It says which streamed events it counts: the three, as numbered on the stream.
	lv := r.body["live"].(map[string]any)
	if lv["seq"] != float64(3) || lv["epoch"] != float64(s.a.Live.Epoch()) {
		t.Fatalf("summary's stream position %v, want seq 3 of epoch %d", lv, s.a.Live.Epoch())
	}
	if r := c["viewer"].do("GET", fmt.Sprintf("/api/v1/projects/%d/live/summary", pb), nil); r.status == 200 {
		t.Fatal("a viewer of A read B's summary")
	}

	// Shutdown ends every stream with "bye".
	s.a.Live.Close()
	for _, st := range []*stream{all, orders, bs} {
		for {
			e := st.next()
			if e.name == "bye" {
				break
			}
		}
		if _, ok := <-st.c; ok {
			t.Fatal("the stream continued after bye")
		}
	}
}

// TestEventsTail runs `jingyun events tail` against a server: it prints the matching event
// as one NDJSON line and stops after --count; bad use fails with a clear message.
func TestEventsTail(t *testing.T) {
	s, pa, _, wk, c := newLiveServer(t)
	var out, errb bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	args := []string{"events", "tail", "--server", s.url, "--key", c["key"].key, "--project", strconv.Itoa(int(pa)),
		"--event", "Order Completed", "--backlog", "0", "--count", "1"}
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), env, args) }()
	for start := time.Now(); s.a.Live.Subscribers(pa) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the verb did not subscribe: %s", errb.String())
		}
	}
	track(t, s, wk, "u1", "Product Viewed")
	track(t, s, wk, "u1", "Order Completed")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("events tail did not stop after --count 1")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var e map[string]any
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &e) != nil || e["event"] != "Order Completed" || e["distinct_id"] != "u1" {
		t.Fatalf("output %q", out.String())
	}
	f := func(code int, want string, args ...string) {
		t.Helper()
		out.Reset()
		errb.Reset()
		if got := run(context.Background(), env, append([]string{"events", "tail"}, args...)); got != code || !strings.Contains(errb.String(), want) {
			t.Fatalf("%v: exit %d (want %d): %s", args, got, code, errb.String())
		}
	}
	f(2, "--server is required", "--project", "1", "--key", "sk")
	f(2, "--key is required", "--server", s.url, "--project", "1")
	f(1, "invalid_secret_key", "--server", s.url, "--project", "1", "--key", "sk_nope")
	f(1, "invalid_filter", "--server", s.url, "--project", strconv.Itoa(int(pa)), "--key", c["key"].key, "--type", "bogus")
}
