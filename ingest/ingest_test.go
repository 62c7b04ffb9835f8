package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/wal"
)

type fixture struct {
	srv   *httptest.Server
	wal   *wal.WAL
	key   string
	col   *Collector
	now   time.Time
	read  wal.Position
	store *meta.Store
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	dir := t.TempDir()
	m, err := meta.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	p, _, err := m.CreateProject(context.Background(), meta.NewProject{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), NoSync: true, MinFreeDisk: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	f := &fixture{wal: w, key: p.WriteKey, store: m, now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	f.col = New(cfg, m, w, nil)
	f.col.now = func() time.Time { return f.now }
	mux := http.NewServeMux()
	f.col.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// events returns the events written to the WAL since the last call.
func (f *fixture) events(t *testing.T) []event.Event {
	t.Helper()
	r, err := f.wal.NewReader(f.read)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []event.Event
	for {
		p, end, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		f.read = end
		if out, err = event.DecodeBatch(out, p); err != nil {
			t.Fatal(err)
		}
	}
}

type req struct {
	method, path, body string
	key                *string // nil: the fixture's key
	gzip               bool
	header             map[string]string
}

func (f *fixture) do(t *testing.T, r req) (int, string, http.Header) {
	t.Helper()
	var body io.Reader = strings.NewReader(r.body)
	if r.gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(r.body))
		zw.Close()
		body = &b
	}
	if r.method == "" {
		r.method = http.MethodPost
	}
	hr, _ := http.NewRequest(r.method, f.srv.URL+r.path, body)
	key := f.key
	if r.key != nil {
		key = *r.key
	}
	if key != "" {
		hr.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	}
	if r.gzip {
		hr.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestCollectorScenarios(t *testing.T) {
	f := newFixture(t, Config{Limits: Limits{MaxBatchEvents: 3, MaxBodyBytes: 4096, MaxDepth: 3, MaxStringBytes: 20}})
	empty := ""
	wrong := "wk_nope"
	deep := `{"a":{"b":{"c":{"d":1}}}}`
	cases := []struct {
		name   string
		r      req
		status int
		want   []string // fragments of the body
		stored int
	}{
		{"track", req{path: "/v1/track", body: `{"userId":"u1","event":"Product Viewed","messageId":"m1","properties":{ "price" : 59.90 }}`}, 200, []string{`"success":true`}, 1},
		{"batch", req{path: "/v1/batch", body: `{"batch":[{"type":"page","anonymousId":"a1","name":"首页"},{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"city":"上海"}}],"sentAt":"2024-05-01T12:00:00Z","context":{"library":{"name":"analytics-node"}},"integrations":{}}`}, 200, []string{`"accepted":2`}, 2},
		{"gzip batch", req{path: "/v1/batch", gzip: true, body: `{"batch":[{"type":"track","userId":"u1","event":"Order Completed"}]}`}, 200, nil, 1},
		{"numeric user id", req{path: "/v1/track", body: `{"userId":42,"event":"x"}`}, 200, nil, 1},
		{"alias", req{path: "/v1/alias", body: `{"userId":"u2","previousId":"u1"}`}, 200, nil, 1},
		{"group", req{path: "/v1/group", body: `{"userId":"u2","groupId":"g1","traits":{"name":"团"}}`}, 200, nil, 1},
		{"malformed json", req{path: "/v1/batch", body: `{"batch":[`}, 400, []string{`"code":"malformed_json"`}, 0},
		{"empty body", req{path: "/v1/track", body: ``}, 400, []string{`"code":"empty_body"`}, 0},
		{"no key", req{path: "/v1/track", key: &empty, body: `{"userId":"u","event":"x"}`}, 401, []string{`"code":"missing_write_key"`}, 0},
		{"wrong key", req{path: "/v1/track", key: &wrong, body: `{"userId":"u","event":"x"}`}, 401, []string{`"code":"invalid_write_key"`}, 0},
		{"key in body", req{path: "/v1/batch", key: &empty, body: `{"writeKey":"` + f.key + `","batch":[{"type":"track","userId":"u","event":"x"}]}`}, 200, nil, 1},
		{"missing event", req{path: "/v1/track", body: `{"userId":"u1"}`}, 400, []string{`"code":"missing_field"`, `"field":"event"`}, 0},
		{"wrong type", req{path: "/v1/track", body: `{"userId":"u1","event":["x"]}`}, 400, []string{`"code":"invalid_type"`, `"field":"event"`}, 0},
		{"properties not object", req{path: "/v1/track", body: `{"userId":"u1","event":"x","properties":[1]}`}, 400, []string{`"field":"properties"`}, 0},
		{"unknown key", req{path: "/v1/track", body: `{"userId":"u1","event":"x","evnt":"y"}`}, 400, []string{`"code":"unknown_field"`, `"field":"evnt"`}, 0},
		{"unknown batch key", req{path: "/v1/batch", body: `{"batch":[],"extra":1}`}, 400, []string{`"field":"extra"`}, 0},
		{"no ids", req{path: "/v1/track", body: `{"event":"x"}`}, 400, []string{`"field":"userId"`}, 0},
		{"too deep", req{path: "/v1/track", body: `{"userId":"u","event":"x","properties":` + deep + `}`}, 400, []string{`"code":"too_deep"`, `"field":"properties.a.b.c"`}, 0},
		{"long string", req{path: "/v1/track", body: `{"userId":"u","event":"x","properties":{"s":"` + strings.Repeat("长", 10) + `"}}`}, 400, []string{`"code":"string_too_long"`, `"field":"properties.s"`}, 0},
		{"bad timestamp", req{path: "/v1/track", body: `{"userId":"u","event":"x","timestamp":"yesterday"}`}, 400, []string{`"field":"timestamp"`}, 0},
		{"ancient timestamp", req{path: "/v1/track", body: `{"userId":"u","event":"x","timestamp":"1990-01-01T00:00:00Z"}`}, 400, []string{`"code":"out_of_range"`}, 0},
		{"reserved name", req{path: "/v1/track", body: `{"userId":"u","event":"$pageview"}`}, 400, []string{`"field":"event"`}, 0},
		{"alias without previousId", req{path: "/v1/alias", body: `{"userId":"u"}`}, 400, []string{`"field":"previousId"`}, 0},
		{"unknown type in batch", req{path: "/v1/batch", body: `{"batch":[{"type":"click","userId":"u"}]}`}, 400, []string{`"code":"invalid_events"`, `"field":"type"`, `"index":0`}, 0},
		{"partly invalid batch", req{path: "/v1/batch", body: `{"batch":[{"type":"track","userId":"u","event":"ok"},{"type":"track","userId":"u"},{"type":"track","userId":"u","event":"ok2"}]}`}, 400,
			[]string{`"code":"invalid_events"`, `"accepted":2`, `"rejected":1`, `"index":1`, `"field":"event"`}, 2},
		{"batch too large", req{path: "/v1/batch", body: `{"batch":[{},{},{},{}]}`}, 413, []string{`"code":"batch_too_large"`}, 0},
		{"body too large", req{path: "/v1/batch", body: `{"batch":[],"context":{"x":"` + strings.Repeat("a", 5000) + `"}}`}, 413, []string{`"code":"body_too_large"`}, 0},
		{"gzip bomb", req{path: "/v1/batch", gzip: true, body: `{"batch":[],"context":{"x":"` + strings.Repeat("a", 50000) + `"}}`}, 413, []string{`"code":"body_too_large"`}, 0},
		{"not gzip", req{path: "/v1/batch", header: map[string]string{"Content-Encoding": "gzip"}, body: `{"batch":[]}`}, 400, []string{`"code":"invalid_gzip"`}, 0},
		{"unknown encoding", req{path: "/v1/batch", header: map[string]string{"Content-Encoding": "br"}, body: `{"batch":[]}`}, 415, []string{`"code":"unsupported_encoding"`}, 0},
		{"GET", req{method: "GET", path: "/v1/track"}, 405, []string{`"code":"method_not_allowed"`}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := f.do(t, c.r)
			if status != c.status {
				t.Fatalf("status %d, want %d; body %s", status, c.status, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("body %s lacks %s", body, w)
				}
			}
			if got := f.events(t); len(got) != c.stored {
				t.Fatalf("stored %d events, want %d", len(got), c.stored)
			}
		})
	}
}

func TestNormalization(t *testing.T) {
	f := newFixture(t, Config{})
	// The client clock is 10 minutes fast: timestamp and sentAt are both shifted.
	status, body, _ := f.do(t, req{path: "/v1/batch", body: `{"batch":[
		{"type":"track","event":"Product Added","anonymousId":"dev","messageId":"m-1","timestamp":"2024-05-01T12:05:00.250Z","properties":{"sku":"A 1","qty": 2}},
		{"type":"page","userId":"u","name":"商品详情","properties":{"path":"/goods"}},
		{"type":"screen","userId":"u","name":"Home","timestamp":"2024-05-01T11:00:00+08:00"}
	],"sentAt":"2024-05-01T12:10:00Z"}`})
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	got := f.events(t)
	if len(got) != 3 {
		t.Fatalf("%d events", len(got))
	}
	e := got[0]
	wantTS := time.Date(2024, 5, 1, 11, 55, 0, 250e6, time.UTC).UnixMilli()
	if e.Time != wantTS || e.ReceivedAt != f.now.UnixMilli() || e.ID != "m-1" || e.Name != "Product Added" || e.AnonymousID != "dev" {
		t.Fatalf("event 0 = %+v; want time %d", e, wantTS)
	}
	if string(e.Properties) != `{"sku":"A 1","qty":2}` {
		t.Fatalf("properties not compacted: %s", e.Properties)
	}
	if got[1].Name != event.NamePageview || !strings.Contains(string(got[1].Properties), `"name":"商品详情"`) || got[1].ID == "" {
		t.Fatalf("page = %+v", got[1])
	}
	// With no sentAt on the message the batch's sentAt applies; an offset time is UTC-normalised.
	if want := time.Date(2024, 5, 1, 2, 50, 0, 0, time.UTC).UnixMilli(); got[2].Time != want || got[2].Name != event.NameScreen {
		t.Fatalf("screen time %d, want %d", got[2].Time, want)
	}
	var m map[string]any
	if json.Unmarshal(got[1].Properties, &m) != nil {
		t.Fatal("page properties not valid JSON")
	}
}

func TestCORS(t *testing.T) {
	f := newFixture(t, Config{})
	hr, _ := http.NewRequest(http.MethodOptions, f.srv.URL+"/v1/batch", nil)
	hr.Header.Set("Origin", "https://shop.example")
	hr.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestRateLimitAndBackpressure(t *testing.T) {
	f := newFixture(t, Config{RateLimit: 2})
	ok := `{"batch":[{"type":"track","userId":"u","event":"x"},{"type":"track","userId":"u","event":"x"}]}`
	if s, b, _ := f.do(t, req{path: "/v1/batch", body: ok}); s != 200 {
		t.Fatalf("first batch: %d %s", s, b)
	}
	s, b, h := f.do(t, req{path: "/v1/batch", body: ok})
	if s != 429 || h.Get("Retry-After") == "" || !strings.Contains(b, "rate_limited") || h.Get("Access-Control-Expose-Headers") != "Retry-After" {
		t.Fatalf("second batch in the same second: %d %s %v", s, b, h)
	}
	f.now = f.now.Add(time.Second)
	if s, b, _ := f.do(t, req{path: "/v1/batch", body: ok}); s != 200 {
		t.Fatalf("after a second: %d %s", s, b)
	}
	f.events(t)

	busy := false
	g := newFixture(t, Config{Backpressure: func() *apierr.Error {
		if busy {
			return &apierr.Error{Status: 503, Code: "overloaded", Message: "behind", RetryAfter: 5}
		}
		return nil
	}})
	busy = true
	s, b, h = g.do(t, req{path: "/v1/track", body: `{"userId":"u","event":"x"}`})
	if s != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("backpressure: %d %s", s, b)
	}
	if n := len(g.events(t)); n != 0 {
		t.Fatalf("refused request stored %d events", n)
	}
}

func TestWALErrorsMapToRetryableStatus(t *testing.T) {
	f := newFixture(t, Config{})
	f.wal.Close() // appends now fail with ErrClosed
	s, b, h := f.do(t, req{path: "/v1/track", body: `{"userId":"u","event":"x"}`})
	if s != 503 || h.Get("Retry-After") == "" || !strings.Contains(b, "shutting_down") {
		t.Fatalf("closed wal: %d %s", s, b)
	}
}

func TestCompactValue(t *testing.T) {
	lim := scanLimits{maxDepth: 4, maxString: 10, maxKeys: 3}
	f := func(in, want, wantErr string) {
		t.Helper()
		out, err := compactValue(nil, []byte(in), lim)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("compactValue(%q) error %v, want %q", in, err, wantErr)
			}
			return
		}
		if err != nil || string(out) != want {
			t.Fatalf("compactValue(%q) = %q, %v; want %q", in, out, err, want)
		}
		if !json.Valid(out) {
			t.Fatalf("output %q not valid JSON", out)
		}
	}
	f(` { "a" : [ 1 , -2.5e3 , true , null , "x\"y" ] } `, `{"a":[1,-2.5e3,true,null,"x\"y"]}`, "")
	f(`{"k":"\u00e9\n"}`, `{"k":"\u00e9\n"}`, "")
	f(`{}`, `{}`, "")
	f(`{"a":[[[1]]]}`, `{"a":[[[1]]]}`, "")
	f(`{"a":[[[[1]]]]}`, "", "a[0][0][0]: nested deeper than 4")
	f(`{"a":"01234567890"}`, "", "a: string longer than 10")
	f(`{"a":1,"b":2,"c":3,"d":4}`, "", "more than 3 keys")
	f(`{"a":01}`, "", "invalid JSON")
	f(`{"a":1,}`, "", "invalid JSON")
	f(`{"a":tru}`, "", "invalid JSON")
	f(`{"a":"x`, "", "unexpected end")
	f("{\"a\":\"\x01\"}", "", "control character")
	f("{\"a\":\"\xff\"}", "", "invalid UTF-8")
	f(`{"a":1} x`, "", "unexpected data")
	f(`{"a":"\q"}`, "", "invalid JSON")
}

func FuzzCompactValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `{"x":"\u4e2d"}`, `[]`, `{"a":-0.5e-3}`} {
		f.Add([]byte(s))
	}
	lim := scanLimits{maxDepth: 64, maxString: 1 << 20, maxKeys: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := compactValue(nil, in, lim)
		if err == nil && !json.Valid(out) {
			t.Fatalf("accepted %q, produced invalid %q", in, out)
		}
		if err == nil && !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		// Stricter than encoding/json on purpose: invalid UTF-8 is refused.
		if err != nil && json.Valid(in) && utf8.Valid(in) && !strings.Contains(err.Error(), "number too long") {
			t.Fatalf("refused valid JSON %q: %v", in, err)
		}
	})
}

func TestDecodeTrickyStrings(t *testing.T) {
	f := newFixture(t, Config{})
	body := `{"batch":[{"type":"track","userId":"u\"1","event":"a}]\\","properties":{"q":"\\\"}{[","k\u00e9y":"v"}}]}`
	status, resp, _ := f.do(t, req{path: "/v1/batch", body: body})
	if status != 200 {
		t.Fatalf("status %d: %s", status, resp)
	}
	got := f.events(t)
	if len(got) != 1 || got[0].UserID != `u"1` || got[0].Name != `a}]\` || string(got[0].Properties) != `{"q":"\\\"}{[","k\u00e9y":"v"}` {
		t.Fatalf("decoded %+v props %s", got, got[0].Properties)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{`{"batch":[{"type":"track","event":"x","userId":"u"}]}`, `{"batch":[],"sentAt":"2024-01-01T00:00:00Z"}`,
		`{"batch":[{"a":"\"}"}]}`, `{"batch":[1,2,{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var b batchBody
		if decodeBatch(in, &b) != nil {
			return
		}
		var scratch []byte
		for _, raw := range b.Batch {
			var m message
			decodeMessage(raw, &m, &scratch, &scanLimits{maxDepth: 10, maxString: 8 << 10, maxKeys: 1000}) // must not panic on any element
		}
	})
}
