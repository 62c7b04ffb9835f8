// Package loader moves events into the event store: from the WAL for collected events, and
// directly for bulk writers (import, demo). It owns person resolution (through package
// identity), messageId deduplication and the batching of store writes, and it is the only
// writer of the event store. It does not parse HTTP or print SQL.
//
// Exactly once: a WAL batch is applied together with the WAL position it ends at (in one
// transaction on DuckDB, deduplicated by event id on ClickHouse). At start-up the loader
// resumes from the stored position, so after a crash at any moment every acknowledged event
// is stored once. Segments are truncated only after the position past them is stored.
package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/identity"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/wal"
)

// Stream is the checkpoint name of the local WAL.
const Stream = "wal"

// Config tunes the loader. Zero values take the defaults.
type Config struct {
	// BatchEvents is the most events applied in one store write (default 50,000).
	BatchEvents int
	// DedupeWindow is how far back messageIds are remembered after a restart (default 24h);
	// within a run the last DedupeMax ids are remembered (default 2,000,000 per generation).
	DedupeWindow time.Duration
	DedupeMax    int
}

func (c *Config) defaults() {
	if c.BatchEvents <= 0 {
		c.BatchEvents = 50_000
	}
	if c.DedupeWindow <= 0 {
		c.DedupeWindow = 24 * time.Hour
	}
	if c.DedupeMax <= 0 {
		c.DedupeMax = 2_000_000
	}
}

// Stats are the loader's counters since start.
type Stats struct {
	Events     int64 `json:"events"`
	Duplicates int64 `json:"duplicates"`
	Batches    int64 `json:"batches"`
	Persons    int   `json:"distinct_ids"`
	// LastApply is the duration of the last store write.
	LastApplyMs int64 `json:"last_apply_ms"`
	// Position is the WAL position stored with the last batch.
	Segment int64 `json:"wal_segment"`
	Offset  int64 `json:"wal_offset"`
}

// Loader resolves persons and writes batches. Its methods are safe for concurrent use;
// writes are serialised.
type Loader struct {
	st  store.EventStore
	cfg Config
	log *slog.Logger

	mu     sync.Mutex // guards res, seen and the store writes
	res    *identity.Resolver
	seen   *dedupe
	pos    store.Position
	events atomic.Int64
	dups   atomic.Int64
	nbatch atomic.Int64
	lastMs atomic.Int64
	// drained is the WAL's durable end at the last time the loader had applied all of it.
	drained atomic.Pointer[wal.Position]

	obsMu     sync.RWMutex
	observers []func(rows []store.Row)
	gens      sync.Map // uint32 project → *atomic.Uint64
}

// Observe registers fn to be called after every batch the store accepted, with the rows
// written (persons resolved), in load order. fn runs on the loader's goroutine while
// writes are held: it must not block or call back into the loader, and must not modify
// the rows (it may keep them).
func (l *Loader) Observe(fn func(rows []store.Row)) {
	l.obsMu.Lock()
	l.observers = append(l.observers, fn)
	l.obsMu.Unlock()
}

