// Package live owns the real-time side of the data: a hub that receives every batch the
// loader wrote and fans it out, per project and filter, to subscribers (the console's live
// event stream, `jingyun events tail`), and the last-30-minutes summary of the overview's
// real-time panel, read from the event store.
//
// The hub never blocks the loader: each subscriber has a bounded buffer, and events that do
// not fit are dropped and counted, so a slow client loses events (and is told how many)
// instead of holding up the writes. The hub keeps the latest events of every project in a
// small ring, so that a new subscriber sees recent events at once.
//
// The package must not write to any store, parse HTTP or print SQL from user input: the
// summary's SQL is fixed text with bound parameters, in the two dialects of package store.
package live

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
)

// Defaults of Config.
const (
	DefaultRing   = 200
	DefaultBuffer = 1024
)

// Config sizes the hub. Zero values take the defaults.
type Config struct {
	// Ring is how many of the latest events of each project are kept for new subscribers
	// (default DefaultRing).
	Ring int
	// Buffer is how many events may wait for one subscriber before further events to it are
	// dropped (default DefaultBuffer).
	Buffer int
	// MaxAge is how old an event's time may be, when it is loaded, for the hub to publish it
	// (default DefaultMaxAge; negative: no limit). Older events are history being filled in
	// (an import, the demo shop's past), not what users are doing now: they are not streamed,
	// not numbered and not kept in the ring. An SDK's offline queue sent within MaxAge still
	// shows.
	MaxAge time.Duration
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// DefaultMaxAge is the default Config.MaxAge.
const DefaultMaxAge = 24 * time.Hour

// Event is one loaded event as subscribers see it. It is immutable once published and
// shared between subscribers: do not modify it.
type Event struct {
	// Seq numbers the events of a project in the order the hub received them, from 1 in
	// each process (see Hub.Epoch).
	Seq         uint64          `json:"seq"`
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Event       string          `json:"event"`
	Timestamp   int64           `json:"timestamp"` // ms UTC, skew-corrected event time
	Time        string          `json:"time"`      // the same in RFC 3339 with milliseconds
	ReceivedAt  int64           `json:"received_at"`
	DistinctID  string          `json:"distinct_id"`
	AnonymousID string          `json:"anonymous_id,omitempty"`
	UserID      string          `json:"user_id,omitempty"`
	PersonID    int64           `json:"person_id"`
	Properties  json.RawMessage `json:"properties"`
	Context     json.RawMessage `json:"context,omitempty"`
	Traits      json.RawMessage `json:"traits,omitempty"`
}

// Filter selects events. Zero fields match everything; set fields must all match.
type Filter struct {
	// Events matches any of these event names.
	Events []string
	// DistinctID matches the event's distinct, anonymous or user id; with PersonID also set,
	// an event of that person matches too (another device of the same person).
	DistinctID string
	// PersonID matches the person the loader resolved (0: any).
	PersonID int64
	// Type matches the Segment message type (track, page, screen, identify, alias, group).
	Type string
}

func (f *Filter) match(r *store.Row) bool {
	if len(f.Events) > 0 && !slices.Contains(f.Events, r.Name) {
		return false
	}
	if f.Type != "" && string(r.Type) != f.Type {
		return false
	}
	if f.DistinctID != "" {
		byID := r.AnonymousID == f.DistinctID || r.UserID == f.DistinctID
		if !byID && (f.PersonID == 0 || r.PersonID != f.PersonID) {
			return false
		}
	} else if f.PersonID != 0 && r.PersonID != f.PersonID {
		return false
	}
	return true
}

func (f *Filter) matchEvent(e *Event) bool {
	r := store.Row{Event: event.Event{Name: e.Event, Type: event.Type(e.Type), AnonymousID: e.AnonymousID, UserID: e.UserID},
		PersonID: e.PersonID}
	return f.match(&r)
}

// Hub fans loaded events out to subscribers. Its methods are safe for concurrent use.
type Hub struct {
	cfg   Config
	epoch int64

	mu       sync.RWMutex
	closed   bool
	projects map[uint32]*project
	warmed   map[uint32]bool // projects whose ring Warm has filled (or is filling)
}

type project struct {
	seq  uint64
	ring []*Event // the latest events, oldest first, at most cfg.Ring
	subs map[*Subscription]struct{}
}

// New returns a hub. Register its Publish with the loader's Observe.
func New(cfg Config) *Hub {
	if cfg.Ring <= 0 {
		cfg.Ring = DefaultRing
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{cfg: cfg, epoch: time.Now().UnixMilli(), projects: map[uint32]*project{}, warmed: map[uint32]bool{}}
}

// Epoch identifies this hub's numbering of events (the time it started, in ms): sequence
// numbers of another epoch (an earlier process) cannot be compared with this one's.
func (h *Hub) Epoch() int64 { return h.epoch }

// Seq is the Seq of the project's latest published event (0: none yet in this process).
// The loader publishes a batch after the store committed it, so every event up to Seq is
// in the store: a reader that notes Seq before it queries the store can tell the streamed
// events its answer already counts (Seq ≤ the noted one) from later ones.
func (h *Hub) Seq(project uint32) uint64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if p := h.projects[project]; p != nil {
		return p.seq
	}
	return 0
}

// RingSize is the most events a backlog can hold.
func (h *Hub) RingSize() int { return h.cfg.Ring }

// Publish takes a batch the store accepted. It never blocks on subscribers: events that do
// not fit in a subscriber's buffer are dropped and counted there. It keeps no reference to
// rows (what it keeps is copied). Safe to call from the loader's goroutine.
func (h *Hub) Publish(rows []store.Row) {
	rows = h.recent(rows)
	if len(rows) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	// Rows of one project come in runs; handle each run at once.
	for start := 0; start < len(rows); {
		pid := rows[start].ProjectID
		end := start + 1
		for end < len(rows) && rows[end].ProjectID == pid {
			end++
		}
		h.publishRun(pid, rows[start:end])
		start = end
	}
}

// cutoff is the earliest event time (ms UTC) the hub publishes now; math.MinInt64 without a
// limit.
func (h *Hub) cutoff() int64 {
	if h.cfg.MaxAge < 0 {
		return math.MinInt64
	}
	return h.cfg.Now().Add(-h.cfg.MaxAge).UnixMilli()
}

// recent returns the rows whose event time is within MaxAge: rows itself when all are, a
// copy of the headers otherwise (the hub must not modify the loader's rows).
func (h *Hub) recent(rows []store.Row) []store.Row {
	min := h.cutoff()
	old := 0
	for i := range rows {
		if rows[i].Time < min {
			old++
		}
	}
	if old == 0 {
		return rows
	}
	out := make([]store.Row, 0, len(rows)-old)
	for i := range rows {
		if rows[i].Time >= min {
			out = append(out, rows[i])
		}
	}
	return out
}

func (h *Hub) publishRun(pid uint32, rows []store.Row) {
	p := h.projects[pid]
	if p == nil {
		p = &project{subs: map[*Subscription]struct{}{}}
		h.projects[pid] = p
	}
	first := p.seq + 1
	p.seq += uint64(len(rows))
	// A huge batch (an import) keeps only its tail in the ring.
	keepFrom := max(0, len(rows)-h.cfg.Ring)
	for i := range rows {
		var ev *Event
		for s := range p.subs {
			if !s.filter.match(&rows[i]) {
				continue
			}
			if len(s.c) == cap(s.c) {
				s.dropped.Add(1) // full: do not even build the event (an import's burst)
				continue
			}
			if ev == nil {
				ev = newEvent(&rows[i], first+uint64(i))
			}
			s.offer(ev)
		}
		if i >= keepFrom {
			if ev == nil {
				ev = newEvent(&rows[i], first+uint64(i))
			}
			if len(p.ring) == h.cfg.Ring {
				copy(p.ring, p.ring[1:])
				p.ring[len(p.ring)-1] = ev
			} else {
				p.ring = append(p.ring, ev)
			}
		}
	}
}

func newEvent(r *store.Row, seq uint64) *Event {
	props := clone(r.Properties)
	if len(props) == 0 {
		props = json.RawMessage("{}")
	}
	return &Event{Seq: seq, ID: r.ID, Type: string(r.Type), Event: r.Name, Timestamp: r.Time,
		Time: time.UnixMilli(r.Time).UTC().Format("2006-01-02T15:04:05.000Z07:00"), ReceivedAt: r.ReceivedAt,
		DistinctID: r.DistinctID(), AnonymousID: r.AnonymousID, UserID: r.UserID, PersonID: r.PersonID,
		Properties: props, Context: clone(r.Context), Traits: clone(r.Traits)}
}

// clone copies a JSON value the hub keeps, leaving out empty ones (nil, null, {}).
func clone(b json.RawMessage) json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte("{}")) {
		return nil
	}
	return bytes.Clone(b)
}

