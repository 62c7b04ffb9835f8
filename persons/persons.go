// Package persons is the read side of people: searching a project's persons by identifier
// or trait, a person's profile (identifiers, traits, first and last seen, orders) and their
// event timeline. It owns only the SQL for these reads and runs it through
// store.EventStore.Query, with per-dialect statements where DuckDB and ClickHouse differ
// (ClickHouse's person tables are versioned, see sql.go). Every read applies
// person_overrides: a person's events, identifiers and orders include those of the persons
// merged into it. It never writes; deleting a person is the loader's job.
//
// All values from callers are bound as parameters. Times are milliseconds since the Unix
// epoch (UTC); money is summed exactly to 1/10000 of the currency unit in Go.
package persons

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jingyun/jingyun/store"
)

// Event names read for the order summary (Segment e-commerce spec v2).
const (
	EventOrderCompleted = "Order Completed"
	EventOrderRefunded  = "Order Refunded"
	EventOrderCancelled = "Order Cancelled"
)

// Limits on page sizes; callers validate user input against them.
const (
	DefaultSearchLimit   = 20
	MaxSearchLimit       = 100
	DefaultTimelineLimit = 50
	MaxTimelineLimit     = 500
	// RecentOrders is how many orders a profile lists.
	RecentOrders = 10
	// MaxQueryLength bounds a search text, in bytes.
	MaxQueryLength = 200
	// PersonIDPrefix marks a person id given where a distinct id is expected:
	// "person:42" names person 42 when no distinct id "person:42" exists.
	PersonIDPrefix = "person:"
)

// searchScan bounds how many candidates one Search call examines, so a query that many
// persons match by a trait key (not value) still answers quickly; the cursor continues.
const searchScan = 2000

// ErrNotFound is returned by Profile and Timeline when no current person has the given
// distinct id (or person id). Merged-away and deleted persons are not found by person id;
// their distinct ids find the surviving person.
var ErrNotFound = errors.New("person not found")

// ErrBadCursor is returned for a cursor that this package did not make.
var ErrBadCursor = errors.New("invalid cursor")

// ErrBadQuery is returned by Search for a text that is not valid UTF-8 or holds a NUL
// character (no stored id or trait can match it).
var ErrBadQuery = errors.New("invalid search text")

// validText reports whether s can be compared with stored ids and traits.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// Identifier is a distinct id of a person. IsUser is true for user ids (member ids), false
// for anonymous (device) ids. Events, FirstSeen and LastSeen count the events stored under
// this distinct id (zero when none).
type Identifier struct {
	DistinctID string `json:"distinct_id"`
	IsUser     bool   `json:"is_user"`
	Events     int64  `json:"events"`
	FirstSeen  int64  `json:"first_seen,omitempty"`
	LastSeen   int64  `json:"last_seen,omitempty"`
}

// Summary is a person in search results. DistinctID is the identifier to open the profile
// with (the first user id, else the first anonymous id, else "person:<id>"); Identifiers
// lists at most five (user ids first) of IdentifierCount; Traits holds a few traits (see
// SummaryTraits). Times are ms UTC; FirstSeen and LastSeen are 0 for a person without events.
type Summary struct {
	PersonID        int64                      `json:"person_id"`
	DistinctID      string                     `json:"distinct_id"`
	Identifiers     []Identifier               `json:"identifiers"`
	IdentifierCount int                        `json:"identifier_count"`
	Traits          map[string]json.RawMessage `json:"traits"`
	CreatedAt       int64                      `json:"created_at"`
	FirstSeen       int64                      `json:"first_seen"`
	LastSeen        int64                      `json:"last_seen"`
	EventCount      int64                      `json:"event_count"`
}

// SummaryTraits are the traits a Summary shows first, when present; others fill up to
// six.
var SummaryTraits = []string{"name", "nickname", "$name", "phone", "email", "city", "province", "gender", "age_range", "member_level"}

