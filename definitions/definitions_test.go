package definitions

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/clickhouse"
	"github.com/jingyun/jingyun/store/duckdb"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestDefinitionsDuckDB(t *testing.T) {
	s, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	check(t, s)
}

func TestDefinitionsClickHouse(t *testing.T) {
	u := chtest.Start(t)
	s, err := clickhouse.Open(context.Background(), clickhouse.Config{URL: u, Database: chtest.Database(t, u)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	check(t, s)
}

func check(t *testing.T, s store.EventStore) {
	t.Helper()
	ctx := context.Background()
	var rows []store.Row
	add := func(project uint32, name string, ts int64, props string) {
		rows = append(rows, store.Row{Event: event.Event{ProjectID: project, ID: fmt.Sprintf("e%d", len(rows)), Type: event.TypeTrack,
			Name: name, Time: ts, ReceivedAt: ts, AnonymousID: "a", Properties: json.RawMessage(props)}, PersonID: 1})
	}
	add(1, "Product Viewed", 1000, `{"price":9.9,"sku":"A1","on_sale":true}`)
	add(1, "Product Viewed", 3000, `{"price":19,"sku":"B2","tags":["x"]}`)
	add(1, "Product Viewed", 2000, `{"price":"n/a","sku":"C3"}`)
	add(1, "Order Completed", 5000, `{"total":99,"it's":"中文"}`)
	add(2, "Other Project", 9000, `{"secret":1}`)
	if err := s.Apply(ctx, &store.Batch{Stream: "t", Events: rows, Position: store.Position{Segment: 1, Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	evs, err := Events(ctx, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Name: "Product Viewed", Count: 3, LastSeen: 3000, LastSeenAt: "1970-01-01T00:00:03Z"},
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
}
