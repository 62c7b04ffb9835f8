package jingyun

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// collector is a fake collector that records every request and answers from a script.
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
	// answer returns the status, Retry-After and body for the n-th request (0-based).
	answer func(n int, batch []map[string]any) (int, string, string)
}

type request struct {
	user, pass string
	gzip       bool
	sentAt     string
	batch      []map[string]any
	status     int
}

func newCollector(t *testing.T, answer func(n int, batch []map[string]any) (int, string, string)) *collector {
	t.Helper()
	c := &collector{answer: answer}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("cannot read gzip body: %v", err)
				return
			}
			rd = zr
		}
		var body struct {
			Batch  []map[string]any `json:"batch"`
			SentAt string           `json:"sentAt"`
		}
		if err := json.NewDecoder(rd).Decode(&body); err != nil {
			t.Errorf("cannot decode body: %v", err)
		}
		user, pass, _ := r.BasicAuth()
		c.mu.Lock()
		n := len(c.requests)
		c.mu.Unlock()
		status, after, text := 200, "", `{"success":true}`
		if c.answer != nil {
			status, after, text = c.answer(n, body.Batch)
		}
		c.mu.Lock()
		c.requests = append(c.requests, request{user: user, pass: pass, gzip: r.Header.Get("Content-Encoding") == "gzip", sentAt: body.SentAt, batch: body.Batch, status: status})
		c.mu.Unlock()
		if after != "" {
			w.Header().Set("Retry-After", after)
		}
		w.WriteHeader(status)
		io.WriteString(w, text)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) got() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]request(nil), c.requests...)
}

