package analysis

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/query"
)

// ev is one funnel row of a test person: time (ms), mask, breakdown index.
type ev struct {
	ts   int64
	mask int64
	bd   int
}

// engineLevels runs the engine over persons (person i has events evs[i], in the given
// order, which must be ordered by ts) and returns each group's histogram of deepest levels
// as persons reaching each step.
func runEngine(t *testing.T, steps int, window, from, to int64, groups int, persons ...[]ev) *funnelEngine {
	t.Helper()
	e := newFunnelEngine(steps, window, from, to, groups)
	for p, evs := range persons {
		for _, x := range evs {
			if err := e.add(int64(p+1), x.ts, x.mask, x.bd); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.finish()
	return e
}

func reachedAll(e *funnelEngine, g int) []int64 {
	out := make([]int64, e.n)
	for k := range out {
		out[k] = e.reached(g, k)
	}
	return out
}

func TestFunnelEngineCases(t *testing.T) {
	const W, from, to = 1000, 0, 10000
	// f checks the deepest level of one person (0: not counted) in a funnel of steps steps.
	f := func(name string, steps int, want int, evs ...ev) {
		t.Helper()
		e := runEngine(t, steps, W, from, to, 1, evs)
		got := 0
		for k := 0; k < steps; k++ {
			if e.reached(0, k) == 1 {
				got = k + 1
			}
		}
		if got != want {
			t.Fatalf("%s: level %d, want %d", name, got, want)
		}
	}
	f("nothing after the start", 2, 1, ev{ts: 0, mask: 1})
	f("in order", 3, 3, ev{ts: 0, mask: 1}, ev{ts: 10, mask: 2}, ev{ts: 20, mask: 4})
	f("out of order", 3, 1, ev{ts: 0, mask: 1}, ev{ts: 10, mask: 4}, ev{ts: 20, mask: 4})
	f("step 2 before step 1", 2, 1, ev{ts: 0, mask: 2}, ev{ts: 10, mask: 1})
	f("edge exactly W", 2, 2, ev{ts: 0, mask: 1}, ev{ts: W, mask: 2})
	f("edge W+1ms", 2, 1, ev{ts: 0, mask: 1}, ev{ts: W + 1, mask: 2})
	f("window from the first step, not the previous", 3, 2, ev{ts: 0, mask: 1}, ev{ts: 900, mask: 2}, ev{ts: 1100, mask: 4})
	f("repeated step 1 restarts the chain", 2, 2, ev{ts: 0, mask: 1}, ev{ts: 900, mask: 1}, ev{ts: 1500, mask: 2})
	f("a restart keeps a deeper older chain", 3, 2, ev{ts: 0, mask: 1}, ev{ts: 500, mask: 2}, ev{ts: 900, mask: 1}, ev{ts: 1200, mask: 4})
	f("a restart converts later", 3, 3, ev{ts: 0, mask: 1}, ev{ts: 500, mask: 2}, ev{ts: 900, mask: 1}, ev{ts: 1200, mask: 4}, ev{ts: 1300, mask: 2}, ev{ts: 1400, mask: 4})
	f("tie: cart logged before view at the same ts", 2, 2, ev{ts: 5, mask: 2}, ev{ts: 5, mask: 1})
	f("tie: three steps at one instant", 3, 3, ev{ts: 5, mask: 4}, ev{ts: 5, mask: 2}, ev{ts: 5, mask: 1})
	f("tie: step 2 at the start's instant, step 3 later", 3, 3, ev{ts: 0, mask: 1}, ev{ts: 7, mask: 4}, ev{ts: 7, mask: 2}, ev{ts: 8, mask: 4})
	f("one event matching steps 1 and 2 is used once", 2, 1, ev{ts: 0, mask: 3})
	f("two events matching steps 1 and 2", 2, 2, ev{ts: 0, mask: 3}, ev{ts: 10, mask: 3})
	f("pv → pv → pv with three pvs", 3, 3, ev{ts: 0, mask: 7}, ev{ts: 10, mask: 7}, ev{ts: 20, mask: 7})
	f("pv → pv → pv with two pvs", 3, 2, ev{ts: 0, mask: 7}, ev{ts: 10, mask: 7})
	f("pv → pv at one instant", 2, 2, ev{ts: 0, mask: 3}, ev{ts: 0, mask: 3})
	f("tie: mask 1 before mask 3", 2, 2, ev{ts: 0, mask: 3}, ev{ts: 0, mask: 1})
	f("event matching steps 1 and 3", 3, 3, ev{ts: 0, mask: 1}, ev{ts: 100, mask: 2}, ev{ts: 200, mask: 5})
	f("start before the range", 2, 0, ev{ts: -500, mask: 1}, ev{ts: 100, mask: 2})
	f("start at the range end", 2, 0, ev{ts: to, mask: 1}, ev{ts: to + 1, mask: 2})
	f("last instant of the range, step 2 after it", 2, 2, ev{ts: to - 1, mask: 1}, ev{ts: to + W - 1, mask: 2})
	f("start before the range, restart inside", 2, 2, ev{ts: -10, mask: 1}, ev{ts: 10, mask: 1}, ev{ts: 20, mask: 2})
	f("20 steps", 20, 20, func() []ev {
		var out []ev
		for k := 0; k < 20; k++ {
			out = append(out, ev{ts: int64(k * 50), mask: 1 << k})
		}
		return out
	}()...)
}

func TestFunnelEngineTimes(t *testing.T) {
	// Person 1: 0 → 400 → 1000; person 2: 0 → 200 (its chain from 100 reaches step 2 at
	// 300 too, but the chain that reached the deepest level first is kept); person 3: only
	// step 1.
	e := runEngine(t, 3, 1000, 0, 10000, 1,
		[]ev{{ts: 0, mask: 1}, {ts: 400, mask: 2}, {ts: 1000, mask: 4}},
		[]ev{{ts: 0, mask: 1}, {ts: 200, mask: 2}, {ts: 500, mask: 2}},
		[]ev{{ts: 50, mask: 1}},
	)
	steps := e.steps(0, make([]query.EventFilter, 3))
	if got := []int64{steps[0].Persons, steps[1].Persons, steps[2].Persons}; !slices.Equal(got, []int64{3, 2, 1}) {
		t.Fatalf("persons = %v", got)
	}
	if steps[0].MedianSeconds != nil || *steps[1].MedianSeconds != 0.3 || *steps[1].AverageSeconds != 0.3 || *steps[2].MedianSeconds != 0.6 {
		t.Fatalf("times = %v %v %v", steps[0].MedianSeconds, *steps[1].MedianSeconds, *steps[2].MedianSeconds)
	}
	if steps[1].StepConversion != 2.0/3 || steps[2].StepConversion != 0.5 || steps[2].OverallConversion != 1.0/3 {
		t.Fatalf("conversions = %+v", steps)
	}
}

func TestFunnelEngineBreakdown(t *testing.T) {
	// Groups: 0 total, 1 and 2 breakdown values, 3 other.
	e := runEngine(t, 2, 1000, 0, 10000, 4,
		[]ev{{ts: 0, mask: 1, bd: 1}, {ts: 500, mask: 1, bd: 2}, {ts: 1200, mask: 2}},
		[]ev{{ts: 0, mask: 1, bd: 3}, {ts: 0, mask: 2, bd: 3}},
		[]ev{{ts: 0, mask: 3, bd: 1}, {ts: 10, mask: 3, bd: 2}},
	)
	f := func(g int, want ...int64) {
		t.Helper()
		if got := reachedAll(e, g); !slices.Equal(got, want) {
			t.Fatalf("group %d: %v, want %v", g, got, want)
		}
	}
	f(0, 3, 3)
	f(1, 2, 1) // person 3: the bd-1 view at 0 is converted by its step-2 match at 10
	f(2, 2, 1)
	f(3, 1, 1)
}

func TestFunnelEngineOrderErrors(t *testing.T) {
	f := func(want string, rows ...[4]int64) {
		t.Helper()
		e := newFunnelEngine(2, 1000, 0, 10000, 1)
		var err error
		for _, r := range rows {
			if err = e.add(r[0], r[1], r[2], int(r[3])); err != nil {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want an error with %q", err, want)
		}
	}
	f("not ordered by person", [4]int64{2, 0, 1, 0}, [4]int64{1, 0, 1, 0})
	f("not ordered by time", [4]int64{1, 5, 1, 0}, [4]int64{1, 4, 1, 0})
	f("mask", [4]int64{1, 5, 4, 0})
	f("mask", [4]int64{1, 5, 0, 0})
}

// bruteLevel is the DESIGN §4 definition for events with distinct timestamps: the deepest
// k such that events matching S1…Sk exist in time order, each used once, with tk − t1 ≤ W
// and t1 in [from, to). For a fixed start, taking the earliest usable event for each next
// step is optimal.
func bruteLevel(evs []ev, steps int, W, from, to int64) int {
	best := 0
	for i, s := range evs {
		if s.mask&1 == 0 || s.ts < from || s.ts >= to {
			continue
		}
		level, last := 1, i
		for level < steps {
			next := -1
			for j := last + 1; j < len(evs) && evs[j].ts-s.ts <= W; j++ {
				if evs[j].mask&(1<<level) != 0 {
					next = j
					break
				}
			}
			if next < 0 {
				break
			}
			level, last = level+1, next
		}
		best = max(best, level)
	}
	return best
}

// windowFunnel transcribes ClickHouse's windowFunnel (AggregateFunctionWindowFunnel.h):
// events sorted by time, each event's conditions added from the last to the first, step
// 1 always restarting, step k copying step k-1's start when within the window. The range
// restriction of step 1 is part of its condition.
func windowFunnel(evs []ev, steps int, W, from, to int64) int {
	type pair struct {
		ts  int64
		idx int
	}
	var list []pair
	for _, e := range evs {
		for i := steps; i > 0; i-- {
			if e.mask&(1<<(i-1)) != 0 && (i > 1 || (e.ts >= from && e.ts < to)) {
				list = append(list, pair{e.ts, i})
			}
		}
	}
	slices.SortStableFunc(list, func(a, b pair) int { return int(a.ts - b.ts) })
	ts := make([]int64, steps)
	for i := range ts {
		ts[i] = -1 << 62
	}
	for _, p := range list {
		k := p.idx - 1
		if k == 0 {
			ts[0] = p.ts
		} else if ts[k-1] > -1<<62 && p.ts <= ts[k-1]+W {
			ts[k] = ts[k-1]
			if k+1 == steps {
				return steps
			}
		}
	}
	for k := steps - 1; k >= 0; k-- {
		if ts[k] > -1<<62 {
			return k + 1
		}
	}
	return 0
}

func TestFunnelEngineRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	levels := map[int]int{}
	for iter := 0; iter < 3000; iter++ {
		steps := 2 + r.IntN(4)
		W := int64(1 + r.IntN(60))
		from, to := int64(10), int64(60)
		n := 2 + r.IntN(16)
		var evs []ev
		used := map[int64]bool{}
		for len(evs) < n {
			ts := int64(r.IntN(100))
			if used[ts] {
				continue // distinct timestamps: where the definitions must agree
			}
			used[ts] = true
			mask := int64(1 + r.IntN(1<<steps-1))
			if r.IntN(3) > 0 {
				mask = 1 << r.IntN(steps) // mostly one step per event
			}
			evs = append(evs, ev{ts: ts, mask: mask})
		}
		slices.SortFunc(evs, func(a, b ev) int { return int(a.ts - b.ts) })
		e := runEngine(t, steps, W, from, to, 1, evs)
		got := 0
		for k := 0; k < steps; k++ {
			if e.reached(0, k) == 1 {
				got = k + 1
			}
		}
		want := windowFunnel(evs, steps, W, from, to)
		if brute := bruteLevel(evs, steps, W, from, to); brute != want {
			t.Fatalf("the test's references disagree on %v: windowFunnel %d, brute force %d", evs, want, brute)
		}
		if got != want {
			t.Fatalf("steps %d W %d events %v: engine %d, windowFunnel %d", steps, W, evs, got, want)
		}
		levels[got]++
	}
	if levels[2] < 300 || levels[3] < 100 || levels[4] < 20 {
		t.Fatalf("random cases too shallow to mean much: %v", levels)
	}
}
