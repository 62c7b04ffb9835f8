package analysis

import (
	"context"
	"fmt"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// RetentionResult is a cohort × period table. With FirstTime a person belongs to the
// cohort of their first-ever start event (and to none when it was before the range);
// without it, to the cohort of every period in which they did the start event. The date
// range is widened to whole periods.
type RetentionResult struct {
	Period    query.Interval `json:"period"`
	Periods   int            `json:"periods"`
	FirstTime bool           `json:"first_time"`
	Cohorts   []Cohort       `json:"cohorts"`
}

// Cohort is one row: Start is the first day of its period P0 ("2024-01-29"), Size its
// persons, Retained[n] the persons of the cohort who did the return event in period P0+n
// (n = 0…Periods; periods not yet over count what happened so far) and Rates[n] =
// Retained[n] / Size (0 for an empty cohort).
type Cohort struct {
	Start    string    `json:"start"`
	Size     int64     `json:"size"`
	Retained []int64   `json:"retained"`
	Rates    []float64 `json:"rates"`
}

func runRetention(ctx context.Context, st store.EventStore, p *query.Plan) (*RetentionResult, error) {
	e, err := scanRetention(ctx, st, p, nil)
	if err != nil {
		return nil, err
	}
	res := &RetentionResult{Period: p.Period, Periods: p.Periods, FirstTime: p.Spec.FirstTime}
	cal := p.Calendar()
	for i := range p.Cohorts.Len() {
		co := Cohort{
			Start:    cal.BucketLabel(p.Period, p.Cohorts.First+int64(i)),
			Size:     e.size[i],
			Retained: e.retained[i],
			Rates:    make([]float64, p.Periods+1),
		}
		if co.Size > 0 {
			for n, r := range co.Retained {
				co.Rates[n] = float64(r) / float64(co.Size)
			}
		}
		res.Cohorts = append(res.Cohorts, co)
	}
	return res, nil
}

// scanRetention runs the retention scan through the engine and returns it finished.
// onMember, when set, sees each person of each cohort (its index from 0) and whether they
// returned in period n of it.
func scanRetention(ctx context.Context, st store.EventStore, p *query.Plan, onMember func(person int64, cohort int, returned func(n int) bool)) (*retentionEngine, error) {
	e := newRetentionEngine(p.Cohorts, p.Periods, p.Spec.FirstTime)
	e.onMember = onMember
	c := p.RetentionSQL()
	err := st.ScanInt64(ctx, c.SQL, c.Args, func(cols [][]int64) error {
		if len(cols) != 3 {
			return fmt.Errorf("retention stream has %d columns, want 3", len(cols))
		}
		for i := range cols[0] {
			if err := e.add(cols[0][i], cols[1][i], cols[2][i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot run retention: %w", err)
	}
	e.finish()
	return e, nil
}

// retentionEngine counts cohorts and returns over (person, bucket, flags) rows ordered by
// person and bucket, as query.Plan.RetentionSQL prints them.
type retentionEngine struct {
	cohorts   query.BucketRange
	periods   int
	firstTime bool

	person  int64
	started bool
	before  bool    // a start event before the range
	starts  []int64 // cohort buckets with a start event, ascending
	returns []bool  // [bucket - cohorts.First]: a return event
	touched []int

	size     []int64
	retained [][]int64

	onMember func(person int64, cohort int, returned func(n int) bool) // optional
}

func newRetentionEngine(cohorts query.BucketRange, periods int, firstTime bool) *retentionEngine {
	e := &retentionEngine{
		cohorts: cohorts, periods: periods, firstTime: firstTime,
		returns:  make([]bool, cohorts.Len()+periods),
		size:     make([]int64, cohorts.Len()),
		retained: make([][]int64, cohorts.Len()),
	}
	for i := range e.retained {
		e.retained[i] = make([]int64, periods+1)
	}
	return e
}

func (e *retentionEngine) add(person, bucket, flags int64) error {
	if !e.started || person != e.person {
		if e.started && person < e.person {
			return fmt.Errorf("retention stream is not ordered by person (%d after %d)", person, e.person)
		}
		e.endPerson()
		e.person, e.started = person, true
	}
	if bucket == query.BeforeRange {
		if flags&query.RetentionStart != 0 {
			e.before = true
		}
		return nil
	}
	off := bucket - e.cohorts.First
	if off < 0 || off >= int64(len(e.returns)) {
		return fmt.Errorf("retention row of person %d has bucket %d outside %d..%d", person, bucket, e.cohorts.First, e.cohorts.First+int64(len(e.returns))-1)
	}
	if flags&query.RetentionStart != 0 {
		if bucket > e.cohorts.Last {
			return fmt.Errorf("retention row of person %d starts in bucket %d after the range", person, bucket)
		}
		if n := len(e.starts); n > 0 && e.starts[n-1] >= bucket {
			return fmt.Errorf("retention stream of person %d is not ordered by bucket", person)
		}
		e.starts = append(e.starts, bucket)
	}
	if flags&query.RetentionReturn != 0 && !e.returns[off] {
		e.returns[off] = true
		e.touched = append(e.touched, int(off))
	}
	return nil
}

func (e *retentionEngine) finish() {
	e.endPerson()
	e.started = false
}

func (e *retentionEngine) endPerson() {
	if !e.started {
		return
	}
	starts := e.starts
	if e.firstTime {
		if e.before {
			starts = nil
		} else if len(starts) > 1 {
			starts = starts[:1]
		}
	}
	for _, c := range starts {
		i := int(c - e.cohorts.First)
		e.size[i]++
		for n := 0; n <= e.periods; n++ {
			if e.returns[i+n] {
				e.retained[i][n]++
			}
		}
		if e.onMember != nil {
			e.onMember(e.person, i, func(n int) bool { return e.returns[i+n] })
		}
	}
	for _, off := range e.touched {
		e.returns[off] = false
	}
	e.touched, e.starts, e.before = e.touched[:0], e.starts[:0], false
}
