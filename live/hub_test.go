package live

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
)

func row(project uint32, id, name, anon, user string, person int64) store.Row {
	return store.Row{Event: event.Event{ProjectID: project, ID: id, Type: event.TypeTrack, Name: name, Time: 1700000000000,
		ReceivedAt: 1700000000001, AnonymousID: anon, UserID: user, Properties: json.RawMessage(`{"k":1}`)}, PersonID: person}
}

// testNow is the hubs' clock in these tests: just after the rows' time.
var testNow = time.UnixMilli(1700000000001)

func newHub(cfg Config) *Hub {
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	return New(cfg)
}

// TestHistoryIsNotLive: events whose time is older than MaxAge when they are loaded (an
// import of history) are not streamed, numbered or kept; recent ones in the same batch are.
func TestHistoryIsNotLive(t *testing.T) {
	h := newHub(Config{})
	defer h.Close()
	s := h.Subscribe(1, Filter{}, 0, 0)
	old := row(1, "old", "A", "x", "", 1)
	old.Time = testNow.Add(-DefaultMaxAge - time.Millisecond).UnixMilli()
	late := row(1, "late", "A", "x", "", 1)
	late.Time = testNow.Add(-DefaultMaxAge + time.Minute).UnixMilli() // an offline queue sent a day late
	rows := []store.Row{old, late, row(1, "now", "A", "x", "", 1)}
	h.Publish(rows)
	var got []string
	for _, e := range recv(t, s, 2) {
		got = append(got, fmt.Sprint(e.Seq, e.ID))
	}
	if fmt.Sprint(got) != "[1late 2now]" || h.Seq(1) != 2 || len(s.C()) != 0 {
		t.Fatalf("streamed %v (seq %d, %d more), want [1late 2now]", got, h.Seq(1), len(s.C()))
	}
	if rows[0].ID != "old" {
		t.Fatal("Publish changed the loader's rows")
	}
	if b := h.Subscribe(1, Filter{}, 10, 0).Backlog(); b != 2 {
		t.Fatalf("backlog %d, want 2", b)
	}
	h.Publish([]store.Row{old})
	if h.Seq(1) != 2 {
		t.Fatal("an old event was numbered")
	}
	// Without a limit everything is live.
	all := newHub(Config{MaxAge: -1})
	defer all.Close()
	all.Publish(rows)
	if all.Seq(1) != 3 {
		t.Fatalf("MaxAge -1 published %d of 3", all.Seq(1))
	}
}

// recv reads n events from s or fails after a second.
func recv(t *testing.T, s *Subscription, n int) []*Event {
	t.Helper()
	var out []*Event
	for len(out) < n {
		select {
		case e := <-s.C():
			out = append(out, e)
		case <-time.After(time.Second):
			t.Fatalf("got %d events, want %d", len(out), n)
		}
	}
	return out
}

func none(t *testing.T, s *Subscription) {
	t.Helper()
	select {
	case e := <-s.C():
		t.Fatalf("unexpected event %+v", e)
	default:
	}
}

func ids(evs []*Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.ID)
	}
	return fmt.Sprint(s)
}

func TestFilters(t *testing.T) {
	h := newHub(Config{})
	defer h.Close()
	f := func(filter Filter, want string) {
		t.Helper()
		s := h.Subscribe(1, filter, 0, 0)
		defer s.Close()
		h.Publish([]store.Row{
			row(1, "a", "Order Completed", "anon1", "u1", 10),
			row(2, "b", "Order Completed", "anon1", "u1", 10), // another project
			row(1, "c", "Product Viewed", "anon2", "", 11),
			row(1, "d", "Product Viewed", "anon3", "", 10), // another device of person 10
		})
		var got []*Event
	loop:
		for {
			select {
			case e := <-s.C():
				got = append(got, e)
			default:
				break loop
			}
		}
		if ids(got) != want {
			t.Fatalf("filter %+v: got %s, want %s", filter, ids(got), want)
		}
	}
	f(Filter{}, "[a c d]")
	f(Filter{Events: []string{"Order Completed"}}, "[a]")
	f(Filter{Events: []string{"Order Completed", "Product Viewed"}}, "[a c d]")
	f(Filter{Events: []string{"Nothing"}}, "[]")
	f(Filter{DistinctID: "u1"}, "[a]")
	f(Filter{DistinctID: "anon1"}, "[a]")
	f(Filter{DistinctID: "u1", PersonID: 10}, "[a d]")
	f(Filter{PersonID: 11}, "[c]")
	f(Filter{Type: "page"}, "[]")
	f(Filter{Type: "track", Events: []string{"Product Viewed"}, DistinctID: "anon2"}, "[c]")
}

