package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
)

// TestDefinitionsAPI lists event names and property paths of a project over HTTP and edits
// the tracking plan: a viewer reads, an analyst (or a secret key) edits, a member of another
// project gets 404, nothing of project B shows in A, and bad input gets a 400 naming the
// field.
func TestDefinitionsAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	row := func(project uint32, id, name string, ts int64, props, cx string) store.Row {
		e := event.Event{ProjectID: project, ID: id, Type: event.TypeTrack, Name: name, Time: ts,
			ReceivedAt: ts, AnonymousID: "a", Properties: json.RawMessage(props)}
		if cx != "" {
			e.Context = json.RawMessage(cx)
		}
		return store.Row{Event: e, PersonID: 1}
	}
	err := w.s.a.Events.Apply(ctx, &store.Batch{Stream: "test", Position: store.Position{Segment: 1, Offset: 1}, Events: []store.Row{
		row(w.pa, "1", "Order Completed", 1700000000000, `{"total":99.5,"coupon":"NEW10"}`, ""),
		row(w.pa, "2", "Order Completed", 1700000001000, `{"total":12,"products":[{"price":12}]}`, `{"scene":1007,"page":{"path":"pages/pay"}}`),
		row(w.pa, "3", "App Launched", 1700000002000, `{}`, `{"scene":1089}`),
		row(w.pa, "5", "a/b c", 1700000002500, `{"a/b":1}`, ""),
		row(w.pb, "4", "Secret B", 1700000003000, `{"b_only":true}`, ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := fmt.Sprintf("/api/v1/projects/%d/definitions", w.pa)
	r := w.clients["viewer"].do("GET", p+"/events", nil)
	expect(t, "viewer events", r, 200)
	evs, _ := r.body["events"].([]any)
	if len(evs) != 3 {
		t.Fatalf("events: %s", r.raw)
	}
	first := evs[0].(map[string]any)
	if first["name"] != "Order Completed" || first["count"] != float64(2) || first["last_seen"] != float64(1700000001000) ||
		first["last_seen_at"] != "2023-11-14T22:13:21Z" || first["display_name"] != "" || first["description"] != "" {
		t.Fatalf("first event: %v", first)
	}
	r = w.clients["key"].do("GET", p+"/properties?event="+url.QueryEscape("Order Completed"), nil)
	expect(t, "key properties", r, 200)
	props, _ := r.body["properties"].([]any)
	if r.body["sampled"] != float64(2) || len(props) < 2 || props[0].(map[string]any)["name"] != "total" ||
		props[0].(map[string]any)["type"] != "number" || props[0].(map[string]any)["example"] != float64(12) ||
		props[0].(map[string]any)["queryable"] != true || props[0].(map[string]any)["source"] != "properties" {
		t.Fatalf("properties: %s", r.raw)
	}
	for _, want := range []string{`"name":"products.price"`, `"name":"context.scene"`, `"name":"context.page.path"`} {
		if !strings.Contains(r.raw, want) {
			t.Fatalf("properties lack %s: %s", want, r.raw)
		}
	}

	// Editing: analysts and above, and the secret key; viewers and operators may not.
	oc := p + "/events/" + url.PathEscape("Order Completed")
	expect(t, "viewer edits", w.clients["viewer"].do("PATCH", oc, map[string]any{"display_name": "x"}), 403, "forbidden")
	expect(t, "operator edits", w.clients["operator"].do("PATCH", oc, map[string]any{"display_name": "x"}), 403, "forbidden")
	expect(t, "outsider edits", w.clients["outsider"].do("PATCH", oc, map[string]any{"display_name": "x"}), 404)
	expect(t, "key of B edits", w.clients["key of B"].do("PATCH", oc, map[string]any{"display_name": "x"}), 404)
	expect(t, "nobody edits", w.clients["nobody"].do("PATCH", oc, map[string]any{"display_name": "x"}), 401)
	r = w.clients["analyst"].do("PATCH", oc, map[string]any{"display_name": " 支付订单 ", "description": "服务端发送，一单一次"})
	expect(t, "analyst edits", r, 200)
	if d := r.body["event"].(map[string]any); d["name"] != "Order Completed" || d["display_name"] != "支付订单" || d["updated_by"] == nil {
		t.Fatalf("analyst edit: %s", r.raw)
	}
	r = w.clients["key"].do("PATCH", oc, map[string]any{"description": "server-side"})
	expect(t, "key edits", r, 200)
	if d := r.body["event"].(map[string]any); d["display_name"] != "支付订单" || d["description"] != "server-side" {
		t.Fatalf("key edit kept the display name? %s", r.raw)
	}
	// Names with slashes and spaces, encoded or not; dots encoded or not.
	expect(t, "encoded slash", w.clients["admin"].do("PATCH", p+"/events/a%2Fb%20c", map[string]any{"display_name": "斜杠"}), 200)
	expect(t, "encoded slash in a property", w.clients["admin"].do("PATCH", p+"/properties/a%2Fb", map[string]any{"display_name": "属性斜杠"}), 200)
	expect(t, "plain slash", w.clients["admin"].do("PATCH", p+"/properties/a/b", map[string]any{"display_name": "x"}), 404)
	expect(t, "dots", w.clients["admin"].do("PATCH", p+"/properties/%2E%2E", map[string]any{"display_name": "两点"}), 200)
	expect(t, "nested path", w.clients["analyst"].do("PATCH", p+"/properties/products.price", map[string]any{"display_name": "单价"}), 200)
	expect(t, "context path", w.clients["analyst"].do("PATCH", p+"/properties/context%2Escene", map[string]any{"display_name": "场景值"}), 200)
	expect(t, "plan only", w.clients["analyst"].do("PATCH", p+"/events/Coupon%20Applied", map[string]any{"description": "尚未上报"}), 200)

	r = w.clients["viewer"].do("GET", p+"/events", nil)
	expect(t, "events after edits", r, 200)
	got := map[string]string{}
	for _, e := range r.body["events"].([]any) {
		m := e.(map[string]any)
		got[m["name"].(string)] = fmt.Sprintf("%v|%v|%v", m["count"], m["display_name"], m["description"])
	}
	want := map[string]string{"Order Completed": "2|支付订单|server-side", "App Launched": "1||", "a/b c": "1|斜杠|",
		"Coupon Applied": "0||尚未上报"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events after edits: %v, want %v", got, want)
	}
	r = w.clients["viewer"].do("GET", p+"/properties?event="+url.QueryEscape("Order Completed"), nil)
	if !strings.Contains(r.raw, `"name":"products.price","type":"number","count":1,"example":12,"source":"properties","depth":2,"queryable":false,"display_name":"单价"`) ||
		!strings.Contains(r.raw, `"name":"context.scene","type":"number","count":1,"example":1007,"source":"context","depth":1,"queryable":true,"display_name":"场景值"`) ||
		// A path through objects is queryable; products.price, inside an array, is not.
		!strings.Contains(r.raw, `"name":"context.page.path","type":"string","count":1,"example":"pages/pay","source":"context","depth":2,"queryable":true`) {
		t.Fatalf("properties after edits: %s", r.raw)
	}

	// The project-wide list: each path with the events it was seen on.
	r = w.clients["viewer"].do("GET", p+"/properties", nil)
	expect(t, "project properties", r, 200)
	all := map[string]map[string]any{}
	for _, x := range r.body["properties"].([]any) {
		m := x.(map[string]any)
		all[m["name"].(string)] = m
	}
	if s := all["context.scene"]; s == nil || s["count"] != float64(2) || fmt.Sprint(s["events"]) != "[Order Completed App Launched]" ||
		s["display_name"] != "场景值" {
		t.Fatalf("project context.scene: %v in %s", s, r.raw)
	}
	if s := all["a/b"]; s == nil || s["display_name"] != "属性斜杠" || r.body["sampled"] != float64(4) {
		t.Fatalf("project a/b: %v in %s", s, r.raw)
	}
	if strings.Contains(r.raw, "b_only") || strings.Contains(r.raw, "Secret B") {
		t.Fatalf("B leaked into A: %s", r.raw)
	}
	// B sees none of A's tracking plan.
	r = w.clients["outsider"].do("GET", fmt.Sprintf("/api/v1/projects/%d/definitions/events", w.pb), nil)
	if expect(t, "B events", r, 200); strings.Contains(r.raw, "支付订单") || strings.Contains(r.raw, "Coupon Applied") {
		t.Fatalf("A's plan leaked into B: %s", r.raw)
	}

	// Clearing both fields removes the entry.
	expect(t, "clear", w.clients["analyst"].do("PATCH", p+"/events/Coupon%20Applied", map[string]any{"description": ""}), 200)
	if r = w.clients["viewer"].do("GET", p+"/events", nil); strings.Contains(r.raw, "Coupon Applied") {
		t.Fatalf("cleared entry still listed: %s", r.raw)
	}

	a := w.clients["analyst"]
	expect(t, "no event", w.clients["viewer"].do("GET", p+"/properties?event=", nil), 400, "missing_event", "event")
	expect(t, "bad sample", w.clients["viewer"].do("GET", p+"/properties?event=x&sample=0", nil), 400, "invalid_sample", "sample")
	expect(t, "bad project sample", w.clients["viewer"].do("GET", p+"/properties?sample=20000", nil), 400, "invalid_sample", "sample")
	expect(t, "outsider", w.clients["outsider"].do("GET", p+"/events", nil), 404)
	expect(t, "key of B", w.clients["key of B"].do("GET", p+"/events", nil), 404)
	expect(t, "nobody", w.clients["nobody"].do("GET", p+"/events", nil), 401)
	expect(t, "no name", a.do("PATCH", p+"/events/", map[string]any{"display_name": "x"}), 404)
	expect(t, "long name", a.do("PATCH", p+"/events/"+strings.Repeat("n", 1001), map[string]any{"display_name": "x"}), 400, "too_long", "name")
	expect(t, "bad utf-8 name", a.do("PATCH", p+"/events/%FF", map[string]any{"display_name": "x"}), 400, "invalid_value", "name")
	expect(t, "long display name", a.do("PATCH", oc, map[string]any{"display_name": strings.Repeat("名", 101)}), 400, "too_long", "display_name")
	expect(t, "line break", a.do("PATCH", oc, map[string]any{"display_name": "a\nb"}), 400, "invalid_value", "display_name")
	expect(t, "long description", a.do("PATCH", oc, map[string]any{"description": strings.Repeat("述", 2001)}), 400, "too_long", "description")
	expect(t, "number", a.do("PATCH", oc, map[string]any{"display_name": 5}), 400, "invalid_type", "display_name")
	expect(t, "unknown key", a.do("PATCH", oc, map[string]any{"name": "x"}), 400, "unknown_field", "name")
	expect(t, "empty object", a.do("PATCH", oc, map[string]any{}), 400, "missing_field", "display_name")
	expect(t, "null", a.do("PATCH", oc, `{"display_name":null}`), 400, "missing_field", "display_name")
	expect(t, "not JSON", a.do("PATCH", oc, "display_name=x"), 400, "invalid_type")
	expect(t, "broken JSON", a.do("PATCH", oc, `{"display_name":`), 400, "malformed_json")
	expect(t, "no body", a.do("PATCH", oc, nil), 400, "empty_body")
	expect(t, "huge body", a.do("PATCH", oc, `{"description":"`+strings.Repeat("x", 70<<10)+`"}`), 413, "body_too_large")
	// Nothing of the failed attempts was written.
	if r = w.clients["viewer"].do("GET", p+"/events", nil); !strings.Contains(r.raw, `"display_name":"支付订单","description":"server-side"`) {
		t.Fatalf("a bad request changed the plan: %s", r.raw)
	}
}
