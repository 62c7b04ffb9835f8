package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/event"
)

// TestPersonsAPI searches persons, reads a profile and pages a timeline over HTTP: an
// operator (or the secret key) reads, a viewer gets 403, a member of another project gets
// 404, unknown persons get 404 person_not_found and bad paging input a 400 naming the field.
func TestPersonsAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var evs []event.Event
	add := func(project uint32, typ event.Type, name string, ts int64, anon, user, props, traits string) {
		e := event.Event{ProjectID: project, ID: fmt.Sprintf("e%02d", len(evs)), Type: typ, Name: name, Time: ts, ReceivedAt: ts,
			AnonymousID: anon, UserID: user, Properties: json.RawMessage(props)}
		if typ == event.TypeIdentify {
			e.Name, e.Traits = event.TypeIdentify.ReservedName(), json.RawMessage(traits)
		}
		evs = append(evs, e)
	}
	const t0 = 1700000000000
	add(w.pa, event.TypeTrack, "Product Viewed", t0, "dev-1", "", `{"sku":"A"}`, "")
	add(w.pa, event.TypeIdentify, "", t0+1000, "dev-1", "m-1", `{}`, `{"name":"张三","city":"上海"}`)
	add(w.pa, event.TypeTrack, "Order Completed", t0+2000, "dev-1", "m-1", `{"order_id":"o1","total":88.8}`, "")
	add(w.pa, event.TypeTrack, "Order Completed", t0+2000, "dev-1", "m-1", `{"order_id":"o2","total":11.2}`, "")
	add(w.pb, event.TypeIdentify, "", t0, "dev-b", "m-b", `{}`, `{"name":"秘密"}`)
	if err := w.s.a.Loader.Sink().Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/projects/%d/persons", w.pa)

	for _, who := range []string{"owner", "admin", "analyst", "operator", "key"} {
		r := w.clients[who].do("GET", base+"?q=m-", nil)
		expect(t, who+" search", r, 200)
		ps, _ := r.body["persons"].([]any)
		if len(ps) != 1 || ps[0].(map[string]any)["distinct_id"] != "m-1" || r.body["next_cursor"] != "" {
			t.Fatalf("%s search: %s", who, r.raw)
		}
	}
	expect(t, "viewer search", w.clients["viewer"].do("GET", base, nil), 403)
	expect(t, "viewer profile", w.clients["viewer"].do("GET", base+"/m-1", nil), 403)
	expect(t, "nobody", w.clients["nobody"].do("GET", base, nil), 401)
	for _, who := range []string{"outsider", "key of B"} {
		expect(t, who+" search", w.clients[who].do("GET", base, nil), 404)
		expect(t, who+" profile", w.clients[who].do("GET", base+"/m-1", nil), 404)
		expect(t, who+" events", w.clients[who].do("GET", base+"/m-1/events", nil), 404)
	}

	op := w.clients["operator"]
	r := op.do("GET", base+"/dev-1", nil)
	expect(t, "profile", r, 200)
	orders := r.body["orders"].(map[string]any)
	if r.body["distinct_id"] != "m-1" || r.body["event_count"] != float64(4) || orders["count"] != float64(2) ||
		orders["total"] != float64(100) || !strings.Contains(r.raw, `"city":"上海"`) {
		t.Fatalf("profile: %s", r.raw)
	}
	r = op.do("GET", base+"?q="+url.QueryEscape("上海"), nil)
	expect(t, "trait search", r, 200)
	if ps, _ := r.body["persons"].([]any); len(ps) != 1 {
		t.Fatalf("trait search: %s", r.raw)
	}
	r = op.do("GET", base+"?q="+url.QueryEscape("秘密"), nil)
	if ps, _ := r.body["persons"].([]any); r.status != 200 || len(ps) != 0 {
		t.Fatalf("project B leaked: %s", r.raw)
	}

	// Timeline pages of one across the two orders at the same ms.
	var seen []string
	next := ""
	for i := 0; i < 10; i++ {
		path := base + "/m-1/events?limit=1"
		if next != "" {
			path += "&before=" + url.QueryEscape(next)
		}
		r := op.do("GET", path, nil)
		expect(t, "events", r, 200)
		for _, e := range r.body["events"].([]any) {
			seen = append(seen, e.(map[string]any)["event_id"].(string))
		}
		next, _ = r.body["next_cursor"].(string)
		if next == "" {
			break
		}
	}
	if got := strings.Join(seen, ","); got != "e03,e02,e01,e00" {
		t.Fatalf("timeline: %s", got)
	}
	// Filtered by event name: the two orders only.
	r = op.do("GET", base+"/m-1/events?event=Order+Completed&event=Refund", nil)
	expect(t, "filtered events", r, 200)
	if evs := r.body["events"].([]any); len(evs) != 2 || evs[0].(map[string]any)["event"] != "Order Completed" {
		t.Fatalf("filtered timeline: %s", r.raw)
	}

	for _, c := range []struct {
		path        string
		status      int
		code, field string
	}{
		{base + "/nobody", 404, "person_not_found", ""},
		{base + "/dev-b", 404, "person_not_found", ""},
		{base + "/nobody/events", 404, "person_not_found", ""},
		{base + "/person:999999", 404, "person_not_found", ""},
		{base + "?limit=0", 400, "invalid_value", "limit"},
		{base + "?limit=abc", 400, "invalid_value", "limit"},
		{base + "?limit=101", 400, "invalid_value", "limit"},
		{base + "?cursor=%21%21", 400, "invalid_cursor", "cursor"},
		{base + "?cursor=cDA", 400, "invalid_cursor", "cursor"},
		{base + "?q=" + strings.Repeat("x", 201), 400, "too_long", "q"},
		{base + "?q=%FF%FE", 400, "invalid_value", "q"},
		{base + "?q=a%00", 400, "invalid_value", "q"},
		{base + "/%FF", 404, "person_not_found", ""},
		{base + "/%FF/events", 404, "person_not_found", ""},
		{base + "/a%00", 404, "person_not_found", ""},
		{base + "/m-1/events?limit=-1", 400, "invalid_value", "limit"},
		{base + "/m-1/events?limit=501", 400, "invalid_value", "limit"},
		{base + "/m-1/events?before=zzz", 400, "invalid_cursor", "before"},
		{base + "/m-1/events?event=", 400, "invalid_value", "event"},
		{base + "/m-1/events?event=%FF", 400, "invalid_value", "event"},
		{base + "/m-1/events?" + strings.Repeat("event=a&", 21), 400, "invalid_value", "event"},
		{base + "/m-1/events?before=" + url.QueryEscape("' OR 1=1 --"), 400, "invalid_cursor", "before"},
	} {
		expect(t, c.path, op.do("GET", c.path, nil), c.status, c.code, c.field)
	}
	// Hostile search text is data, not SQL.
	for _, q := range []string{"' OR 1=1 --", `\`, `%`, `"`, "?", "中文?%_"} {
		r := op.do("GET", base+"?q="+url.QueryEscape(q), nil)
		if ps, _ := r.body["persons"].([]any); r.status != 200 || len(ps) != 0 {
			t.Fatalf("search %q: %s", q, r.raw)
		}
	}

	// Deleting still works beside the read routes, and the person is gone afterwards.
	expect(t, "operator cannot delete", op.do("DELETE", base+"/m-1", nil), 403)
	expect(t, "owner deletes", w.clients["owner"].do("DELETE", base+"/m-1", nil), 200)
	expect(t, "deleted profile", op.do("GET", base+"/m-1", nil), 404, "person_not_found")
}