// SearchResult is a page of search results, newest person first. NextCursor is "" on the
// last page; pass it to Search for the next one. A page may hold fewer than the limit and
// still have a next cursor (when many candidates were examined without a match).
type SearchResult struct {
	Persons    []Summary `json:"persons"`
	NextCursor string    `json:"next_cursor"`
}

// Order is one order event of a person. Total is the event's total property rounded to
// 1/10000; a missing or non-numeric total is 0 with HasTotal false. Products is the length
// of the products array.
type Order struct {
	EventID  string  `json:"event_id"`
	Event    string  `json:"event"`
	OrderID  string  `json:"order_id"`
	TS       int64   `json:"ts"`
	Total    float64 `json:"total"`
	HasTotal bool    `json:"has_total"`
	Currency string  `json:"currency,omitempty"`
	Products int     `json:"products"`
}

// Orders summarises a person's orders: Count and Total over `Order Completed` events,
// Refunds and RefundedTotal over `Order Refunded`, Cancelled over `Order Cancelled`, by
// their total property, summed exactly to 1/10000; Net is Total − RefundedTotal. Recent
// lists the latest RecentOrders order events of any of the three kinds, newest first.
type Orders struct {
	Count         int64   `json:"count"`
	Total         float64 `json:"total"`
	Refunds       int64   `json:"refunds"`
	RefundedTotal float64 `json:"refunded_total"`
	Net           float64 `json:"net"`
	Cancelled     int64   `json:"cancelled"`
	FirstOrder    int64   `json:"first_order,omitempty"`
	LastOrder     int64   `json:"last_order,omitempty"`
	Recent        []Order `json:"recent"`
}

// Profile is everything known of one person. MergedPersonIDs are the old person ids merged
// into it; Traits is the stored JSON object ($set last write wins, $set_once keeps the
// first).
type Profile struct {
	PersonID        int64           `json:"person_id"`
	DistinctID      string          `json:"distinct_id"`
	Identifiers     []Identifier    `json:"identifiers"`
	MergedPersonIDs []int64         `json:"merged_person_ids"`
	Traits          json.RawMessage `json:"traits"`
	CreatedAt       int64           `json:"created_at"`
	FirstSeen       int64           `json:"first_seen"`
	LastSeen        int64           `json:"last_seen"`
	EventCount      int64           `json:"event_count"`
	Orders          Orders          `json:"orders"`
}

// Event is one event of a timeline. Properties and Context are the stored JSON objects.
type Event struct {
	EventID     string          `json:"event_id"`
	Type        string          `json:"type"`
	Event       string          `json:"event"`
	TS          int64           `json:"ts"`
	DistinctID  string          `json:"distinct_id"`
	AnonymousID string          `json:"anonymous_id,omitempty"`
	UserID      string          `json:"user_id,omitempty"`
	Properties  json.RawMessage `json:"properties"`
	Context     json.RawMessage `json:"context"`
}

// TimelinePage is a page of a person's events, newest first. NextCursor is "" on the last
// page; pass it as before to get the next one.
type TimelinePage struct {
	PersonID   int64   `json:"person_id"`
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor"`
}

// Cursor is a place in a timeline: the page continues with events strictly before
// (TS, EventID) in (ts DESC, event_id DESC) order, so events sharing a timestamp are
// neither skipped nor repeated.
type Cursor struct {
	TS      int64
	EventID string
}

// String encodes the cursor as an opaque URL-safe token.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.TS, 10) + ":" + c.EventID))
}

// ParseCursor decodes a timeline cursor made by Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(b), ":")
	if !ok || id == "" {
		return Cursor{}, ErrBadCursor
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{TS: n, EventID: id}, nil
}

func encodePersonCursor(below int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p" + strconv.FormatInt(below, 10)))
}

func parsePersonCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'p' {
		return 0, ErrBadCursor
	}
	n, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || n <= 0 {
		return 0, ErrBadCursor
	}
	return n, nil
}

