package resultcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jingyun/jingyun/query"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func spec(t *testing.T, js string) *query.Spec {
	t.Helper()
	s, err := query.Decode(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const relative = `{"kind":"trends","series":[{"event":"Order Completed"}],"date_range":{"from":"-6d","to":"today"}}`

func TestKeyFor(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal := query.Calendar{TZ: sh}
	// 23:59:30 and 00:00:30 Shanghai time, one minute apart across local midnight.
	before := time.Date(2026, 11, 23, 23, 59, 30, 0, sh)
	after := before.Add(time.Minute)
	f := func(js string, a, b time.Time, same bool) {
		t.Helper()
		ka, err := KeyFor(1, cal, spec(t, js), a)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := KeyFor(1, cal, spec(t, js), b)
		if (ka == kb) != same {
			t.Fatalf("%s at %v and %v: same key %v, want %v", js, a, b, ka == kb, same)
		}
	}
	f(relative, before, before.Add(-time.Hour), true) // same local day
	f(relative, before, after, false)                 // local midnight
	f(`{"kind":"trends","series":[{"event":"x"}],"date_range":{"from":"2026-01-01","to":"2026-01-31"}}`, before, after.Add(48*time.Hour), true)
	f(`{"kind":"trends","series":[{"event":"x"}],"date_range":{"from":"-3h"}}`, before.Add(-20*time.Second), before.Add(-10*time.Second), true) // same minute
	f(`{"kind":"trends","series":[{"event":"x"}],"date_range":{"from":"-3h"}}`, before, before.Add(time.Minute), false)
	f(`{"kind":"trends","series":[{"event":"x"}],"interval":"hour","date_range":{"from":"-1d","to":"now"}}`, before.Add(-time.Hour), before, false)
	// The project, its zone and the spec are part of the key.
	k1, _ := KeyFor(1, cal, spec(t, relative), before)
	k2, _ := KeyFor(2, cal, spec(t, relative), before)
	k3, _ := KeyFor(1, query.Calendar{TZ: time.UTC}, spec(t, relative), before)
	k4, _ := KeyFor(1, cal, spec(t, strings.Replace(relative, "Order Completed", "Order Refunded", 1)), before)
	if k1 == k2 || k1 == k3 || k1 == k4 {
		t.Fatalf("keys collide: %+v %+v %+v %+v", k1, k2, k3, k4)
	}
	// Key order in the JSON does not matter: the spec is re-encoded.
	k5, _ := KeyFor(1, cal, spec(t, `{"date_range":{"to":"today","from":"-6d"},"series":[{"event":"Order Completed"}],"kind":"trends"}`), before)
	if k1 != k5 {
		t.Fatalf("reordered JSON: %+v vs %+v", k1, k5)
	}
	var qe *query.Error
	if _, err := KeyFor(1, cal, &query.Spec{Kind: "trends", DateRange: query.DateRange{From: "yesterday"}}, before); !errors.As(err, &qe) {
		t.Fatalf("bad range: %v", err)
	}
}

func TestGenerationAndAge(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	c := New(Options{MaxAge: time.Hour, Now: ck.now})
	ctx := context.Background()
	k := Key{Project: 1, Spec: "s"}
	n := 0
	compute := func(context.Context) (json.RawMessage, error) {
		n++
		return json.RawMessage(fmt.Sprint(n)), nil
	}
	f := func(gen uint64, refresh bool, want string, wantCached bool) {
		t.Helper()
		e, cached, err := c.Do(ctx, k, gen, refresh, compute)
		if err != nil || string(e.Value) != want || cached != wantCached {
			t.Fatalf("gen %d refresh %v: %s cached %v %v, want %s cached %v", gen, refresh, e.Value, cached, err, want, wantCached)
		}
	}
	f(0, false, "1", false)
	f(0, false, "1", true)
	ck.add(30 * time.Minute)
	f(0, false, "1", true)
	f(1, false, "2", false) // new data
	f(1, false, "2", true)
	f(0, false, "2", true) // a request that read the generation before the write gets the fresher result
	f(1, true, "3", false) // refresh
	f(1, false, "3", true)
	c.Put(k, 0, Entry{Value: json.RawMessage("old"), ComputedAt: ck.now()}) // a slow computation of an earlier generation
	f(1, false, "3", true)
	ck.add(61 * time.Minute)
	f(1, false, "4", false) // too old
	if s := c.Stats(); s.Hits != 6 || s.Misses != 4 || s.Stale != 2 || s.Entries != 1 {
		t.Fatalf("stats %+v", s)
	}
	// Errors are returned and not kept.
	boom := errors.New("boom")
	if _, _, err := c.Do(ctx, Key{Spec: "e"}, 0, false, func(context.Context) (json.RawMessage, error) { return nil, boom }); err != boom {
		t.Fatalf("error: %v", err)
	}
	if _, ok := c.Get(Key{Spec: "e"}, 0); ok {
		t.Fatal("an error was cached")
	}
}

func TestEviction(t *testing.T) {
	c := New(Options{MaxEntries: 3, MaxBytes: 4000})
	put := func(name string, size int) {
		c.Put(Key{Spec: name}, 0, Entry{Value: json.RawMessage(strings.Repeat("1", size)), ComputedAt: time.Now()})
	}
	has := func(names ...string) string {
		var got []string
		for _, n := range names {
			if _, ok := c.Get(Key{Spec: n}, 0); ok {
				got = append(got, n)
			}
		}
		return strings.Join(got, ",")
	}
	put("a", 10)
	put("b", 10)
	put("c", 10)
	has("a") // a is now the most recently used
	put("d", 10)
	if got := has("a", "b", "c", "d"); got != "a,c,d" {
		t.Fatalf("by entries: %s", got)
	}
	put("big", 800)
	put("big2", 800)
	put("big3", 800) // with the small ones over 3 entries and near 4000 bytes: the others must go
	if s := c.Stats(); s.Bytes > 4000 || s.Entries > 3 {
		t.Fatalf("over the bounds: %+v", s)
	}
	if got := has("big3"); got != "big3" {
		t.Fatalf("the newest entry was evicted: %q", got)
	}
	put("huge", 2000) // over a quarter of MaxBytes: not kept
	if got := has("huge"); got != "" {
		t.Fatal("kept an entry larger than a quarter of the cache")
	}
	if s := c.Stats(); s.Evictions < 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSingleflight(t *testing.T) {
	c := New(Options{})
	var runs atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) (json.RawMessage, error) {
		runs.Add(1)
		<-release
		return json.RawMessage(`"r"`), nil
	}
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, _, err := c.Do(context.Background(), Key{Spec: "s"}, 7, false, fn)
			if err == nil {
				got[i] = string(e.Value)
			}
		}()
	}
	for c.Stats().Shared < 7 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if runs.Load() != 1 || strings.Join(got, "") != strings.Repeat(`"r"`, 8) {
		t.Fatalf("%d runs, answers %v", runs.Load(), got)
	}
	// A waiter whose leader is cancelled computes on its own.
	lctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go c.Do(lctx, Key{Spec: "t"}, 0, false, func(ctx context.Context) (json.RawMessage, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	<-started
	done := make(chan string)
	go func() {
		e, _, err := c.Do(context.Background(), Key{Spec: "t"}, 0, false, func(context.Context) (json.RawMessage, error) { return json.RawMessage(`2`), nil })
		done <- fmt.Sprintf("%s %v", e.Value, err)
	}()
	for c.Stats().Shared < 8 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if got := <-done; got != "2 <nil>" {
		t.Fatalf("waiter after a cancelled leader: %s", got)
	}
}

// TestPanicEndsTheFlight: a computation that panics must not leave later identical
// requests waiting for it.
func TestPanicEndsTheFlight(t *testing.T) {
	c := New(Options{})
	k := Key{Project: 1, Spec: `{"kind":"trends"}`}
	func() {
		defer func() { recover() }()
		c.Do(context.Background(), k, 1, false, func(context.Context) (json.RawMessage, error) { panic("boom") })
	}()
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Do(context.Background(), k, 1, false, func(context.Context) (json.RawMessage, error) { return json.RawMessage(`1`), nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request after a panic waits for the dead flight")
	}
}