// TestPersonCLI runs person search and person show on a local data dir and against a
// running server.
func TestPersonCLI(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, args)
		return code, out.String(), errb.String()
	}
	code, out, stderr := cli("project", "create", "shop", "--data", dir)
	if code != 0 {
		t.Fatalf("project create: %s", stderr)
	}
	var created struct {
		ID        uint32 `json:"id"`
		SecretKey string `json:"secret_key"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.SecretKey == "" {
		t.Fatalf("project create: %v %s", err, out)
	}
	s := newTestServerAt(t, dir)
	evs := []event.Event{
		{ProjectID: created.ID, ID: "1", Type: event.TypeIdentify, Name: event.TypeIdentify.ReservedName(), Time: 1000, ReceivedAt: 1000,
			AnonymousID: "dev-9", UserID: "m-9", Traits: json.RawMessage(`{"city":"杭州"}`)},
		{ProjectID: created.ID, ID: "2", Type: event.TypeTrack, Name: "Order Completed", Time: 2000, ReceivedAt: 2000,
			UserID: "m-9", Properties: json.RawMessage(`{"order_id":"o9","total":5.5}`)},
	}
	if err := s.a.Loader.Sink().Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	pid := fmt.Sprint(created.ID)
	remote := []string{"--server", s.url, "--key", created.SecretKey, "--project", pid}
	code, out, stderr = cli(append([]string{"person", "search", "杭州"}, remote...)...)
	if code != 0 || !strings.Contains(out, `"distinct_id": "m-9"`) {
		t.Fatalf("remote search: %d %s %s", code, out, stderr)
	}
	code, out, stderr = cli(append([]string{"person", "show", "dev-9", "--events", "1"}, remote...)...)
	if code != 0 || !strings.Contains(out, `"total": 5.5`) || !strings.Contains(out, `"event_id": "2"`) || !strings.Contains(out, `"next_cursor"`) {
		t.Fatalf("remote show: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cli(append([]string{"person", "show", "nobody"}, remote...)...); code != 1 || !strings.Contains(stderr, "404") {
		t.Fatalf("remote unknown: %d %s", code, stderr)
	}
	s.a.Close() // release the data dir for the local runs

	local := []string{"--data", dir, "--project", pid}
	code, out, stderr = cli(append([]string{"person", "show", "m-9"}, local...)...)
	if code != 0 || !strings.Contains(out, `"city": "杭州"`) || !strings.Contains(out, `"count": 1`) {
		t.Fatalf("local show: %d %s %s", code, out, stderr)
	}
	code, out, stderr = cli(append([]string{"person", "search"}, local...)...)
	if code != 0 || !strings.Contains(out, `"m-9"`) {
		t.Fatalf("local list: %d %s %s", code, out, stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"person", "show", "nobody"}, 1, "cannot find a person"},
		{[]string{"person", "show"}, 2, "give one distinct id"},
		{[]string{"person", "show", "m-9", "--events", "-1"}, 2, "--events"},
		{[]string{"person", "search", "a", "b"}, 2, "one search text"},
		{[]string{"person", "search", "--limit", "0"}, 2, "--limit"},
		{[]string{"person", "search", "--cursor", "zz"}, 2, "--cursor"},
	} {
		code, _, stderr := cli(append(c.args, local...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: %d %s", c.args, code, stderr)
		}
	}
	if code, _, stderr := cli("person", "search", "--project", pid, "--server", s.url); code != 2 || !strings.Contains(stderr, "--key") {
		t.Errorf("server without key: %d %s", code, stderr)
	}
}
