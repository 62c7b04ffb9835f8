package query

import (
	"fmt"
	"time"
)

// The reference statements compute a funnel and a retention table with ClickHouse's own
// windowFunnel and retention aggregate functions and ClickHouse's own calendar functions,
// for cross-check tests against a real ClickHouse server (18.16 or current). They read the
// same events as the compiled statements (same filters, same person resolution); what they
// check independently is the funnel and retention logic and the calendar.

func referencePlan(spec *Spec, env Env, k Kind) (*Plan, error) {
	if spec.Kind != k {
		return nil, fmt.Errorf("cannot print %s reference SQL for a %s spec", k, spec.Kind)
	}
	env.Dialect = ClickHouse
	return Compile(spec, env)
}

// FunnelReferenceSQL prints a ClickHouse statement that returns rows (level, persons):
// per person windowFunnel(window seconds)(toDateTime(intDiv(ts, 1000)), step conditions…),
// counted by level (level 0: persons with step events but no step 1 in the range). The
// breakdown, if any, is ignored. It equals the funnel engine where no two events of a
// person share a second and every timestamp is a whole second.
func FunnelReferenceSQL(spec *Spec, env Env) (Compiled, error) {
	p, err := referencePlan(spec, env, KindFunnel)
	if err != nil {
		return Compiled{}, err
	}
	q, steps := p.funnelQuery()
	args := []expr{call{"toDateTime", []expr{intDiv{ident("ts"), lit{int64(1000)}}}}}
	for i, st := range p.Spec.Steps {
		cond := and(eq(ident("event"), param{st.Event}), p.filtersExpr(steps[i]))
		if i == 0 {
			cond = and(cond, binary{"<", ident("ts"), param{p.Range.To}})
		}
		args = append(args, cond)
	}
	perPerson := &selectStmt{
		cols: []alias{
			{ident("person"), "person"},
			{call{fmt.Sprintf("windowFunnel(%d)", p.WindowMs/1000), args}, "level"},
		},
		from:    fromItem{sub: p.events(q)},
		groupBy: []expr{ident("person")},
	}
	s := &selectStmt{
		cols:    []alias{{ident("level"), "level"}, {agg{kind: aggCount}, "persons"}},
		from:    fromItem{sub: perPerson},
		groupBy: []expr{ident("level")},
		orderBy: []order{{x: ident("level")}},
	}
	return render(p.d, s), nil
}

