// Package resultcache keeps recent analysis results in memory so that dashboards and
// repeated queries do not rerun the same SQL. It owns only the cache: an LRU bounded by
// entries and bytes, keyed by what determines a result (project, time zone, canonical spec
// and the resolved time range), each entry valid while its project's data generation is
// unchanged. It does not compute results, read stores or know about HTTP; the caller passes
// the generation (loader.Loader.Generation, read before computing) and a compute function.
//
// Why the resolved range is in the key: relative ranges ("-6d" … "today") move with the
// project's calendar, so their results change at local midnight even without new data. The
// key holds the range resolved at the current minute (see KeyFor): a day-relative range
// keeps its key all day and gets a new one at midnight; a range ending "now" or starting
// "-3h" gets a new key every minute; an absolute range keeps its key until evicted. Data
// written after a result was computed bumps the generation and makes the entry stale.
//
// What the generation cannot see (events written by another process into a shared
// ClickHouse, or future-dated events sliding into a "now" range) is bounded by MaxAge.
package resultcache

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jingyun/jingyun/query"
)

// Options bound the cache. Zero values take the defaults.
type Options struct {
	// MaxEntries is the most results kept (default 1000).
	MaxEntries int
	// MaxBytes bounds the summed size of the kept results' JSON (default 64 MiB). A result
	// larger than a quarter of it is returned but not kept.
	MaxBytes int64
	// MaxAge is how long a result may be served at all (default 1 hour; negative: no limit).
	MaxAge time.Duration
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 1000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxAge == 0 {
		o.MaxAge = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Key identifies a result: two requests with equal keys at the same generation have the
// same answer. Build it with KeyFor.
type Key struct {
	Project uint32
	TZ      string // the project's IANA zone name
	Spec    string // canonical JSON of the validated spec
	From    int64  // the range resolved at the key's minute, ms UTC
	To      int64
}

// KeyFor returns the key of spec in a project and calendar at the instant now. The range is
// resolved at now truncated to the minute, so requests within a minute share a key. Range
// errors are *query.Error, as the compiler would return them.
func KeyFor(project uint32, cal query.Calendar, spec *query.Spec, now time.Time) (Key, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return Key{}, fmt.Errorf("cannot encode spec: %w", err)
	}
	r, err := cal.Range(spec.DateRange, now.Truncate(time.Minute))
	if err != nil {
		return Key{}, err
	}
	tz := "UTC"
	if cal.TZ != nil {
		tz = cal.TZ.String()
	}
	return Key{Project: project, TZ: tz, Spec: string(b), From: r.From, To: r.To}, nil
}

// Entry is a computed result.
type Entry struct {
	// Value is the result as JSON; callers must not modify it.
	Value json.RawMessage
	// ComputedAt is when the computation started (its data is at least this recent).
	ComputedAt time.Time
	// Took is how long the computation took.
	Took time.Duration
}

// Stats are counters since the cache was made.
type Stats struct {
	Entries   int   `json:"entries"`
	Bytes     int64 `json:"bytes"`
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Shared    int64 `json:"shared"` // requests that waited for an identical computation
	Evictions int64 `json:"evictions"`
	Stale     int64 `json:"stale"` // entries dropped because their generation or age was past
}

type item struct {
	key   Key
	gen   uint64
	entry Entry
	size  int64
}

type call struct {
	done  chan struct{}
	entry Entry
	err   error
}

type flightKey struct {
	key Key
	gen uint64
}

// Cache is an LRU of results. It is safe for concurrent use.
type Cache struct {
	o Options

	mu      sync.Mutex
	ll      *list.List // front: most recently used; values are *item
	items   map[Key]*list.Element
	flights map[flightKey]*call
	st      Stats
}

// New returns an empty cache.
func New(o Options) *Cache {
	o.defaults()
	return &Cache{o: o, ll: list.New(), items: map[Key]*list.Element{}, flights: map[flightKey]*call{}}
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	s.Entries = c.ll.Len()
	return s
}

// Get returns the entry of k if it was computed at generation gen (or later) and is within
// MaxAge.
// A stale entry is dropped.
func (c *Cache) Get(k Key, gen uint64) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(k, gen)
}

