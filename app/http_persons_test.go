package app

import (
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
		{base + "/m-1/events?limit=-1", 400, "invalid_value", "limit"},
		{base + "/m-1/events?limit=501", 400, "invalid_value", "limit"},
		{base + "/m-1/events?before=zzz", 400, "invalid_cursor", "before"},
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
