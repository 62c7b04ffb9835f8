package query

import (
	"fmt"
	"slices"
	"time"
)

// Env is what a spec is compiled against: the store's dialect, the project every query is
// scoped to, the project's calendar and the instant relative date ranges resolve at.
type Env struct {
	Dialect  Dialect
	Project  uint32
	Calendar Calendar
	Now      time.Time // zero means time.Now()
}

// Plan is a validated spec resolved against an Env: ranges in UTC milliseconds, defaults
// applied, filters typed. Its methods print the statements an analysis runs; they are
// pure and safe for concurrent use.
type Plan struct {
	Kind  Kind
	Spec  Spec // with defaults applied
	Range TimeRange

	// Trends: the buckets of Range (and of CompareRange, when Compare is set).
	Interval     Interval
	Buckets      BucketRange
	CompareRange TimeRange
	CompareBkts  BucketRange
	Formula      *Formula

	// Funnel: the conversion window in milliseconds.
	WindowMs int64

	// Retention: cohort periods Cohorts (Range widened to whole periods), return periods up
	// to Cohorts.Last+Periods, ending before Horizon (ms).
	Period  Interval
	Periods int
	Cohorts BucketRange
	Horizon int64

	env Env
	d   dialect
	// versioned: persons and person_overrides keep versions of a row (ClickHouse's
	// ReplacingMergeTree(version)); the row with the largest version wins.
	versioned bool
	filters   []resolvedFilter
	bd        *propRef
	bdLimit   int
}

// BucketRange is an inclusive range of calendar bucket numbers (see Calendar.Bucket).
type BucketRange struct {
	First int64 `json:"first"`
	Last  int64 `json:"last"`
}

// Len is the number of buckets.
func (b BucketRange) Len() int { return int(b.Last - b.First + 1) }

// MaxBuckets bounds the points of one trends series.
const MaxBuckets = 5000