func (c *Cache) getLocked(k Key, gen uint64) (Entry, bool) {
	el, ok := c.items[k]
	if !ok {
		return Entry{}, false
	}
	it := el.Value.(*item)
	// An entry of a later generation than the caller read is at least as fresh: serve it.
	if it.gen < gen || (c.o.MaxAge > 0 && c.o.Now().Sub(it.entry.ComputedAt) > c.o.MaxAge) {
		c.removeLocked(el)
		c.st.Stale++
		return Entry{}, false
	}
	c.ll.MoveToFront(el)
	return it.entry, true
}

// Put stores e as the result of k at generation gen, evicting the least recently used
// entries beyond the bounds. It never replaces an entry of a later generation.
func (c *Cache) Put(k Key, gen uint64, e Entry) {
	size := int64(len(e.Value) + len(k.Spec) + 128)
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.o.MaxBytes/4 {
		return
	}
	if el, ok := c.items[k]; ok {
		if el.Value.(*item).gen > gen {
			return
		}
		c.removeLocked(el)
	}
	c.items[k] = c.ll.PushFront(&item{key: k, gen: gen, entry: e, size: size})
	c.st.Bytes += size
	for c.ll.Len() > c.o.MaxEntries || c.st.Bytes > c.o.MaxBytes {
		c.removeLocked(c.ll.Back())
		c.st.Evictions++
	}
}

func (c *Cache) removeLocked(el *list.Element) {
	it := el.Value.(*item)
	c.ll.Remove(el)
	delete(c.items, it.key)
	c.st.Bytes -= it.size
}

// Do returns the result of k at generation gen: from the cache (cached true) unless refresh
// is set, else computed by fn and stored. Identical concurrent calls (same key and
// generation) run fn once and share its answer; a waiter whose leader was cancelled
// computes again with its own context. fn's errors are returned as they are and not
// cached.
func (c *Cache) Do(ctx context.Context, k Key, gen uint64, refresh bool, fn func(ctx context.Context) (json.RawMessage, error)) (e Entry, cached bool, err error) {
	fk := flightKey{k, gen}
	for {
		c.mu.Lock()
		if !refresh {
			if e, ok := c.getLocked(k, gen); ok {
				c.st.Hits++
				c.mu.Unlock()
				return e, true, nil
			}
		}
		if cl, ok := c.flights[fk]; ok && !refresh {
			c.st.Shared++
			c.mu.Unlock()
			select {
			case <-cl.done:
			case <-ctx.Done():
				return Entry{}, false, ctx.Err()
			}
			if cl.err != nil && (errors.Is(cl.err, context.Canceled) || errors.Is(cl.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue // the leader gave up; compute for this caller
			}
			return cl.entry, false, cl.err
		}
		c.st.Misses++
		cl := &call{done: make(chan struct{})}
		lead := false
		if _, ok := c.flights[fk]; !ok {
			c.flights[fk] = cl
			lead = true
		}
		c.mu.Unlock()

		e, err := c.compute(ctx, k, gen, fn, cl, lead, fk)
		return e, false, err
	}
}

// compute runs fn for one flight. The flight is always ended, even when fn panics (the
// panic goes on to the caller; the waiters get an error and may compute again).
func (c *Cache) compute(ctx context.Context, k Key, gen uint64, fn func(context.Context) (json.RawMessage, error), cl *call, lead bool, fk flightKey) (e Entry, err error) {
	if lead {
		defer func() {
			if p := recover(); p != nil {
				cl.err = fmt.Errorf("cannot compute the result: %v", p)
				c.end(fk, cl)
				panic(p)
			}
			c.end(fk, cl)
		}()
	}
	start := c.o.Now()
	v, err := fn(ctx)
	cl.entry, cl.err = Entry{Value: v, ComputedAt: start, Took: c.o.Now().Sub(start)}, err
	if err == nil {
		c.Put(k, gen, cl.entry)
	}
	return cl.entry, err
}

// end removes a flight and releases its waiters.
func (c *Cache) end(fk flightKey, cl *call) {
	c.mu.Lock()
	delete(c.flights, fk)
	c.mu.Unlock()
	close(cl.done)
}
