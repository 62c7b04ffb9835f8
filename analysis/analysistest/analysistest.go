// Package analysistest runs analysis scenarios against any event store: plain-text files
// that load events, run specs and expect results, like Prometheus's promqltest. The same
// files (analysis/testdata/*.scenario) run against DuckDB in the analysis package's tests
// and against ClickHouse in the ClickHouse store's tests, which is how the backends are
// shown to agree. It owns the scenario format; it must not import a store implementation.
//
// # Format
//
// A file holds scenarios. Lines starting with # are comments; blank lines end blocks.
//
//	scenario NAME               starts a scenario: a fresh project (ids 101, 102, …)
//	tz Europe/London            the project's time zone (default Asia/Shanghai)
//	now 2024-06-01T00:00:00Z    the instant relative date ranges resolve at
//	events                      then one event a line, until a line without "|":
//	  DISTINCT_ID | TIME | EVENT [| PROPERTIES JSON [| CONTEXT JSON]]
//	persons                     then DISTINCT_ID | TRAITS JSON lines
//	merge OLD NEW               OLD's person was merged into NEW's (a person override)
//	spec                        then the spec's JSON, until a blank line or expect/error
//	expect                      then a JSON value the result must contain, until a blank line
//	error CODE FIELD            instead of expect: the spec fails with a query.Error
//
// JSON in event and person lines must not contain "|". TIME is local to the scenario's zone ("2024-01-01 10:00:00", optionally with
// ".250" milliseconds) or an RFC 3339 instant. Each distinct id is its own person,
// numbered in order of first appearance. Events are stored once, before the scenario's
// first spec runs; a scenario may run several specs.
//
// expect matches when every key of an expected object is in the actual object with a
// matching value, arrays have the same length and matching elements, and numbers are
// within 1e-6 (absolute or relative).
package analysistest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// Scenario is one parsed scenario.
type Scenario struct {
	Name   string
	File   string
	Line   int
	TZ     *time.Location
	Now    time.Time
	Events []Event
	Traits map[string]json.RawMessage // by distinct id
	Merges [][2]string                // old, new distinct id
	Cases  []Case
}

// Event is one event line.
type Event struct {
	DistinctID string
	Time       int64 // ms UTC
	Name       string
	Properties json.RawMessage
	Context    json.RawMessage
}

// Case is a spec and what it must give.
type Case struct {
	Line      int
	Spec      json.RawMessage
	Expect    json.RawMessage // nil when an error is expected
	ErrCode   string
	ErrField  string
	ErrExpect bool
}

// ParseFile reads the scenarios of one file.
func ParseFile(path string) ([]*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open scenarios: %w", err)
	}
	defer f.Close()
	var (
		out   []*Scenario
		cur   *Scenario
		block string // events, persons, spec, expect
		buf   []string
		start int
	)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return nil, fmt.Errorf("cannot load time zone: %w", err)
	}
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	endBlock := func(line int) error {
		if cur == nil || block == "" {
			block = ""
			return nil
		}
		text := strings.Join(buf, "\n")
		switch block {
		case "spec":
			if !json.Valid([]byte(text)) {
				return fail(start, "spec is not valid JSON")
			}
			cur.Cases = append(cur.Cases, Case{Line: start, Spec: json.RawMessage(text)})
		case "expect":
			if len(cur.Cases) == 0 || cur.Cases[len(cur.Cases)-1].Expect != nil || cur.Cases[len(cur.Cases)-1].ErrExpect {
				return fail(start, "expect without a spec before it")
			}
			if !json.Valid([]byte(text)) {
				return fail(start, "expect is not valid JSON")
			}
			cur.Cases[len(cur.Cases)-1].Expect = json.RawMessage(text)
		}
		block, buf = "", nil
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if trimmed == "" {
			if err := endBlock(n); err != nil {
				return nil, err
			}
			continue
		}
		if block == "spec" || block == "expect" {
			if trimmed != "expect" && trimmed != "spec" && !strings.HasPrefix(trimmed, "error ") {
				buf = append(buf, line)
				continue
			}
			if err := endBlock(n); err != nil {
				return nil, err
			}
		}
		word, rest, _ := strings.Cut(trimmed, " ")
		rest = strings.TrimSpace(rest)
		if block == "events" || block == "persons" {
			if strings.Contains(trimmed, "|") {
				if err := parseRow(cur, block, trimmed); err != nil {
					return nil, fail(n, "%v", err)
				}
				continue
			}
			block = "" // a directive ends the block
		}
		if word != "scenario" && cur == nil {
			return nil, fail(n, "%q before the first scenario", word)
		}
		switch word {
		case "scenario":
			cur = &Scenario{Name: rest, File: path, Line: n, TZ: shanghai, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Traits: map[string]json.RawMessage{}}
			out = append(out, cur)
		case "tz":
			loc, err := time.LoadLocation(rest)
			if err != nil {
				return nil, fail(n, "%v", err)
			}
			cur.TZ = loc
		case "now":
			t, err := time.Parse(time.RFC3339, rest)
			if err != nil {
				return nil, fail(n, "%v", err)
			}
			cur.Now = t
		case "events", "persons", "spec", "expect":
			block, start = word, n
		case "merge":
			ids := strings.Fields(rest)
			if len(ids) != 2 {
				return nil, fail(n, "merge wants OLD NEW")
			}
			cur.Merges = append(cur.Merges, [2]string{ids[0], ids[1]})
		case "error":
			f := strings.Fields(rest)
			if len(f) < 1 || len(f) > 2 || len(cur.Cases) == 0 {
				return nil, fail(n, "error wants CODE [FIELD] after a spec")
			}
			c := &cur.Cases[len(cur.Cases)-1]
			c.ErrExpect, c.ErrCode = true, f[0]
			if len(f) == 2 {
				c.ErrField = f[1]
			}
		default:
			return nil, fail(n, "unknown directive %q", word)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read scenarios: %w", err)
	}
	if err := endBlock(n); err != nil {
		return nil, err
	}
	for _, s := range out {
		for _, c := range s.Cases {
			if c.Expect == nil && !c.ErrExpect {
				return nil, fail(c.Line, "spec without expect or error")
			}
		}
	}
	return out, nil
}