// Reader runs this package's reads on one event store. It is safe for concurrent use.
type Reader struct {
	s store.EventStore
	d dialect
}

// New returns a Reader on s, whose Name must be "duckdb" or "clickhouse".
func New(s store.EventStore) (*Reader, error) {
	switch s.Name() {
	case "duckdb":
		return &Reader{s: s}, nil
	case "clickhouse":
		return &Reader{s: s, d: dialect{ch: true}}, nil
	}
	return nil, fmt.Errorf("cannot read persons from a %q store", s.Name())
}

func (r *Reader) query(ctx context.Context, st stmt, fn func(row []any) error) error {
	if err := r.s.Query(ctx, st.sql, st.args, fn); err != nil {
		return fmt.Errorf("cannot read %s: %w", strings.ReplaceAll(st.name, "_", " "), err)
	}
	return nil
}

// person is a current person with the old ids merged into it.
type person struct {
	id   int64
	olds []int64
}

func (p person) ids() []int64 { return append([]int64{p.id}, p.olds...) }

// Resolve returns the current person id of a distinct id (applying merges), or of
// "person:<id>" when no such distinct id exists. It returns ErrNotFound when neither
// names a current person.
func (r *Reader) Resolve(ctx context.Context, project uint32, key string) (int64, error) {
	p, err := r.resolve(ctx, project, key)
	if err != nil {
		return 0, err
	}
	return p.id, nil
}

func (r *Reader) resolve(ctx context.Context, project uint32, key string) (person, error) {
	if !validText(key) {
		return person{}, ErrNotFound // the collector stores only valid UTF-8 ids
	}
	var raw int64
	err := r.query(ctx, r.d.identityPerson(project, key), func(row []any) error {
		raw = toInt(row[0])
		return nil
	})
	if err != nil {
		return person{}, err
	}
	byID := false
	if raw == 0 {
		rest, ok := strings.CutPrefix(key, PersonIDPrefix)
		if !ok {
			return person{}, ErrNotFound
		}
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n <= 0 {
			return person{}, ErrNotFound
		}
		raw, byID = n, true
	}
	ov, err := r.overrides(ctx, project, []int64{raw})
	if err != nil {
		return person{}, err
	}
	if n, ok := ov[raw]; ok {
		if byID {
			return person{}, ErrNotFound // merged away: its distinct ids lead to the survivor
		}
		raw = n
	}
	olds, err := r.merged(ctx, project, []int64{raw})
	if err != nil {
		return person{}, err
	}
	p := person{id: raw, olds: olds[raw]}
	if byID {
		// A person id exists if it has a profile or an identity.
		prof, err := r.profiles(ctx, project, []int64{raw})
		if err != nil {
			return person{}, err
		}
		if _, ok := prof[raw]; !ok {
			ids, err := r.identities(ctx, project, p.ids())
			if err != nil {
				return person{}, err
			}
			if len(ids) == 0 {
				return person{}, ErrNotFound
			}
		}
	}
	return p, nil
}

func (r *Reader) overrides(ctx context.Context, project uint32, olds []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(olds) == 0 {
		return out, nil
	}
	err := r.query(ctx, r.d.overridesOf(project, olds), func(row []any) error {
		out[toInt(row[0])] = toInt(row[1])
		return nil
	})
	return out, err
}

// merged returns, per survivor, the old ids merged into it, in ascending order.
func (r *Reader) merged(ctx context.Context, project uint32, persons []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(persons) == 0 {
		return out, nil
	}
	err := r.query(ctx, r.d.mergedInto(project, persons), func(row []any) error {
		n := toInt(row[1])
		out[n] = append(out[n], toInt(row[0]))
		return nil
	})
	for _, v := range out {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	}
	return out, err
}

type identityRow struct {
	distinctID string
	person     int64
	isUser     bool
}

