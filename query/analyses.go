package query

import "fmt"

// The statements of each analysis. Statements that return breakdown values return rows
// (bd String, n Int); the others document their columns.

func (p *Plan) mustBe(k Kind) {
	if p.Kind != k {
		panic(fmt.Sprintf("BUG: %s statement of a %s plan", k, p.Kind))
	}
}

// seriesQuery is the events of series i over r.
func (p *Plan) seriesQuery(i int, r TimeRange) (eventQuery, []resolvedFilter) {
	se := p.Spec.Series[i]
	own := resolveAll(se.Filters)
	q := eventQuery{
		events:  []string{se.Event},
		from:    r.From,
		to:      r.To,
		filters: append(append([]resolvedFilter(nil), p.filters...), own...),
	}
	if se.Property != "" {
		ref, _ := parseProperty(se.Property)
		q.refs = append(q.refs, ref)
	}
	return q, own
}

// TrendsBreakdownSQL returns the top breakdown values of series i over r (the plan's Range
// or CompareRange), by unique persons.
func (p *Plan) TrendsBreakdownSQL(i int, r TimeRange) Compiled {
	p.mustBe(KindTrends)
	q, _ := p.seriesQuery(i, r)
	return p.topValues(q, nil)
}

// TrendsSQL returns the points of series i over r: rows (bucket Int64, [bd String,]
// value), ordered, with bucket a Calendar.Bucket number of the plan's Interval and bd one
// of values or Other when the spec has a breakdown. Buckets without events are absent.
// value is an integer for total and dau, a float otherwise.
func (p *Plan) TrendsSQL(i int, r TimeRange, values []string) Compiled {
	p.mustBe(KindTrends)
	se := p.Spec.Series[i]
	q, _ := p.seriesQuery(i, r)
	var prop *propRef
	if se.Property != "" {
		ref, _ := parseProperty(se.Property)
		prop = &ref
	}
	if p.bd != nil {
		q.refs = append(q.refs, *p.bd)
	}
	inner := &selectStmt{from: fromItem{sub: p.events(q)}}
	inner.cols = append(inner.cols, alias{p.bucket(p.Interval, r.From, r.To), "bucket"})
	keys := []expr{ident("bucket")}
	if p.bd != nil {
		inner.cols = append(inner.cols, alias{p.breakdownCase(values), "bd"})
		keys = append(keys, ident("bd"))
	}
	inner.cols = append(inner.cols, alias{ident("person"), "person"})
	if prop != nil {
		col := p.sourceCol(*prop)
		inner.cols = append(inner.cols, alias{propNum{col, prop.path}, "v"})
		inner.where = propIsNum{col, prop.path}
	}
	v := ident("v")
	var value expr
	switch se.Math {
	case MathTotal:
		value = agg{kind: aggCount}
	case MathDAU:
		value = agg{kind: aggUniq, x: ident("person")}
	case MathSum:
		value = agg{kind: aggSum, x: v}
	case MathAvg:
		value = agg{kind: aggAvg, x: v}
	case MathMin:
		value = agg{kind: aggMin, x: v}
	case MathMax:
		value = agg{kind: aggMax, x: v}
	case MathMedian:
		value = agg{kind: aggQuantile, x: v, q: 0.5}
	case MathP90:
		value = agg{kind: aggQuantile, x: v, q: 0.9}
	case MathPerPersonAvg:
		num := expr(agg{kind: aggCount})
		if prop != nil {
			num = agg{kind: aggSum, x: v}
		}
		value = binary{"/", num, agg{kind: aggUniq, x: ident("person")}}
	default:
		panic("BUG: unknown math " + string(se.Math))
	}
	outer := &selectStmt{
		cols:    []alias{{ident("bucket"), "bucket"}},
		from:    fromItem{sub: inner},
		groupBy: keys,
	}
	if p.bd != nil {
		outer.cols = append(outer.cols, alias{ident("bd"), "bd"})
	}
	outer.cols = append(outer.cols, alias{value, "value"})
	for _, k := range keys {
		outer.orderBy = append(outer.orderBy, order{x: k})
	}
	return render(p.d, outer)
}

