package definitions

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/internal/storetest"
	"github.com/jingyun/jingyun/store"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestDefinitionsDuckDB(t *testing.T) { check(t, storetest.DuckDB(t)) }

func TestDefinitionsClickHouse(t *testing.T) { check(t, storetest.ClickHouse(t)) }

func check(t *testing.T, s store.EventStore) {
	t.Helper()
	ctx := context.Background()
	var rows []store.Row
	addCx := func(project uint32, name string, ts int64, props, cx string) {
		e := event.Event{ProjectID: project, ID: fmt.Sprintf("e%d", len(rows)), Type: event.TypeTrack,
			Name: name, Time: ts, ReceivedAt: ts, AnonymousID: "a", Properties: json.RawMessage(props)}
		if cx != "" {
			e.Context = json.RawMessage(cx)
		}
		rows = append(rows, store.Row{Event: e, PersonID: 1})
	}
	add := func(project uint32, name string, ts int64, props string) { addCx(project, name, ts, props, "") }
	add(1, "Product Viewed", 1000, `{"price":9.9,"sku":"A1","on_sale":true}`)
	add(1, "Product Viewed", 3000, `{"price":19,"sku":"B2","tags":["x"]}`)
	add(1, "Product Viewed", 2000, `{"price":"n/a","sku":"C3"}`)
	add(1, "Order Completed", 5000, `{"total":99,"it's":"中文"}`)
	add(2, "Other Project", 9000, `{"secret":1}`)
	// Nested paths: arrays of objects (with an object inside), context objects, a key that
	// would mean a column, one too deep to list, a top-level key with a dot, a scalar three
	// objects deep, and g, an object on one event and an array on the other.
	addCx(1, "Checkout Started", 6000, `{"products":[{"product_id":"p1","price":10},{"product_id":"p2","price":20,"quantity":2,"meta":{"color":"red"}}],
		"event":"x","a":{"b":{"c":{"d":{"e":1}}}},"dot.key":"v","m":{"n":{"k":1}},"g":{"h":1}}`,
		`{"scene":1007,"page":{"path":"pages/cart"},"app":{"name":"shop"}}`)
	addCx(1, "Checkout Started", 7000, `{"products":[],"total":1,"g":[{"h":2}]}`, `{"scene":1011,"page":{"path":"pages/pay"}}`)
	// Identical rows (one session's context, the same cart) count once each.
	for ts := int64(100); ts < 103; ts++ {
		addCx(1, "Cart Viewed", ts, `{"products":[{"price":1},{"price":2}]}`, `{"scene":1089}`)
	}
	addCx(2, "Checkout Started", 8000, `{"products":[{"secret_b":1}]}`, `{"b_scene":1}`)
	if err := s.Apply(ctx, &store.Batch{Stream: "t", Events: rows, Position: store.Position{Segment: 1, Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	evs, err := Events(ctx, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Name: "Cart Viewed", Count: 3, LastSeen: 102, LastSeenAt: "1970-01-01T00:00:00Z"},
		{Name: "Product Viewed", Count: 3, LastSeen: 3000, LastSeenAt: "1970-01-01T00:00:03Z"},
		{Name: "Checkout Started", Count: 2, LastSeen: 7000, LastSeenAt: "1970-01-01T00:00:07Z"},
		{Name: "Order Completed", Count: 1, LastSeen: 5000, LastSeenAt: "1970-01-01T00:00:05Z"},
	}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Fatalf("events: got %v, want %v", evs, want)
	}
	props, n, err := Properties(ctx, s, 1, "Product Viewed", 2)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("sampled %d, want 2 (the latest two)", n)
	}
	got := map[string]string{}
	for _, p := range props {
		got[p.Name] = fmt.Sprintf("%s/%d/%s", p.Type, p.Count, p.Example)
	}
	wantP := map[string]string{"price": "number/2/19", "sku": "string/2/\"B2\"", "tags": "array/1/[\"x\"]"}
	if fmt.Sprint(got) != fmt.Sprint(wantP) {
		t.Fatalf("properties: got %v, want %v", got, wantP)
	}
	props, _, err = Properties(ctx, s, 1, "Order Completed", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 2 || props[0].Name != "it's" || props[1].Name != "total" || props[1].Type != "number" {
		t.Fatalf("order properties: %+v", props)
	}
	if props, n, err := Properties(ctx, s, 1, "Other Project", 0); err != nil || n != 0 || len(props) != 0 {
		t.Fatalf("other project leaked: %v %d %v", props, n, err)
	}

	props, n, err = Properties(ctx, s, 1, "Checkout Started", 0)
	if err != nil || n != 2 {
		t.Fatalf("checkout: %d %v", n, err)
	}
	var list []string
	for _, p := range props {
		list = append(list, fmt.Sprintf("%s %s/%s/%d/%s/%d/%v", p.Source, p.Name, p.Type, p.Count, p.Example, p.Depth, p.Queryable))
	}
	wantList := []string{
		// properties first, most frequent first, then by name; the array's elements share
		// its path and count once per event; the example is the latest event's (its first
		// element that has the key). Scalars at paths through objects are queryable; paths
		// through an array (on any event) and keys with a dot are not.
		`properties g/array/2/[{"h":2}]/1/false`,
		`properties g.h/number/2/2/2/false`,
		`properties products/array/2/[]/1/false`,
		`properties a/object/1/{"b":{"c":{"d":{"e":1}}}}/1/false`,
		`properties a.b/object/1/{"c":{"d":{"e":1}}}/2/false`,
		`properties a.b.c/object/1/{"d":{"e":1}}/3/false`,
		`properties a.b.c.d/object/1/{"e":1}/4/false`, // MaxDepth keys: e is not listed
		`properties dot.key/string/1/"v"/1/false`,
		`properties m/object/1/{"n":{"k":1}}/1/false`,
		`properties m.n/object/1/{"k":1}/2/false`,
		`properties m.n.k/number/1/1/3/true`,
		`properties products.meta/object/1/{"color":"red"}/2/false`,
		`properties products.meta.color/string/1/"red"/3/false`,
		`properties products.price/number/1/10/2/false`,
		`properties products.product_id/string/1/"p1"/2/false`,
		`properties products.quantity/number/1/2/2/false`,
		`properties properties.event/string/1/"x"/1/true`,
		`properties total/number/1/1/1/true`,
		`context context.page/object/2/{"path":"pages/pay"}/1/false`,
		`context context.page.path/string/2/"pages/pay"/2/true`,
		`context context.scene/number/2/1011/1/true`,
		`context context.app/object/1/{"name":"shop"}/1/false`,
		`context context.app.name/string/1/"shop"/2/true`,
	}
	if got, want := strings.Join(list, "\n"), strings.Join(wantList, "\n"); got != want {
		t.Fatalf("checkout properties:\n%s\nwant\n%s", got, want)
	}

	props, n, err = Properties(ctx, s, 1, "Cart Viewed", 0)
	if err != nil || n != 3 || len(props) != 3 || fmt.Sprintf("%s %d|%s %d|%s %d", props[0].Name, props[0].Count, props[1].Name, props[1].Count,
		props[2].Name, props[2].Count) != "products 3|products.price 3|context.scene 3" {
		t.Fatalf("identical rows: %d %+v %v", n, props, err)
	}

	all, n, err := AllProperties(ctx, s, 1, 0)
	if err != nil || n != 9 {
		t.Fatalf("all properties: sampled %d, %v", n, err)
	}
	byName := map[string]ProjectProperty{}
	for _, p := range all {
		byName[p.Name] = p
	}
	if p := byName["price"]; p.Type != "number" || p.Count != 3 || len(p.Events) != 1 || p.Events[0] != "Product Viewed" {
		t.Fatalf("all price: %+v", p)
	}
	if p := byName["products.price"]; p.Count != 4 || fmt.Sprint(p.Events) != "[Cart Viewed Checkout Started]" || p.Depth != 2 || p.Queryable {
		t.Fatalf("all products.price: %+v", p)
	}
	if p := byName["context.scene"]; p.Count != 5 || p.Source != SourceContext || !p.Queryable || p.Example == nil {
		t.Fatalf("all context.scene: %+v", p)
	}
	if p := byName["context.page.path"]; p.Count != 2 || !p.Queryable {
		t.Fatalf("all context.page.path: %+v", p)
	}
	if p := byName["g.h"]; p.Count != 2 || p.Queryable {
		t.Fatalf("all g.h (once inside an array): %+v", p)
	}
	if len(all) != len(byName) || len(all) != 3+2+23 {
		t.Fatalf("all: %d paths: %v", len(all), all)
	}
	for _, leak := range []string{"secret", "secret_b", "products.secret_b", "context.b_scene"} {
		if _, ok := byName[leak]; ok {
			t.Fatalf("project 2's %s leaked", leak)
		}
	}
}
