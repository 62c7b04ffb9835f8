package clickhouse

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store"
)

// The analysis SQL below is the shape the query compiler is expected to print: it must run
// on 18.16 (the test server) and on current ClickHouse (chdb), with the same answers.
const (
	// funnelSQL counts persons per windowFunnel level, mapping merged persons through
	// person_overrides read with FINAL. The joined subquery needs an alias on current
	// releases (joined_subquery_requires_alias). Args: three event names, project, project.
	funnelSQL = `SELECT level, count() FROM (
    SELECT if(new_person_id = 0, person_id, new_person_id) AS person,
           windowFunnel(86400)(toDateTime(intDiv(ts, 1000)), event = ?, event = ?, event = ?) AS level
    FROM events
    ANY LEFT JOIN (
        SELECT old_person_id AS person_id, new_person_id FROM person_overrides FINAL WHERE project_id = ?
    ) AS o USING person_id
    WHERE project_id = ?
    GROUP BY person
) GROUP BY level ORDER BY level`
	// retentionSQL sums retention() over persons on days of a time zone. Args: three
	// dates, time zone, project, event.
	retentionSQL = `SELECT sum(r[1]), sum(r[2]), sum(r[3]) FROM (
    SELECT person_id, retention(d = toDate(?), d = toDate(?), d = toDate(?)) AS r
    FROM (SELECT person_id, toDate(toDateTime(intDiv(ts, 1000), ?)) AS d FROM events WHERE project_id = ? AND event = ?)
    GROUP BY person_id
)`
)

// analysisCase is a bound query and its expected rows ("a|b").
type analysisCase struct {
	name string
	sql  string
	args []any
	want []string
}

// analysisData is a tiny hand-made dataset with known funnel and retention answers.
func analysisData() (*store.Batch, []analysisCase) {
	const t0 = 1_699_920_000_000 // 2023-11-14 00:00:00 UTC
	const sec, day = 1000, 86_400_000
	e := func(project uint32, person int64, name string, ts int64) store.Row {
		return ev(project, name+"@"+string(rune('0'+person))+"@"+string(rune('a'+ts/sec%26)), person, name, ts)
	}
	rows := []store.Row{
		// Funnel a → b → c within a day, project 1.
		e(1, 1, "a", t0), e(1, 1, "b", t0+100*sec), e(1, 1, "c", t0+200*sec), // level 3
		e(1, 2, "a", t0), e(1, 2, "b", t0+day+sec), // b too late: level 1
		e(1, 3, "b", t0), e(1, 3, "a", t0+10*sec), // b before a: level 1
		e(1, 4, "a", t0), e(1, 4, "c", t0+sec), // no b: level 1
		e(1, 5, "c", t0), // level 0
		// Person 6 did a, then was merged into 7, who did b: level 2 as person 7.
		e(1, 6, "a", t0), e(1, 7, "b", t0+5*sec),
		// Retention on days of project 2.
		e(2, 1, "visit", t0), e(2, 1, "visit", t0+day), e(2, 1, "visit", t0+2*day),
		e(2, 2, "visit", t0+sec), e(2, 2, "visit", t0+2*day+sec),
		e(2, 3, "visit", t0+day),
		e(2, 4, "visit", t0+2*sec),
		// 17:00 UTC on day 0 is day 1 in Shanghai.
		e(2, 5, "visit", t0+sec), e(2, 5, "visit", t0+17*3600*sec),
	}
	b := &store.Batch{Stream: "wal", Events: rows, Overrides: []store.Override{{ProjectID: 1, OldPersonID: 6, NewPersonID: 7}}}
	days := []any{"2023-11-14", "2023-11-15", "2023-11-16"}
	cases := []analysisCase{
		{"windowFunnel", funnelSQL, []any{"a", "b", "c", 1, 1}, []string{"0|1", "1|3", "2|1", "3|1"}},
		{"retention UTC", retentionSQL, append(days[:3:3], "UTC", 2, "visit"), []string{"4|1|2"}},
		{"retention Asia/Shanghai", retentionSQL, append(days[:3:3], "Asia/Shanghai", 2, "visit"), []string{"4|2|2"}},
	}
	return b, cases
}

// TestAnalysisFunctions proves that ClickHouse's own funnel and retention functions exist
// on the 18.16 server as the query compiler will use them (windowFunnel wants a DateTime),
// and that the documented way to apply person_overrides (FINAL) runs there.
func TestAnalysisFunctions(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	b, cases := analysisData()
	if err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := queryRows(t, s, c.sql, c.args...); !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSQLOnCurrentClickHouse runs the schema migrations, the mutations of DeletePerson and
// the analysis SQL on current ClickHouse (chdb), so that none of them depends on 18.16
// behaviour, and checks the analyses give the same answers.
func TestSQLOnCurrentClickHouse(t *testing.T) {
	t.Parallel()
	db := chtest.ChDB(t)
	const database = "jy_current"
	run := func(sql string) string {
		t.Helper()
		out, err := db.Query("USE " + database + "; " + sql)
		if err != nil {
			t.Fatalf("chdb %s:\n%s\n%v", db.Version, sql, err)
		}
		return out
	}
	if err := db.Exec("DROP DATABASE IF EXISTS " + database + "; CREATE DATABASE " + database); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		run(m.SQL)
	}

	b, cases := analysisData()
	var values []string
	for _, r := range b.Events {
		v, err := Bind("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", []any{r.ProjectID, r.ID, string(r.Type), r.Name, r.Time, r.ReceivedAt,
			r.PersonID, r.DistinctID(), r.AnonymousID, r.UserID, string(jsonObject(r.Properties)), string(jsonObject(r.Context))})
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, v)
	}
	run("INSERT INTO events (project_id, event_id, type, event, ts, received_at, person_id, distinct_id, anonymous_id, user_id, properties, context) VALUES " + strings.Join(values, ", "))
	for _, o := range b.Overrides {
		ins, err := Bind("INSERT INTO person_overrides (project_id, old_person_id, new_person_id, version) VALUES (?, ?, ?, 1)", []any{o.ProjectID, o.OldPersonID, o.NewPersonID})
		if err != nil {
			t.Fatal(err)
		}
		run(ins)
	}
	for _, c := range cases {
		sql, err := Bind(c.sql, c.args)
		if err != nil {
			t.Fatal(err)
		}
		out := run(sql)
		got := strings.Split(strings.ReplaceAll(strings.TrimSuffix(out, "\n"), "\t", "|"), "\n")
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%s on ClickHouse %s: got %v, want %v", c.name, db.Version, got, c.want)
		}
	}

	stmts, err := deleteStatements(1, []int64{7, 6}, []string{"u7", "it's"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		run(st.sql + " SETTINGS mutations_sync = 1")
	}
	if got := run("SELECT count() FROM events WHERE project_id = 1 AND person_id IN (6, 7)"); got != "0\n" {
		t.Fatalf("events of deleted persons left: %s", got)
	}
	if got := run("SELECT count() FROM events"); got != "19\n" {
		t.Fatalf("events left: %s, want 19", got)
	}
}
