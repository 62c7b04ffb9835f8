package crosscheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/internal/storetest"
	"github.com/jingyun/jingyun/loader"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/clickhouse"
	"github.com/jingyun/jingyun/store/duckdb"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// repoRoot is the directory of go.mod above the working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("cannot get working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("cannot find go.mod above the working directory")
		}
		dir = parent
	}
}

// datasets returns the path of ../shared/datasets next to the repository, skipping the test
// when the folder is absent (and only then: a missing file in a present folder fails).
func datasets(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "datasets")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("the shared datasets folder %s is absent: the real-data cross checks cannot run", dir)
	} else if err != nil {
		t.Fatalf("cannot stat datasets folder: %v", err)
	}
	return dir
}

// stores is a DuckDB store and a ClickHouse store that receive the same events.
type stores struct {
	duck *duckdb.Store
	ch   *clickhouse.Store
}

func (s stores) all() []store.EventStore { return []store.EventStore{s.duck, s.ch} }

// openStores opens an in-memory DuckDB store and a store on a fresh database of the shared
// ClickHouse test server; both are closed when t ends.
func openStores(t *testing.T) stores {
	t.Helper()
	return stores{storetest.DuckDB(t), storetest.ClickHouse(t)}
}

// sink returns an event.Sink that writes every batch through one loader per store (the
// loaders' own Sink, the path `jingyun import` and `jingyun demo` use), so both stores get
// exactly the same events in the same order and resolve persons from the same facts.
func (s stores) sink(t *testing.T) event.Sink {
	t.Helper()
	var tee teeSink
	for _, st := range []store.EventStore{s.duck, s.ch} {
		l, err := loader.New(context.Background(), st, loader.Config{}, nil)
		if err != nil {
			t.Fatalf("cannot start %s loader: %v", st.Name(), err)
		}
		tee = append(tee, l.Sink())
	}
	return tee
}

// teeSink writes a batch to every sink, concurrently; Write returns when all are done.
type teeSink []event.Sink

func (s teeSink) Write(ctx context.Context, events []event.Event) error {
	errs := make([]error, len(s))
	var wg sync.WaitGroup
	for i, k := range s {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = k.Write(ctx, events)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// queryRows runs sql on st and returns each row's values joined by "|".
func queryRows(t *testing.T, st store.EventStore, sql string, args ...any) []string {
	t.Helper()
	var out []string
	err := st.Query(context.Background(), sql, args, func(row []any) error {
		parts := make([]string, len(row))
		for i, v := range row {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: cannot run %s: %v", st.Name(), sql, err)
	}
	return out
}

// The contents of the two stores, read back with persons resolved the way the store
// package comment says (person_overrides; on ClickHouse the latest version of each row).
var contentSQL = map[string][3]string{
	"duckdb": {
		`SELECT e.event_id, e.type, e.event, e.ts, coalesce(o.new_person_id, e.person_id), e.distinct_id, e.properties
		FROM events e LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
		WHERE e.project_id = ?`,
		`SELECT distinct_id, person_id, CAST(is_user AS INTEGER) FROM person_identities WHERE project_id = ?`,
		`SELECT person_id, properties FROM persons WHERE project_id = ?`,
	},
	"clickhouse": {
		`SELECT event_id, type, event, ts, if(new_person_id = 0, person_id, new_person_id), distinct_id, properties
		FROM (SELECT event_id, type, event, ts, person_id, distinct_id, properties FROM events WHERE project_id = ?) AS e
		ANY LEFT JOIN (SELECT old_person_id AS person_id, argMax(new_person_id, version) AS new_person_id
			FROM person_overrides WHERE project_id = ? GROUP BY old_person_id) AS o USING person_id`,
		`SELECT distinct_id, argMax(person_id, version), argMax(is_user, version) FROM person_identities WHERE project_id = ? GROUP BY distinct_id`,
		`SELECT person_id, argMax(properties, version) FROM persons WHERE project_id = ? GROUP BY person_id`,
	},
}

// checkSameContents fails t unless both stores hold the same events of project (id, type,
// name, time, resolved person, distinct id, properties), the same identities and the same
// persons. It returns the number of events and of distinct persons of the events.
func checkSameContents(t *testing.T, s stores, project uint32) (events, persons int) {
	t.Helper()
	var got [2][3][]string
	for i, st := range s.all() {
		q := contentSQL[st.Name()]
		for j, sql := range q {
			args := []any{project}
			if strings.Count(sql, "?") == 2 {
				args = append(args, project)
			}
			rows := queryRows(t, st, sql, args...)
			slices.Sort(rows)
			got[i][j] = rows
		}
	}
	for j, what := range []string{"events", "identities", "persons"} {
		d, c := got[0][j], got[1][j]
		if len(d) != len(c) {
			t.Errorf("project %d: duckdb has %d %s, clickhouse %d", project, len(d), what, len(c))
		}
		shown := 0
		for _, diff := range symmetricDiff(d, c) {
			if shown++; shown > 5 {
				t.Errorf("… and more %s differ", what)
				break
			}
			t.Errorf("project %d: %s row only in %s: %s", project, what, diff[0], diff[1])
		}
	}
	seen := map[string]bool{}
	for _, r := range got[0][0] {
		seen[strings.Split(r, "|")[4]] = true
	}
	if len(got[0][0]) == 0 {
		t.Fatalf("project %d: no events were loaded", project)
	}
	return len(got[0][0]), len(seen)
}

// symmetricDiff returns the rows of sorted a and b that are not in the other, each with the
// store it is in.
func symmetricDiff(a, b []string) [][2]string {
	var out [][2]string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, [2]string{"duckdb", a[i]})
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, [2]string{"clickhouse", b[j]})
			j++
		default:
			i++
			j++
		}
	}
	return out
}

