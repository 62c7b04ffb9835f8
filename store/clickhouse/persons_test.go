package clickhouse

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/jingyun/jingyun/store"
)

// raw turns a map of JSON texts into trait values.
func raw(m map[string]string) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := map[string]json.RawMessage{}
	for k, v := range m {
		out[k] = json.RawMessage(v)
	}
	return out
}

// person reads the current created_at and traits of a person through Query, the way an
// analysis would.
func person(t *testing.T, s *Store, project uint32, id int64) (int64, map[string]any, bool) {
	t.Helper()
	var createdAt int64
	var props string
	found := false
	err := s.Query(context.Background(),
		"SELECT argMax(created_at, version), argMax(properties, version) FROM persons WHERE project_id = ? AND person_id = ? GROUP BY person_id",
		[]any{project, id}, func(row []any) error {
			createdAt, props, found = row[0].(int64), row[1].(string), true
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return 0, nil, false
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(props), &m); err != nil {
		t.Fatalf("person %d: properties %q: %v", id, props, err)
	}
	return createdAt, m, true
}

func TestPersonTraits(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	apply := func(b store.Batch) {
		t.Helper()
		b.Stream = "wal"
		if err := s.Apply(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	f := func(id int64, wantCreated int64, want map[string]any) {
		t.Helper()
		created, got, ok := person(t, s, 1, id)
		if !ok {
			t.Fatalf("person %d not found", id)
		}
		if created != wantCreated || !reflect.DeepEqual(got, want) {
			t.Fatalf("person %d = %d %v, want %d %v", id, created, got, wantCreated, want)
		}
	}

	// Creation keeps CreatedAt; $set_once fills a missing key.
	apply(store.Batch{Persons: []store.PersonUpdate{{
		ProjectID: 1, PersonID: 1, CreatedAt: 1000,
		Set:     raw(map[string]string{"name": `"Ann"`, "city": `"上海"`}),
		SetOnce: raw(map[string]string{"first_source": `"share"`}),
	}}})
	f(1, 1000, map[string]any{"name": "Ann", "city": "上海", "first_source": "share"})

	// $set overwrites, $set_once keeps the first value, $unset removes, CreatedAt of a
	// later update is ignored; updates apply in order within a batch.
	apply(store.Batch{Persons: []store.PersonUpdate{
		{ProjectID: 1, PersonID: 1, CreatedAt: 5000,
			Set:     raw(map[string]string{"name": `"Anna"`, "vip": `true`}),
			SetOnce: raw(map[string]string{"first_source": `"ad"`, "tier": `{"level":2}`}),
			Unset:   []string{"city"}},
		{ProjectID: 1, PersonID: 1, Set: raw(map[string]string{"vip": `false`})},
	}})
	f(1, 1000, map[string]any{"name": "Anna", "first_source": "share", "vip": false, "tier": map[string]any{"level": 2.0}})

	// Repeating a batch leaves the same profile.
	b := store.Batch{Persons: []store.PersonUpdate{
		{ProjectID: 1, PersonID: 2, CreatedAt: 3000, Set: raw(map[string]string{"n": `1`}), SetOnce: raw(map[string]string{"o": `"x"`})},
		{ProjectID: 1, PersonID: 2, Set: raw(map[string]string{"n": `2`}), Unset: []string{"gone"}},
	}}
	apply(b)
	apply(b)
	f(2, 3000, map[string]any{"n": 2.0, "o": "x"})

	// A merge copies the old person's traits where the new one has none and keeps the
	// earlier created_at; the old profile stays as it was.
	apply(store.Batch{
		Overrides: []store.Override{{ProjectID: 1, OldPersonID: 1, NewPersonID: 2}},
		Persons:   []store.PersonUpdate{{ProjectID: 1, PersonID: 2, Set: raw(map[string]string{"name": `"A. N."`})}},
	})
	f(2, 1000, map[string]any{"name": "A. N.", "first_source": "share", "vip": false, "tier": map[string]any{"level": 2.0}, "n": 2.0, "o": "x"})
	f(1, 1000, map[string]any{"name": "Anna", "first_source": "share", "vip": false, "tier": map[string]any{"level": 2.0}})

	// A merge into a person without a profile creates it.
	apply(store.Batch{Overrides: []store.Override{{ProjectID: 1, OldPersonID: 2, NewPersonID: 3}}})
	f(3, 1000, map[string]any{"name": "A. N.", "first_source": "share", "vip": false, "tier": map[string]any{"level": 2.0}, "n": 2.0, "o": "x"})

	// Another project's person with the same id is another person.
	if _, _, ok := person(t, s, 2, 1); ok {
		t.Fatal("person 1 exists in project 2")
	}
	// Unknown-person merges are fine: nothing to copy.
	apply(store.Batch{Overrides: []store.Override{{ProjectID: 1, OldPersonID: 99, NewPersonID: 98}}})
	if _, _, ok := person(t, s, 1, 98); ok {
		t.Fatal("a merge of an unknown person created a profile")
	}

	// Invalid trait JSON is refused before anything is written for the persons.
	err := s.Apply(ctx, &store.Batch{Stream: "wal", Persons: []store.PersonUpdate{{ProjectID: 1, PersonID: 5, Set: raw(map[string]string{"x": `{bad`})}}})
	if err == nil {
		t.Fatal("invalid trait JSON accepted")
	}
	if _, _, ok := person(t, s, 1, 5); ok {
		t.Fatal("person 5 was written despite the error")
	}
}

func TestDeletePerson(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	// Person 1 was merged into 2; 3 is someone else; 4 in project 2 shares ids with 2.
	b := store.Batch{
		Stream: "wal",
		Events: []store.Row{
			ev(1, "a1", 1, "view", 1_700_000_000_000), ev(1, "a2", 1, "view", 1_700_000_001_000),
			ev(1, "b1", 2, "buy", 1_700_000_002_000),
			ev(1, "c1", 3, "view", 1_700_000_003_000),
			ev(2, "d1", 2, "view", 1_700_000_004_000),
		},
		Identities: []store.Identity{
			{ProjectID: 1, DistinctID: "anon-1", PersonID: 1},
			{ProjectID: 1, DistinctID: "user-2", PersonID: 2},
			{ProjectID: 1, DistinctID: "anon-3", PersonID: 3},
			// Once pointed at 3, now at 2.
			{ProjectID: 1, DistinctID: "moved", PersonID: 3},
			{ProjectID: 1, DistinctID: "moved", PersonID: 2},
			{ProjectID: 2, DistinctID: "user-2", PersonID: 2},
		},
		Overrides: []store.Override{{ProjectID: 1, OldPersonID: 1, NewPersonID: 2}},
		Persons: []store.PersonUpdate{
			{ProjectID: 1, PersonID: 1, CreatedAt: 1, Set: raw(map[string]string{"a": `1`})},
			{ProjectID: 1, PersonID: 2, CreatedAt: 2, Set: raw(map[string]string{"b": `2`})},
			{ProjectID: 1, PersonID: 3, CreatedAt: 3, Set: raw(map[string]string{"c": `3`})},
			{ProjectID: 2, PersonID: 2, CreatedAt: 4},
		},
	}
	if err := s.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	// Person 5 was merged into 2 once, but its override now points at 3.
	rewrites := []store.Batch{
		{Stream: "wal", Overrides: []store.Override{{ProjectID: 1, OldPersonID: 5, NewPersonID: 2}}},
		{Stream: "wal", Overrides: []store.Override{{ProjectID: 1, OldPersonID: 5, NewPersonID: 3}}},
	}
	for i := range rewrites {
		if err := s.Apply(ctx, &rewrites[i]); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.DeletePerson(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := store.DeleteReport{Events: 3, Identities: 3, Persons: 2, Overrides: 1}
	if rep != want {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	f := func(sql string, want ...string) {
		t.Helper()
		got := queryRows(t, s, sql)
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("%s:\n got %q\nwant %q", sql, got, want)
		}
	}
	f("SELECT project_id, event_id, person_id FROM events ORDER BY project_id, event_id", "1|c1|3", "2|d1|2")
	f("SELECT project_id, distinct_id, person_id FROM person_identities FINAL ORDER BY project_id, distinct_id",
		"1|anon-3|3", "2|user-2|2")
	// The superseded row "moved" -> 3 is gone too: it linked an id of the deleted person.
	f("SELECT count() FROM person_identities WHERE distinct_id = 'moved'", "0")
	f("SELECT project_id, person_id FROM persons FINAL ORDER BY project_id, person_id", "1|3", "2|2")
	// 1 -> 2 is gone; 5 -> 3 stays, and its superseded row 5 -> 2 is gone.
	f("SELECT project_id, old_person_id, new_person_id FROM person_overrides", "1|5|3")

	// Deleting again finds nothing and issues no mutation.
	rep, err = s.DeletePerson(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (store.DeleteReport{}) {
		t.Fatalf("second delete: %+v", rep)
	}
	if n := queryInt(t, s, "SELECT count() FROM system.mutations WHERE database = ? AND is_done = 0", s.cfg.Database); n != 0 {
		t.Fatalf("%d mutations pending after DeletePerson returned", n)
	}
}