func parseRow(s *Scenario, block, line string) error {
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if block == "persons" {
		if len(parts) != 2 || !json.Valid([]byte(parts[1])) {
			return fmt.Errorf("person line wants DISTINCT_ID | TRAITS JSON")
		}
		s.Traits[parts[0]] = json.RawMessage(parts[1])
		return nil
	}
	if len(parts) < 3 || len(parts) > 5 {
		return fmt.Errorf("event line wants DISTINCT_ID | TIME | EVENT [| PROPERTIES [| CONTEXT]]")
	}
	ts, err := parseTime(parts[1], s.TZ)
	if err != nil {
		return err
	}
	e := Event{DistinctID: parts[0], Time: ts, Name: parts[2]}
	for i, dst := range []*json.RawMessage{&e.Properties, &e.Context} {
		if len(parts) > 3+i && parts[3+i] != "" {
			c, err := compact(parts[3+i])
			if err != nil {
				return err
			}
			*dst = json.RawMessage(c)
		}
	}
	s.Events = append(s.Events, e)
	return nil
}

// compact returns a JSON object in compact form, as the collector stores it.
func compact(s string) (string, error) {
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", fmt.Errorf("JSON object %q: %v", s, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func parseTime(s string, loc *time.Location) (int64, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UnixMilli(), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("time %q is neither local \"2006-01-02 15:04:05[.000]\" nor RFC 3339", s)
	}
	return t.UnixMilli(), nil
}

// Batch builds the store batch of a scenario in project: one person per distinct id
// (ids project·1000+1, +2, …), identities, traits and overrides.
func (s *Scenario) Batch(project uint32) *store.Batch {
	b := &store.Batch{Stream: "analysistest"}
	ids := map[string]int64{}
	person := func(d string) int64 {
		if id, ok := ids[d]; ok {
			return id
		}
		id := int64(project)*1000 + int64(len(ids)) + 1
		ids[d] = id
		b.Identities = append(b.Identities, store.Identity{ProjectID: project, DistinctID: d, PersonID: id, IsUser: true})
		return id
	}
	for i, e := range s.Events {
		pid := person(e.DistinctID)
		b.Events = append(b.Events, store.Row{
			Event: event.Event{
				ProjectID: project, ID: fmt.Sprintf("%d-%d", project, i), Type: event.TypeTrack,
				Name: e.Name, Time: e.Time, ReceivedAt: e.Time, UserID: e.DistinctID,
				Properties: e.Properties, Context: e.Context,
			},
			PersonID: pid,
		})
	}
	firstSeen := map[string]int64{}
	for _, e := range s.Events {
		if _, ok := firstSeen[e.DistinctID]; !ok {
			firstSeen[e.DistinctID] = e.Time
		}
	}
	traitIDs := make([]string, 0, len(s.Traits))
	for d := range s.Traits {
		traitIDs = append(traitIDs, d)
	}
	slices.Sort(traitIDs)
	for _, d := range traitIDs {
		var set map[string]json.RawMessage
		_ = json.Unmarshal(s.Traits[d], &set)
		b.Persons = append(b.Persons, store.PersonUpdate{ProjectID: project, PersonID: person(d), CreatedAt: firstSeen[d], Set: set})
	}
	for _, m := range s.Merges {
		b.Overrides = append(b.Overrides, store.Override{ProjectID: project, OldPersonID: person(m[0]), NewPersonID: person(m[1])})
	}
	return b
}