// mustDecode decodes a spec the way the HTTP API does.
func mustDecode(t *testing.T, js string) query.Spec {
	t.Helper()
	spec, err := query.Decode(strings.NewReader(js))
	if err != nil {
		t.Fatalf("cannot decode spec %s: %v", js, err)
	}
	return *spec
}

// runBoth runs spec on both stores and fails t unless the results are deeply equal (every
// step, time between steps, cohort, point). It returns the result.
func runBoth(t *testing.T, s stores, spec query.Spec, env query.Env) *analysis.Result {
	t.Helper()
	var res [2]*analysis.Result
	for i, st := range s.all() {
		sp := spec
		res[i] = runOne(t, st, &sp, env)
	}
	if !reflect.DeepEqual(res[0], res[1]) {
		t.Errorf("duckdb and clickhouse disagree on %s\nduckdb:     %s\nclickhouse: %s", specJSON(spec), resultJSON(res[0]), resultJSON(res[1]))
	}
	return res[0]
}

// runOne runs spec on one store.
func runOne(t *testing.T, st store.EventStore, spec *query.Spec, env query.Env) *analysis.Result {
	t.Helper()
	r, err := analysis.Execute(context.Background(), st, spec, env)
	if err != nil {
		t.Fatalf("%s: cannot run %s: %v", st.Name(), specJSON(*spec), err)
	}
	return r
}

func specJSON(s query.Spec) string {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%+v", s)
	}
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func resultJSON(r *analysis.Result) string {
	b, _ := json.Marshal(r)
	return string(b)
}

// stepPersons returns the persons per funnel step.
func stepPersons(r *analysis.Result) []int64 {
	out := make([]int64, len(r.Funnel.Steps))
	for i, s := range r.Funnel.Steps {
		out[i] = s.Persons
	}
	return out
}

// windowFunnel runs query.FunnelReferenceSQL for spec on the ClickHouse store and returns
// the persons per step: persons at step k are those whose windowFunnel level is at least k.
func windowFunnel(t *testing.T, ch store.EventStore, spec query.Spec, env query.Env) []int64 {
	t.Helper()
	ref, err := query.FunnelReferenceSQL(&spec, env)
	if err != nil {
		t.Fatalf("cannot print windowFunnel reference: %v", err)
	}
	levels := make([]int64, len(spec.Steps)+1)
	err = ch.Query(context.Background(), ref.SQL, ref.Args, func(row []any) error {
		l, ok1 := row[0].(int64)
		n, ok2 := row[1].(int64)
		if !ok1 || !ok2 || l < 0 || int(l) >= len(levels) {
			return fmt.Errorf("unexpected windowFunnel row %v", row)
		}
		levels[l] = n
		return nil
	})
	if err != nil {
		t.Fatalf("cannot run windowFunnel reference: %v", err)
	}
	out := make([]int64, len(spec.Steps))
	for k := range out {
		for _, n := range levels[k+1:] {
			out[k] += n
		}
	}
	return out
}