// TrendsPersonsSQL returns the persons behind one point of series i: those with an event of
// the series in [r.From, r.To) (one interval, or the whole range for a total) — with a
// numeric property when the series' math reads one — and, with bd set, whose breakdown
// text is *bd (Other: none of values). Rows (person Int64), ascending, each once; after
// person merges, so as many as the point's value for math dau.
func (p *Plan) TrendsPersonsSQL(i int, r TimeRange, values []string, bd *string) Compiled {
	p.mustBe(KindTrends)
	se := p.Spec.Series[i]
	q, _ := p.seriesQuery(i, r)
	if p.bd != nil && bd != nil {
		q.refs = append(q.refs, *p.bd)
	}
	inner := &selectStmt{from: fromItem{sub: p.events(q)}}
	inner.cols = append(inner.cols, alias{ident("person"), "person"})
	var conds []expr
	if se.Property != "" && se.Math != MathTotal && se.Math != MathDAU {
		ref, _ := parseProperty(se.Property)
		conds = append(conds, propIsNum{p.sourceCol(ref), ref.path})
	}
	if p.bd != nil && bd != nil {
		conds = append(conds, eq(p.breakdownCase(values), param{*bd}))
	}
	if len(conds) > 0 {
		inner.where = and(conds...)
	}
	outer := &selectStmt{
		cols:    []alias{{ident("person"), "person"}},
		from:    fromItem{sub: inner},
		groupBy: []expr{ident("person")},
		orderBy: []order{{x: ident("person")}},
	}
	return render(p.d, outer)
}

// funnelQuery is the events of every step: from the range start to a window after its end.
func (p *Plan) funnelQuery() (eventQuery, [][]resolvedFilter) {
	q := eventQuery{from: p.Range.From, to: p.Range.To + p.WindowMs, filters: p.filters}
	steps := make([][]resolvedFilter, len(p.Spec.Steps))
	for i, st := range p.Spec.Steps {
		q.events = append(q.events, st.Event)
		steps[i] = resolveAll(st.Filters)
		q.refs = append(q.refs, refsOf(steps[i])...)
	}
	return q, steps
}

// FunnelBreakdownSQL returns the top breakdown values of the first step's events in the
// range, by unique persons.
func (p *Plan) FunnelBreakdownSQL() Compiled {
	p.mustBe(KindFunnel)
	s1 := p.Spec.Steps[0]
	own := resolveAll(s1.Filters)
	q := eventQuery{events: []string{s1.Event}, from: p.Range.From, to: p.Range.To, filters: p.filters}
	q.refs = refsOf(own)
	return p.topValues(q, p.filtersExpr(own))
}

// FunnelSQL returns the funnel stream for ScanInt64: Int64 columns (person, ts, mask[,
// bd]) of the events that match some step, ordered by person and ts. Bit k of mask is set
// when the event matches step k+1; step 1 only counts inside the range, later steps up to
// the window after its end. With a breakdown, bd is the 1-based index in values of the
// event's breakdown text, or len(values)+1 for Other (meaningful where bit 0 is set).
func (p *Plan) FunnelSQL(values []string) Compiled {
	p.mustBe(KindFunnel)
	q, steps := p.funnelQuery()
	if p.bd != nil {
		q.refs = append(q.refs, *p.bd)
	}
	var mask expr
	for i, st := range p.Spec.Steps {
		cond := and(eq(ident("event"), param{st.Event}), p.filtersExpr(steps[i]))
		if i == 0 {
			cond = and(cond, binary{"<", ident("ts"), param{p.Range.To}})
		}
		f := flagOf(cond, int64(1)<<i)
		if mask == nil {
			mask = f
		} else {
			mask = binary{"+", mask, f}
		}
	}
	inner := &selectStmt{
		cols: []alias{{ident("person"), "person"}, {ident("ts"), "ts"}, {toInt64{mask}, "mask"}},
		from: fromItem{sub: p.events(q)},
	}
	outer := &selectStmt{
		cols:    []alias{{ident("person"), "person"}, {ident("ts"), "ts"}, {ident("mask"), "mask"}},
		from:    fromItem{sub: inner},
		where:   binary{"<>", ident("mask"), lit{int64(0)}},
		orderBy: []order{{x: ident("person")}, {x: ident("ts")}},
	}
	if p.bd != nil {
		c := caseWhen{els: lit{int64(len(values) + 1)}}
		for i, v := range values {
			c.whens = append(c.whens, when{eq(p.text(*p.bd), param{v}), lit{int64(i + 1)}})
		}
		var bd expr = c
		if len(values) == 0 {
			bd = lit{int64(1)}
		}
		inner.cols = append(inner.cols, alias{toInt64{bd}, "bd"})
		outer.cols = append(outer.cols, alias{ident("bd"), "bd"})
	}
	return render(p.d, outer)
}

