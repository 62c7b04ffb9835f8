package analysistest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// CrossCheck loads the scenarios of the files matching pattern into a ClickHouse store
// (projects 501, 502, …) and checks every funnel and retention case against ClickHouse's
// own windowFunnel and retention functions (query.FunnelReferenceSQL,
// query.RetentionReferenceSQL): persons per funnel step, and per non-empty cohort its size
// and retained counts. Scenarios where a person has two events in the same second are
// skipped for funnels (ClickHouse leaves their order undefined and works in seconds), as
// are cases that expect an error and retention cases with more than 30 periods.
func CrossCheck(t *testing.T, st store.EventStore, pattern string) {
	t.Helper()
	if st.Name() != string(query.ClickHouse) {
		t.Fatalf("CrossCheck needs a ClickHouse store, not %s", st.Name())
	}
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files match %q: %v", pattern, err)
	}
	project := uint32(500)
	for _, file := range files {
		scenarios, err := ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scenarios {
			project++
			p := project
			t.Run(filepath.Base(file)+"/"+s.Name, func(t *testing.T) {
				crossCheckScenario(t, st, p, s)
			})
		}
	}
}

func crossCheckScenario(t *testing.T, st store.EventStore, project uint32, s *Scenario) {
	ctx := context.Background()
	b := s.Batch(project)
	b.Position = store.Position{Segment: int64(project)}
	if err := st.Apply(ctx, b); err != nil {
		t.Fatalf("%s:%d: cannot load events: %v", s.File, s.Line, err)
	}
	ties := s.sameSecond()
	for _, c := range s.Cases {
		if c.ErrExpect {
			continue
		}
		var spec query.Spec
		dec := json.NewDecoder(bytes.NewReader(c.Spec))
		dec.UseNumber()
		if err := dec.Decode(&spec); err != nil {
			t.Fatalf("%s:%d: %v", s.File, c.Line, err)
		}
		env := query.Env{Dialect: query.ClickHouse, Project: project, Calendar: query.Calendar{TZ: s.TZ}, Now: s.Now}
		switch {
		case spec.Kind == query.KindFunnel && !ties:
			res, err := analysis.Execute(ctx, st, &spec, env)
			if err != nil {
				t.Fatalf("%s:%d: %v", s.File, c.Line, err)
			}
			ref, err := query.FunnelReferenceSQL(&spec, env)
			if err != nil {
				t.Fatalf("%s:%d: %v", s.File, c.Line, err)
			}
			levels := make([]int64, len(spec.Steps)+1)
			err = st.Query(ctx, ref.SQL, ref.Args, func(row []any) error {
				l, n, ok1, ok2 := row[0], row[1], false, false
				var li, ni int64
				li, ok1 = l.(int64)
				ni, ok2 = n.(int64)
				if !ok1 || !ok2 || li < 0 || int(li) >= len(levels) {
					return fmt.Errorf("bad reference row %v", row)
				}
				levels[li] = ni
				return nil
			})
			if err != nil {
				t.Fatalf("%s:%d: %v", s.File, c.Line, err)
			}
			for k := range spec.Steps {
				var want int64
				for _, n := range levels[k+1:] {
					want += n
				}
				if got := res.Funnel.Steps[k].Persons; got != want {
					t.Errorf("%s:%d: step %d: engine %d persons, windowFunnel %d (levels %v)", s.File, c.Line, k+1, got, want, levels)
				}
			}
		case spec.Kind == query.KindRetention && (spec.Periods <= 30):
			res, err := analysis.Execute(ctx, st, &spec, env)
			if err != nil {
				t.Fatalf("%s:%d: %v", s.File, c.Line, err)
			}
			ref, err := query.RetentionReferenceSQL(&spec, env)
			if err != nil {
				t.Fatalf("%s:%d: %v", s.File, c.Line, err)
			}
			want := map[string][]int64{}
			err = st.Query(ctx, ref.SQL, ref.Args, func(row []any) error {
				label, ok := row[0].(string)
				if !ok {
					return fmt.Errorf("bad reference row %v", row)
				}
				var nums []int64
				for _, v := range row[1:] {
					n, ok := v.(int64)
					if !ok {
						return fmt.Errorf("bad reference row %v", row)
					}
					nums = append(nums, n)
				}
				want[label] = nums
				return nil
			})
			if err != nil {
				t.Fatalf("%s:%d: %v", s.File, c.Line, err)
			}
			for _, co := range res.Retention.Cohorts {
				got := fmt.Sprint(append([]int64{co.Size}, co.Retained...))
				w, ok := want[co.Start]
				if co.Size == 0 && !ok {
					continue
				}
				delete(want, co.Start)
				if got != fmt.Sprint(w) {
					t.Errorf("%s:%d: cohort %s: engine %s, retention() %v", s.File, c.Line, co.Start, got, w)
				}
			}
			if len(want) > 0 {
				t.Errorf("%s:%d: retention() has cohorts the engine lacks: %v", s.File, c.Line, want)
			}
		}
	}
}

// sameSecond reports whether a person (after merges) has two events in the same second.
func (s *Scenario) sameSecond() bool {
	root := map[string]string{}
	for _, m := range s.Merges {
		root[m[0]] = m[1]
	}
	seen := map[string]bool{}
	for _, e := range s.Events {
		id := e.DistinctID
		if r, ok := root[id]; ok {
			id = r
		}
		k := fmt.Sprintf("%s\x00%d", id, e.Time/1000)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}