// Run runs every scenario of the files matching pattern against st, each in its own
// project, as subtests named FILE/SCENARIO.
func Run(t *testing.T, st store.EventStore, pattern string) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files match %q: %v", pattern, err)
	}
	project := uint32(100)
	for _, file := range files {
		scenarios, err := ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scenarios {
			project++
			p := project
			t.Run(filepath.Base(file)+"/"+s.Name, func(t *testing.T) {
				RunScenario(t, st, p, s)
			})
		}
	}
}

// RunScenario loads one scenario into project and checks its cases.
func RunScenario(t *testing.T, st store.EventStore, project uint32, s *Scenario) {
	t.Helper()
	ctx := context.Background()
	b := s.Batch(project)
	b.Position = store.Position{Segment: int64(project)}
	if err := st.Apply(ctx, b); err != nil {
		t.Fatalf("%s:%d: cannot load events: %v", s.File, s.Line, err)
	}
	for _, c := range s.Cases {
		var spec query.Spec
		dec := json.NewDecoder(strings.NewReader(string(c.Spec)))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			t.Errorf("%s:%d: cannot decode spec: %v", s.File, c.Line, err)
			continue
		}
		env := query.Env{Project: project, Calendar: query.Calendar{TZ: s.TZ}, Now: s.Now}
		res, err := analysis.Execute(ctx, st, &spec, env)
		if c.ErrExpect {
			var qe *query.Error
			if !errors.As(err, &qe) || qe.Code != c.ErrCode || (c.ErrField != "" && qe.Field != c.ErrField) {
				t.Errorf("%s:%d: got error %v, want %s %s", s.File, c.Line, err, c.ErrCode, c.ErrField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s:%d: %v", s.File, c.Line, err)
			continue
		}
		got, err := json.Marshal(res)
		if err != nil {
			t.Errorf("%s:%d: cannot encode result: %v", s.File, c.Line, err)
			continue
		}
		var gv, wv any
		if err := json.Unmarshal(got, &gv); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(c.Expect, &wv); err != nil {
			t.Fatal(err)
		}
		if path, ok := Contains(gv, wv, ""); !ok {
			t.Errorf("%s:%d: result differs at %s\n got: %s\nwant: %s", s.File, c.Line, path, got, c.Expect)
		}
		if res.Funnel != nil {
			if err := checkFunnelPersons(ctx, st, &spec, env, res.Funnel, b.Overrides); err != nil {
				t.Errorf("%s:%d: %v", s.File, c.Line, err)
			}
		}
		if res.Trends != nil {
			if err := checkTrendsPersons(ctx, st, &spec, env, res.Trends, b.Overrides); err != nil {
				t.Errorf("%s:%d: %v", s.File, c.Line, err)
			}
		}
		if res.Retention != nil {
			if err := checkRetentionPersons(ctx, st, &spec, env, res.Retention, b.Overrides); err != nil {
				t.Errorf("%s:%d: %v", s.File, c.Line, err)
			}
		}
	}
}

// checkTrendsPersons lists the persons behind the points of every series line (not
// formulas) with analysis.TrendsPersons: for math dau as many as the point's value, for
// math total some exactly when the value is not 0 and at most the value; ascending, without
// a person merged away. The whole range's list holds every point's persons.
func checkTrendsPersons(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env, res *analysis.TrendsResult, merges []store.Override) error {
	merged := map[int64]bool{}
	for _, o := range merges {
		merged[o.OldPersonID] = true
	}
	list := func(sel analysis.PointPersons) ([]int64, error) {
		ids, err := analysis.TrendsPersons(ctx, st, spec, env, sel)
		if err != nil {
			return nil, fmt.Errorf("trends persons %+v: %w", sel, err)
		}
		for i, id := range ids {
			if (i > 0 && ids[i-1] >= id) || merged[id] {
				return nil, fmt.Errorf("trends persons %+v: %v are not ascending, distinct persons after merges", sel, ids)
			}
		}
		return ids, nil
	}
	for _, line := range res.Series {
		if line.Series == "formula" {
			continue
		}
		whole, err := list(analysis.PointPersons{Series: line.Series, Breakdown: line.Breakdown, Compare: line.Compare})
		if err != nil {
			return err
		}
		in := map[int64]bool{}
		for _, id := range whole {
			in[id] = true
		}
		// Every point with events (up to 12 a line, to bound the time on a server store) and
		// the first without.
		zero, checked := false, 0
		for _, pt := range line.Points {
			if pt.Value == 0 && zero || checked == 12 {
				continue
			}
			zero, checked = zero || pt.Value == 0, checked+1
			sel := analysis.PointPersons{Series: line.Series, Time: pt.Time, Breakdown: line.Breakdown, Compare: line.Compare}
			ids, err := list(sel)
			if err != nil {
				return err
			}
			n := float64(len(ids))
			switch line.Math {
			case query.MathDAU:
				if n != pt.Value {
					return fmt.Errorf("trends persons %+v: %d listed, the point is %v", sel, len(ids), pt.Value)
				}
			case query.MathTotal:
				if (n == 0) != (pt.Value == 0) || n > pt.Value {
					return fmt.Errorf("trends persons %+v: %d listed for %v events", sel, len(ids), pt.Value)
				}
			}
			for _, id := range ids {
				if !in[id] {
					return fmt.Errorf("trends persons %+v: person %d is not in the whole range's list", sel, id)
				}
			}
		}
	}
	return nil
}

// checkRetentionPersons lists the persons behind every figure of a retention table (each
// cohort, each period retained and lost) with analysis.RetentionPersons: each list must have
// as many persons as the figure, ascending, without a person merged away.
func checkRetentionPersons(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env, res *analysis.RetentionResult, merges []store.Override) error {
	merged := map[int64]bool{}
	for _, o := range merges {
		merged[o.OldPersonID] = true
	}
	for _, co := range res.Cohorts {
		for n := -1; n <= res.Periods; n++ {
			for _, lost := range []bool{false, true} {
				sel := analysis.CohortPersons{Cohort: co.Start, Lost: lost}
				want := co.Size
				if n >= 0 {
					sel.Period = &n
					want = co.Retained[n]
					if lost {
						want = co.Size - co.Retained[n]
					}
				} else if lost {
					continue
				}
				ids, err := analysis.RetentionPersons(ctx, st, spec, env, sel)
				if err != nil {
					return fmt.Errorf("retention persons %s/%d/%v: %w", co.Start, n, lost, err)
				}
				if int64(len(ids)) != want {
					return fmt.Errorf("retention persons of cohort %s period %d (lost %v): %d listed, the figure is %d", co.Start, n, lost, len(ids), want)
				}
				for i, id := range ids {
					if (i > 0 && ids[i-1] >= id) || merged[id] {
						return fmt.Errorf("retention persons of cohort %s: %v are not ascending, distinct persons after merges", co.Start, ids)
					}
				}
			}
		}
	}
	return nil
}

// checkFunnelPersons lists the persons behind every figure of a funnel result (each step
// reached and dropped, overall and per breakdown row) with analysis.FunnelPersons: each
// list must have as many persons as the figure, ascending, without a person merged away.
func checkFunnelPersons(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env, res *analysis.FunnelResult, merges []store.Override) error {
	merged := map[int64]bool{}
	for _, o := range merges {
		merged[o.OldPersonID] = true
	}
	check := func(steps []analysis.FunnelStep, bd *string) error {
		for k := 1; k <= len(steps); k++ {
			for _, dropped := range []bool{false, true} {
				if dropped && k == 1 {
					continue
				}
				want := steps[k-1].Persons
				if dropped {
					want = steps[k-2].Persons - steps[k-1].Persons
				}
				sel := analysis.StepPersons{Step: k, Dropped: dropped, Breakdown: bd}
				ids, err := analysis.FunnelPersons(ctx, st, spec, env, sel)
				if err != nil {
					return fmt.Errorf("funnel persons %+v: %w", sel, err)
				}
				if int64(len(ids)) != want {
					return fmt.Errorf("funnel persons of step %d (dropped %v, breakdown %v): %d listed, the figure is %d", k, dropped, bd, len(ids), want)
				}
				for i, id := range ids {
					if (i > 0 && ids[i-1] >= id) || merged[id] {
						return fmt.Errorf("funnel persons of step %d: %v are not ascending, distinct persons after merges", k, ids)
					}
				}
			}
		}
		return nil
	}
	if err := check(res.Steps, nil); err != nil {
		return err
	}
	for _, b := range res.Breakdown {
		v := b.Value
		if err := check(b.Steps, &v); err != nil {
			return err
		}
	}
	return nil
}

// Contains reports whether got contains want (see the package comment) and, if not, the
// path of the first difference.
func Contains(got, want any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				return path + "." + k, false
			}
			if p, ok := Contains(gv, w[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path + " (length)", false
		}
		for i := range w {
			if p, ok := Contains(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w)) {
			return path, false
		}
		return "", true
	}
	if got != want {
		return path, false
	}
	return "", true
}