// Subscribe starts a subscription to the events of a project that match f. The
// subscription first holds the backlog: up to backlog of the latest matching events in the
// ring (at most RingSize) whose Seq is after since (0: all). The caller must call Close
// when done. On a closed hub the subscription is already done.
func (h *Hub) Subscribe(projectID uint32, f Filter, backlog int, since uint64) *Subscription {
	s, _ := h.TrySubscribe(projectID, f, backlog, since, 0)
	return s
}

// TrySubscribe is Subscribe when the project has fewer than limit subscriptions (no limit
// when limit <= 0); otherwise it subscribes nothing and returns ok false. The count and the
// subscription are one step, so concurrent callers cannot overshoot the limit.
func (h *Hub) TrySubscribe(projectID uint32, f Filter, backlog int, since uint64, limit int) (sub *Subscription, ok bool) {
	s := &Subscription{filter: f, c: make(chan *Event, h.cfg.Buffer+h.cfg.Ring), done: make(chan struct{}), hub: h, project: projectID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.done)
		return s, true
	}
	p := h.projects[projectID]
	if p == nil {
		p = &project{subs: map[*Subscription]struct{}{}}
		h.projects[projectID] = p
	}
	if limit > 0 && len(p.subs) >= limit {
		return nil, false
	}
	var back []*Event
	for i := len(p.ring) - 1; i >= 0 && len(back) < backlog; i-- {
		e := p.ring[i]
		if e.Seq <= since {
			break
		}
		if f.matchEvent(e) {
			back = append(back, e)
		}
	}
	for i := len(back) - 1; i >= 0; i-- {
		s.c <- back[i] // room: the channel is larger than the ring
	}
	s.backlog = len(back)
	p.subs[s] = struct{}{}
	return s, true
}

