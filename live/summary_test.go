package live

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/internal/storetest"
	"github.com/jingyun/jingyun/store"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestSummaryDuckDB(t *testing.T) { checkSummary(t, storetest.DuckDB(t)) }

func TestSummaryClickHouse(t *testing.T) { checkSummary(t, storetest.ClickHouse(t)) }

// checkSummary loads events around a fixed now and checks every figure: minutes, persons
// with a merge applied, the window's edges, top lists and the project scope.
func checkSummary(t *testing.T, s store.EventStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 12, 30, 20, 0, time.UTC)
	end := time.Date(2026, 11, 23, 12, 31, 0, 0, time.UTC).UnixMilli() // the end of the current minute
	from := end - 30*60000
	var rows []store.Row
	add := func(project uint32, typ event.Type, name string, ts int64, person int64, props, cx string) {
		rows = append(rows, store.Row{Event: event.Event{ProjectID: project, ID: fmt.Sprintf("e%d", len(rows)), Type: typ,
			Name: name, Time: ts, ReceivedAt: ts, AnonymousID: fmt.Sprint("a", person), Properties: json.RawMessage(props),
			Context: json.RawMessage(cx)}, PersonID: person})
	}
	add(1, event.TypeTrack, "Too Early", from-1, 1, `{}`, `{}`)
	add(1, event.TypeTrack, "Too Late", end, 1, `{}`, `{}`)
	add(2, event.TypeTrack, "Other Project", from+5, 1, `{}`, `{}`)
	// Minute 0: persons 1 and 2, who were merged into 1: one person, three events.
	add(1, event.TypeTrack, "App Launched", from, 1, `{}`, `{"scene":1007}`)
	add(1, event.TypeTrack, "Product Viewed", from+59999, 2, `{}`, `{}`)
	add(1, event.TypePage, event.NamePageview, from+100, 2, `{}`, `{"scene":1007,"page":{"path":"pages/index"}}`)
	// Minute 10: persons 3 and 4.
	add(1, event.TypeTrack, "Product Viewed", from+10*60000, 3, `{}`, `{}`)
	add(1, event.TypeScreen, event.NameScreen, from+10*60000+1, 4, `{"name":"首页"}`, `{"scene":"1011"}`)
	// The current minute (29): person 3.
	add(1, event.TypePage, event.NamePageview, end-1, 3, `{"path":"/goods"}`, `{"scene":1007}`)
	// Imported just now, from last week: the latest arrival, but history, not live.
	add(1, event.TypeTrack, "Imported", from-7*24*3600000, 1, `{}`, `{}`)
	rows[len(rows)-1].ReceivedAt = end + 1000
	err := s.Apply(ctx, &store.Batch{Stream: "t", Events: rows, Position: store.Position{Segment: 1, Offset: 1},
		Overrides: []store.Override{{ProjectID: 1, OldPersonID: 2, NewPersonID: 1}, {ProjectID: 2, OldPersonID: 3, NewPersonID: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize(ctx, s, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if sum.From != from || sum.To != end || len(sum.Minutes) != 30 {
		t.Fatalf("window %d..%d with %d minutes, want %d..%d with 30", sum.From, sum.To, len(sum.Minutes), from, end)
	}
	if m := sum.Minutes[0]; m.Start != from || m.At != "2026-11-23T12:01:00Z" {
		t.Fatalf("first minute %+v", m)
	}
	got := map[int]string{}
	for i, m := range sum.Minutes {
		if m.Events != 0 || m.Persons != 0 {
			got[i] = fmt.Sprintf("%d/%d", m.Events, m.Persons)
		}
	}
	if want := map[int]string{0: "3/1", 10: "2/2", 29: "1/1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("minutes (events/persons): got %v, want %v", got, want)
	}
	if sum.Events != 6 || sum.Persons != 3 {
		t.Fatalf("totals %d events, %d persons; want 6, 3", sum.Events, sum.Persons)
	}
	if want := "[{$pageview 2} {Product Viewed 2} {$screen 1} {App Launched 1}]"; fmt.Sprint(sum.TopEvents) != want {
		t.Fatalf("top events %v, want %v", sum.TopEvents, want)
	}
	if want := "[{/goods 1} {pages/index 1} {首页 1}]"; fmt.Sprint(sum.TopPages) != want {
		t.Fatalf("top pages %v, want %v", sum.TopPages, want)
	}
	if want := "[{1007 2} {1011 1}]"; fmt.Sprint(sum.TopScenes) != want || sum.PageViewsSampled != 3 {
		t.Fatalf("top scenes %v (of %d), want %v (of 3)", sum.TopScenes, sum.PageViewsSampled, want)
	}
	// Warm fills the ring of a project the hub has not seen from the store, latest last, with
	// persons as they are now: person 2's events show person 1, whom 2 was merged into. The
	// imported event from last week is not live.
	h := New(Config{Ring: 6, Now: func() time.Time { return now }})
	defer h.Close()
	if err := h.Warm(ctx, s, 1); err != nil {
		t.Fatal(err)
	}
	sub := h.Subscribe(1, Filter{}, 10, 0)
	var names []string
	for range sub.Backlog() {
		e := <-sub.C()
		names = append(names, fmt.Sprintf("%d %s %s p%d", e.Seq, e.Event, e.AnonymousID, e.PersonID))
	}
	if want := "[1 $pageview a2 p1 2 Product Viewed a2 p1 3 Product Viewed a3 p3 4 $screen a4 p4 5 $pageview a3 p3 6 Too Late a1 p1]"; fmt.Sprint(names) != want {
		t.Fatalf("warmed ring %v, want %v", names, want)
	}
	h.Publish([]store.Row{{Event: event.Event{ProjectID: 2, ID: "x", Type: event.TypeTrack, Name: "Live"}}})
	if err := h.Warm(ctx, s, 2); err != nil {
		t.Fatal(err)
	}
	if sub := h.Subscribe(2, Filter{}, 10, 0); sub.Backlog() != 1 {
		t.Fatalf("a project with live events was warmed: backlog %d", sub.Backlog())
	}
	empty, err := Summarize(ctx, s, 9, now)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Events != 0 || len(empty.Minutes) != 30 || len(empty.TopEvents) != 0 || empty.TopPages == nil {
		t.Fatalf("empty project: %+v", empty)
	}
}
