package persons

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/storetest"
	"github.com/jingyun/jingyun/loader"
	"github.com/jingyun/jingyun/store"
)

func TestSummariesDuckDB(t *testing.T) { checkSummaries(t, storetest.DuckDB(t)) }

func TestSummariesClickHouse(t *testing.T) { checkSummaries(t, storetest.ClickHouse(t)) }

// checkSummaries: persons by id (as a funnel lists them) come back in the order asked, with
// the identifiers and events of the persons merged into them; a timeline filtered by event
// name covers the merged persons and pages.
func checkSummaries(t *testing.T, s store.EventStore) {
	ctx := context.Background()
	l, err := loader.New(ctx, s, loader.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	add := func(ts int64, anon, user, name, traits string) {
		e := event.Event{ProjectID: 1, ID: fmt.Sprintf("s%d", len(evs)), Type: event.TypeTrack, Name: name, Time: ts,
			ReceivedAt: ts, AnonymousID: anon, UserID: user, Properties: json.RawMessage(`{}`)}
		if traits != "" {
			e.Type, e.Name, e.Traits = event.TypeIdentify, event.TypeIdentify.ReservedName(), json.RawMessage(traits)
		}
		evs = append(evs, e)
	}
	add(1000, "a1", "", "Product Viewed", "")
	add(2000, "a1", "u1", "", `{"name":"张三"}`)
	add(3000, "a2", "", "Product Viewed", "")
	add(4000, "a2", "u1", "", `{}`) // a2's person merged into u1's
	add(5000, "b1", "u2", "Order Completed", "")
	if err := l.Sink().Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	r, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := r.Resolve(ctx, 1, "a2")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := r.Resolve(ctx, 1, "u2")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Summaries(ctx, 1, []int64{p2, p1, 999999})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range got {
		lines = append(lines, fmt.Sprintf("%s ids=%d events=%d first=%d last=%d name=%s", p.DistinctID, p.IdentifierCount, p.EventCount, p.FirstSeen, p.LastSeen, p.Traits["name"]))
	}
	want := `[u2 ids=2 events=1 first=5000 last=5000 name= u1 ids=3 events=4 first=1000 last=4000 name="张三" person:999999 ids=0 events=0 first=0 last=0 name=]`
	if fmt.Sprint(lines) != want {
		t.Fatalf("summaries\n got %v\nwant %s", lines, want)
	}
	// A timeline filtered by event name, across the merged persons, paged.
	page, err := r.TimelineOf(ctx, 1, "u1", nil, 1, []string{"Product Viewed", "Nothing"})
	if err != nil || len(page.Events) != 1 || page.Events[0].TS != 3000 || page.NextCursor == "" {
		t.Fatalf("filtered timeline: %+v %v", page, err)
	}
	c, _ := ParseCursor(page.NextCursor)
	page, err = r.TimelineOf(ctx, 1, "u1", &c, 5, []string{"Product Viewed"})
	if err != nil || len(page.Events) != 1 || page.Events[0].TS != 1000 || page.Events[0].DistinctID != "a1" || page.NextCursor != "" {
		t.Fatalf("filtered timeline, page 2: %+v %v", page, err)
	}
	if _, err := r.TimelineOf(ctx, 1, "u1", nil, 5, make([]string, MaxTimelineEvents+1)); err == nil {
		t.Fatal("too many event names accepted")
	}
	if got, err := r.Summaries(ctx, 1, nil); err != nil || len(got) != 0 {
		t.Fatalf("no ids: %v %v", got, err)
	}
	if _, err := r.Summaries(ctx, 1, make([]int64, MaxSummaries+1)); err == nil {
		t.Fatal("too many ids accepted")
	}
}
