package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
)

// TestDefinitionsAPI lists event names and property keys of a project over HTTP: a viewer
// sees them, a member of another project gets 404, and nothing of project B shows in A.
func TestDefinitionsAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	row := func(project uint32, id, name string, ts int64, props string) store.Row {
		return store.Row{Event: event.Event{ProjectID: project, ID: id, Type: event.TypeTrack, Name: name, Time: ts,
			ReceivedAt: ts, AnonymousID: "a", Properties: json.RawMessage(props)}, PersonID: 1}
	}
	err := w.s.a.Events.Apply(ctx, &store.Batch{Stream: "test", Position: store.Position{Segment: 1, Offset: 1}, Events: []store.Row{
		row(w.pa, "1", "Order Completed", 1700000000000, `{"total":99.5,"coupon":"NEW10"}`),
		row(w.pa, "2", "Order Completed", 1700000001000, `{"total":12}`),
		row(w.pa, "3", "App Launched", 1700000002000, `{}`),
		row(w.pb, "4", "Secret B", 1700000003000, `{"b_only":true}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := fmt.Sprintf("/api/v1/projects/%d/definitions", w.pa)
	r := w.clients["viewer"].do("GET", p+"/events", nil)
	expect(t, "viewer events", r, 200)
	evs, _ := r.body["events"].([]any)
	if len(evs) != 2 {
		t.Fatalf("events: %s", r.raw)
	}
	first := evs[0].(map[string]any)
	if first["name"] != "Order Completed" || first["count"] != float64(2) || first["last_seen"] != float64(1700000001000) ||
		first["last_seen_at"] != "2023-11-14T22:13:21Z" {
		t.Fatalf("first event: %v", first)
	}
	r = w.clients["key"].do("GET", p+"/properties?event="+url.QueryEscape("Order Completed"), nil)
	expect(t, "key properties", r, 200)
	props, _ := r.body["properties"].([]any)
	if r.body["sampled"] != float64(2) || len(props) != 2 || props[0].(map[string]any)["name"] != "total" ||
		props[0].(map[string]any)["type"] != "number" || props[0].(map[string]any)["example"] != float64(12) {
		t.Fatalf("properties: %s", r.raw)
	}
	expect(t, "no event", w.clients["viewer"].do("GET", p+"/properties", nil), 400, "missing_event", "event")
	expect(t, "bad sample", w.clients["viewer"].do("GET", p+"/properties?event=x&sample=0", nil), 400, "invalid_sample", "sample")
	expect(t, "outsider", w.clients["outsider"].do("GET", p+"/events", nil), 404)
	expect(t, "key of B", w.clients["key of B"].do("GET", p+"/events", nil), 404)
	expect(t, "nobody", w.clients["nobody"].do("GET", p+"/events", nil), 401)
}