// Retention flags of RetentionSQL rows.
const (
	RetentionStart  = 1 // the person did the start event in the bucket
	RetentionReturn = 2 // the person did the return event in the bucket
)

// BeforeRange is the bucket RetentionSQL gives start events before the range (first_time).
const BeforeRange = -1

// RetentionSQL returns the retention stream for ScanInt64: Int64 columns (person, bucket,
// flags), one row per person and bucket with a start or return event, ordered by person
// and bucket. bucket is a Calendar.Bucket number of the Period, or BeforeRange for start
// events before the (widened) range when FirstTime is set; flags has RetentionStart for a
// start event in a cohort period (or before the range) and RetentionReturn for a return
// event in the range up to the Horizon.
func (p *Plan) RetentionSQL() Compiled {
	p.mustBe(KindRetention)
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
		q.extra = or(binary{">=", ident("ts"), param{p.Range.From}}, eq(ident("event"), param{p.Spec.StartEvent.Event}))
	}
	startCond := and(eq(ident("event"), param{p.Spec.StartEvent.Event}), p.filtersExpr(start), binary{"<", ident("ts"), param{p.Range.To}})
	retCond := and(eq(ident("event"), param{p.Spec.ReturnEvent.Event}), p.filtersExpr(ret))
	if p.Spec.FirstTime {
		retCond = and(retCond, binary{">=", ident("ts"), param{p.Range.From}})
	}
	bucket := p.bucket(p.Period, p.Range.From, p.Horizon)
	if p.Spec.FirstTime {
		bucket = caseWhen{whens: []when{{binary{"<", ident("ts"), param{p.Range.From}}, lit{int64(BeforeRange)}}}, els: bucket}
	}
	inner := &selectStmt{
		cols: []alias{
			{ident("person"), "person"},
			{toInt64{bucket}, "bucket"},
			{flagOf(startCond, 1), "s"},
			{flagOf(retCond, 1), "r"},
		},
		from: fromItem{sub: p.events(q)},
	}
	maxS, maxR := agg{kind: aggMax, x: ident("s")}, agg{kind: aggMax, x: ident("r")}
	outer := &selectStmt{
		cols: []alias{
			{ident("person"), "person"},
			{ident("bucket"), "bucket"},
			{toInt64{binary{"+", maxS, binary{"*", lit{int64(2)}, maxR}}}, "flags"},
		},
		from:    fromItem{sub: inner},
		groupBy: []expr{ident("person"), ident("bucket")},
		having:  binary{">", binary{"+", maxS, maxR}, lit{int64(0)}},
		orderBy: []order{{x: ident("person")}, {x: ident("bucket")}},
	}
	return render(p.d, outer)
}

// ProductsSQL returns the order events of a products analysis: rows (person Int64, ts
// Int64, properties String), one per event of the plan's Event in its Range that passes the
// filters, in no particular order. The line items are read from properties in Go, so that
// both stores parse the products[] arrays the same way.
func (p *Plan) ProductsSQL() Compiled {
	p.mustBe(KindProducts)
	q := eventQuery{events: []string{p.Spec.Event}, from: p.Range.From, to: p.Range.To, filters: p.filters}
	s := &selectStmt{
		cols: []alias{{ident("person"), "person"}, {ident("ts"), "ts"}, {ident("properties"), "properties"}},
		from: fromItem{sub: p.events(q)},
	}
	return render(p.d, s)
}
