package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/clickhouse"
	"github.com/jingyun/jingyun/store/duckdb"
)

// openEventStore opens the configured event store.
func openEventStore(ctx context.Context, cfg *Config) (store.EventStore, error) {
	switch cfg.Store {
	case "duckdb":
		st, err := duckdb.Open(cfg.duckdbPath())
		if err != nil && strings.Contains(err.Error(), "lock") {
			// DuckDB allows one process per file: a running server holds it.
			return nil, fmt.Errorf("%w\n(is `jingyun serve` running on this data dir? stop it, or ask it with --server URL --key SK)", err)
		}
		return st, err
	case "clickhouse":
		return clickhouse.Open(ctx, clickhouse.Config{URL: cfg.ClickHouse.URL, Database: cfg.ClickHouse.Database,
			User: cfg.ClickHouse.User, Password: cfg.ClickHouse.Password})
	}
	return nil, fmt.Errorf("cannot open event store: unknown store %q", cfg.Store)
}
