package clickhouse

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/internal/chtest"
)

// goldenStatement is one statement of the query compiler's ClickHouse golden files.
type goldenStatement struct {
	name string
	sql  string
	args []any
}

// goldenStatements reads ../../query/testdata/*.clickhouse.golden.sql: each statement is a
// "-- name" line, a "-- args: [...]" line and the SQL up to ";".
func goldenStatements(t *testing.T) []goldenStatement {
	t.Helper()
	files, err := filepath.Glob("../../query/testdata/*.clickhouse.golden.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var out []goldenStatement
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range strings.Split(string(b), ";\n") {
			lines := strings.Split(strings.TrimSpace(chunk), "\n")
			if len(lines) < 3 || !strings.HasPrefix(lines[1], "-- args: ") {
				continue
			}
			var args []any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "-- args: ")), &args); err != nil {
				t.Fatalf("%s: %s: %v", f, lines[0], err)
			}
			for i, a := range args {
				if n, ok := a.(float64); ok && n == float64(int64(n)) {
					args[i] = int64(n)
				}
			}
			out = append(out, goldenStatement{filepath.Base(f) + " " + lines[0], strings.Join(lines[2:], "\n"), args})
		}
	}
	if len(out) < 15 {
		t.Fatalf("parsed only %d golden statements", len(out))
	}
	return out
}

// TestGoldenSQLRunsOnBothReleases executes every statement the compiler prints for
// ClickHouse on the 18.16 server and on current ClickHouse (chdb), against the real schema,
// so a printer change that only one release accepts fails here.
func TestGoldenSQLRunsOnBothReleases(t *testing.T) {
	stmts := goldenStatements(t)
	s := openStore(t)
	for _, st := range stmts {
		if err := s.Query(context.Background(), st.sql, st.args, func([]any) error { return nil }); err != nil {
			t.Errorf("%s on 18.16: %v", st.name, err)
		}
	}
	db := chtest.ChDB(t)
	const database = "jy_golden"
	if err := db.Exec("DROP DATABASE IF EXISTS " + database + "; CREATE DATABASE " + database); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if _, err := db.Query("USE " + database + "; " + m.SQL); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range stmts {
		sql, err := Bind(st.sql, st.args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Query("USE " + database + "; " + sql); err != nil {
			t.Errorf("%s on ClickHouse %s: %v", st.name, db.Version, err)
		}
	}
}