func (r *Reader) identities(ctx context.Context, project uint32, ids []int64) ([]identityRow, error) {
	var out []identityRow
	if len(ids) == 0 {
		return out, nil
	}
	err := r.query(ctx, r.d.identities(project, ids), func(row []any) error {
		s, _ := row[0].(string)
		out = append(out, identityRow{s, toInt(row[1]), toInt(row[2]) != 0})
		return nil
	})
	return out, err
}

type profileRow struct {
	createdAt int64
	traits    string
}

func (r *Reader) profiles(ctx context.Context, project uint32, persons []int64) (map[int64]profileRow, error) {
	out := map[int64]profileRow{}
	if len(persons) == 0 {
		return out, nil
	}
	err := r.query(ctx, r.d.profiles(project, persons), func(row []any) error {
		s, _ := row[2].(string)
		out[toInt(row[0])] = profileRow{toInt(row[1]), s}
		return nil
	})
	return out, err
}

type statRow struct {
	person     int64
	distinctID string
	n          int64
	first      int64
	last       int64
}

func (r *Reader) stats(ctx context.Context, project uint32, ids []int64) ([]statRow, error) {
	var out []statRow
	if len(ids) == 0 {
		return out, nil
	}
	err := r.query(ctx, r.d.eventStats(project, ids), func(row []any) error {
		s, _ := row[1].(string)
		out = append(out, statRow{toInt(row[0]), s, toInt(row[2]), toInt(row[3]), toInt(row[4])})
		return nil
	})
	return out, err
}

// details loads identities, traits and event statistics of current persons.
type details struct {
	identities map[int64][]Identifier // by current person, user ids first, then by distinct id
	profiles   map[int64]profileRow
	count      map[int64]int64
	first      map[int64]int64
	last       map[int64]int64
}

func (r *Reader) details(ctx context.Context, project uint32, ps []person) (*details, error) {
	owner := map[int64]int64{}
	var all, cur []int64
	for _, p := range ps {
		cur = append(cur, p.id)
		for _, id := range p.ids() {
			owner[id] = p.id
			all = append(all, id)
		}
	}
	d := &details{identities: map[int64][]Identifier{}, count: map[int64]int64{}, first: map[int64]int64{}, last: map[int64]int64{}}
	ids, err := r.identities(ctx, project, all)
	if err != nil {
		return nil, err
	}
	if d.profiles, err = r.profiles(ctx, project, cur); err != nil {
		return nil, err
	}
	st, err := r.stats(ctx, project, all)
	if err != nil {
		return nil, err
	}
	type idKey struct {
		person int64
		id     string
	}
	perID := map[idKey]*Identifier{}
	for _, row := range ids {
		p := owner[row.person]
		d.identities[p] = append(d.identities[p], Identifier{DistinctID: row.distinctID, IsUser: row.isUser})
	}
	for p, list := range d.identities {
		for i := range list {
			perID[idKey{p, list[i].DistinctID}] = &list[i]
		}
	}
	for _, s := range st {
		p := owner[s.person]
		d.count[p] += s.n
		if f, ok := d.first[p]; !ok || s.first < f {
			d.first[p] = s.first
		}
		if s.last > d.last[p] {
			d.last[p] = s.last
		}
		if id := perID[idKey{p, s.distinctID}]; id != nil {
			id.Events += s.n
			if id.FirstSeen == 0 || s.first < id.FirstSeen {
				id.FirstSeen = s.first
			}
			if s.last > id.LastSeen {
				id.LastSeen = s.last
			}
		}
	}
	for _, list := range d.identities {
		sort.Slice(list, func(i, j int) bool {
			if list[i].IsUser != list[j].IsUser {
				return list[i].IsUser
			}
			return list[i].DistinctID < list[j].DistinctID
		})
	}
	return d, nil
}

func mainDistinctID(id int64, list []Identifier) string {
	if len(list) > 0 {
		return list[0].DistinctID // user ids sort first
	}
	return PersonIDPrefix + strconv.FormatInt(id, 10)
}

