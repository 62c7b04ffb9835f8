// Package clickhouse implements store.EventStore on a ClickHouse server, the scale-out
// event store. It owns the ClickHouse schema (embedded, numbered migrations), the HTTP
// client that talks to the server, the binding of "?" parameters into ClickHouse literals,
// and the decoding of results. It must not know about analyses: the query compiler prints
// the SQL, this package only runs it. It must not import a driver either: it uses the HTTP
// interface with the standard library, because the native protocol of current drivers does
// not talk to 18.16, the oldest release supported (Debian's clickhouse-server package).
//
// # Talking to the server
//
// Every call is one HTTP POST to the server's HTTP interface with ?database=. Reads send the
// SQL as the body and get TabSeparatedWithNamesAndTypes (Query, internal reads) or Native
// (ScanInt64: columnar blocks of max_block_size rows, decoded without parsing text). Writes
// are "INSERT INTO t (cols) FORMAT RowBinary" with the rows streamed as the body while they
// are encoded, so no batch is ever held as one large string and no value is escaped. Sets
// of keys sent with a query (the event ids of a batch, the persons it touches) travel as
// HTTP external data in RowBinary, not as literals in the SQL text.
//
// # Schema
//
// The logical tables of package store, with these physical choices (see migrations/):
//
//   - events: MergeTree() PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000), 'UTC'))
//     ORDER BY (project_id, person_id, ts).
//   - persons, person_identities, person_overrides, loader_checkpoint and loader_attempts
//     (see Idempotent Apply): ReplacingMergeTree with a UInt64 version column. A change is a new row with a larger version; old rows
//     disappear only when ClickHouse merges parts, at a time of its choosing. Readers must
//     therefore take the latest version: this package uses argMax(col, version) grouped by
//     the key for point reads (works with a WHERE on any column and on every release) and
//     FINAL for whole-table streams (Identities), which needs no large hash table. SQL
//     printed for analyses must do the same, e.g. "FROM person_overrides FINAL".
//
// Versions come from a per-store clock: the current time in nanoseconds, but always larger
// than the last version handed out and than any version stored when the store was opened,
// so a later write wins even if the wall clock steps back.
//
// Migrations are embedded SQL files, one statement each, applied in order and recorded in
// schema_migrations. ClickHouse has no transactions, so a crash between a statement and its
// record re-runs the statement on the next Open: every migration must be idempotent
// (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS). A released migration is never
// edited; a change is a new file.
//
// # Idempotent Apply
//
// ClickHouse has no transactions. Apply writes, in order: identities, overrides, person
// profiles, a mark in loader_attempts, the events, and the loader checkpoint last.
// Repeating identities, overrides and profiles is harmless: the trait operations are
// idempotent and a repeat only adds versions with equal content. Events are not: before
// inserting them, Apply checks whether the batch may be a repetition, that is whether the
// stream's checkpoint is at or after the batch's position, or an attempt was marked after
// the checkpoint (an Apply died while inserting). Only then does it ask which of the
// batch's (project_id, event_id) are already stored among the events in the batch's ts
// range, and skip those; an ordinary batch pays for no lookup. The lookup does not filter
// by person, because a repeated batch may resolve an event to another person, so it reads
// the event_id column of the batch's months: slow on huge months, but only after a crash.
// Duplicate ids inside one batch keep their first event.
//
// # Deleting a person
//
// DeletePerson uses ALTER TABLE … DELETE mutations and waits until system.mutations reports
// them done (18.16 has no mutations_sync). A mutation rewrites the data parts it touches,
// so deletion is a heavy, rare operation; it is only issued for tables with matching rows.
package clickhouse

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jingyun/jingyun/store"
)

