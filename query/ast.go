package query

// The SQL syntax tree the planner builds and the printer prints. Generic nodes print the
// same in every dialect; semantic nodes (property access, the person of an event, unique
// counts, quantiles, integer division) are printed by dialect hooks. Nodes carry decided
// meaning only: the printer makes no choices beyond spelling.

// expr is an SQL expression.
type expr interface{ isExpr() }

// ident is a column name or select alias, always a compiler constant.
type ident string

// param is a bound argument, printed as "?".
type param struct{ v any }

// lit is a compiler constant printed literally: an int64, a float64 or a string without
// quotes or backslashes.
type lit struct{ v any }

// call is a function both dialects spell the same.
type call struct {
	fn   string
	args []expr
}

// binary is an infix operator: arithmetic, comparison, AND, OR.
type binary struct {
	op   string
	l, r expr
}

// not negates a condition.
type not struct{ x expr }

// inList is x IN (list) or x NOT IN (list).
type inList struct {
	x    expr
	list []expr
	neg  bool
}

// caseWhen is CASE WHEN … THEN … ELSE … END.
type caseWhen struct {
	whens []when
	els   expr
}

type when struct{ cond, then expr }

// star is count(*)'s argument.
type star struct{}

// propText is the text of a JSON path of a String column ("" when missing or null). A
// path is the keys of nested objects, outermost first; a value that is not an object on
// the way makes the path missing.
type propText struct {
	col  ident
	path []string
}

// propSet is true when the JSON path is present and not null.
type propSet struct {
	col  ident
	path []string
}

// propIsNum is true when the JSON path holds a number.
type propIsNum struct {
	col  ident
	path []string
}

// propNum is the Float64 value of a JSON path that holds a number (see propIsNum).
type propNum struct {
	col  ident
	path []string
}

// contains is true when needle occurs in hay (case-sensitive).
type contains struct{ hay, needle expr }

// intDiv is integer division of non-negative integers.
type intDiv struct{ l, r expr }

// toInt64 converts an integer expression to Int64 / BIGINT for ScanInt64.
type toInt64 struct{ x expr }

// personOf is the person of an event after the override join: the override's new id, or
// the event's person_id.
type personOf struct{}

// aggKind is an aggregate whose spelling differs between dialects.
type aggKind int

const (
	aggCount    aggKind = iota // count(*)
	aggUniq                    // exact count of distinct values
	aggSum                     // sum, exact to 1/10000 (money)
	aggAvg                     // avg, sum as aggSum over count
	aggMin                     // min
	aggMax                     // max
	aggQuantile                // exact, not interpolated: position floor(q·n) of the sorted values
)

// agg is an aggregate function call.
type agg struct {
	kind aggKind
	x    expr
	q    float64 // aggQuantile
}

// alias is an expression named in a select list.
type alias struct {
	x    expr
	name ident
}

// selectStmt is one SELECT.
type selectStmt struct {
	cols    []alias
	from    fromItem
	joins   []join
	where   expr
	groupBy []expr
	having  expr
	orderBy []order
	limit   int // 0: none
}

// fromItem is a table name or a subquery.
type fromItem struct {
	table ident
	sub   *selectStmt
}

// joinKind is the kind of a join. anyLeft is ClickHouse's ANY LEFT JOIN (one match per
// left row), a plain LEFT JOIN where right keys are unique; allInner is an inner join.
type joinKind int

const (
	joinAnyLeft joinKind = iota
	joinAllInner
)

// join is a USING join with a subquery.
type join struct {
	kind  joinKind
	right *selectStmt
	using []ident
}

type order struct {
	x    expr
	desc bool
}

func (ident) isExpr()     {}
func (param) isExpr()     {}
func (lit) isExpr()       {}
func (call) isExpr()      {}
func (binary) isExpr()    {}
func (not) isExpr()       {}
func (inList) isExpr()    {}
func (caseWhen) isExpr()  {}
func (star) isExpr()      {}
func (propText) isExpr()  {}
func (propSet) isExpr()   {}
func (propIsNum) isExpr() {}
func (propNum) isExpr()   {}
func (contains) isExpr()  {}
func (intDiv) isExpr()    {}
func (toInt64) isExpr()   {}
func (personOf) isExpr()  {}
func (agg) isExpr()       {}

// and joins conditions with AND, skipping nils; nil when there are none.
func and(xs ...expr) expr {
	var out expr
	for _, x := range xs {
		if x == nil {
			continue
		}
		if out == nil {
			out = x
		} else {
			out = binary{"AND", out, x}
		}
	}
	return out
}

// or joins conditions with OR, skipping nils; nil when there are none.
func or(xs ...expr) expr {
	var out expr
	for _, x := range xs {
		if x == nil {
			continue
		}
		if out == nil {
			out = x
		} else {
			out = binary{"OR", out, x}
		}
	}
	return out
}

func eq(l, r expr) expr { return binary{"=", l, r} }

// flagOf is CASE WHEN cond THEN v ELSE 0 END.
func flagOf(cond expr, v int64) expr {
	return caseWhen{whens: []when{{cond, lit{v}}}, els: lit{int64(0)}}
}