// Profile returns the profile of the person with a distinct id (or "person:<id>"), with
// identifiers, traits, event statistics and orders of the person and of the persons merged
// into it. It returns ErrNotFound for an unknown person.
func (r *Reader) Profile(ctx context.Context, project uint32, key string) (*Profile, error) {
	p, err := r.resolve(ctx, project, key)
	if err != nil {
		return nil, err
	}
	d, err := r.details(ctx, project, []person{p})
	if err != nil {
		return nil, err
	}
	prof := d.profiles[p.id]
	traits := json.RawMessage("{}")
	if prof.traits != "" && json.Valid([]byte(prof.traits)) {
		traits = json.RawMessage(prof.traits)
	}
	out := &Profile{
		PersonID:        p.id,
		DistinctID:      mainDistinctID(p.id, d.identities[p.id]),
		Identifiers:     d.identities[p.id],
		MergedPersonIDs: p.olds,
		Traits:          traits,
		CreatedAt:       prof.createdAt,
		FirstSeen:       d.first[p.id],
		LastSeen:        d.last[p.id],
		EventCount:      d.count[p.id],
	}
	if out.Identifiers == nil {
		out.Identifiers = []Identifier{}
	}
	if out.MergedPersonIDs == nil {
		out.MergedPersonIDs = []int64{}
	}
	if out.Orders, err = r.orders(ctx, project, p.ids()); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *Reader) orders(ctx context.Context, project uint32, ids []int64) (Orders, error) {
	o := Orders{Recent: []Order{}}
	var total, refunded int64 // 1/10000 of the currency unit
	err := r.query(ctx, r.d.orderEvents(project, ids), func(row []any) error {
		ord := Order{EventID: str(row[0]), Event: str(row[1]), TS: toInt(row[2])}
		var props map[string]json.RawMessage
		_ = json.Unmarshal([]byte(str(row[3])), &props) // not an object: an order without details
		ord.OrderID = jsonText(props["order_id"])
		ord.Currency = jsonText(props["currency"])
		var units int64
		units, ord.HasTotal = money(props["total"])
		ord.Total = float64(units) / 10000
		var products []json.RawMessage
		if json.Unmarshal(props["products"], &products) == nil {
			ord.Products = len(products)
		}
		switch ord.Event {
		case EventOrderCompleted:
			o.Count++
			total += units
			if o.LastOrder == 0 {
				o.LastOrder = ord.TS
			}
			o.FirstOrder = ord.TS
		case EventOrderRefunded:
			o.Refunds++
			refunded += units
		case EventOrderCancelled:
			o.Cancelled++
		}
		if len(o.Recent) < RecentOrders {
			o.Recent = append(o.Recent, ord)
		}
		return nil
	})
	o.Total = float64(total) / 10000
	o.RefundedTotal = float64(refunded) / 10000
	o.Net = float64(total-refunded) / 10000
	return o, err
}

// money parses a JSON number (or a numeric string) into 1/10000 units, rounding half away
// from zero like the query compiler's round(x * 10000). ok is false for anything else.
func money(v json.RawMessage) (int64, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0, false
	}
	s := string(v)
	if v[0] == '"' {
		if json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		s = strings.TrimSpace(s)
	}
	x, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	x.Mul(x, big.NewRat(10000, 1))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// Round half away from zero.
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() || q.Int64() > math.MaxInt64/4 || q.Int64() < math.MinInt64/4 {
		return 0, false
	}
	return q.Int64(), true
}

// jsonText returns a JSON string's value, or a number's text, or "".
func jsonText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	if (v[0] >= '0' && v[0] <= '9') || v[0] == '-' {
		return string(v)
	}
	return ""
}