// Close ends every subscription (their Done channels close) and stops taking batches.
// It is safe to call more than once.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	for _, p := range h.projects {
		for s := range p.subs {
			close(s.done)
		}
		p.subs = nil
	}
	return nil
}

// Subscribers returns the number of open subscriptions of a project.
func (h *Hub) Subscribers(projectID uint32) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if p := h.projects[projectID]; p != nil {
		return len(p.subs)
	}
	return 0
}

// Subscription is one subscriber's queue. Read events from C until Done closes; one
// goroutine should read it. Its methods are safe for concurrent use.
type Subscription struct {
	hub     *Hub
	project uint32
	filter  Filter
	c       chan *Event
	done    chan struct{}
	once    sync.Once
	backlog int
	dropped atomic.Int64
}

// offer queues e without blocking; the hub's lock is held.
func (s *Subscription) offer(e *Event) {
	select {
	case s.c <- e:
	default:
		s.dropped.Add(1)
	}
}

// C delivers the backlog, then matching events in load order. It is never closed: select
// on Done as well.
func (s *Subscription) C() <-chan *Event { return s.c }

// Done is closed when the subscription ends: Close was called, or the hub closed.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Backlog is the number of events queued at subscription from the ring.
func (s *Subscription) Backlog() int { return s.backlog }

// Dropped is the number of matching events dropped so far because the buffer was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		if p := h.projects[s.project]; p != nil && p.subs != nil {
			if _, ok := p.subs[s]; ok {
				delete(p.subs, s)
				close(s.done)
			}
		}
	})
}
