package sqlmigrate

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func TestApply(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := []string{`CREATE TABLE a (x INTEGER)`}
	if err := Apply(ctx, db, v1); err != nil {
		t.Fatal(err)
	}
	// Running again applies nothing; a new migration is applied once.
	v2 := append(v1, `ALTER TABLE a ADD COLUMN y INTEGER`)
	for i := 0; i < 2; i++ {
		if err := Apply(ctx, db, v2); err != nil {
			t.Fatal(err)
		}
	}
	// A failing migration is rolled back and not recorded.
	bad := append(v2, `CREATE TABLE b (`)
	if err := Apply(ctx, db, bad); err == nil || !strings.Contains(err.Error(), "cannot apply migration 3") {
		t.Fatalf("bad migration: %v", err)
	}
	var n int
	db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&n)
	if n != 2 {
		t.Fatalf("version %d, want 2", n)
	}
	// An older binary refuses a newer database.
	if err := Apply(ctx, db, v1); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("downgrade: %v", err)
	}
}
