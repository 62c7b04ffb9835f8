// Package meta is the transactional metadata store: projects, their keys and settings (and,
// later, members, definitions and campaign state). It runs on SQLite embedded in the data
// dir; its SQL is kept portable to PostgreSQL for the scale-out path. It must not hold
// events: those belong to the event store.
package meta

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // project time zones must resolve on machines without a zoneinfo package

	_ "modernc.org/sqlite"

	"github.com/jingyun/jingyun/internal/sqlmigrate"
)

// ErrNotFound is returned when a project or key does not exist.
var ErrNotFound = errors.New("not found")

// FieldError is a validation failure of one input field; Code is stable for API clients.
type FieldError struct {
	Code    string
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Project is a tenant: every event, person and analysis belongs to exactly one project.
type Project struct {
	ID        uint32    `json:"id"`
	Name      string    `json:"name"`
	Timezone  string    `json:"timezone"`
	Currency  string    `json:"currency"`
	WriteKey  string    `json:"write_key"`
	CreatedAt time.Time `json:"created_at"`
	// SecretKeyPrefix is the first characters of the secret key, to recognise it; the key
	// itself is stored only as a hash and shown once, at creation or rotation.
	SecretKeyPrefix string `json:"secret_key_prefix"`
}

// Location returns the project's time zone; it was validated on write.
func (p *Project) Location() *time.Location {
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Store is the metadata store. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating if needed) the SQLite database at path and migrates it.
func Open(path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open metadata store %q: %w", path, err)
	}
	db.SetMaxOpenConns(1) // SQLite has one writer; one connection avoids SQLITE_BUSY between our own goroutines
	s := &Store{db: db}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migrations are applied in order and never edited once released.
var migrations = []string{
	`CREATE TABLE projects (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		timezone TEXT NOT NULL,
		currency TEXT NOT NULL,
		write_key TEXT NOT NULL UNIQUE,
		secret_key_hash TEXT NOT NULL UNIQUE,
		secret_key_prefix TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE settings (
		project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		key TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (project_id, key)
	);`,
	// 2: accounts and access (see accounts.go). Emails are stored lower-cased; session tokens
	// only as SHA-256 hashes; roles are checked here as well as in package auth.
	`CREATE TABLE users (
		id INTEGER PRIMARY KEY,
		email TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		password_changed_at INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		token_hash TEXT PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL,
		last_seen_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		user_agent TEXT NOT NULL
	);
	CREATE INDEX sessions_user ON sessions (user_id);
	CREATE TABLE members (
		project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'operator', 'viewer')),
		created_at INTEGER NOT NULL,
		PRIMARY KEY (project_id, user_id)
	);
	CREATE INDEX members_user ON members (user_id);`,
	// 3: saved insights and dashboards (see insights.go). spec is the analysis spec as JSON;
	// a dashboard's items are ordered by position.
	`CREATE TABLE insights (
		id INTEGER PRIMARY KEY,
		project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		spec TEXT NOT NULL,
		created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX insights_project ON insights (project_id);
	CREATE TABLE dashboards (
		id INTEGER PRIMARY KEY,
		project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX dashboards_project ON dashboards (project_id);
	CREATE TABLE dashboard_items (
		dashboard_id INTEGER NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
		insight_id INTEGER NOT NULL REFERENCES insights(id) ON DELETE CASCADE,
		position INTEGER NOT NULL,
		PRIMARY KEY (dashboard_id, insight_id)
	);
	CREATE INDEX dashboard_items_insight ON dashboard_items (insight_id);`,
	// 4: the tracking plan (see tracking.go): display names and descriptions operators give
	// to the event and property names discovered from the data. Properties are project-wide
	// and named by their dotted path (e.g. "products.price").
	`CREATE TABLE event_definitions (
		project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		display_name TEXT NOT NULL DEFAULT '',
		description TEXT NOT NULL DEFAULT '',
		updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (project_id, name)
	);
	CREATE TABLE property_definitions (
		project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		display_name TEXT NOT NULL DEFAULT '',
		description TEXT NOT NULL DEFAULT '',
		updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (project_id, name)
	);`,
}

func (s *Store) migrate(ctx context.Context) error {
	return sqlmigrate.Apply(ctx, s.db, migrations)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// NewProject holds the fields of a project to create; empty Timezone and Currency take the
// defaults Asia/Shanghai and CNY.
type NewProject struct {
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	Currency string `json:"currency"`
}

// Validate fills defaults and checks every field.
func (n *NewProject) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 200 {
		return &FieldError{Code: "invalid_field", Field: "name", Message: "must be 1 to 200 characters"}
	}
	if n.Timezone == "" {
		n.Timezone = "Asia/Shanghai"
	}
	if _, err := time.LoadLocation(n.Timezone); err != nil || n.Timezone == "Local" {
		return &FieldError{Code: "invalid_field", Field: "timezone", Message: fmt.Sprintf("unknown IANA time zone %q", n.Timezone)}
	}
	if n.Currency == "" {
		n.Currency = "CNY"
	}
	n.Currency = strings.ToUpper(n.Currency)
	if !currencyRe.MatchString(n.Currency) {
		return &FieldError{Code: "invalid_field", Field: "currency", Message: "must be a 3-letter ISO 4217 code such as CNY"}
	}
	return nil
}

// CreateProject creates a project with fresh keys and returns it with its secret key, which
// is not stored and cannot be read again.
func (s *Store) CreateProject(ctx context.Context, n NewProject) (*Project, string, error) {
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	wk := "wk_" + randomToken(12)
	sk := "sk_" + randomToken(24)
	now := time.Now().UTC().Truncate(time.Second)
	res, err := s.db.ExecContext(ctx, `INSERT INTO projects (name, timezone, currency, write_key, secret_key_hash, secret_key_prefix, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.Name, n.Timezone, n.Currency, wk, hashKey(sk), sk[:7], now.Unix())
	if err != nil {
		return nil, "", fmt.Errorf("cannot create project: %w", err)
	}
	id, _ := res.LastInsertId()
	return &Project{ID: uint32(id), Name: n.Name, Timezone: n.Timezone, Currency: n.Currency, WriteKey: wk,
		CreatedAt: now, SecretKeyPrefix: sk[:7]}, sk, nil
}

// RotateSecretKey replaces a project's secret key and returns the new one; the old key stops
// working at once.
func (s *Store) RotateSecretKey(ctx context.Context, id uint32) (string, error) {
	sk := "sk_" + randomToken(24)
	res, err := s.db.ExecContext(ctx, `UPDATE projects SET secret_key_hash = ?, secret_key_prefix = ? WHERE id = ?`, hashKey(sk), sk[:7], id)
	if err != nil {
		return "", fmt.Errorf("cannot rotate secret key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", ErrNotFound
	}
	return sk, nil
}

// RotateWriteKey replaces a project's write key; SDKs with the old key are refused from now on.
func (s *Store) RotateWriteKey(ctx context.Context, id uint32) (string, error) {
	wk := "wk_" + randomToken(12)
	res, err := s.db.ExecContext(ctx, `UPDATE projects SET write_key = ? WHERE id = ?`, wk, id)
	if err != nil {
		return "", fmt.Errorf("cannot rotate write key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", ErrNotFound
	}
	return wk, nil
}

const projectCols = `id, name, timezone, currency, write_key, secret_key_prefix, created_at`

func scanProject(r interface{ Scan(...any) error }) (*Project, error) {
	var p Project
	var created int64
	if err := r.Scan(&p.ID, &p.Name, &p.Timezone, &p.Currency, &p.WriteKey, &p.SecretKeyPrefix, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot read project: %w", err)
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	return &p, nil
}

// Project returns one project by id, or ErrNotFound.
func (s *Store) Project(ctx context.Context, id uint32) (*Project, error) {
	return scanProject(s.db.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
}

// ProjectByWriteKey returns the project a write key belongs to, or ErrNotFound.
func (s *Store) ProjectByWriteKey(ctx context.Context, key string) (*Project, error) {
	return scanProject(s.db.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE write_key = ?`, key))
}

// ProjectBySecretKey returns the project a secret key belongs to, or ErrNotFound.
func (s *Store) ProjectBySecretKey(ctx context.Context, key string) (*Project, error) {
	p, err := scanProject(s.db.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE secret_key_hash = ?`, hashKey(key)))
	if err != nil {
		return nil, err
	}
	// The lookup is by hash; compare again in constant time for good measure.
	if subtle.ConstantTimeCompare([]byte(p.SecretKeyPrefix), []byte(key[:min(len(key), 7)])) != 1 {
		return nil, ErrNotFound
	}
	return p, nil
}

// Projects lists every project in id order.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+projectCols+` FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cannot list projects: %w", err)
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// Setting returns a project setting, or def when unset.
func (s *Store) Setting(ctx context.Context, project uint32, key, def string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE project_id = ? AND key = ?`, project, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read setting %q: %w", key, err)
	}
	return v, nil
}

// SetSetting writes a project setting.
func (s *Store) SetSetting(ctx context.Context, project uint32, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings VALUES (?, ?, ?) ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value`, project, key, value)
	if err != nil {
		return fmt.Errorf("cannot write setting %q: %w", key, err)
	}
	return nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func hashKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:])
}
