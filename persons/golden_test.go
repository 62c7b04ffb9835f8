package persons

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store/clickhouse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.sql from the package's statements")

// goldenStatements prints every statement of the package for one dialect, with fixed
// inputs, in the query package's golden format: "-- name", "-- args: [...]", SQL, ";".
func goldenStatements(d dialect) []stmt {
	c := &Cursor{TS: 1700000000000, EventID: "e-9"}
	return []stmt{
		d.identityPerson(7, "u1"),
		d.overridesOf(7, []int64{3, 5}),
		d.mergedInto(7, []int64{9}),
		d.identities(7, []int64{9, 3}),
		d.profiles(7, []int64{9, 8}),
		d.eventStats(7, []int64{9, 3}),
		d.orderEvents(7, []int64{9, 3}),
		d.timeline(7, []int64{9, 3}, nil, 51, nil),
		d.timeline(7, []int64{9, 3}, c, 51, nil),
		d.timeline(7, []int64{9, 3}, c, 51, []string{"Order Completed", "Order Refunded"}),
		d.listPersons(7, 1<<62, 21),
		d.candidates(7, "u_1%", jsonInner(`Shanghai"x`), false, 1<<62, 100),
		d.candidates(7, "138", "138", true, 1<<62, 100),
	}
}

func goldenText(t *testing.T, d dialect) string {
	t.Helper()
	var b strings.Builder
	for _, st := range goldenStatements(d) {
		if n := strings.Count(st.sql, "?"); n != len(st.args) {
			t.Fatalf("%s: %d placeholders, %d args", st.name, n, len(st.args))
		}
		args, _ := json.Marshal(st.args)
		b.WriteString("-- " + st.name + "\n-- args: " + string(args) + "\n" + st.sql + ";\n\n")
	}
	return b.String()
}

// TestGolden compares the printed statements with testdata/persons.DIALECT.golden.sql
// (go test ./persons -update rewrites them; review the diff).
func TestGolden(t *testing.T) {
	for _, d := range []dialect{{}, {ch: true}} {
		got := goldenText(t, d)
		path := filepath.Join("testdata", "persons."+d.name()+".golden.sql")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./persons -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the package's statements (run go test ./persons -update and review the diff):\n%s", path, got)
		}
	}
}

// TestGoldenOnCurrentClickHouse runs every ClickHouse statement on current ClickHouse
// (chdb) against the store's schema; the scenario tests run them on 18.16.
func TestGoldenOnCurrentClickHouse(t *testing.T) {
	db := chtest.ChDB(t)
	const database = "jy_persons_golden"
	if err := db.Exec("DROP DATABASE IF EXISTS " + database + "; CREATE DATABASE " + database); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../store/clickhouse/migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for _, f := range files {
		sql, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Query("USE " + database + "; " + string(sql)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	for _, st := range goldenStatements(dialect{ch: true}) {
		sql, err := clickhouse.Bind(st.sql, st.args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Query("USE " + database + "; " + sql); err != nil {
			t.Errorf("%s on ClickHouse %s: %v", st.name, db.Version, err)
		}
	}
}
