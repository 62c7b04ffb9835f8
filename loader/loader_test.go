package loader

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/duckdb"
	"github.com/jingyun/jingyun/wal"
)

func track(id, anon, user, name string, ts int64) event.Event {
	return event.Event{ProjectID: 1, ID: id, Type: event.TypeTrack, Name: name, Time: ts, ReceivedAt: time.Now().UnixMilli(),
		AnonymousID: anon, UserID: user}
}

func count(t *testing.T, st store.EventStore, q string) int64 {
	t.Helper()
	var n int64
	if err := st.Query(context.Background(), q, nil, func(r []any) error { n = r[0].(int64); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// runUntil runs the loader on the WAL until it has loaded want events in total.
func runUntil(t *testing.T, l *Loader, w *wal.WAL, want int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.RunWAL(ctx, w) }()
	deadline := time.Now().Add(20 * time.Second)
	for l.Stats().Events+l.Stats().Duplicates < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Events+s.Duplicates < want {
		t.Fatalf("loaded %d+%d dup, want %d", s.Events, s.Duplicates, want)
	}
}

func TestWALToStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := duckdb.Open(filepath.Join(dir, "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), SegmentSize: 4096, MinFreeDisk: -1})
	if err != nil {
		t.Fatal(err)
	}
	appendBatch := func(evs ...event.Event) {
		if _, err := w.Append(ctx, event.AppendBatch(nil, evs)); err != nil {
			t.Fatal(err)
		}
	}
	// Anonymous browsing, then login: one person. A retried message: stored once.
	appendBatch(track("m1", "dev-1", "", "Product Viewed", 1000), track("m2", "dev-1", "", "Product Added", 2000))
	identify := event.Event{ProjectID: 1, ID: "m3", Type: event.TypeIdentify, Name: event.NameIdentify, Time: 3000, ReceivedAt: time.Now().UnixMilli(),
		AnonymousID: "dev-1", UserID: "u1", Traits: json.RawMessage(`{"city":"杭州","$set_once":{"first_scene":1007}}`)}
	appendBatch(identify, track("m4", "", "u1", "Order Completed", 4000))
	appendBatch(track("m4", "", "u1", "Order Completed", 4000)) // client retry
	for i := 0; i < 200; i++ {                                  // enough records to rotate segments
		appendBatch(track(fmt.Sprintf("bulk-%d", i), fmt.Sprintf("dev-%d", i%20+2), "", "Product Viewed", int64(5000+i)))
	}
	l, err := New(ctx, st, Config{BatchEvents: 64}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, l, w, 205)
	if n := count(t, st, `SELECT count(*) FROM events`); n != 204 {
		t.Fatalf("events = %d, want 204", n)
	}
	if l.Stats().Duplicates != 1 {
		t.Fatalf("duplicates = %d", l.Stats().Duplicates)
	}
	if n := count(t, st, `SELECT count(DISTINCT person_id) FROM events WHERE event_id IN ('m1','m2','m3','m4')`); n != 1 {
		t.Fatalf("pre-login and post-login events belong to %d persons", n)
	}
	var props string
	st.Query(ctx, `SELECT properties FROM persons WHERE person_id = (SELECT person_id FROM events WHERE event_id = 'm4')`, nil,
		func(r []any) error { props = r[0].(string); return nil })
	if props != `{"city":"杭州","first_scene":1007}` {
		t.Fatalf("traits = %s", props)
	}
	if ws := w.Stats(); ws.Segments > 2 {
		t.Fatalf("wal kept %d segments after loading", ws.Segments)
	}
	// A restart resumes after the checkpoint: nothing is applied twice, dedupe survives.
	appendBatch(track("m4", "", "u1", "Order Completed", 4000), track("m5", "dev-1", "", "Product Viewed", 6000))
	l2, err := New(ctx, st, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, l2, w, 2)
	if n := count(t, st, `SELECT count(*) FROM events`); n != 205 {
		t.Fatalf("events after restart = %d, want 205", n)
	}
	if n := count(t, st, `SELECT count(DISTINCT person_id) FROM events WHERE event_id IN ('m1','m5')`); n != 1 {
		t.Fatal("identity map lost across restart")
	}
	// Person deletion removes everything of the person, from the store and the map.
	rep, ok, err := l2.DeletePerson(ctx, 1, "dev-1")
	if err != nil || !ok || rep.Events != 5 || rep.Identities != 2 || rep.Persons != 1 {
		t.Fatalf("delete = %+v %v %v", rep, ok, err)
	}
	if l2.Person(1, "u1") != 0 {
		t.Fatal("deleted person still resolvable")
	}
	w.Close()
	st.Close()
}

func TestDirectSinkMergesAcrossBatches(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := New(ctx, st, Config{BatchEvents: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two devices of the same user, each with history, then both log in: one person.
	evs := []event.Event{
		track("a", "phone", "", "Product Viewed", 1), track("b", "laptop", "", "Product Viewed", 2),
		track("c", "phone", "u9", "Product Added", 3), track("d", "laptop", "u9", "Order Completed", 4),
	}
	if err := l.Sink().Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	n := count(t, st, `SELECT count(DISTINCT coalesce(o.new_person_id, e.person_id)) FROM events e
		LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id`)
	if n != 1 {
		t.Fatalf("resolved persons = %d, want 1", n)
	}
	if n := count(t, st, `SELECT count(*) FROM persons`); n != 1 {
		t.Fatalf("person profiles = %d, want 1 after the merge", n)
	}
}

// TestObserveAndGeneration: observers see every written batch with persons resolved, a
// project's generation grows with its writes and deletions only, duplicates change nothing,
// and Compact keeps every event.
func TestObserveAndGeneration(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := New(ctx, st, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen []store.Row
	l.Observe(func(rows []store.Row) { seen = append(seen, rows...) })
	if g := l.Generation(1); g != 0 {
		t.Fatalf("generation before any write = %d", g)
	}
	other := track("x", "pad", "", "App Launched", 5)
	other.ProjectID = 2
	if err := l.Sink().Write(ctx, []event.Event{track("a", "phone", "", "Product Viewed", 1), other}); err != nil {
		t.Fatal(err)
	}
	g1, g2 := l.Generation(1), l.Generation(2)
	if g1 == 0 || g2 == 0 || len(seen) != 2 || seen[0].PersonID == 0 {
		t.Fatalf("after a write: generations %d, %d; observed %+v", g1, g2, seen)
	}
	// A repeat of a stored event writes nothing and changes nothing.
	if err := l.Sink().Write(ctx, []event.Event{track("a", "phone", "", "Product Viewed", 1)}); err != nil {
		t.Fatal(err)
	}
	if l.Generation(1) != g1 || len(seen) != 2 {
		t.Fatalf("a duplicate bumped the generation (%d → %d) or was observed (%d rows)", g1, l.Generation(1), len(seen))
	}
	if _, ok, err := l.DeletePerson(ctx, 1, "phone"); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if l.Generation(1) == g1 || l.Generation(2) != g2 {
		t.Fatalf("a deletion in project 1: generations %d → %d and %d → %d", g1, l.Generation(1), g2, l.Generation(2))
	}
	if err := l.Sink().Write(ctx, []event.Event{track("b", "phone", "", "Product Viewed", 3), track("c", "phone", "", "Product Viewed", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM events`); n != 3 {
		t.Fatalf("%d events after Compact, want 3", n)
	}
}

// BenchmarkApply measures the loader's share of the ingest path: dedupe, person
// resolution and the DuckDB append of one 10,000-event batch of mini-program events.
func BenchmarkApply(b *testing.B) {
	st, err := duckdb.Open(filepath.Join(b.TempDir(), "events.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	l, err := New(context.Background(), st, Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	const n = 10_000
	events := make([]event.Event, n)
	props := json.RawMessage(`{"product_id":"p-42","sku":"SKU-42","name":"精选好物 42","category":"美妆","price":59.90,"currency":"CNY"}`)
	ctxJSON := json.RawMessage(`{"scene":1007,"page":{"path":"pages/goods/detail","query":"id=42"},"os":{"name":"iOS","version":"17.4"}}`)
	seq := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for i := range events {
			events[i] = track(fmt.Sprintf("m-%d", seq), fmt.Sprintf("dev-%d", seq%5000), "", "Product Viewed", 1700000000000+int64(seq))
			events[i].Properties, events[i].Context = props, ctxJSON
			seq++
		}
		b.StartTimer()
		if err := l.apply(context.Background(), events, Stream, store.Position{Segment: 1, Offset: int64(seq)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