// Generation returns a counter of a project's data changes: it grows whenever events of
// the project are written or one of its persons is deleted, so a result computed at
// generation g is current while Generation still returns g. It starts at 0 per process.
func (l *Loader) Generation(project uint32) uint64 {
	if v, ok := l.gens.Load(project); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

func (l *Loader) bump(project uint32) {
	v, ok := l.gens.Load(project)
	if !ok {
		v, _ = l.gens.LoadOrStore(project, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
}

// applied bumps the generations of the projects in rows and tells the observers.
func (l *Loader) applied(rows []store.Row) {
	var last uint32
	for i := range rows {
		if p := rows[i].ProjectID; i == 0 || p != last {
			l.bump(p)
			last = p
		}
	}
	l.obsMu.RLock()
	obs := l.observers
	l.obsMu.RUnlock()
	for _, fn := range obs {
		fn(rows)
	}
}

// CaughtUp reports whether every record durable in w is applied to the store.
func (l *Loader) CaughtUp(w *wal.WAL) bool {
	d := l.drained.Load()
	return d != nil && *d == w.DurableEnd()
}

// New rebuilds the identity map and the dedupe window from the store.
func New(ctx context.Context, st store.EventStore, cfg Config, log *slog.Logger) (*Loader, error) {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	l := &Loader{st: st, cfg: cfg, log: log, seen: newDedupe(cfg.DedupeMax)}
	if err := l.rebuild(ctx); err != nil {
		return nil, err
	}
	since := time.Now().Add(-cfg.DedupeWindow).UnixMilli()
	err := st.RecentEventIDs(ctx, since, func(p uint32, id string) error {
		l.seen.add(p, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot rebuild dedupe window: %w", err)
	}
	if l.pos, err = st.Checkpoint(ctx, Stream); err != nil {
		return nil, err
	}
	return l, nil
}

// Stats returns the counters.
func (l *Loader) Stats() Stats {
	l.mu.Lock()
	n := l.res.Len()
	pos := l.pos
	l.mu.Unlock()
	return Stats{Events: l.events.Load(), Duplicates: l.dups.Load(), Batches: l.nbatch.Load(), Persons: n,
		LastApplyMs: l.lastMs.Load(), Segment: pos.Segment, Offset: pos.Offset}
}

// Person returns the current person of a distinct id (0 if unknown).
func (l *Loader) Person(project uint32, distinctID string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res.Person(project, distinctID)
}

// RunWAL applies the WAL from the stored checkpoint on, waits for more, and returns when
// ctx ends (after applying what it had read) or on a store error it cannot get past.
func (l *Loader) RunWAL(ctx context.Context, w *wal.WAL) error {
	r, err := w.NewReader(wal.Position{Segment: l.pos.Segment, Offset: l.pos.Offset})
	if err != nil {
		return fmt.Errorf("cannot open wal reader: %w", err)
	}
	defer r.Close()
	var payloads [][]byte
	var events []event.Event
	var end wal.Position
	for {
		durable := w.DurableEnd()
		payload, pos, err := r.Next()
		if err == nil {
			events, err = event.DecodeBatch(events, payload)
			if err != nil {
				// A record that passed its CRC but does not decode is a bug, not a torn tail.
				return fmt.Errorf("BUG: cannot decode wal record ending at %v: %w", pos, err)
			}
			payloads = append(payloads, payload)
			end = pos
			if len(events) < l.cfg.BatchEvents {
				continue
			}
		} else if !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read wal: %w", err)
		}
		if len(payloads) > 0 {
			if err := l.applyWithRetry(ctx, events, store.Position{Segment: end.Segment, Offset: end.Offset}); err != nil {
				return err
			}
			if _, err := w.TruncateBefore(end); err != nil {
				l.log.Warn("cannot truncate wal", "err", err)
			}
			payloads, events = payloads[:0], events[:0]
			continue
		}
		// Everything durable before this Next is applied.
		l.drained.Store(&durable)
		select {
		case <-ctx.Done():
			return nil
		case <-w.Notify():
		case <-time.After(time.Second):
		}
	}
}

func (l *Loader) applyWithRetry(ctx context.Context, events []event.Event, pos store.Position) error {
	backoff := 100 * time.Millisecond
	for {
		err := l.apply(ctx, events, Stream, pos)
		if err == nil {
			return nil
		}
		l.log.Error("cannot apply wal batch; retrying", "err", err, "events", len(events), "backoff", backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot apply wal batch before shutdown: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// apply resolves and writes one batch. When the store write fails the identity map is
// rebuilt from the store, so that a retry resolves the same events again from a clean state.
func (l *Loader) apply(ctx context.Context, events []event.Event, stream string, pos store.Position) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &store.Batch{Stream: stream, Position: pos, Events: make([]store.Row, 0, len(events))}
	var f identity.Facts
	var added []dedupKey
	for i := range events {
		e := &events[i]
		k := makeKey(e.ProjectID, e.ID)
		if l.seen.has(k) {
			l.dups.Add(1)
			continue
		}
		l.seen.addKey(k)
		added = append(added, k)
		var person int64
		if e.Type == event.TypeAlias {
			person = l.res.Alias(&f, e.ProjectID, e.PreviousID, e.DistinctID(), e.Time)
		} else {
			person = l.res.Resolve(&f, e.ProjectID, e.AnonymousID, e.UserID, e.Time)
		}
		if u, ok := traitUpdate(e, person); ok {
			f.Persons = append(f.Persons, u)
		}
		b.Events = append(b.Events, store.Row{Event: *e, PersonID: person})
	}
	b.Identities, b.Overrides, b.Persons = f.Identities, f.Overrides, f.Persons
	start := time.Now()
	if err := l.st.Apply(ctx, b); err != nil {
		for _, k := range added {
			l.seen.remove(k)
		}
		if rerr := l.rebuild(context.Background()); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	l.lastMs.Store(time.Since(start).Milliseconds())
	if len(b.Events) > 0 {
		l.applied(b.Events)
	}
	l.events.Add(int64(len(b.Events)))
	l.nbatch.Add(1)
	if stream != "" {
		l.pos = pos
	}
	return nil
}

// rebuild loads the identity map from the store: at start-up, and after a failed write.
func (l *Loader) rebuild(ctx context.Context) error {
	maxP, err := l.st.MaxPersonID(ctx)
	if err != nil {
		return err
	}
	res := identity.New(maxP)
	err = l.st.Identities(ctx, func(id *store.Identity, o *store.Override) error {
		if id != nil {
			res.LoadIdentity(*id)
		} else {
			res.LoadOverride(*o)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot rebuild identity map: %w", err)
	}
	l.res = res
	return nil
}

// traitUpdate extracts person trait changes: identify traits (and $set / $set_once /
// $unset inside them), and PostHog-style $set / $set_once objects in track properties.
func traitUpdate(e *event.Event, person int64) (store.PersonUpdate, bool) {
	u := store.PersonUpdate{ProjectID: e.ProjectID, PersonID: person}
	found := false
	if e.Type == event.TypeIdentify && len(e.Traits) > 2 {
		var m map[string]json.RawMessage
		if json.Unmarshal(e.Traits, &m) == nil {
			for k, v := range m {
				switch k {
				case "$set_once":
					found = mergeObject(&u.SetOnce, v) || found
				case "$set":
					found = mergeObject(&u.Set, v) || found
				case "$unset":
					var names []string
					if json.Unmarshal(v, &names) == nil {
						u.Unset = append(u.Unset, names...)
						found = found || len(names) > 0
					}
				default:
					if u.Set == nil {
						u.Set = map[string]json.RawMessage{}
					}
					u.Set[k] = v
					found = true
				}
			}
		}
	}
	if len(e.Properties) > 0 && bytes.Contains(e.Properties, []byte(`"$set`)) {
		var m struct {
			Set     json.RawMessage `json:"$set"`
			SetOnce json.RawMessage `json:"$set_once"`
		}
		if json.Unmarshal(e.Properties, &m) == nil {
			found = mergeObject(&u.Set, m.Set) || found
			found = mergeObject(&u.SetOnce, m.SetOnce) || found
		}
	}
	return u, found
}

func mergeObject(dst *map[string]json.RawMessage, v json.RawMessage) bool {
	if len(v) == 0 {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil || len(m) == 0 {
		return false
	}
	if *dst == nil {
		*dst = map[string]json.RawMessage{}
	}
	for k, x := range m {
		(*dst)[k] = x
	}
	return true
}

// Sink returns a sink that resolves and applies events directly, bypassing the WAL: for
// bulk writers (import, demo) that can repeat their work if interrupted. Write returns once
// the events are in the store.
func (l *Loader) Sink() event.Sink { return directSink{l} }

type directSink struct{ l *Loader }

func (d directSink) Write(ctx context.Context, events []event.Event) error {
	for len(events) > 0 {
		// Bulk writers hand over large batches; one transaction per 200k events keeps the
		// per-commit cost (DuckDB's own WAL flush) small without holding the lock for long.
		n := min(len(events), max(d.l.cfg.BatchEvents, 200_000))
		if err := d.l.apply(ctx, events[:n], "", store.Position{}); err != nil {
			return fmt.Errorf("cannot load events: %w", err)
		}
		events = events[n:]
	}
	return nil
}

// Compact asks the store to rewrite its events in time order (store.Compactor) while
// holding back the loader's writes; stores that keep that order themselves do nothing.
// Call it after a bulk load (the demo shop, an import of history).
func (l *Loader) Compact(ctx context.Context) error {
	c, ok := l.st.(store.Compactor)
	if !ok {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return c.Compact(ctx)
}

// DeletePerson deletes the person a distinct id belongs to from the store and the identity
// map. It returns store's report; the distinct id unknown gives ok false.
func (l *Loader) DeletePerson(ctx context.Context, project uint32, distinctID string) (rep store.DeleteReport, ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.res.Person(project, distinctID)
	if p == 0 {
		return rep, false, nil
	}
	rep, err = l.st.DeletePerson(ctx, project, p)
	l.bump(project)
	if err != nil {
		return rep, true, err
	}
	l.res.Forget(project, p)
	return rep, true, nil
}

// DeletePersonID deletes a person by id (see DeletePerson).
func (l *Loader) DeletePersonID(ctx context.Context, project uint32, person int64) (store.DeleteReport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rep, err := l.st.DeletePerson(ctx, project, person)
	l.bump(project)
	if err != nil {
		return rep, err
	}
	l.res.Forget(project, person)
	return rep, nil
}

// dedupe remembers recent (project, messageId) keys in two generations: when the current
// one is full it becomes the previous one, so between max and 2·max recent ids are known.
type dedupe struct {
	max       int
	cur, prev map[dedupKey]struct{}
}

type dedupKey string

func makeKey(p uint32, id string) dedupKey {
	return dedupKey(string([]byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), byte(p)}) + id)
}

func newDedupe(max int) *dedupe {
	return &dedupe{max: max, cur: map[dedupKey]struct{}{}, prev: map[dedupKey]struct{}{}}
}

func (d *dedupe) has(k dedupKey) bool {
	if _, ok := d.cur[k]; ok {
		return true
	}
	_, ok := d.prev[k]
	return ok
}

func (d *dedupe) add(p uint32, id string) { d.addKey(makeKey(p, id)) }

func (d *dedupe) addKey(k dedupKey) {
	if len(d.cur) >= d.max {
		d.prev, d.cur = d.cur, make(map[dedupKey]struct{}, d.max)
	}
	d.cur[k] = struct{}{}
}

func (d *dedupe) remove(k dedupKey) {
	delete(d.cur, k)
	delete(d.prev, k)
}