// events returns the event names of every request answered with status 2xx.
func (c *collector) delivered() []string {
	var out []string
	for _, r := range c.got() {
		if r.status/100 == 2 {
			for _, m := range r.batch {
				out = append(out, m["event"].(string))
			}
		}
	}
	return out
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newClient(t *testing.T, url string, cfg Config) *Client {
	t.Helper()
	cfg.Endpoint, cfg.WriteKey = url, "wk_test"
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = time.Hour
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 10 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 40 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(canceled()) })
	return c
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func flush(t *testing.T, c *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func track(t *testing.T, c *Client, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := c.Track(Track{UserID: "m1", Event: n}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key", Config{Endpoint: "http://x"}, "WriteKey is required"},
		{"no endpoint", Config{WriteKey: "k"}, "must be an http(s) URL"},
		{"not a URL", Config{WriteKey: "k", Endpoint: "jy.example.com"}, "must be an http(s) URL"},
		{"batch over the limit", Config{WriteKey: "k", Endpoint: "https://jy.example.com", BatchSize: 5001}, "over the collector's limit"},
		{"good", Config{WriteKey: "k", Endpoint: "https://jy.example.com/"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestAmount(t *testing.T) {
	f := func(minor int64, want string) {
		t.Helper()
		if got := Amount(minor); string(got) != want {
			t.Errorf("Amount(%d) = %s, want %s", minor, got, want)
		}
	}
	f(5990, "59.90")
	f(5, "0.05")
	f(0, "0.00")
	f(100, "1.00")
	f(-1250, "-12.50")
	f(123456789, "1234567.89")
}

func TestRetryAfter(t *testing.T) {
	f := func(v string, want time.Duration) {
		t.Helper()
		if got := retryAfter(v); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	f("", 0)
	f("5", 5*time.Second)
	f(" 30 ", 30*time.Second)
	f("soon", 0)
	f("-3", 0)
	f(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0)
	if d := retryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); d < 58*time.Second || d > time.Minute {
		t.Errorf("retryAfter(a date a minute ahead) = %v", d)
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		d := backoff(100*time.Millisecond, time.Second, attempt+1)
		if d < want/2 || d > want {
			t.Errorf("backoff(attempt %d) = %v, want within [%v, %v]", attempt+1, d, want/2, want)
		}
	}
}

func TestMessagesAreRefusedWhenInvalid(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:9", Config{})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no event", c.Track(Track{UserID: "u"}), "Event is empty"},
		{"reserved name", c.Track(Track{UserID: "u", Event: "$pageview"}), "reserved"},
		{"no ids", c.Track(Track{Event: "x"}), "UserID or an AnonymousID"},
		{"alias without previous id", c.Alias(Alias{UserID: "u"}), "PreviousID are required"},
		{"group without id", c.Group(Group{UserID: "u"}), "GroupID is required"},
		{"unencodable", c.Track(Track{UserID: "u", Event: "x", Properties: map[string]any{"f": func() {}}}), "cannot encode track message"},
		{"too large", c.Track(Track{UserID: "u", Event: "x", Properties: map[string]any{"s": strings.Repeat("x", 70<<10)}}), "at most 65536"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, tc.err, tc.want)
		}
	}
	if s := c.Stats(); s.Queued != 0 {
		t.Errorf("Queued = %d after refused messages", s.Queued)
	}
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestWireFormat(t *testing.T) {
	col := newCollector(t, nil)
	c := newClient(t, col.URL+"/", Config{Context: map[string]any{"app": map[string]any{"name": "shop-server"}}})
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	msgs := []func() error{
		func() error {
			return c.Track(Track{UserID: "m42", Event: "Order Completed", Timestamp: at, MessageID: "order-paid-o1",
				Properties: map[string]any{"order_id": "o1", "total": Amount(12850), "currency": "CNY"}, Context: map[string]any{"openid": "o_x"}})
		},
		func() error {
			return c.Identify(Identify{UserID: "m42", Traits: map[string]any{"member_level": "金卡", "$set_once": map[string]any{"registered_at": "2024-01-01"}}})
		},
		func() error { return c.Alias(Alias{UserID: "m42", PreviousID: "o_x"}) },
		func() error {
			return c.Page(Page{AnonymousID: "a1", Name: "商品详情", Properties: map[string]any{"path": "/goods/1"}})
		},
		func() error {
			return c.Group(Group{UserID: "m42", GroupID: "store-7", Traits: map[string]any{"city": "杭州"}})
		},
	}
	for _, m := range msgs {
		if err := m(); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, c)
	reqs := col.got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.user != "wk_test" || r.pass != "" {
		t.Errorf("basic auth %q:%q, want the write key as user", r.user, r.pass)
	}
	if !r.gzip {
		t.Error("a body over 1 KiB is not gzipped")
	}
	if _, err := time.Parse(time.RFC3339, r.sentAt); err != nil {
		t.Errorf("sentAt %q: %v", r.sentAt, err)
	}
	b := r.batch
	for i, want := range []string{"track", "identify", "alias", "page", "group"} {
		if b[i]["type"] != want {
			t.Errorf("message %d type %v, want %s", i, b[i]["type"], want)
		}
		ctx := b[i]["context"].(map[string]any)
		if lib := ctx["library"].(map[string]any); lib["name"] != "jingyun-go" || lib["version"] != Version {
			t.Errorf("message %d library %v", i, lib)
		}
		if app := ctx["app"].(map[string]any); app["name"] != "shop-server" {
			t.Errorf("message %d app %v", i, app)
		}
		if i > 0 && !uuidRe.MatchString(b[i]["messageId"].(string)) {
			t.Errorf("message %d messageId %v is not a UUID v4", i, b[i]["messageId"])
		}
	}
	tr := b[0]
	if tr["messageId"] != "order-paid-o1" || tr["timestamp"] != "2024-05-01T04:00:00.000Z" || tr["userId"] != "m42" {
		t.Errorf("track message %v", tr)
	}
	if _, ok := tr["anonymousId"]; ok {
		t.Error("an empty anonymousId is sent")
	}
	if p := tr["properties"].(map[string]any); p["total"] != 128.5 {
		t.Errorf("total %v", p["total"])
	}
	if tr["context"].(map[string]any)["openid"] != "o_x" {
		t.Errorf("message context lost: %v", tr["context"])
	}
	if b[2]["previousId"] != "o_x" || b[3]["name"] != "商品详情" || b[4]["groupId"] != "store-7" {
		t.Errorf("alias/page/group fields: %v %v %v", b[2], b[3], b[4])
	}
}

func TestBatching(t *testing.T) {
	t.Run("by size", func(t *testing.T) {
		col := newCollector(t, nil)
		c := newClient(t, col.URL, Config{BatchSize: 3})
		track(t, c, "a", "b", "c", "d")
		deadline := time.Now().Add(5 * time.Second)
		for len(col.got()) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := col.got(); len(got) != 1 || len(got[0].batch) != 3 {
			t.Fatalf("requests %+v, want one of 3 events before the interval", got)
		}
		flush(t, c)
		if got := col.delivered(); strings.Join(got, "") != "abcd" {
			t.Errorf("delivered %v", got)
		}
	})
	t.Run("by time", func(t *testing.T) {
		col := newCollector(t, nil)
		c := newClient(t, col.URL, Config{FlushInterval: 30 * time.Millisecond})
		track(t, c, "a")
		deadline := time.Now().Add(5 * time.Second)
		for len(col.delivered()) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := col.delivered(); len(got) != 1 {
			t.Fatalf("delivered %v after the interval", got)
		}
	})
}

func TestAnswers(t *testing.T) {
	type reply struct {
		status int
		after  string
		body   string
	}
	invalid := `{"accepted":2,"rejected":1,"error":{"code":"invalid_events"},"errors":[{"index":1,"code":"too_deep"}]}`
	for _, tc := range []struct {
		name      string
		replies   []reply // per request; then 200
		events    int
		wantSizes []int // events per request
		sent      int64
		rejected  int64
		retries   int64
		minTime   time.Duration
	}{
		{"stored", nil, 3, []int{3}, 3, 0, 0, 0},
		{"5xx then stored", []reply{{500, "", ""}, {502, "", ""}}, 2, []int{2, 2, 2}, 2, 0, 2, 0},
		{"Retry-After is honoured", []reply{{503, "1", `{"error":{"code":"overloaded"}}`}}, 1, []int{1, 1}, 1, 0, 1, time.Second},
		{"429 retried", []reply{{429, "", ""}}, 1, []int{1, 1}, 1, 0, 1, 0},
		{"invalid events dropped", []reply{{400, "", invalid}}, 3, []int{3}, 2, 1, 0, 0},
		{"bad key dropped", []reply{{401, "", `{"error":{"code":"invalid_write_key"}}`}}, 2, []int{2}, 0, 2, 0, 0},
		{"413 splits", []reply{{413, "", ""}}, 4, []int{4, 2, 2}, 4, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col := newCollector(t, func(n int, _ []map[string]any) (int, string, string) {
				if n < len(tc.replies) {
					r := tc.replies[n]
					return r.status, r.after, r.body
				}
				return 200, "", "{}"
			})
			c := newClient(t, col.URL, Config{})
			for i := 0; i < tc.events; i++ {
				track(t, c, "e")
			}
			start := time.Now()
			flush(t, c)
			if el := time.Since(start); el < tc.minTime {
				t.Errorf("flushed after %v, want at least %v", el, tc.minTime)
			}
			var sizes []int
			ids := map[string]int{}
			for _, r := range col.got() {
				sizes = append(sizes, len(r.batch))
				for _, m := range r.batch {
					ids[m["messageId"].(string)]++
				}
			}
			if len(ids) != tc.events {
				t.Errorf("%d distinct messageIds, want %d (retries must resend the same ids)", len(ids), tc.events)
			}
			if !slices.Equal(sizes, tc.wantSizes) {
				t.Errorf("request sizes %v, want %v", sizes, tc.wantSizes)
			}
			s := c.Stats()
			if s.Sent != tc.sent || s.Rejected != tc.rejected || s.Retries != tc.retries || s.Queued != 0 {
				t.Errorf("stats %+v, want sent %d rejected %d retries %d", s, tc.sent, tc.rejected, tc.retries)
			}
		})
	}
}

func TestNetworkFailureIsRetried(t *testing.T) {
	col := newCollector(t, nil)
	url := col.URL
	col.Close() // nothing listens there now
	c := newClient(t, url, Config{})
	track(t, c, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot flush 1 queued events") {
		t.Fatalf("Flush = %v, want a deadline error naming 1 event", err)
	}
	if s := c.Stats(); s.Retries == 0 || s.Queued != 1 {
		t.Errorf("stats %+v, want retries and the event still queued", s)
	}
}

func TestQueueIsBounded(t *testing.T) {
	release := make(chan struct{})
	col := newCollector(t, func(int, []map[string]any) (int, string, string) {
		<-release
		return 200, "", "{}"
	})
	defer close(release)
	c := newClient(t, col.URL, Config{MaxQueue: 5, BatchSize: 2})
	var full int
	for i := 0; i < 8; i++ {
		if err := c.Track(Track{UserID: "u", Event: "e"}); errors.Is(err, ErrQueueFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if full != 3 {
		t.Errorf("%d calls refused, want 3", full)
	}
	if s := c.Stats(); s.Refused != 3 || s.Queued != 5 {
		t.Errorf("stats %+v", s)
	}
}

func TestCloseFlushesWithADeadline(t *testing.T) {
	t.Run("delivers what is queued", func(t *testing.T) {
		col := newCollector(t, nil)
		c := newClient(t, col.URL, Config{})
		track(t, c, "a", "b")
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if got := col.delivered(); len(got) != 2 {
			t.Errorf("delivered %v", got)
		}
		if err := c.Track(Track{UserID: "u", Event: "late"}); !errors.Is(err, ErrClosed) {
			t.Errorf("Track after Close: %v, want ErrClosed", err)
		}
		if err := c.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("second Close: %v, want ErrClosed", err)
		}
	})
	t.Run("gives up at the deadline", func(t *testing.T) {
		col := newCollector(t, func(int, []map[string]any) (int, string, string) { return 503, "", "" })
		c := newClient(t, col.URL, Config{ShutdownTimeout: 150 * time.Millisecond})
		track(t, c, "a", "b")
		start := time.Now()
		err := c.Close()
		if err == nil || !strings.Contains(err.Error(), "cannot flush 2 queued events") {
			t.Fatalf("Close = %v, want a deadline error naming 2 events", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("Close took %v", el)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	col := newCollector(t, nil)
	c := newClient(t, col.URL, Config{BatchSize: 50})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if err := c.Track(Track{AnonymousID: "a", Event: "e"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	flush(t, c)
	if got := len(col.delivered()); got != 800 {
		t.Errorf("delivered %d events, want 800", got)
	}
}
