// Package app assembles Jingyun from its parts: it reads the typed configuration, opens the
// stores, the WAL, the loader and the collector in order, serves HTTP, and shuts everything
// down in reverse order, logging how long each stop took. It also holds the command-line
// verbs. Domain logic lives in the packages it wires; this package only decides order.
package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jingyun/jingyun/ingest"
)

// Config is the whole configuration. Values come from defaults, then a JSON config file
// (--config), then JINGYUN_* environment variables, then flags: each overrides the one before.
type Config struct {
	// DataDir holds the DuckDB file, the SQLite metadata and the WAL. Default ./data.
	DataDir string `json:"data_dir"`
	// Addr is the HTTP listen address. Default 127.0.0.1:8080 (loopback: say 0.0.0.0:8080
	// to serve other machines).
	Addr string `json:"addr"`
	// Store is the event store: "duckdb" (embedded, default) or "clickhouse".
	Store      string           `json:"store"`
	ClickHouse ClickHouseConfig `json:"clickhouse"`
	WAL        WALConfig        `json:"wal"`
	Ingest     IngestConfig     `json:"ingest"`
	Auth       AuthConfig       `json:"auth"`
	Cache      CacheConfig      `json:"cache"`
	Import     ImportConfig     `json:"import"`
	// Demo makes serve create and fill the demo shop when the data dir has no project yet.
	Demo DemoConfig `json:"demo"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `json:"log_level"`
}

// ClickHouseConfig points at a ClickHouse server's HTTP interface.
type ClickHouseConfig struct {
	URL      string `json:"url"`
	Database string `json:"database"`
	User     string `json:"user"`
	Password string `json:"password"`
}

// WALConfig tunes the write-ahead log.
type WALConfig struct {
	// SegmentBytes is the segment size; default 64 MiB.
	SegmentBytes int64 `json:"segment_bytes"`
	// MaxBacklogBytes is how much loaded-but-unapplied WAL may pile up before the collector
	// answers 503 (the loader is behind); default 1 GiB.
	MaxBacklogBytes int64 `json:"max_backlog_bytes"`
	// NoSync disables fsync: for benchmarks of the rest of the path only. Never in production.
	NoSync bool `json:"no_sync"`
}

// IngestConfig tunes the collector.
type IngestConfig struct {
	Limits ingest.Limits `json:"limits"`
	// RateLimit is events per second per project; 0 is unlimited.
	RateLimit int `json:"rate_limit"`
}

// AuthConfig tunes console sign-in.
type AuthConfig struct {
	// SecureCookies marks the session and CSRF cookies Secure on every answer. Without it
	// they are Secure only on TLS requests or with X-Forwarded-Proto: https from a proxy.
	// Turn it on when a TLS proxy that does not send that header fronts the server.
	SecureCookies bool `json:"secure_cookies"`
}

// CacheConfig sizes the analysis result cache (package resultcache). Zero fields take
// the defaults.
type CacheConfig struct {
	// MaxEntries is the most results kept; default 1000.
	MaxEntries int `json:"max_entries"`
	// MaxBytes bounds the summed size of the kept results; default 64 MiB. A result over a
	// quarter of it is answered but not kept.
	MaxBytes int64 `json:"max_bytes"`
	// MaxAgeSeconds is how long a result may be served even while no new data arrives;
	// default 3600.
	MaxAgeSeconds int `json:"max_age_seconds"`
}

// ImportConfig limits imports from the console and the import API (package importjob).
type ImportConfig struct {
	// MaxBytes is the largest upload, as sent (a gzip file counts compressed); default 1 GiB.
	MaxBytes int64 `json:"max_bytes"`
	// MaxQueued is how many imports of one project may upload, wait or run at once; default 8.
	MaxQueued int `json:"max_queued"`
}

// DemoConfig sizes the demo shop.
type DemoConfig struct {
	Enabled bool  `json:"enabled"`
	Persons int   `json:"persons"`
	Days    int   `json:"days"`
	Seed    int64 `json:"seed"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		DataDir:  "data",
		Addr:     "127.0.0.1:8080",
		Store:    "duckdb",
		LogLevel: "info",
		ClickHouse: ClickHouseConfig{
			URL:      "http://127.0.0.1:8123",
			Database: "jingyun",
			User:     "default",
		},
		WAL:    WALConfig{SegmentBytes: 64 << 20, MaxBacklogBytes: 1 << 30},
		Cache:  CacheConfig{MaxEntries: 1000, MaxBytes: 64 << 20, MaxAgeSeconds: 3600},
		Import: ImportConfig{MaxBytes: 1 << 30, MaxQueued: 8},
		Demo:   DemoConfig{Persons: 40000, Days: 60, Seed: 1},
	}
}

// LoadFile overlays a JSON config file; unknown keys are an error.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read config %q: %w", path, err)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(c); err != nil {
		return fmt.Errorf("cannot parse config %q: %w", path, err)
	}
	return nil
}

// LoadEnv overlays JINGYUN_* environment variables.
func (c *Config) LoadEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("JINGYUN_DATA", &c.DataDir)
	str("JINGYUN_ADDR", &c.Addr)
	str("JINGYUN_STORE", &c.Store)
	str("JINGYUN_CLICKHOUSE_URL", &c.ClickHouse.URL)
	str("JINGYUN_CLICKHOUSE_DATABASE", &c.ClickHouse.Database)
	str("JINGYUN_CLICKHOUSE_USER", &c.ClickHouse.User)
	str("JINGYUN_CLICKHOUSE_PASSWORD", &c.ClickHouse.Password)
	str("JINGYUN_LOG_LEVEL", &c.LogLevel)
	if v := getenv("JINGYUN_RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("cannot parse JINGYUN_RATE_LIMIT %q: %w", v, err)
		}
		c.Ingest.RateLimit = n
	}
	return nil
}

// Validate checks every field and says which one is wrong.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir: must not be empty"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr: %q is not host:port", c.Addr))
	}
	switch c.Store {
	case "duckdb":
	case "clickhouse":
		if c.ClickHouse.URL == "" || c.ClickHouse.Database == "" {
			errs = append(errs, errors.New("clickhouse: url and database are required with store clickhouse"))
		}
	default:
		errs = append(errs, fmt.Errorf("store: %q is not duckdb or clickhouse", c.Store))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.WAL.SegmentBytes < 1<<20 {
		errs = append(errs, errors.New("wal.segment_bytes: at least 1 MiB"))
	}
	if c.Ingest.RateLimit < 0 {
		errs = append(errs, errors.New("ingest.rate_limit: must not be negative"))
	}
	if c.Cache.MaxEntries < 0 || c.Cache.MaxBytes < 0 || c.Cache.MaxAgeSeconds < 0 {
		errs = append(errs, errors.New("cache: max_entries, max_bytes and max_age_seconds must not be negative"))
	}
	if c.Import.MaxBytes < 0 || c.Import.MaxQueued < 0 {
		errs = append(errs, errors.New("import: max_bytes and max_queued must not be negative"))
	}
	if c.Demo.Persons < 0 || c.Demo.Days < 0 {
		errs = append(errs, errors.New("demo: persons and days must not be negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("cannot validate config: %w", errors.Join(errs...))
	}
	return nil
}

func (c *Config) metaPath() string   { return filepath.Join(c.DataDir, "meta.db") }
func (c *Config) duckdbPath() string { return filepath.Join(c.DataDir, "events.duckdb") }
func (c *Config) walDir() string     { return filepath.Join(c.DataDir, "wal") }
