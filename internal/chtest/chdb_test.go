package chtest

import (
	"strings"
	"testing"
)

func TestChDB(t *testing.T) {
	db := ChDB(t)
	if !strings.HasPrefix(db.Version, "26.") {
		t.Fatalf("chdb version %q, want 26.x", db.Version)
	}
	t.Logf("chdb %s (ClickHouse %s) in %s", ChDBVersion, db.Version, db.InstallDir)
	f := func(sql, want string) {
		t.Helper()
		got, err := db.Query(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if got != want {
			t.Fatalf("%s: got %q, want %q", sql, got, want)
		}
	}
	f("SELECT 1, 'a\\tb'", "1\ta\\tb\n")
	f(`DROP DATABASE IF EXISTS chtest_db; CREATE DATABASE chtest_db;
CREATE TABLE chtest_db.e (p Int64, ts Int64, event String) ENGINE = MergeTree() ORDER BY (p, ts);
INSERT INTO chtest_db.e VALUES (1, 0, 'a'), (1, 10, 'b'), (2, 0, 'b');
SELECT p, windowFunnel(86400)(toDateTime(ts), event = 'a', event = 'b') FROM chtest_db.e GROUP BY p ORDER BY p`, "1\t2\n2\t0\n")

	if _, err := db.Query("SELECT no_such_column"); err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Fatalf("err = %v, want the engine's message", err)
	}
	// The runner survives an error.
	f("SELECT 2", "2\n")
}