// Config says where the ClickHouse server is.
type Config struct {
	// URL is the server's HTTP interface, e.g. "http://127.0.0.1:8123".
	URL string
	// Database holds Jingyun's tables; it is created if missing. Default "jingyun".
	Database string
	// User and Password authenticate with HTTP Basic; an empty User means the server's
	// default user. The user must be allowed to create tables, insert, run ALTER … DELETE
	// and change settings (Query sends readonly=2 to make its statements read-only).
	User     string
	Password string
}

// DefaultDatabase is the database used when Config.Database is empty.
const DefaultDatabase = "jingyun"

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks c after defaults are applied.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("cannot parse URL %q: %w", c.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("URL %q must be http://host:port or https://host:port", c.URL)
	}
	if u.RawQuery != "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("URL %q must not have a path or query", c.URL)
	}
	if !identRE.MatchString(c.Database) {
		return fmt.Errorf("database name %q must be a plain identifier (letters, digits, _)", c.Database)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	return c
}

// Store is a store.EventStore on a ClickHouse server. It is safe for concurrent use;
// Apply must be called by one loader at a time.
type Store struct {
	cfg Config
	c   *client

	mu          sync.Mutex
	lastVersion uint64
}

var _ store.EventStore = (*Store)(nil)

// Open connects to the server, creates the database and applies missing migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cannot open clickhouse store: %w", err)
	}
	hc := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}}
	base := strings.TrimSuffix(cfg.URL, "/")
	root := &client{base: base, user: cfg.User, password: cfg.Password, http: hc}
	if err := root.exec(ctx, "CREATE DATABASE IF NOT EXISTS "+cfg.Database, nil); err != nil {
		return nil, fmt.Errorf("cannot create database %s: %w", cfg.Database, err)
	}
	s := &Store{cfg: cfg, c: &client{base: base, database: cfg.Database, user: cfg.User, password: cfg.Password, http: hc}}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("cannot migrate database %s: %w", cfg.Database, err)
	}
	if err := s.initVersion(ctx); err != nil {
		return nil, fmt.Errorf("cannot open clickhouse store: %w", err)
	}
	return s, nil
}

// Name returns "clickhouse", the SQL dialect of the store.
func (s *Store) Name() string { return "clickhouse" }