// Compile validates a spec and resolves it against env.
func Compile(spec *Spec, env Env) (*Plan, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	d, err := dialectOf(env.Dialect)
	if err != nil {
		return nil, err
	}
	if env.Calendar.TZ == nil {
		return nil, fmt.Errorf("cannot compile spec: the calendar has no time zone")
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	p := &Plan{Kind: spec.Kind, Spec: *spec, env: env, d: d, versioned: env.Dialect == ClickHouse}
	p.Range, err = env.Calendar.Range(spec.DateRange, env.Now)
	if err != nil {
		return nil, err
	}
	for i, f := range spec.Filters {
		rf, err := resolveFilter(f, fmt.Sprintf("filters[%d]", i))
		if err != nil {
			return nil, err
		}
		p.filters = append(p.filters, rf)
	}
	if b := spec.Breakdown; b != nil {
		r, _ := parseProperty(b.Property)
		p.bd = &r
		p.bdLimit = b.Limit
		if p.bdLimit == 0 {
			p.bdLimit = DefaultBreakdown
			p.Spec.Breakdown = &Breakdown{Property: b.Property, Limit: p.bdLimit}
		}
	}
	cal := env.Calendar
	switch spec.Kind {
	case KindTrends:
		p.Interval = spec.Interval
		if p.Interval == "" {
			p.Interval = Day
			p.Spec.Interval = Day
		}
		for i := range p.Spec.Series {
			if p.Spec.Series[i].Math == "" {
				p.Spec.Series[i].Math = MathTotal
			}
		}
		p.Buckets = BucketRange{cal.Bucket(p.Interval, p.Range.From), cal.Bucket(p.Interval, p.Range.To-1)}
		if p.Buckets.Len() > MaxBuckets {
			return nil, invalid("interval", "gives %d points over the date range, at most %d are allowed", p.Buckets.Len(), MaxBuckets)
		}
		if spec.Compare {
			p.CompareRange = previousRange(cal, p.Range)
			p.CompareBkts = BucketRange{cal.Bucket(p.Interval, p.CompareRange.From), cal.Bucket(p.Interval, p.CompareRange.To-1)}
		}
		if spec.Formula != "" {
			p.Formula, _ = ParseFormula(spec.Formula, len(spec.Series))
		}
	case KindFunnel:
		if p.Spec.Window == "" {
			p.Spec.Window = DefaultWindow
		}
		if p.Spec.Order == "" {
			p.Spec.Order = Ordered
		}
		w, _ := ParseWindow(p.Spec.Window)
		p.WindowMs = w.Milliseconds()
	case KindRetention:
		if p.Spec.Period == "" {
			p.Spec.Period = Day
		}
		if p.Spec.Periods == 0 {
			p.Spec.Periods = DefaultPeriods
		}
		p.Period, p.Periods = p.Spec.Period, p.Spec.Periods
		p.Cohorts = BucketRange{cal.Bucket(p.Period, p.Range.From), cal.Bucket(p.Period, p.Range.To-1)}
		if p.Cohorts.Len() > MaxBuckets {
			return nil, invalid("period", "gives %d cohorts over the date range, at most %d are allowed", p.Cohorts.Len(), MaxBuckets)
		}
		p.Range = TimeRange{cal.BucketFirst(p.Period, p.Cohorts.First), cal.BucketFirst(p.Period, p.Cohorts.Last+1)}
		p.Horizon = cal.BucketFirst(p.Period, p.Cohorts.Last+1+int64(p.Periods))
	case KindProducts:
		if p.Spec.Event == "" {
			p.Spec.Event = DefaultOrderEvent
		}
		if p.Spec.Sort == "" {
			p.Spec.Sort = SortRevenue
		}
		if p.Spec.Limit == 0 {
			p.Spec.Limit = DefaultProducts
		}
	}
	return p, nil
}

// previousRange is the range of the same length just before r: whole local days back when
// r is made of whole local days, else the same number of milliseconds.
func previousRange(cal Calendar, r TimeRange) TimeRange {
	if cal.BucketFirst(Day, cal.Bucket(Day, r.From)) == r.From && cal.BucketFirst(Day, cal.Bucket(Day, r.To)) == r.To {
		days := cal.Bucket(Day, r.To) - cal.Bucket(Day, r.From)
		return TimeRange{cal.BucketFirst(Day, cal.Bucket(Day, r.From)-days), r.From}
	}
	return TimeRange{r.From - (r.To - r.From), r.From}
}

// Dialect is the dialect the plan prints.
func (p *Plan) Dialect() Dialect { return p.env.Dialect }

// Calendar is the calendar the plan was resolved in.
func (p *Plan) Calendar() Calendar { return p.env.Calendar }

// BreakdownLimit is the number of top breakdown values (0 without a breakdown).
func (p *Plan) BreakdownLimit() int { return p.bdLimit }

// ---- planning helpers ----

func (p *Plan) sourceCol(r propRef) ident {
	switch r.scope {
	case scopeEvent:
		return "properties"
	case scopeContext:
		return "context"
	case scopePerson:
		return "person_properties"
	}
	return ident(r.name)
}

// text is the text of a property ("" when not set).
func (p *Plan) text(r propRef) expr {
	if r.scope == scopeColumn {
		return ident(r.name)
	}
	return propText{p.sourceCol(r), r.path}
}

func (p *Plan) isSet(r propRef) expr {
	if r.scope == scopeColumn {
		return binary{"<>", ident(r.name), lit{""}}
	}
	return propSet{p.sourceCol(r), r.path}
}

// filterExpr is the condition of one filter; see the package comment for its meaning.
func (p *Plan) filterExpr(f resolvedFilter) expr {
	r, v := f.prop, f.val
	col := p.sourceCol(r)
	numCmp := func(op string) expr {
		return and(propIsNum{col, r.path}, binary{op, propNum{col, r.path}, param{v.num}})
	}
	eqExpr := func() expr {
		switch v.kind {
		case valNumber:
			return numCmp("=")
		case valString, valBool:
			e := eq(p.text(r), param{v.text})
			if v.text == "" {
				e = and(p.isSet(r), e)
			}
			return e
		}
		panic("BUG: eq without a value")
	}
	inExpr := func(neg bool) expr {
		list := make([]expr, len(v.list))
		for i, s := range v.list {
			list[i] = param{s}
		}
		e := expr(inList{x: p.text(r), list: list, neg: neg})
		if slices.Contains(v.list, "") {
			e = and(p.isSet(r), inList{x: p.text(r), list: list})
			if neg {
				e = not{e}
			}
		}
		return e
	}
	switch f.op {
	case OpEq:
		return eqExpr()
	case OpNeq:
		if (v.kind == valString && v.text != "") || v.kind == valBool {
			return binary{"<>", p.text(r), param{v.text}}
		}
		return not{eqExpr()}
	case OpIn:
		return inExpr(false)
	case OpNotIn:
		return inExpr(true)
	case OpGt:
		return numCmp(">")
	case OpGte:
		return numCmp(">=")
	case OpLt:
		return numCmp("<")
	case OpLte:
		return numCmp("<=")
	case OpContains:
		return contains{p.text(r), param{v.text}}
	case OpNotContains:
		return not{contains{p.text(r), param{v.text}}}
	case OpIsSet:
		return p.isSet(r)
	case OpIsNotSet:
		return not{p.isSet(r)}
	}
	panic("BUG: unknown operator " + string(f.op))
}

func (p *Plan) filtersExpr(fs []resolvedFilter) expr {
	var xs []expr
	for _, f := range fs {
		xs = append(xs, p.filterExpr(f))
	}
	return and(xs...)
}

// resolveAll types a list of filters that Validate already accepted.
func resolveAll(fs []Filter) []resolvedFilter {
	out := make([]resolvedFilter, len(fs))
	for i, f := range fs {
		rf, err := resolveFilter(f, "")
		if err != nil {
			panic("BUG: filter passed validation but not resolution: " + err.Error())
		}
		out[i] = rf
	}
	return out
}

// eventQuery describes the events an analysis reads.
type eventQuery struct {
	events  []string
	from    int64 // ts >= from; ignored when noFrom
	noFrom  bool
	to      int64 // ts < to
	extra   expr  // an extra condition on the events table (no person scope)
	filters []resolvedFilter
	// refs are the properties the outer query reads, to pick the columns to carry.
	refs []propRef
}

// events plans the rows of matching events with their person resolved through
// person_overrides and, when a person trait is used, the person's traits joined, filtered
// by q.filters. Columns: person, ts, event, properties and whatever refs need (context,
// distinct_id, type, person_properties).
func (p *Plan) events(q eventQuery) *selectStmt {
	var evFilters, personFilters []resolvedFilter
	need := map[ident]bool{}
	needPerson := false
	for _, f := range q.filters {
		if f.prop.scope == scopePerson {
			personFilters = append(personFilters, f)
			needPerson = true
		} else {
			evFilters = append(evFilters, f)
		}
	}
	for _, r := range q.refs {
		if r.scope == scopePerson {
			needPerson = true
		} else {
			need[p.sourceCol(r)] = true
		}
	}
	carry := []ident{"ts", "event", "properties"}
	for _, c := range []ident{"context", "distinct_id", "type"} {
		if need[c] {
			carry = append(carry, c)
		}
	}

	names := slices.Compact(slices.Sorted(slices.Values(q.events)))
	evList := make([]expr, len(names))
	for i, e := range names {
		evList[i] = param{e}
	}
	var tsFrom expr
	if !q.noFrom {
		tsFrom = binary{">=", ident("ts"), param{q.from}}
	}
	l1 := &selectStmt{from: fromItem{table: "events"}}
	l1.cols = append(l1.cols, alias{ident("person_id"), "person_id"})
	for _, c := range carry {
		l1.cols = append(l1.cols, alias{c, c})
	}
	l1.where = and(
		eq(ident("project_id"), param{int64(p.env.Project)}),
		tsFrom,
		binary{"<", ident("ts"), param{q.to}},
		inList{x: ident("event"), list: evList},
		q.extra,
		p.filtersExpr(evFilters),
	)

	overrides := &selectStmt{
		cols:  []alias{{ident("old_person_id"), "person_id"}, {ident("new_person_id"), "override_person_id"}},
		from:  fromItem{table: "person_overrides"},
		where: eq(ident("project_id"), param{int64(p.env.Project)}),
	}
	if p.versioned {
		overrides.cols[1].x = call{"argMax", []expr{ident("new_person_id"), ident("version")}}
		overrides.groupBy = []expr{ident("old_person_id")}
	}
	l2 := &selectStmt{from: fromItem{sub: l1}, joins: []join{{joinAnyLeft, overrides, []ident{"person_id"}}}}
	l2.cols = append(l2.cols, alias{personOf{}, "person"})
	for _, c := range carry {
		l2.cols = append(l2.cols, alias{c, c})
	}
	if !needPerson {
		return l2
	}
	persons := &selectStmt{
		cols:  []alias{{ident("person_id"), "person"}, {ident("properties"), "person_properties"}},
		from:  fromItem{table: "persons"},
		where: eq(ident("project_id"), param{int64(p.env.Project)}),
	}
	if p.versioned {
		persons.cols[1].x = call{"argMax", []expr{ident("properties"), ident("version")}}
		persons.groupBy = []expr{ident("person_id")}
	}
	l3 := &selectStmt{from: fromItem{sub: l2}, joins: []join{{joinAnyLeft, persons, []ident{"person"}}}}
	l3.cols = append(l3.cols, alias{ident("person"), "person"})
	for _, c := range carry {
		l3.cols = append(l3.cols, alias{c, c})
	}
	l3.cols = append(l3.cols, alias{ident("person_properties"), "person_properties"})
	l3.where = p.filtersExpr(personFilters)
	return l3
}

func refsOf(fs ...[]resolvedFilter) []propRef {
	var out []propRef
	for _, l := range fs {
		for _, f := range l {
			out = append(out, f.prop)
		}
	}
	return out
}

// localMs is ts in local milliseconds: ts plus the UTC offset in force, from a table of
// offsets over [from, to) computed in Go.
func (p *Plan) localMs(from, to int64) expr {
	spans := p.env.Calendar.offsetTable(from, to)
	var off expr
	if len(spans) == 1 {
		off = lit{spans[0].off}
	} else {
		c := caseWhen{els: lit{spans[len(spans)-1].off}}
		for _, s := range spans[:len(spans)-1] {
			c.whens = append(c.whens, when{binary{"<", ident("ts"), lit{s.until}}, lit{s.off}})
		}
		off = c
	}
	return binary{"+", ident("ts"), off}
}

// bucket is the calendar bucket number of ts (Calendar.Bucket) for rows in [from, to).
func (p *Plan) bucket(iv Interval, from, to int64) expr {
	cal := p.env.Calendar
	switch iv {
	case Hour:
		return intDiv{p.localMs(from, to), lit{msHour}}
	case Day:
		return intDiv{p.localMs(from, to), lit{msDay}}
	case Week:
		return intDiv{binary{"+", intDiv{p.localMs(from, to), lit{msDay}}, lit{int64(3)}}, lit{int64(7)}}
	case Month:
		first, last := cal.Bucket(Month, from), cal.Bucket(Month, to-1)
		starts := cal.monthStarts(first+1, last)
		if len(starts) == 0 {
			return lit{first}
		}
		c := caseWhen{els: lit{last}}
		for i, s := range starts {
			c.whens = append(c.whens, when{binary{"<", ident("ts"), lit{s}}, lit{first + int64(i)}})
		}
		return c
	}
	panic("BUG: unknown interval " + string(iv))
}

// breakdownCase maps the breakdown text to itself when it is one of values, else Other.
func (p *Plan) breakdownCase(values []string) expr {
	if len(values) == 0 {
		return lit{Other}
	}
	list := make([]expr, len(values))
	for i, v := range values {
		list[i] = param{v}
	}
	return caseWhen{whens: []when{{inList{x: p.text(*p.bd), list: list}, p.text(*p.bd)}}, els: lit{Other}}
}

// topValues plans the top breakdown values of the rows of q matching cond: by unique
// persons, then by value. Columns: bd (String), n.
func (p *Plan) topValues(q eventQuery, cond expr) Compiled {
	q.refs = append(q.refs, *p.bd)
	s := &selectStmt{
		cols:    []alias{{p.text(*p.bd), "bd"}, {agg{kind: aggUniq, x: ident("person")}, "n"}},
		from:    fromItem{sub: p.events(q)},
		where:   cond,
		groupBy: []expr{ident("bd")},
		orderBy: []order{{ident("n"), true}, {ident("bd"), false}},
		limit:   p.bdLimit,
	}
	return render(p.d, s)
}