func TestEventShape(t *testing.T) {
	h := newHub(Config{})
	defer h.Close()
	s := h.Subscribe(1, Filter{}, 0, 0)
	defer s.Close()
	r := row(1, "m1", "Order Completed", "a1", "u1", 7)
	r.Context = json.RawMessage(` {"scene":1007} `)
	r.Properties = nil
	h.Publish([]store.Row{r})
	e := recv(t, s, 1)[0]
	b, _ := json.Marshal(e)
	want := `{"seq":1,"id":"m1","type":"track","event":"Order Completed","timestamp":1700000000000,"time":"2023-11-14T22:13:20.000Z",` +
		`"received_at":1700000000001,"distinct_id":"u1","anonymous_id":"a1","user_id":"u1","person_id":7,"properties":{},"context":{"scene":1007}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestBacklog(t *testing.T) {
	h := newHub(Config{Ring: 3})
	defer h.Close()
	var rows []store.Row
	for i := range 5 {
		name := "A"
		if i%2 == 1 {
			name = "B"
		}
		rows = append(rows, row(1, fmt.Sprint(i), name, "x", "", 1))
	}
	h.Publish(rows[:2])
	h.Publish(rows[2:])
	f := func(filter Filter, backlog int, since uint64, want string) {
		t.Helper()
		s := h.Subscribe(1, filter, backlog, since)
		defer s.Close()
		if got := ids(recv(t, s, s.Backlog())); got != want {
			t.Fatalf("backlog %d since %d %+v: got %s, want %s", backlog, since, filter, got, want)
		}
		none(t, s)
	}
	f(Filter{}, 10, 0, "[2 3 4]") // the ring holds 3
	f(Filter{}, 2, 0, "[3 4]")
	f(Filter{}, 0, 0, "[]")
	f(Filter{}, 10, 3, "[3 4]") // seq 3 is id "2"
	f(Filter{}, 10, 4, "[4]")
	f(Filter{}, 10, 5, "[]")
	f(Filter{Events: []string{"B"}}, 10, 0, "[3]")
	if s := h.Subscribe(2, Filter{}, 10, 0); s.Backlog() != 0 {
		t.Fatal("another project's backlog")
	}
	// A batch larger than the ring keeps its tail.
	var big []store.Row
	for i := range 10 {
		big = append(big, row(1, fmt.Sprint("big", i), "A", "x", "", 1))
	}
	h.Publish(big)
	f(Filter{}, 10, 0, "[big7 big8 big9]")
	s := h.Subscribe(1, Filter{}, 1, 0)
	if e := recv(t, s, 1)[0]; e.Seq != 15 {
		t.Fatalf("seq %d, want 15", e.Seq)
	}
	if h.Seq(1) != 15 || h.Seq(2) != 0 {
		t.Fatalf("Seq %d and %d, want 15 and 0", h.Seq(1), h.Seq(2))
	}
}

// TestSlowSubscriber: a subscriber that does not read loses what does not fit, counted,
// and the publisher never waits; one that keeps up with its buffer sees everything.
// The publisher hands the fast reader one buffer's worth at a time and waits until it is
// read, so the test does not depend on how the scheduler shares the cores.
func TestSlowSubscriber(t *testing.T) {
	h := newHub(Config{Ring: 2, Buffer: 10})
	defer h.Close()
	slow := h.Subscribe(1, Filter{}, 0, 0)
	defer slow.Close()
	fast := h.Subscribe(1, Filter{}, 0, 0)
	defer fast.Close()
	read := make(chan int, 1000)
	go func() {
		for n := 1; n <= 1000; n++ {
			select {
			case <-fast.C():
				read <- n
			case <-time.After(10 * time.Second):
				return
			}
		}
	}()
	got := 0
	for i := range 1000 {
		published := make(chan struct{})
		go func() {
			h.Publish([]store.Row{row(1, fmt.Sprint(i), "A", "x", "", 1)})
			close(published)
		}()
		select {
		case <-published:
		case <-time.After(10 * time.Second):
			t.Fatalf("Publish of event %d waited for a subscriber", i)
		}
		if i%10 != 9 {
			continue
		}
		for got < i+1 {
			select {
			case got = <-read:
			case <-time.After(10 * time.Second):
				t.Fatalf("fast subscriber stuck at %d of %d (dropped %d)", got, i+1, fast.Dropped())
			}
		}
	}
	if got != 1000 || fast.Dropped() != 0 {
		t.Fatalf("fast subscriber got %d of 1000 (dropped %d)", got, fast.Dropped())
	}
	// The slow one holds its buffer (10 + ring 2) and dropped the rest.
	if n := len(slow.C()); int64(n)+slow.Dropped() != 1000 || n != 12 {
		t.Fatalf("slow: %d queued + %d dropped", n, slow.Dropped())
	}
}

func TestClose(t *testing.T) {
	h := newHub(Config{})
	s := h.Subscribe(1, Filter{}, 0, 0)
	s2 := h.Subscribe(1, Filter{}, 0, 0)
	s2.Close()
	s2.Close()
	if h.Subscribers(1) != 1 {
		t.Fatalf("subscribers %d, want 1", h.Subscribers(1))
	}
	select {
	case <-s2.Done():
	default:
		t.Fatal("closed subscription not done")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				h.Publish([]store.Row{row(1, "x", "A", "x", "", 1)})
			}
		}()
	}
	h.Close()
	wg.Wait()
	select {
	case <-s.Done():
	case <-time.After(time.Second):
		t.Fatal("subscription not done after the hub closed")
	}
	s.Close()
	h.Close()
	late := h.Subscribe(1, Filter{}, 10, 0)
	select {
	case <-late.Done():
	default:
		t.Fatal("subscription to a closed hub is not done")
	}
	late.Close()
}

// TestTrySubscribeLimit: concurrent subscribers never exceed the limit.
func TestTrySubscribeLimit(t *testing.T) {
	h := newHub(Config{})
	defer h.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var subs []*Subscription
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s, ok := h.TrySubscribe(1, Filter{}, 0, 0, 10); ok {
				mu.Lock()
				subs = append(subs, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(subs) != 10 || h.Subscribers(1) != 10 {
		t.Fatalf("%d subscriptions (%d in the hub), want 10", len(subs), h.Subscribers(1))
	}
	subs[0].Close()
	if _, ok := h.TrySubscribe(1, Filter{}, 0, 0, 10); !ok {
		t.Fatal("a place freed by Close is not taken")
	}
	if _, ok := h.TrySubscribe(2, Filter{}, 0, 0, 10); !ok {
		t.Fatal("another project's limit is shared")
	}
}