// Timeline returns a page of at most limit events of the person with a distinct id (or
// "person:<id>") and of the persons merged into it, newest first (ts, then event id,
// descending), strictly before the cursor when before is not nil. It returns ErrNotFound
// for an unknown person. limit must be in 1..MaxTimelineLimit.
func (r *Reader) Timeline(ctx context.Context, project uint32, key string, before *Cursor, limit int) (*TimelinePage, error) {
	return r.TimelineOf(ctx, project, key, before, limit, nil)
}

// MaxTimelineEvents is the most event names TimelineOf filters by.
const MaxTimelineEvents = 20

// TimelineOf is Timeline with only the events whose name is one of events (all when
// empty; at most MaxTimelineEvents names). Cursors of a filtered timeline continue it.
func (r *Reader) TimelineOf(ctx context.Context, project uint32, key string, before *Cursor, limit int, events []string) (*TimelinePage, error) {
	if len(events) > MaxTimelineEvents {
		return nil, fmt.Errorf("cannot read timeline: %d event names, at most %d", len(events), MaxTimelineEvents)
	}
	if limit < 1 || limit > MaxTimelineLimit {
		return nil, fmt.Errorf("cannot read timeline: limit %d is outside 1..%d", limit, MaxTimelineLimit)
	}
	p, err := r.resolve(ctx, project, key)
	if err != nil {
		return nil, err
	}
	page := &TimelinePage{PersonID: p.id, Events: []Event{}}
	err = r.query(ctx, r.d.timeline(project, p.ids(), before, limit+1, events), func(row []any) error {
		page.Events = append(page.Events, Event{
			EventID: str(row[0]), Type: str(row[1]), Event: str(row[2]), TS: toInt(row[3]),
			DistinctID: str(row[4]), AnonymousID: str(row[5]), UserID: str(row[6]),
			Properties: rawObject(str(row[7])), Context: rawObject(str(row[8])),
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		last := page.Events[limit-1]
		page.NextCursor = Cursor{TS: last.TS, EventID: last.EventID}.String()
	}
	return page, nil
}

func rawObject(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s)
}

// Search finds current persons of a project, newest person id first, at most limit
// (1..MaxSearchLimit) per page, continuing after cursor ("" for the first page). An empty q
// lists every person. Otherwise a person matches when one of their distinct ids (including
// those of merged persons) equals q or starts with it (case-sensitive), or when a trait
// value contains q (case-insensitive; numbers by their JSON text); "key=value" matches
// persons whose trait key has exactly that value (strings case-insensitive). It returns
// ErrBadCursor for a cursor it did not make and ErrBadQuery for a text that is not valid UTF-8.
func (r *Reader) Search(ctx context.Context, project uint32, q string, limit int, cursor string) (*SearchResult, error) {
	if limit < 1 || limit > MaxSearchLimit {
		return nil, fmt.Errorf("cannot search persons: limit %d is outside 1..%d", limit, MaxSearchLimit)
	}
	below := int64(math.MaxInt64)
	if cursor != "" {
		var err error
		if below, err = parsePersonCursor(cursor); err != nil {
			return nil, err
		}
	}
	if !validText(q) {
		return nil, ErrBadQuery
	}
	q = strings.TrimSpace(q)
	m := newMatcher(q)
	res := &SearchResult{Persons: []Summary{}}
	scanned := 0
	for {
		batch := limit + 1
		if q != "" && batch < 100 {
			batch = 100 // candidates that fail the exact check are skipped cheaply
		}
		var st stmt
		if q == "" {
			st = r.d.listPersons(project, below, batch)
		} else {
			st = r.d.candidates(project, q, m.text, m.caseless(), below, batch)
		}
		var cands []int64
		if err := r.query(ctx, st, func(row []any) error {
			cands = append(cands, toInt(row[0]))
			return nil
		}); err != nil {
			return nil, err
		}
		if len(cands) == 0 {
			return res, nil
		}
		merged, err := r.merged(ctx, project, cands)
		if err != nil {
			return nil, err
		}
		ps := make([]person, len(cands))
		for i, c := range cands {
			ps[i] = person{id: c, olds: merged[c]}
		}
		d, err := r.details(ctx, project, ps)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			scanned++
			below = p.id
			prof := d.profiles[p.id]
			ids := d.identities[p.id]
			if !m.match(ids, prof.traits) {
				continue
			}
			if len(ids) == 0 && prof.createdAt == 0 && d.count[p.id] == 0 {
				continue // a stale row of a deleted person
			}
			if len(res.Persons) == limit {
				res.NextCursor = encodePersonCursor(res.Persons[limit-1].PersonID)
				return res, nil
			}
			res.Persons = append(res.Persons, summarise(p.id, ids, prof, d))
		}
		if len(cands) < batch {
			return res, nil // no more candidates
		}
		if scanned >= searchScan {
			res.NextCursor = encodePersonCursor(below)
			return res, nil
		}
	}
}

func summarise(id int64, ids []Identifier, prof profileRow, d *details) Summary {
	s := Summary{
		PersonID: id, DistinctID: mainDistinctID(id, ids), IdentifierCount: len(ids),
		Traits: map[string]json.RawMessage{}, CreatedAt: prof.createdAt,
		FirstSeen: d.first[id], LastSeen: d.last[id], EventCount: d.count[id],
	}
	s.Identifiers = ids
	if len(ids) > 5 {
		s.Identifiers = ids[:5]
	}
	if s.Identifiers == nil {
		s.Identifiers = []Identifier{}
	}
	var traits map[string]json.RawMessage
	_ = json.Unmarshal([]byte(prof.traits), &traits) // not an object: no traits to show
	for _, k := range SummaryTraits {
		if v, ok := traits[k]; ok && len(s.Traits) < 6 {
			s.Traits[k] = v
		}
	}
	keys := make([]string, 0, len(traits))
	for k := range traits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(s.Traits) >= 6 {
			break
		}
		if _, ok := s.Traits[k]; !ok {
			s.Traits[k] = traits[k]
		}
	}
	return s
}

