// Package storetest opens the event stores for tests that run one scenario on each store:
// an in-memory DuckDB, and a fresh database on the ClickHouse test server of package
// chtest (which skips the test, or fails it under CI=true, when ClickHouse is missing).
// Both are closed when the test ends. Test code only.
package storetest

import (
	"context"
	"testing"

	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store/clickhouse"
	"github.com/jingyun/jingyun/store/duckdb"
)

// DuckDB opens an in-memory DuckDB store.
func DuckDB(t *testing.T) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open("")
	if err != nil {
		t.Fatalf("cannot open duckdb: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ClickHouse opens a store on a new database of the ClickHouse test server. The package's
// TestMain must call chtest.Main.
func ClickHouse(t *testing.T) *clickhouse.Store {
	t.Helper()
	u := chtest.Start(t)
	s, err := clickhouse.Open(context.Background(), clickhouse.Config{URL: u, Database: chtest.Database(t, u)})
	if err != nil {
		t.Fatalf("cannot open clickhouse: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
