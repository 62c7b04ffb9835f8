// Package sqlmigrate applies a store's embedded, numbered schema migrations through
// database/sql, each in its own transaction, recording them in schema_migrations. It is
// shared by the embedded stores (DuckDB events, SQLite metadata); it knows no schema itself.
package sqlmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Apply runs the migrations the database has not seen yet, in order: migration i (1-based)
// is migrations[i-1]. Released migrations must never be edited; add new ones at the end.
func Apply(ctx context.Context, db *sql.DB, migrations []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("cannot read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("cannot migrate: the database is at version %d, newer than this binary's %d", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("cannot begin migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("cannot apply migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?)`, v, time.Now().Unix()); err != nil {
			tx.Rollback()
			return fmt.Errorf("cannot record migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("cannot commit migration %d: %w", v, err)
		}
	}
	return nil
}
