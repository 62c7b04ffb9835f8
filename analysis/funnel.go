package analysis

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// FunnelResult is a funnel: persons per step in step order, overall and per breakdown
// value of the first step's event.
type FunnelResult struct {
	Window    string            `json:"window"`
	Steps     []FunnelStep      `json:"steps"`
	Breakdown []FunnelBreakdown `json:"breakdown,omitempty"`
}

// FunnelStep is one step of a funnel. Persons reached the step: they did steps 1…Step in
// order within the window, starting inside the date range. StepConversion is Persons over
// the previous step's, OverallConversion over the first step's (0 when there is nobody to
// convert; 1 for the first step). MedianSeconds and AverageSeconds are the time from the
// previous step to this one over the persons who reached it, measured on the chain that
// gave each person their deepest step (the latest-starting such chain, at its earliest
// completion); null for the first step and for steps nobody reached.
type FunnelStep struct {
	Step              int      `json:"step"`
	Event             string   `json:"event"`
	Persons           int64    `json:"persons"`
	StepConversion    float64  `json:"step_conversion"`
	OverallConversion float64  `json:"overall_conversion"`
	MedianSeconds     *float64 `json:"median_seconds"`
	AverageSeconds    *float64 `json:"average_seconds"`
}

// FunnelBreakdown is the funnel of the persons whose chains start with a first-step event
// of one breakdown value: exactly the funnel with "property eq Value" added to step 1
// (query.Other: not one of the top values). A person can be in several rows.
type FunnelBreakdown struct {
	Value string       `json:"value"`
	Steps []FunnelStep `json:"steps"`
}

func runFunnel(ctx context.Context, st store.EventStore, p *query.Plan) (*FunnelResult, error) {
	e, values, err := scanFunnel(ctx, st, p, nil)
	if err != nil {
		return nil, err
	}
	res := &FunnelResult{Window: p.Spec.Window, Steps: e.steps(0, p.Spec.Steps)}
	for g := 1; g < e.groups; g++ {
		steps := e.steps(g, p.Spec.Steps)
		value := query.Other
		if g <= len(values) {
			value = values[g-1]
		} else if steps[0].Persons == 0 {
			continue
		}
		res.Breakdown = append(res.Breakdown, FunnelBreakdown{Value: value, Steps: steps})
	}
	return res, nil
}

