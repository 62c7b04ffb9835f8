package app

import (
	"context"
	"fmt"

	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/clickhouse"
	"github.com/jingyun/jingyun/store/duckdb"
)

// openEventStore opens the configured event store.
func openEventStore(ctx context.Context, cfg *Config) (store.EventStore, error) {
	switch cfg.Store {
	case "duckdb":
		return duckdb.Open(cfg.duckdbPath())
	case "clickhouse":
		return clickhouse.Open(ctx, clickhouse.Config{URL: cfg.ClickHouse.URL, Database: cfg.ClickHouse.Database,
			User: cfg.ClickHouse.User, Password: cfg.ClickHouse.Password})
	}
	return nil, fmt.Errorf("cannot open event store: unknown store %q", cfg.Store)
}
