package duckdb

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
)

func row(id, name string, ts, person int64) store.Row {
	return store.Row{Event: event.Event{ProjectID: 1, ID: id, Type: event.TypeTrack, Name: name, Time: ts, ReceivedAt: ts,
		AnonymousID: "a" + id, Properties: json.RawMessage(`{"price":9.9}`)}, PersonID: person}
}

func count(t *testing.T, s *Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.Query(context.Background(), q, args, func(r []any) error { n = r[0].(int64); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestApplyCheckpointPersons(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.duckdb")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &store.Batch{Stream: "wal", Position: store.Position{Segment: 2, Offset: 99},
		Events:     []store.Row{row("e1", "Product Viewed", 1000, 1), row("e2", "Order Completed", 2000, 2)},
		Identities: []store.Identity{{ProjectID: 1, DistinctID: "anon", PersonID: 1}, {ProjectID: 1, DistinctID: "u1", PersonID: 2}},
		Persons: []store.PersonUpdate{
			{ProjectID: 1, PersonID: 1, CreatedAt: 1000, Set: map[string]json.RawMessage{"city": []byte(`"上海"`)}},
			{ProjectID: 1, PersonID: 1, SetOnce: map[string]json.RawMessage{"city": []byte(`"北京"`), "first": []byte(`1`)}},
			{ProjectID: 1, PersonID: 2, CreatedAt: 2000, Set: map[string]json.RawMessage{"level": []byte(`"gold"`)}},
		}}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	// The merge of person 2 into person 1 folds traits: the survivor wins.
	if err := s.Apply(ctx, &store.Batch{Stream: "wal", Position: store.Position{Segment: 3, Offset: 5},
		Overrides: []store.Override{{ProjectID: 1, OldPersonID: 2, NewPersonID: 1}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Checkpoint(ctx, "wal")
	if err != nil || p != (store.Position{Segment: 3, Offset: 5}) {
		t.Fatalf("checkpoint = %v, %v", p, err)
	}
	var props string
	var created int64
	s.Query(ctx, `SELECT properties, created_at FROM persons WHERE person_id = 1`, nil, func(r []any) error {
		props, created = r[0].(string), r[1].(int64)
		return nil
	})
	if want := `{"city":"上海","first":1,"level":"gold"}`; props != want || created != 1000 {
		t.Fatalf("person 1 = %s %d, want %s 1000", props, created, want)
	}
	if n := count(t, s, `SELECT count(*) FROM persons`); n != 1 {
		t.Fatalf("persons = %d, want 1 after merge", n)
	}
	var ids, overrides int
	s.Identities(ctx, func(i *store.Identity, o *store.Override) error {
		if i != nil {
			ids++
		} else {
			overrides++
		}
		return nil
	})
	if ids != 2 || overrides != 1 {
		t.Fatalf("identities %d overrides %d", ids, overrides)
	}
	if m, _ := s.MaxPersonID(ctx); m != 2 {
		t.Fatalf("max person = %d", m)
	}
	var sum int64
	var rowsSeen int
	err = s.ScanInt64(ctx, `SELECT person_id, ts FROM events ORDER BY ts`, nil, func(cols [][]int64) error {
		for i := range cols[0] {
			sum += cols[1][i]
			rowsSeen++
		}
		return nil
	})
	if err != nil || sum != 3000 || rowsSeen != 2 {
		t.Fatalf("scan sum %d rows %d err %v", sum, rowsSeen, err)
	}
	rep, err := s.DeletePerson(ctx, 1, 2) // a merged-away id stands for its survivor
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.DeleteReport{Events: 2, Identities: 2, Persons: 1, Overrides: 1}); rep != want {
		t.Fatalf("delete = %+v, want %+v", rep, want)
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 0 {
		t.Fatalf("events left: %d", n)
	}
}

func TestApplyIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := &store.Batch{Stream: "wal", Position: store.Position{Segment: 1, Offset: 10},
		Events:  []store.Row{row("e1", "x", 1, 1)},
		Persons: []store.PersonUpdate{{ProjectID: 1, PersonID: 1, Set: map[string]json.RawMessage{"k": []byte(`{broken`)}}},
	}
	if err := s.Apply(ctx, bad); err == nil {
		t.Fatal("a batch with a broken trait value was applied")
	}
	p, _ := s.Checkpoint(ctx, "wal")
	if n := count(t, s, `SELECT count(*) FROM events`); n != 0 || (p != store.Position{}) {
		t.Fatalf("failed batch left %d events and checkpoint %v: apply was not atomic", n, p)
	}
	// The same store still takes a good batch afterwards.
	bad.Persons = nil
	if err := s.Apply(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
}

func TestQueryNormalisesTypes(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []any
	err = s.Query(context.Background(), `SELECT sum(x), 1.5::DOUBLE, 2.25::DECIMAL(10,2), DATE '2024-01-02', 'a', NULL, true, 7::INTEGER FROM (SELECT 1::BIGINT x)`, nil,
		func(r []any) error { got = append([]any(nil), r...); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), 1.5, 2.25, "2024-01-02", "a", nil, true, int64(7)}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("col %d = %#v, want %#v", i, got[i], want[i])
		}
	}
}

// TestCompactKeepsSchema: Compact keeps every row and the table's exact schema, orders the
// rows by (project_id, ts), and later Applies and reopening still work.
func TestCompactKeepsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.duckdb")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	describe := func() string {
		var out string
		if err := s.Query(ctx, `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position`, nil, func(r []any) error {
			out += r[0].(string) + " " + r[1].(string) + " " + r[2].(string) + "\n"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := describe()
	if err := s.Apply(ctx, &store.Batch{Events: []store.Row{row("e3", "A", 3000, 1), row("e1", "A", 1000, 2), row("e2", "B", 2000, 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if after := describe(); after != before {
		t.Fatalf("schema changed by Compact:\nbefore\n%s\nafter\n%s", before, after)
	}
	var ids []string
	if err := s.Query(ctx, `SELECT event_id FROM events`, nil, func(r []any) error { ids = append(ids, r[0].(string)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[0] != "e1" || ids[1] != "e2" || ids[2] != "e3" {
		t.Fatalf("rows after Compact in storage order: %v, want [e1 e2 e3]", ids)
	}
	if err := s.Apply(ctx, &store.Batch{Events: []store.Row{row("e4", "A", 500, 3)}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s, `SELECT count(*) FROM events WHERE project_id = ?`, 1); n != 4 {
		t.Fatalf("%d events after Compact, Apply and reopen, want 4", n)
	}
}

// TestAppendEventsStoresEveryColumn checks every column the appender writes, with types,
// names and ids that change from row to row and absent JSON stored as {}.
func TestAppendEventsStoresEveryColumn(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows := []store.Row{
		{Event: event.Event{ProjectID: 1, ID: "e1", Type: event.TypeTrack, Name: "A", Time: 1, ReceivedAt: 2, AnonymousID: "d1",
			Properties: json.RawMessage(`{"x":1}`), Context: json.RawMessage(`{"scene":1007}`)}, PersonID: 7},
		{Event: event.Event{ProjectID: 1, ID: "e2", Type: event.TypeTrack, Name: "A", Time: 3, ReceivedAt: 4, AnonymousID: "d1", UserID: "u1"}, PersonID: 7},
		{Event: event.Event{ProjectID: 1, ID: "e3", Type: event.TypePage, Name: event.NamePageview, Time: 5, ReceivedAt: 6, UserID: "u1",
			Properties: json.RawMessage(`{"path":"/"}`)}, PersonID: 7},
		{Event: event.Event{ProjectID: 2, ID: "e4", Type: event.TypeTrack, Name: "B", Time: 7, ReceivedAt: 8, AnonymousID: "d2"}, PersonID: 9},
	}
	if err := s.Apply(context.Background(), &store.Batch{Events: rows}); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = s.Query(context.Background(), `SELECT concat_ws('|', project_id, event_id, type, event, ts, received_at, person_id,
		distinct_id, anonymous_id, user_id, properties, context) FROM events ORDER BY event_id`, nil, func(r []any) error {
		got = append(got, r[0].(string))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`1|e1|track|A|1|2|7|d1|d1||{"x":1}|{"scene":1007}`,
		`1|e2|track|A|3|4|7|u1|d1|u1|{}|{}`,
		`1|e3|page|$pageview|5|6|7|u1||u1|{"path":"/"}|{}`,
		`2|e4|track|B|7|8|9|d2|d2||{}|{}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stored rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
