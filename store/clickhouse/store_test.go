package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// openStore opens a store on a fresh database of the shared test server.
func openStore(t testing.TB) *Store {
	t.Helper()
	u := chtest.Start(t)
	s, err := Open(context.Background(), Config{URL: u, Database: chtest.Database(t, u)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ev makes an event row; ids are unique per (project, id).
func ev(project uint32, id string, person int64, name string, ts int64) store.Row {
	return store.Row{Event: event.Event{
		ProjectID: project, ID: id, Type: event.TypeTrack, Name: name, Time: ts, ReceivedAt: ts + 5,
		UserID: fmt.Sprintf("u%d", person), Properties: json.RawMessage(`{"k":"v"}`),
	}, PersonID: person}
}

// queryRows runs a statement and returns its rows as strings, for compact assertions.
func queryRows(t *testing.T, s *Store, sql string, args ...any) []string {
	t.Helper()
	var out []string
	err := s.Query(context.Background(), sql, args, func(row []any) error {
		parts := make([]string, len(row))
		for i, v := range row {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func queryInt(t *testing.T, s *Store, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	err := s.Query(context.Background(), sql, args, func(row []any) error {
		n = row[0].(int64)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	f := func(c Config, wantErr string) {
		t.Helper()
		err := c.withDefaults().Validate()
		if wantErr == "" {
			if err != nil {
				t.Fatalf("%+v: %v", c, err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%+v: err = %v, want %q", c, err, wantErr)
		}
	}
	f(Config{URL: "http://127.0.0.1:8123"}, "")
	f(Config{URL: "https://ch.example:8443/", Database: "shop_1"}, "")
	f(Config{URL: "127.0.0.1:8123"}, "cannot parse URL")
	f(Config{URL: "ftp://h:1"}, "must be http")
	f(Config{URL: "localhost"}, "must be http")
	f(Config{URL: "http://h:1/x"}, "must not have a path")
	f(Config{URL: "http://h:1", Database: "a-b"}, "plain identifier")
	f(Config{URL: "http://h:1", Database: "x; DROP"}, "plain identifier")
}

func TestOpen(t *testing.T) {
	t.Parallel()
	u := chtest.Start(t)
	ctx := context.Background()
	db := chtest.Database(t, u)
	for i := 0; i < 2; i++ { // the second Open finds everything in place
		s, err := Open(ctx, Config{URL: u, Database: db})
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := migrations()
		if n := queryInt(t, s, "SELECT count() FROM schema_migrations"); n != int64(len(ms)) {
			t.Fatalf("open %d: %d migration rows, want %d", i, n, len(ms))
		}
		tables := queryRows(t, s, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", db)
		want := []string{"events", "loader_attempts", "loader_checkpoint", "person_identities", "person_overrides", "persons", "schema_migrations"}
		if !reflect.DeepEqual(tables, want) {
			t.Fatalf("tables = %v, want %v", tables, want)
		}
		if s.Name() != "clickhouse" {
			t.Fatalf("Name = %q", s.Name())
		}
		s.Close()
	}

	// Authentication: the test server has a user with a password.
	if _, err := Open(ctx, Config{URL: u, Database: db, User: chtest.AuthUser, Password: chtest.AuthPassword}); err != nil {
		t.Fatalf("open with password: %v", err)
	}
	_, err := Open(ctx, Config{URL: u, Database: db, User: chtest.AuthUser, Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "cannot create database") {
		t.Fatalf("open with a wrong password: err = %v", err)
	}
}

func TestApplyCheckpoint(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	p, err := s.Checkpoint(ctx, "wal")
	if err != nil {
		t.Fatal(err)
	}
	if p != (store.Position{}) {
		t.Fatalf("empty store: checkpoint %+v", p)
	}
	batches := []store.Batch{
		{Stream: "wal", Position: store.Position{Segment: 1, Offset: 100}, Events: []store.Row{ev(1, "e1", 10, "a", 1_700_000_000_000)}},
		{Stream: "wal", Position: store.Position{Segment: 1, Offset: 250}},
		{Stream: "wal", Position: store.Position{Segment: 2, Offset: 8}, Events: []store.Row{ev(1, "e2", 10, "b", 1_700_000_001_000)}},
		{Stream: "import", Position: store.Position{Segment: 0, Offset: 7}},
	}
	for i := range batches {
		if err := s.Apply(ctx, &batches[i]); err != nil {
			t.Fatal(err)
		}
		got, err := s.Checkpoint(ctx, batches[i].Stream)
		if err != nil {
			t.Fatal(err)
		}
		if got != batches[i].Position {
			t.Fatalf("batch %d: checkpoint %+v, want %+v", i, got, batches[i].Position)
		}
	}
	if got, _ := s.Checkpoint(ctx, "wal"); got != (store.Position{Segment: 2, Offset: 8}) {
		t.Fatalf("wal checkpoint after another stream's batch: %+v", got)
	}
	rows := queryRows(t, s, "SELECT project_id, event_id, type, event, ts, received_at, person_id, distinct_id, anonymous_id, user_id, properties, context FROM events ORDER BY ts")
	want := []string{
		"1|e1|track|a|1700000000000|1700000000005|10|u10||u10|{\"k\":\"v\"}|{}",
		"1|e2|track|b|1700000001000|1700000001005|10|u10||u10|{\"k\":\"v\"}|{}",
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}

	// The version clock survives a reopen: a checkpoint written by a new Store wins.
	s2, err := Open(ctx, s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s2.lastVersion += 1 << 50 // as if the previous process's clock ran far ahead
	if err := s2.Apply(ctx, &store.Batch{Stream: "wal", Position: store.Position{Segment: 3}}); err != nil {
		t.Fatal(err)
	}
	s3, err := Open(ctx, s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.Apply(ctx, &store.Batch{Stream: "wal", Position: store.Position{Segment: 4}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s3.Checkpoint(ctx, "wal"); got.Segment != 4 {
		t.Fatalf("checkpoint after reopen: %+v, want segment 4", got)
	}

	if err := s.Apply(ctx, nil); err == nil || !strings.HasPrefix(err.Error(), "cannot apply batch") {
		t.Fatalf("Apply(nil): err = %v", err)
	}
	// A batch without a stream (import, demo) is written without touching any checkpoint.
	if err := s.Apply(ctx, &store.Batch{Events: []store.Row{ev(1, "direct-1", 1, "x", 5)}}); err != nil {
		t.Fatalf("Apply without stream: %v", err)
	}
	if got, _ := s.Checkpoint(ctx, ""); got != (store.Position{}) {
		t.Fatalf("a stream-less batch wrote checkpoint %+v", got)
	}
}

func TestApplyRepeated(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	var rows []store.Row
	for i := 0; i < 1000; i++ {
		// Events over three months, two projects, and ids that need escaping in text formats.
		rows = append(rows, ev(uint32(1+i%2), fmt.Sprintf("id\t%d'\n", i), int64(i%37), "a", 1_690_000_000_000+int64(i)*7_000_000))
	}
	rows = append(rows, rows[5]) // a duplicate inside the batch
	b := &store.Batch{Stream: "wal", Events: rows, Position: store.Position{Segment: 1, Offset: 1}}
	count := func(when string) {
		t.Helper()
		if n := queryInt(t, s, "SELECT count() FROM events"); n != 1000 {
			t.Fatalf("%s: %d events, want 1000", when, n)
		}
		if n := queryInt(t, s, "SELECT uniqExact(project_id, event_id) FROM events"); n != 1000 {
			t.Fatalf("%s: %d distinct events, want 1000", when, n)
		}
	}

	// A crash while inserting: the attempt was recorded and part of the events stored.
	if err := s.writePosition(ctx, "loader_attempts", b.Stream, b.Position); err != nil {
		t.Fatal(err)
	}
	if err := s.insertEvents(ctx, rows[100:300], false); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	count("after the repeated Apply")
	// Applied again after success: still once.
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	count("after a third Apply")

	// The repetition may resolve events to other persons (a merge in between): the
	// events are still recognised.
	moved := append([]store.Row(nil), rows...)
	for i := range moved {
		moved[i].PersonID += 1000
	}
	if err := s.Apply(ctx, &store.Batch{Stream: "wal", Events: moved, Position: b.Position}); err != nil {
		t.Fatal(err)
	}
	count("after an Apply with other persons")

	// The same event id in another project is another event.
	other := ev(3, rows[0].ID, 1, "a", rows[0].Time)
	if err := s.Apply(ctx, &store.Batch{Stream: "wal", Events: []store.Row{other}, Position: store.Position{Segment: 2}}); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, s, "SELECT count() FROM events WHERE event_id = ?", rows[0].ID); n != 2 {
		t.Fatalf("%d events with id %q, want 2", n, rows[0].ID)
	}
	if err := s.Apply(ctx, &store.Batch{Stream: "wal", Events: []store.Row{ev(1, "", 1, "a", 1)}}); err == nil {
		t.Fatal("an event without id was accepted")
	}
}

func TestMayBeReplay(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	pos := func(seg, off int64) store.Position { return store.Position{Segment: seg, Offset: off} }
	f := func(p store.Position, want bool) {
		t.Helper()
		got, err := s.mayBeReplay(ctx, "wal", p)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("mayBeReplay(%+v) = %v, want %v", p, got, want)
		}
	}
	write := func(table string, p store.Position) {
		t.Helper()
		if err := s.writePosition(ctx, table, "wal", p); err != nil {
			t.Fatal(err)
		}
	}
	f(pos(1, 10), false) // nothing applied yet
	write("loader_attempts", pos(1, 10))
	f(pos(1, 10), true) // an attempt without checkpoint: it may have inserted events
	f(pos(1, 5), true)  // also for a smaller batch retried from the same place
	write("loader_checkpoint", pos(1, 10))
	f(pos(1, 10), true)  // the batch itself was applied
	f(pos(1, 9), true)   // an earlier one too
	f(pos(1, 11), false) // a new batch after a finished attempt
	f(pos(2, 0), false)
	write("loader_attempts", pos(2, 0))
	f(pos(2, 0), true) // unfinished attempt again
	write("loader_checkpoint", pos(2, 0))
	f(pos(2, 1), false)
	// Other streams are independent.
	if got, _ := s.mayBeReplay(ctx, "import", pos(1, 10)); got {
		t.Fatal("another stream's positions were used")
	}
}

func TestIdentities(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	batches := []store.Batch{{
		Stream: "wal",
		Identities: []store.Identity{
			{ProjectID: 1, DistinctID: "anon-1", PersonID: 1},
			{ProjectID: 1, DistinctID: "user-2", PersonID: 2},
			{ProjectID: 2, DistinctID: "anon-1", PersonID: 3},
		},
		Overrides: []store.Override{{ProjectID: 1, OldPersonID: 1, NewPersonID: 2}},
	}, {
		Stream: "wal",
		// user-2 is merged into person 4: the override of 1 is rewritten too.
		Identities: []store.Identity{{ProjectID: 1, DistinctID: "user-2", PersonID: 4, IsUser: true}, {ProjectID: 1, DistinctID: "x\ty'z", PersonID: 4}},
		Overrides: []store.Override{
			{ProjectID: 1, OldPersonID: 1, NewPersonID: 4},
			{ProjectID: 1, OldPersonID: 2, NewPersonID: 4},
		},
	}}
	for i := range batches {
		if err := s.Apply(ctx, &batches[i]); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := s.Identities(ctx, func(id *store.Identity, o *store.Override) error {
		switch {
		case id != nil && o == nil:
			got = append(got, fmt.Sprintf("id %d %q %d user=%v", id.ProjectID, id.DistinctID, id.PersonID, id.IsUser))
		case o != nil && id == nil:
			got = append(got, fmt.Sprintf("override %d %d->%d", o.ProjectID, o.OldPersonID, o.NewPersonID))
		default:
			t.Fatalf("fn(%v, %v)", id, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{
		`id 1 "anon-1" 1 user=false`,
		`id 1 "user-2" 4 user=true`,
		`id 1 "x\ty'z" 4 user=false`,
		`id 2 "anon-1" 3 user=false`,
		`override 1 1->4`,
		`override 1 2->4`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("identities:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n, err := s.MaxPersonID(ctx); err != nil || n != 4 {
		t.Fatalf("MaxPersonID = %d, %v; want 4", n, err)
	}
	// An error of fn stops the walk and is returned.
	stop := fmt.Errorf("stop")
	if err := s.Identities(ctx, func(*store.Identity, *store.Override) error { return stop }); err == nil || !strings.Contains(err.Error(), "stop") {
		t.Fatalf("err = %v, want stop", err)
	}
}

func TestMaxPersonIDAndRecentEventIDs(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	if n, err := s.MaxPersonID(ctx); err != nil || n != 0 {
		t.Fatalf("empty store: MaxPersonID = %d, %v", n, err)
	}
	rows := []store.Row{ev(1, "old", 7, "a", 1000), ev(1, "new", 9, "a", 5000), ev(2, "new", 3, "a", 6000)}
	if err := s.Apply(ctx, &store.Batch{Stream: "wal", Events: rows}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MaxPersonID(ctx); err != nil || n != 9 {
		t.Fatalf("MaxPersonID = %d, %v; want 9 (from events)", n, err)
	}
	var got []string
	err := s.RecentEventIDs(ctx, 5000, func(p uint32, id string) error {
		got = append(got, fmt.Sprintf("%d/%s", p, id))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if want := []string{"1/new", "2/new"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("RecentEventIDs = %v, want %v", got, want)
	}
}

// BenchmarkApply measures Apply of 50,000-event batches into a growing table, including
// the lookup of already stored event ids.
func BenchmarkApply(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	const n = 50_000
	rows := make([]store.Row, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range rows {
			k := i*n + j
			rows[j] = ev(1, fmt.Sprintf("%08d-4f1c-8a2e-%012d", k, k), int64(k%100_000), "Product Viewed", 1_700_000_000_000+int64(k)*10)
			rows[j].Properties = json.RawMessage(`{"product_id":"p-1234","price":1999,"category":"服饰"}`)
		}
		b.StartTimer()
		if err := s.Apply(ctx, &store.Batch{Stream: "wal", Events: rows, Position: store.Position{Segment: int64(i)}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
