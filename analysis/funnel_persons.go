package analysis

import (
	"context"
	"fmt"
	"slices"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// StepPersons selects the persons behind one figure of a funnel: those who reached Step
// (their deepest level is Step or more), or with Dropped those who reached Step-1 and not
// Step (Step ≥ 2). With Breakdown set, only the persons counted in that breakdown row
// (a value of the funnel's result, or query.Other).
type StepPersons struct {
	Step      int     `json:"step"`
	Dropped   bool    `json:"dropped,omitempty"`
	Breakdown *string `json:"breakdown,omitempty"`
}

// FunnelPersons runs a funnel spec like Execute and returns the persons of sel, ascending
// by person id (after merges, as the funnel counts them). Their number equals the funnel's
// figure: Persons of the step, or the previous step's Persons minus this one's. Spec and
// selection errors are *query.Error naming the field (step, dropped, breakdown, or the
// spec's own, such as kind).
func FunnelPersons(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env, sel StepPersons) ([]int64, error) {
	p, err := compileKind(st, spec, env, query.KindFunnel, "persons can be listed for funnel steps only")
	if err != nil {
		return nil, err
	}
	n := len(p.Spec.Steps)
	switch {
	case sel.Step < 1 || sel.Step > n:
		return nil, &query.Error{Code: "invalid_value", Field: "step", Message: fmt.Sprintf("must be a step of the funnel, 1…%d", n)}
	case sel.Dropped && sel.Step == 1:
		return nil, &query.Error{Code: "invalid_value", Field: "dropped", Message: "nobody drops before step 1: give a step from 2"}
	case sel.Breakdown != nil && p.BreakdownLimit() == 0:
		return nil, &query.Error{Code: "invalid_value", Field: "breakdown", Message: "the funnel has no breakdown"}
	}
	// Persons per engine group: 0 the whole funnel, 1… the breakdown rows. The rows' values
	// are known only after the scan, so every group is collected.
	byGroup := map[int][]int64{}
	_, values, err := scanFunnel(ctx, st, p, func(person int64, g, level int) {
		if g != 0 && sel.Breakdown == nil {
			return
		}
		if (!sel.Dropped && level >= sel.Step) || (sel.Dropped && level == sel.Step-1) {
			byGroup[g] = append(byGroup[g], person)
		}
	})
	if err != nil {
		return nil, err
	}
	g := 0
	if sel.Breakdown != nil {
		g = slices.Index(values, *sel.Breakdown) + 1
		if *sel.Breakdown == query.Other {
			g = len(values) + 1
		}
		if g == 0 {
			return nil, &query.Error{Code: "invalid_value", Field: "breakdown", Message: fmt.Sprintf("%q is not a breakdown value of the funnel's result", *sel.Breakdown)}
		}
	}
	ids := byGroup[g]
	if ids == nil {
		ids = []int64{}
	}
	slices.Sort(ids)
	return ids, nil
}

// compileKind compiles spec for st like Execute, refusing a spec of another kind than want
// with a 400 on its kind field that says why.
func compileKind(st store.EventStore, spec *query.Spec, env query.Env, want query.Kind, why string) (*query.Plan, error) {
	if spec.Kind != want {
		return nil, &query.Error{Code: "unsupported", Field: "kind", Message: why}
	}
	env.Dialect = query.Dialect(st.Name())
	return query.Compile(spec, env)
}