// scanFunnel runs the funnel's scan through the engine and returns it finished, with the
// breakdown values of groups 1… (group len(values)+1 is query.Other). onLevel, when set,
// sees each person's deepest level (1…steps) per group they entered.
func scanFunnel(ctx context.Context, st store.EventStore, p *query.Plan, onLevel func(person int64, g, level int)) (*funnelEngine, []string, error) {
	var values []string
	if p.BreakdownLimit() > 0 {
		var err error
		if values, err = topValues(ctx, st, p.FunnelBreakdownSQL()); err != nil {
			return nil, nil, err
		}
	}
	groups := 1
	if p.BreakdownLimit() > 0 {
		groups = len(values) + 2 // total, each value, other
	}
	e := newFunnelEngine(len(p.Spec.Steps), p.WindowMs, p.Range.From, p.Range.To, groups)
	e.onLevel = onLevel
	c := p.FunnelSQL(values)
	wantCols := 3
	if groups > 1 {
		wantCols = 4
	}
	err := st.ScanInt64(ctx, c.SQL, c.Args, func(cols [][]int64) error {
		if len(cols) != wantCols {
			return fmt.Errorf("funnel stream has %d columns, want %d", len(cols), wantCols)
		}
		for i := range cols[0] {
			var bd int64
			if groups > 1 {
				bd = cols[3][i]
			}
			if err := e.add(cols[0][i], cols[1][i], cols[2][i], int(bd)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot run funnel: %w", err)
	}
	e.finish()
	return e, values, nil
}

// noStart marks a level that no chain has reached.
const noStart = math.MinInt64

// funnelEngine computes windowFunnel levels in one pass over (person, ts, mask) rows
// ordered by person and ts (DESIGN §4, §7). Per person and group it keeps, for each level
// k, the latest start time among chains that reached k, and that chain's step times. An
// event matching step k advances the chain of level k-1 if ts - start <= window; matching
// steps are applied from the highest to the lowest, so one event moves a chain one level at
// most; a step 1 match starts a chain only inside [from, to). Rows of one person at the
// same ts are applied in order of their lowest matching step, then their mask, so a view
// and an add-to-cart in the same instant count as view → cart.
//
// Group 0 is the whole funnel; with a breakdown, group g ≥ 1 sees step 1 only on rows
// whose bd is g, every other step on all rows.
type funnelEngine struct {
	n        int
	window   int64
	from, to int64
	groups   int

	person  int64
	started bool
	ts      int64
	pending []funnelRow
	order   []funnelRow

	start []int64 // [g*n+k]: latest start of a chain at level k+1, or noStart
	times []int64 // [(g*n+k)*n+j]: time of step j+1 of that chain

	hist   []int64   // [g*n+k]: persons whose deepest level is k+1
	deltas [][]int64 // [g*n+k]: ms from step k to step k+1 (k ≥ 1) per person reaching it

	onLevel func(person int64, g, level int) // optional: each person's deepest level per group
}

type funnelRow struct {
	mask int64
	bd   int
}

func newFunnelEngine(steps int, window, from, to int64, groups int) *funnelEngine {
	e := &funnelEngine{
		n: steps, window: window, from: from, to: to, groups: groups,
		start:  make([]int64, groups*steps),
		times:  make([]int64, groups*steps*steps),
		hist:   make([]int64, groups*steps),
		deltas: make([][]int64, groups*steps),
	}
	e.reset()
	return e
}

func (e *funnelEngine) reset() {
	for i := range e.start {
		e.start[i] = noStart
	}
}

// add feeds one row; rows must come ordered by person, then ts.
func (e *funnelEngine) add(person, ts, mask int64, bd int) error {
	if mask <= 0 || mask >= 1<<e.n {
		return fmt.Errorf("funnel row has mask %d, want 1..%d", mask, 1<<e.n-1)
	}
	if e.groups > 1 && (bd < 1 || bd >= e.groups) && mask&1 != 0 {
		return fmt.Errorf("funnel row has breakdown %d, want 1..%d", bd, e.groups-1)
	}
	if !e.started || person != e.person {
		if e.started && person < e.person {
			return fmt.Errorf("funnel stream is not ordered by person (%d after %d)", person, e.person)
		}
		e.flush()
		e.endPerson()
		e.person, e.ts, e.started = person, ts, true
	} else if ts != e.ts {
		if ts < e.ts {
			return fmt.Errorf("funnel stream of person %d is not ordered by time (%d after %d)", person, ts, e.ts)
		}
		e.flush()
		e.ts = ts
	}
	e.pending = append(e.pending, funnelRow{mask, bd})
	return nil
}

// finish ends the last person; the engine then holds the results.
func (e *funnelEngine) finish() {
	if e.started {
		e.flush()
		e.endPerson()
		e.started = false
	}
}

// flush applies the rows of one person at one instant.
func (e *funnelEngine) flush() {
	if len(e.pending) == 0 {
		return
	}
	for g := 0; g < e.groups; g++ {
		rows := e.pending
		if len(rows) > 1 {
			e.order = append(e.order[:0], rows...)
			slices.SortStableFunc(e.order, func(a, b funnelRow) int {
				ma, mb := e.effective(g, a), e.effective(g, b)
				if la, lb := ma&-ma, mb&-mb; la != lb {
					return int(la - lb)
				}
				return int(ma - mb)
			})
			rows = e.order
		}
		for _, r := range rows {
			e.apply(g, e.effective(g, r))
		}
	}
	e.pending = e.pending[:0]
}

// effective is the mask a group sees: step 1 only where the row's breakdown is the group.
func (e *funnelEngine) effective(g int, r funnelRow) int64 {
	if g == 0 || r.bd == g {
		return r.mask
	}
	return r.mask &^ 1
}

func (e *funnelEngine) apply(g int, m int64) {
	if m == 0 {
		return
	}
	n, ts := e.n, e.ts
	st := e.start[g*n : (g+1)*n]
	if st[0] == noStart && m&1 == 0 {
		return // no chain yet, and this event cannot start one
	}
	tm := e.times[g*n*n : (g+1)*n*n]
	for k := n - 1; k >= 1; k-- {
		if m&(1<<k) == 0 || st[k-1] == noStart || ts-st[k-1] > e.window || st[k-1] <= st[k] {
			continue
		}
		// A later-starting chain reaches level k+1: copy its steps and add this one.
		st[k] = st[k-1]
		copy(tm[k*n:k*n+k], tm[(k-1)*n:(k-1)*n+k])
		tm[k*n+k] = ts
	}
	if m&1 != 0 && ts >= e.from && ts < e.to {
		st[0] = ts
		tm[0] = ts
	}
}

// endPerson records the finished person's deepest level per group and resets the state.
func (e *funnelEngine) endPerson() {
	if !e.started {
		return
	}
	n := e.n
	for g := 0; g < e.groups; g++ {
		st := e.start[g*n : (g+1)*n]
		level := 0
		for level < n && st[level] != noStart {
			level++
		}
		if level == 0 {
			continue
		}
		e.hist[g*n+level-1]++
		if e.onLevel != nil {
			e.onLevel(e.person, g, level)
		}
		chain := e.times[(g*n+level-1)*n:]
		for k := 1; k < level; k++ {
			e.deltas[g*n+k] = append(e.deltas[g*n+k], chain[k]-chain[k-1])
		}
	}
	e.reset()
}

// reached returns the number of persons of group g who reached step k+1.
func (e *funnelEngine) reached(g, k int) int64 {
	var sum int64
	for j := k; j < e.n; j++ {
		sum += e.hist[g*e.n+j]
	}
	return sum
}

func (e *funnelEngine) steps(g int, specs []query.EventFilter) []FunnelStep {
	out := make([]FunnelStep, e.n)
	first := e.reached(g, 0)
	for k := range out {
		s := FunnelStep{Step: k + 1, Event: specs[k].Event, Persons: e.reached(g, k)}
		switch {
		case k == 0 && first > 0:
			s.StepConversion, s.OverallConversion = 1, 1
		case k > 0:
			if prev := e.reached(g, k-1); prev > 0 {
				s.StepConversion = float64(s.Persons) / float64(prev)
			}
			if first > 0 {
				s.OverallConversion = float64(s.Persons) / float64(first)
			}
			if d := e.deltas[g*e.n+k]; len(d) > 0 {
				med, avg := medianAvgSeconds(d)
				s.MedianSeconds, s.AverageSeconds = &med, &avg
			}
		}
		out[k] = s
	}
	return out
}

// medianAvgSeconds returns the median (the mean of the two middle values for an even
// count) and the mean of durations in milliseconds, in seconds. It sorts d.
func medianAvgSeconds(d []int64) (float64, float64) {
	slices.Sort(d)
	var sum float64
	for _, v := range d {
		sum += float64(v)
	}
	mid := len(d) / 2
	med := float64(d[mid])
	if len(d)%2 == 0 {
		med = (float64(d[mid-1]) + float64(d[mid])) / 2
	}
	return med / 1000, sum / float64(len(d)) / 1000
}