// retentionRef runs query.RetentionReferenceSQL for spec on the ClickHouse store: per
// cohort label its size followed by r0…rN (non-empty cohorts only).
func retentionRef(t *testing.T, ch store.EventStore, spec query.Spec, env query.Env) map[string][]int64 {
	t.Helper()
	ref, err := query.RetentionReferenceSQL(&spec, env)
	if err != nil {
		t.Fatalf("cannot print retention reference: %v", err)
	}
	out := map[string][]int64{}
	err = ch.Query(context.Background(), ref.SQL, ref.Args, func(row []any) error {
		label, ok := row[0].(string)
		if !ok {
			return fmt.Errorf("unexpected retention() row %v", row)
		}
		var nums []int64
		for _, v := range row[1:] {
			n, ok := v.(int64)
			if !ok {
				return fmt.Errorf("unexpected retention() row %v", row)
			}
			nums = append(nums, n)
		}
		out[label] = nums
		return nil
	})
	if err != nil {
		t.Fatalf("cannot run retention reference: %v", err)
	}
	return out
}

// cohortTable returns the engine's non-empty cohorts as label → size, r0…rN.
func cohortTable(r *analysis.Result) map[string][]int64 {
	out := map[string][]int64{}
	for _, c := range r.Retention.Cohorts {
		if c.Size > 0 {
			out[c.Start] = append([]int64{c.Size}, c.Retained...)
		}
	}
	return out
}

// compareCohorts reports every cohort where got and want differ.
func compareCohorts(t *testing.T, what string, got, want map[string][]int64) {
	t.Helper()
	labels := map[string]bool{}
	for l := range got {
		labels[l] = true
	}
	for l := range want {
		labels[l] = true
	}
	for _, l := range slices.Sorted(maps.Keys(labels)) {
		if !slices.Equal(got[l], want[l]) {
			t.Errorf("%s: cohort %s: engine [size r0…] %v, reference %v", what, l, got[l], want[l])
		}
	}
}

// retentionCase checks one retention spec: both stores agree and equal ClickHouse's
// retention(). With wantReturns, some cohort must have a return after period 0, so that the
// case checks more than the cohort sizes.
func retentionCase(t *testing.T, s stores, env query.Env, specText string, wantReturns bool) {
	t.Helper()
	spec := mustDecode(t, specText)
	res := runBoth(t, s, spec, env)
	got := cohortTable(res)
	want := retentionRef(t, s.ch, spec, env)
	compareCohorts(t, "retention() "+specText, got, want)
	cohorts, returns := 0, false
	for _, c := range got {
		cohorts++
		for _, n := range c[2:] {
			returns = returns || n > 0
		}
	}
	if cohorts == 0 {
		t.Errorf("%s: no cohort has persons, the case checks nothing", specText)
	}
	if wantReturns && !returns {
		t.Errorf("%s: nobody returns after period 0, the case checks little", specText)
	}
	t.Logf("retention %s: %d non-empty cohorts, returns after P0: %v", specText, cohorts, returns)
}

