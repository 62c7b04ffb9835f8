// Package store defines the narrow interfaces between Jingyun and its analytical event
// stores (DuckDB embedded, ClickHouse to scale out), and the rows that cross them. Nothing
// above this package knows which store is in use; implementations live in store/duckdb and
// store/clickhouse. This package must not import a driver.
//
// # Schema (the same logical tables in every store)
//
//	events(project_id UInt32, event_id String, type String, event String,
//	       ts Int64 /* ms UTC, skew-corrected */, received_at Int64 /* ms */,
//	       person_id Int64 /* at ingest time; apply person_overrides */,
//	       distinct_id String, anonymous_id String, user_id String,
//	       properties String /* compact JSON object, "{}" when empty */,
//	       context String /* compact JSON object */)
//	persons(project_id, person_id Int64, created_at Int64 /* ms */, properties String /* JSON traits */)
//	person_identities(project_id, distinct_id String, person_id Int64, is_user UInt8 /* 1 for user ids */)
//	person_overrides(project_id, old_person_id Int64, new_person_id Int64) -- always flattened: new is never an old
//	loader_checkpoint(stream String, segment Int64, offset Int64)
//
// Queries must map a person with person_overrides: the person of an event is the
// new_person_id of the override whose old_person_id is the event's person_id, else the
// event's person_id. Overrides are few (only merges of two persons who both had events).
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jingyun/jingyun/event"
)

// Row is an event with its person resolved by the loader.
type Row struct {
	event.Event
	PersonID int64
}

// Identity maps one distinct id of a project to a person. IsUser is true for user ids
// (as opposed to anonymous ids); the identity rules need it after a restart.
type Identity struct {
	ProjectID  uint32
	DistinctID string
	PersonID   int64
	IsUser     bool
}

// Override records that OldPersonID was merged into NewPersonID.
type Override struct {
	ProjectID   uint32
	OldPersonID int64
	NewPersonID int64
}

// PersonUpdate changes a person's traits: Set overwrites, SetOnce fills only missing keys,
// Unset removes keys. CreatedAt (ms) is the time of the first event of a new person and
// is kept only when the person is created.
type PersonUpdate struct {
	ProjectID uint32
	PersonID  int64
	CreatedAt int64
	Set       map[string]json.RawMessage
	SetOnce   map[string]json.RawMessage
	Unset     []string
}

// Position is a place in the write-ahead log: the segment number and the byte offset just
// after the last record that was applied.
type Position struct {
	Segment int64
	Offset  int64
}

// Less reports whether p is before q.
func (p Position) Less(q Position) bool {
	return p.Segment < q.Segment || (p.Segment == q.Segment && p.Offset < q.Offset)
}

// Batch is what the loader applies at once. Identities and Overrides are new facts only
// (the loader keeps the full map); Overrides already replace older ones whose new id was
// merged again (the loader sends the rewritten rows too). Persons lists trait updates in
// event order. Position is the WAL position after the batch, recorded with it.
type Batch struct {
	Stream     string
	Events     []Row
	Identities []Identity
	Overrides  []Override
	Persons    []PersonUpdate
	Position   Position
}

// DeleteReport says what a person deletion removed.
type DeleteReport struct {
	Events     int64 `json:"events"`
	Identities int64 `json:"identities"`
	Persons    int64 `json:"persons"`
	Overrides  int64 `json:"overrides"`
}

// Compactor is implemented by stores whose scans get faster when events are stored in
// (project_id, ts) order and that do not keep that order themselves (DuckDB prunes row
// groups by min/max of each column, so events written person by person, as a bulk load or
// an import of history does, make every time-range query read every row group). Compact
// rewrites the events in that order; it may take seconds per million events and must be
// called with the loader's writes held (loader.Compact does).
type Compactor interface {
	Compact(ctx context.Context) error
}

// EventStore is an analytical store of events and persons. Implementations are safe for
// concurrent use; Apply is called by one loader at a time.
type EventStore interface {
	// Name is the dialect name of the store's SQL: "duckdb" or "clickhouse".
	Name() string
	// Apply writes a batch. After Apply returns nil, Checkpoint returns batch.Position.
	// When the store crashes during Apply, a repeated Apply of the same batch must leave
	// every event stored exactly once (atomic transaction or dedupe by event_id).
	Apply(ctx context.Context, b *Batch) error
	// Checkpoint returns the last applied WAL position of a stream (zero if none).
	Checkpoint(ctx context.Context, stream string) (Position, error)
	// Identities calls fn for every stored identity and override, to rebuild the
	// loader's map at start-up. fn gets either an Identity or an Override (the other nil).
	Identities(ctx context.Context, fn func(*Identity, *Override) error) error
	// MaxPersonID returns the largest person id in use in any project (0 if none).
	MaxPersonID(ctx context.Context) (int64, error)
	// RecentEventIDs calls fn with the ids of events received at or after sinceMs, for
	// rebuilding the messageId dedupe window.
	RecentEventIDs(ctx context.Context, sinceMs int64, fn func(project uint32, id string) error) error
	// Query runs a read-only SQL statement with "?" placeholders and calls fn per row.
	// Values are int64, float64, string, bool or nil. The slice is reused between calls.
	Query(ctx context.Context, sql string, args []any, fn func(row []any) error) error
	// ScanInt64 runs a read-only SQL statement whose columns are all integers (no NULLs)
	// and calls fn with column batches: cols[c][i] is column c of row i, len(cols[c]) rows.
	// It is the fast path for analysis engines that scan (person, ts, flags) streams; the
	// batch is reused between calls.
	ScanInt64(ctx context.Context, sql string, args []any, fn func(cols [][]int64) error) error
	// DeletePerson removes every event, identity, override and profile of the person
	// (and of persons merged into it) in one project.
	DeletePerson(ctx context.Context, project uint32, person int64) (DeleteReport, error)
	// Close flushes and releases the store.
	Close() error
}

// Int64 reads an integer column value of Query (int64, or float64 from a store that widens,
// or a decimal string as ClickHouse sends 64-bit integers in JSON formats); NULL is 0.
func Int64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("cannot read %T as an integer", v)
}