// Close releases idle connections. Nothing is buffered: every write is sent when made.
func (s *Store) Close() error {
	s.c.http.CloseIdleConnections()
	return nil
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema statement.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number", prev, name)
		}
		seen[v] = name
		data, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{Version: v, Name: name, SQL: string(data)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime
) ENGINE = MergeTree() ORDER BY version`
	if err := s.c.exec(ctx, create, nil); err != nil {
		return fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	out, err := s.c.readAllString(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	for _, line := range strings.Fields(out) {
		v, err := strconv.Atoi(line)
		if err != nil {
			return fmt.Errorf("cannot read schema_migrations: bad version %q", line)
		}
		applied[v] = true
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if err := s.c.exec(ctx, m.SQL, nil); err != nil {
			return fmt.Errorf("cannot apply migration %s: %w", m.Name, err)
		}
		err := s.c.insert(ctx, "schema_migrations", "version, name, applied_at", func(w *rowBinaryWriter) error {
			w.UInt32(uint32(m.Version))
			w.String(m.Name)
			w.UInt32(uint32(time.Now().Unix()))
			return w.Err()
		})
		if err != nil {
			return fmt.Errorf("cannot record migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// versionedTables are the ReplacingMergeTree tables whose version column the clock feeds.
var versionedTables = []string{"persons", "person_identities", "person_overrides", "loader_checkpoint", "loader_attempts"}

func (s *Store) initVersion(ctx context.Context) error {
	var parts []string
	for _, t := range versionedTables {
		parts = append(parts, "SELECT max(version) FROM "+t)
	}
	out, err := s.c.readAllString(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return fmt.Errorf("cannot read versions: %w", err)
	}
	for _, f := range strings.Fields(out) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return fmt.Errorf("cannot read versions: bad version %q", f)
		}
		if v > s.lastVersion {
			s.lastVersion = v
		}
	}
	return nil
}

// nextVersion returns a version larger than every version handed out or stored before.
func (s *Store) nextVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v
	return v
}

// readSettings are the settings of statements run for callers: read-only (2 still allows
// settings to be sent with the request) and a query size large enough for bound arrays.
func readSettings(format string) url.Values {
	return url.Values{
		"readonly":       {"2"},
		"max_query_size": {"16777216"},
		"default_format": {format},
	}
}

// Query runs a read-only statement with "?" placeholders (see Bind) and calls fn per row.
// Values are typed by the result's column types: Int*/UInt* as int64 (UInt64 above
// MaxInt64 keeps its bits), Float*/Decimal as float64, Bool as bool, NULL as nil, and
// everything else (String, Date, DateTime, Array, Tuple, Enum, …) as a string in
// ClickHouse's text form. The statement must not have a FORMAT clause. The row slice is
// reused between calls.
func (s *Store) Query(ctx context.Context, sql string, args []any, fn func(row []any) error) error {
	bound, err := Bind(sql, args)
	if err != nil {
		return fmt.Errorf("cannot bind query: %w", err)
	}
	if err := s.queryTSV(ctx, bound, readSettings("TabSeparatedWithNamesAndTypes"), nil, fn); err != nil {
		return fmt.Errorf("cannot run query: %w", err)
	}
	return nil
}

// queryTSV runs sql, with external tables if ext is not nil, and decodes its
// TabSeparatedWithNamesAndTypes output into typed values (see Query).
func (s *Store) queryTSV(ctx context.Context, sql string, settings url.Values, ext []externalTable, fn func(row []any) error) error {
	if settings == nil {
		settings = url.Values{"default_format": {"TabSeparatedWithNamesAndTypes"}}
	}
	var rc io.ReadCloser
	var err error
	if ext != nil {
		rc, err = s.c.queryExternal(ctx, sql, settings, ext)
	} else {
		rc, err = s.c.query(ctx, sql, settings)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	r := newTSVReader(rc)
	names, err := r.next()
	if err == io.EOF {
		return errors.New("no header in the output")
	}
	if err != nil {
		return err
	}
	ncols := len(names)
	types, err := r.next()
	if err != nil {
		return fmt.Errorf("cannot read column types: %w", err)
	}
	if len(types) != ncols {
		return fmt.Errorf("%d column types for %d columns", len(types), ncols)
	}
	kinds := make([]valueKind, ncols)
	for i, t := range types {
		kinds[i], _ = columnKind(string(t))
	}
	row := make([]any, ncols)
	for {
		fields, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(fields) != ncols {
			return fmt.Errorf("row %d has %d fields, want %d: %s", r.line-2, len(fields), ncols, serverTail(joinFields(fields), rc))
		}
		for i, f := range fields {
			v, err := parseValue(kinds[i], f)
			if err != nil {
				return fmt.Errorf("cannot parse column %s (%s) in row %d: %w", names[i], types[i], r.line-2, err)
			}
			row[i] = v
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func joinFields(fs [][]byte) []byte {
	var b []byte
	for i, f := range fs {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, f...)
	}
	return b
}

// ScanInt64 runs a read-only statement whose columns are all integers and calls fn with
// column batches of up to 65536 rows (ClickHouse's max_block_size): cols[c][i] is column c
// of row i. Accepted column types are Int8…Int64, UInt8…UInt64 (UInt64 above MaxInt64
// keeps its bits), Date (days) and DateTime (seconds); Nullable columns are refused, so
// wrap expressions that may be NULL, e.g. ifNull(x, 0). Any other type is an error naming
// the column (CAST it to Int64). The batch is reused between calls; fn must not keep it.
func (s *Store) ScanInt64(ctx context.Context, sql string, args []any, fn func(cols [][]int64) error) error {
	bound, err := Bind(sql, args)
	if err != nil {
		return fmt.Errorf("cannot bind query: %w", err)
	}
	rc, err := s.c.query(ctx, bound, readSettings("Native"))
	if err != nil {
		return fmt.Errorf("cannot run query: %w", err)
	}
	defer rc.Close()
	r := newNativeInt64Reader(rc)
	for {
		cols, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot scan query result: %w", err)
		}
		if err := fn(cols); err != nil {
			return err
		}
	}
}

// Checkpoint returns the last applied WAL position of a stream (zero if none).
func (s *Store) Checkpoint(ctx context.Context, stream string) (store.Position, error) {
	sql, err := Bind("SELECT argMax(segment, version), argMax(offset, version) FROM loader_checkpoint WHERE stream = ?", []any{stream})
	if err != nil {
		return store.Position{}, fmt.Errorf("cannot read checkpoint: %w", err)
	}
	var p store.Position
	err = s.queryTSV(ctx, sql, nil, nil, func(row []any) error {
		p.Segment, p.Offset = row[0].(int64), row[1].(int64)
		return nil
	})
	if err != nil {
		return store.Position{}, fmt.Errorf("cannot read checkpoint of stream %q: %w", stream, err)
	}
	return p, nil
}

// Identities calls fn for every stored identity (latest mapping of each distinct id) and
// then every stored override (latest mapping of each old person).
func (s *Store) Identities(ctx context.Context, fn func(*store.Identity, *store.Override) error) error {
	var id store.Identity
	err := s.queryTSV(ctx, "SELECT project_id, distinct_id, person_id, is_user FROM person_identities FINAL", nil, nil, func(row []any) error {
		id = store.Identity{ProjectID: uint32(row[0].(int64)), DistinctID: row[1].(string), PersonID: row[2].(int64), IsUser: row[3].(int64) == 1}
		return fn(&id, nil)
	})
	if err != nil {
		return fmt.Errorf("cannot read identities: %w", err)
	}
	var o store.Override
	err = s.queryTSV(ctx, "SELECT project_id, old_person_id, new_person_id FROM person_overrides FINAL", nil, nil, func(row []any) error {
		o = store.Override{ProjectID: uint32(row[0].(int64)), OldPersonID: row[1].(int64), NewPersonID: row[2].(int64)}
		return fn(nil, &o)
	})
	if err != nil {
		return fmt.Errorf("cannot read overrides: %w", err)
	}
	return nil
}

// MaxPersonID returns the largest person id in any table of any project (0 if none). It
// reads the person_id column of events too, so it costs a scan of that column.
func (s *Store) MaxPersonID(ctx context.Context) (int64, error) {
	const sql = `SELECT max(person_id) FROM persons
UNION ALL SELECT max(person_id) FROM person_identities
UNION ALL SELECT max(old_person_id) FROM person_overrides
UNION ALL SELECT max(new_person_id) FROM person_overrides
UNION ALL SELECT max(person_id) FROM events`
	var max int64
	err := s.queryTSV(ctx, sql, nil, nil, func(row []any) error {
		if v := row[0].(int64); v > max {
			max = v
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cannot read max person id: %w", err)
	}
	return max, nil
}

// RecentEventIDs calls fn with the project and id of every event received at or after
// sinceMs. It reads the received_at column of the whole table.
func (s *Store) RecentEventIDs(ctx context.Context, sinceMs int64, fn func(project uint32, id string) error) error {
	sql, err := Bind("SELECT project_id, event_id FROM events WHERE received_at >= ?", []any{sinceMs})
	if err != nil {
		return fmt.Errorf("cannot read recent event ids: %w", err)
	}
	err = s.queryTSV(ctx, sql, nil, nil, func(row []any) error {
		return fn(uint32(row[0].(int64)), row[1].(string))
	})
	if err != nil {
		return fmt.Errorf("cannot read recent event ids: %w", err)
	}
	return nil
}