// tiedDistinctIDs finds, with SQL on the DuckDB store, the persons (after person_overrides)
// who have two events named like a funnel step within the same second (intDiv(ts, 1000)),
// and returns every distinct id on any event of those persons, and how many persons they are.
//
// ClickHouse's windowFunnel works in whole seconds and leaves the order of events with the
// same timestamp undefined, while Jingyun defines it (DESIGN §4), so those persons are left
// out of the comparison with windowFunnel. Only the step event names are considered, not
// the step filters: that finds a superset of the persons whose result could depend on the
// order of ties, and leaving out more persons than necessary keeps the comparison exact.
// Leaving a person out through their distinct ids removes all their events, because the
// filter is a spec-level filter on every event; the function fails t if one of the ids is
// also on an event of a person outside the tied set.
func tiedDistinctIDs(t *testing.T, duck store.EventStore, project uint32, events []string) (ids []string, persons int) {
	t.Helper()
	names := slices.Compact(slices.Sorted(slices.Values(events)))
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
	resolved := `SELECT coalesce(o.new_person_id, e.person_id) AS person, e.ts, e.event, e.distinct_id
		FROM events e LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
		WHERE e.project_id = ?`
	tied := `SELECT DISTINCT person FROM (` + resolved + ` AND e.event IN (` + ph + `))
		GROUP BY person, ts // 1000 HAVING count(*) > 1`
	args := []any{project}
	for _, n := range names {
		args = append(args, n)
	}
	persons = len(queryRows(t, duck, tied, args...))
	ids = queryRows(t, duck, `SELECT DISTINCT distinct_id FROM (`+resolved+`) WHERE person IN (`+tied+`) ORDER BY 1`,
		append([]any{project}, args...)...)
	// The ids must not reach any person outside the tied set.
	others := queryRows(t, duck, `SELECT count(DISTINCT person) FROM (`+resolved+`) WHERE distinct_id IN (
		SELECT distinct_id FROM (`+resolved+`) WHERE person IN (`+tied+`)) AND person NOT IN (`+tied+`)`,
		append(append(append([]any{project}, project), args...), args...)...)
	if len(others) != 1 || others[0] != "0" {
		t.Fatalf("the distinct ids of the tied persons also belong to %v other persons: leaving them out by distinct id would not be exact", others)
	}
	return ids, persons
}

// excludeIDs returns spec with spec-level filters distinct_id not_in ids. A not_in list
// holds at most query.MaxListValues values, so a long list is split over several not_in
// filters: filters are ANDed, and "not in A and not in B" is "not in A ∪ B", so this is
// exact. query.MaxFilters bounds how many fit.
func excludeIDs(t *testing.T, spec query.Spec, ids []string) query.Spec {
	t.Helper()
	spec.Filters = slices.Clone(spec.Filters)
	for len(ids) > 0 {
		n := min(len(ids), query.MaxListValues)
		spec.Filters = append(spec.Filters, query.Filter{Property: "distinct_id", Operator: query.OpNotIn, Value: slices.Clone(ids[:n])})
		ids = ids[n:]
	}
	if len(spec.Filters) > query.MaxFilters {
		t.Fatalf("leaving out the tied persons needs %d filters, more than query.MaxFilters (%d)", len(spec.Filters), query.MaxFilters)
	}
	return spec
}

// funnelCase checks one funnel spec on project:
//   - both stores give deeply equal results, with and without the tied persons;
//   - without the persons who have two step events in the same second, the persons per
//     step equal ClickHouse's windowFunnel on the same filtered spec.
//
// It fails when nobody enters the funnel, since the case would then check nothing.
func funnelCase(t *testing.T, s stores, project uint32, env query.Env, specText string) {
	t.Helper()
	funnelCaseWithout(t, s, project, env, specText, nil)
}

// funnelCaseWithout is funnelCase on the spec with the distinct ids in without left out
// too (by distinct_id not_in filters on both sides).
func funnelCaseWithout(t *testing.T, s stores, project uint32, env query.Env, specText string, without []string) {
	t.Helper()
	spec := mustDecode(t, specText)
	if len(without) > 0 {
		spec = excludeIDs(t, spec, without)
	}
	all := runBoth(t, s, spec, env)
	var names []string
	for _, st := range spec.Steps {
		names = append(names, st.Event)
	}
	ids, tied := tiedDistinctIDs(t, s.duck, project, names)
	filtered := spec
	if len(ids) > 0 {
		filtered = excludeIDs(t, spec, ids)
	}
	res := runBoth(t, s, filtered, env)
	got := stepPersons(res)
	want := windowFunnel(t, s.ch, filtered, env)
	if !slices.Equal(got, want) {
		t.Errorf("funnel %s without %d tied persons: engine persons per step %v, windowFunnel %v", specText, tied, got, want)
	}
	if got[0] == 0 {
		t.Errorf("funnel %s: nobody enters the funnel, the case checks nothing", specText)
	}
	allRef := windowFunnel(t, s.ch, spec, env)
	t.Logf("funnel %s:\n  all persons: engine %v (windowFunnel with ties in undefined order %v)\n  without %d persons with same-second step events (%d distinct ids): engine %v = windowFunnel %v",
		specText, stepPersons(all), allRef, tied, len(ids), got, want)
}