// matcher decides whether a candidate matches a search text exactly (the SQL only
// narrows the candidates).
type matcher struct {
	q     string
	lower string
	key   string // for key=value
	value string // lower-cased value for key=value
	text  string // what the stored traits JSON must contain (case-insensitive)
}

func newMatcher(q string) matcher {
	m := matcher{q: q, lower: strings.ToLower(q)}
	if k, v, ok := strings.Cut(q, "="); ok && k != "" && !strings.ContainsAny(k, " \t") {
		m.key, m.value = strings.TrimSpace(k), strings.ToLower(strings.TrimSpace(v))
		m.text = jsonInner(strings.TrimSpace(v))
	} else {
		m.text = jsonInner(q)
	}
	return m
}

// jsonInner is s as it appears inside a JSON string written without HTML escaping.
func jsonInner(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// caseless reports whether the trait text reads the same in lower and upper case (digits,
// Chinese), so a case-sensitive search finds the same rows.
func (m matcher) caseless() bool {
	return strings.ToLower(m.text) == m.text && strings.ToUpper(m.text) == m.text
}

func (m matcher) match(ids []Identifier, traits string) bool {
	if m.q == "" {
		return true
	}
	for _, id := range ids {
		if strings.HasPrefix(id.DistinctID, m.q) {
			return true
		}
	}
	var t map[string]json.RawMessage
	if json.Unmarshal([]byte(traits), &t) != nil {
		return false
	}
	if m.key != "" {
		v, ok := t[m.key]
		if !ok {
			return false
		}
		return strings.ToLower(valueText(v)) == m.value
	}
	for _, v := range t {
		if strings.Contains(strings.ToLower(valueText(v)), m.lower) {
			return true
		}
	}
	return false
}

// valueText is a JSON string's value or any other JSON value's compact text.
func valueText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}