// RetentionReferenceSQL prints a ClickHouse statement that returns rows (cohort String
// "2006-01-02", size, r0, …, rN): per person and cohort period c, retention(start event in
// c, return event in c, return event in c+1, …, c+N), summed per cohort, with periods from
// ClickHouse's toRelative{Day,Week,Month}Num and toDate/toMonday/toStartOfMonth in the
// calendar's zone. Cohorts of size 0 are absent. ClickHouse's retention takes at most 32
// conditions, so Periods must be at most 30.
func RetentionReferenceSQL(spec *Spec, env Env) (Compiled, error) {
	p, err := referencePlan(spec, env, KindRetention)
	if err != nil {
		return Compiled{}, err
	}
	if p.Periods > 30 {
		return Compiled{}, fmt.Errorf("cannot print retention reference SQL for %d periods: retention() takes at most 32 conditions", p.Periods)
	}
	tz := p.env.Calendar.TZ.String()
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return Compiled{}, fmt.Errorf("cannot print retention reference SQL: time zone %q has no IANA name", tz)
	}
	fns := map[Interval][2]string{
		Day:   {"toRelativeDayNum", "toDate"},
		Week:  {"toRelativeWeekNum", "toMonday"},
		Month: {"toRelativeMonthNum", "toStartOfMonth"},
	}[p.Period]
	relFn, labelFn := fns[0], fns[1]
	dt := func(ts expr) expr { return call{"toDateTime", []expr{intDiv{ts, lit{int64(1000)}}}} }
	rel := func(ts expr) expr { return call{relFn, []expr{dt(ts), param{tz}}} }
	label := func(ts expr) expr { return call{"toString", []expr{call{labelFn, []expr{dt(ts), param{tz}}}}} }

	start, ret := resolveAll(p.Spec.StartEvent.Filters), resolveAll(p.Spec.ReturnEvent.Filters)
	q := eventQuery{
		events:  []string{p.Spec.StartEvent.Event, p.Spec.ReturnEvent.Event},
		from:    p.Range.From,
		to:      p.Horizon,
		filters: p.filters,
		refs:    refsOf(start, ret),
	}
	if p.Spec.FirstTime {
		q.noFrom = true
	}
	startCond := and(eq(ident("event"), param{p.Spec.StartEvent.Event}), p.filtersExpr(start))
	retCond := and(eq(ident("event"), param{p.Spec.ReturnEvent.Event}), p.filtersExpr(ret),
		binary{">=", ident("ts"), param{p.Range.From}})

	var cohorts *selectStmt
	if p.Spec.FirstTime {
		first := agg{kind: aggMin, x: ident("ts")}
		cohorts = &selectStmt{
			cols:    []alias{{ident("person"), "person"}, {rel(first), "cohort_num"}, {label(first), "cohort"}},
			from:    fromItem{sub: p.events(q)},
			where:   startCond,
			groupBy: []expr{ident("person")},
			having:  and(binary{">=", first, param{p.Range.From}}, binary{"<", first, param{p.Range.To}}),
		}
	} else {
		inRange := eventQuery{events: []string{p.Spec.StartEvent.Event}, from: p.Range.From, to: p.Range.To, filters: p.filters, refs: refsOf(start)}
		cohorts = &selectStmt{
			cols:    []alias{{ident("person"), "person"}, {rel(ident("ts")), "cohort_num"}, {label(ident("ts")), "cohort"}},
			from:    fromItem{sub: p.events(inRange)},
			where:   startCond,
			groupBy: []expr{ident("person"), ident("cohort_num"), ident("cohort")},
		}
	}
	rows := &selectStmt{
		cols: []alias{
			{ident("person"), "person"},
			{rel(ident("ts")), "b"},
			{startCond, "is_start"},
			{retCond, "is_return"},
			{call{"arrayJoin", []expr{call{"array", []expr{lit{int64(1)}, lit{int64(2)}}}}}, "copy"},
		},
		from: fromItem{sub: p.events(q)},
	}
	// ClickHouse 18.16's retention() records only the first condition a row satisfies
	// (fixed in 19.x, ClickHouse issue 5108): every event is read twice, copy 1 for the
	// start condition and copy 2 for the return conditions, so no row satisfies two.
	conds := []expr{and(eq(ident("copy"), lit{int64(1)}), eq(ident("is_start"), lit{int64(1)}), eq(ident("b"), ident("cohort_num")))}
	for n := 0; n <= p.Periods; n++ {
		var c expr = ident("cohort_num")
		if n > 0 {
			c = binary{"+", c, lit{int64(n)}}
		}
		conds = append(conds, and(eq(ident("copy"), lit{int64(2)}), eq(ident("is_return"), lit{int64(1)}), eq(ident("b"), c)))
	}
	perPerson := &selectStmt{
		cols: []alias{
			{ident("person"), "person"},
			{ident("cohort_num"), "cohort_num"},
			{ident("cohort"), "cohort"},
			{call{"retention", conds}, "ret"},
		},
		from:    fromItem{sub: rows},
		joins:   []join{{joinAllInner, cohorts, []ident{"person"}}},
		groupBy: []expr{ident("person"), ident("cohort_num"), ident("cohort")},
	}
	s := &selectStmt{
		cols:    []alias{{ident("cohort"), "cohort"}, {call{"sum", []expr{call{"arrayElement", []expr{ident("ret"), lit{int64(1)}}}}}, "size"}},
		from:    fromItem{sub: perPerson},
		groupBy: []expr{ident("cohort")},
		having:  binary{">", ident("size"), lit{int64(0)}},
		orderBy: []order{{x: ident("cohort")}},
	}
	for n := 0; n <= p.Periods; n++ {
		s.cols = append(s.cols, alias{call{"sum", []expr{call{"arrayElement", []expr{ident("ret"), lit{int64(n + 2)}}}}}, ident(fmt.Sprintf("r%d", n))})
	}
	return render(p.d, s), nil
}
