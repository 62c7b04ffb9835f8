package query

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect is the SQL dialect of an event store; it equals store.EventStore.Name().
type Dialect string

// The supported dialects.
const (
	DuckDB     Dialect = "duckdb"
	ClickHouse Dialect = "clickhouse"
)

// Compiled is one SQL statement with "?" placeholders and its arguments, in order. Args
// are int64, float64 or string.
type Compiled struct {
	SQL  string `json:"sql"`
	Args []any  `json:"args"`
}

// dialect prints the nodes whose spelling differs between stores. The printer handles the
// rest; base holds the spellings that are standard SQL.
type dialect interface {
	propText(p *printer, n propText)
	propSet(p *printer, n propSet)
	propIsNum(p *printer, n propIsNum)
	propNum(p *printer, n propNum)
	contains(p *printer, n contains)
	intDiv(p *printer, n intDiv)
	toInt64(p *printer, n toInt64)
	personOf(p *printer)
	agg(p *printer, n agg)
	joinKeyword(k joinKind) string
}

func dialectOf(d Dialect) (dialect, error) {
	switch d {
	case DuckDB:
		return duckdbDialect{}, nil
	case ClickHouse:
		return clickhouseDialect{}, nil
	}
	return nil, fmt.Errorf("cannot compile for dialect %q: want duckdb or clickhouse", d)
}

// base spells standard SQL; dialects embed it and override what differs.
type base struct{}

func (base) toInt64(p *printer, n toInt64) {
	p.w("CAST(")
	p.expr(n.x)
	p.w(" AS BIGINT)")
}

func (base) joinKeyword(k joinKind) string {
	if k == joinAllInner {
		return "INNER JOIN"
	}
	return "LEFT JOIN"
}

func (base) agg(p *printer, n agg) {
	switch n.kind {
	case aggCount:
		p.w("count(*)")
		return
	case aggUniq:
		p.w("count(DISTINCT ")
		p.expr(n.x)
		p.w(")")
		return
	case aggSum, aggAvg:
		// Money must not lose cents to float addition: each value is rounded to 1/10000
		// and summed as an integer-valued double (exact below 2^53), then scaled back.
		p.w("(sum(round(")
		p.expr(n.x)
		p.w(" * 10000)) / 10000")
		if n.kind == aggAvg {
			p.w(" / count(")
			p.expr(n.x)
			p.w(")")
		}
		p.w(")")
		return
	}
	p.w(map[aggKind]string{aggMin: "min", aggMax: "max"}[n.kind])
	p.w("(")
	p.expr(n.x)
	p.w(")")
}

// duckdbDialect prints DuckDB 1.5: JSON through json_extract_string and json_type with
// paths of quoted keys ($."page"."path") bound as arguments. Such a path reads nothing
// through a value that is not an object, arrays included.
type duckdbDialect struct{ base }

func jsonPath(path []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range path {
		b.WriteString(`."` + k + `"`)
	}
	return b.String()
}

func (duckdbDialect) propText(p *printer, n propText) {
	p.w("coalesce(json_extract_string(")
	p.expr(n.col)
	p.w(", ")
	p.param(jsonPath(n.path))
	p.w("), '')")
}

func (duckdbDialect) propSet(p *printer, n propSet) {
	p.w("json_extract_string(")
	p.expr(n.col)
	p.w(", ")
	p.param(jsonPath(n.path))
	p.w(") IS NOT NULL")
}

// propIsNum is never NULL, so NOT (…) of a condition built on it stays two-valued.
func (duckdbDialect) propIsNum(p *printer, n propIsNum) {
	p.w("coalesce(json_type(")
	p.expr(n.col)
	p.w(", ")
	p.param(jsonPath(n.path))
	p.w(") IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false)")
}

func (duckdbDialect) propNum(p *printer, n propNum) {
	p.w("TRY_CAST(json_extract_string(")
	p.expr(n.col)
	p.w(", ")
	p.param(jsonPath(n.path))
	p.w(") AS DOUBLE)")
}

func (duckdbDialect) contains(p *printer, n contains) {
	p.w("contains(")
	p.expr(n.hay)
	p.w(", ")
	p.expr(n.needle)
	p.w(")")
}

func (duckdbDialect) intDiv(p *printer, n intDiv) {
	p.w("(")
	p.sub(n.l, 5)
	p.w(" // ")
	p.sub(n.r, 6)
	p.w(")")
}

func (duckdbDialect) personOf(p *printer) { p.w("coalesce(override_person_id, person_id)") }

func (d duckdbDialect) agg(p *printer, n agg) {
	if n.kind != aggQuantile {
		d.base.agg(p, n)
		return
	}
	// list_sort(list(x))[floor(q·n) + 1]: ClickHouse quantileExact, 1-based.
	p.w("list_sort(list(")
	p.expr(n.x)
	p.w("))[CAST(floor(")
	p.w(strconv.FormatFloat(n.q, 'f', -1, 64))
	p.w(" * count(")
	p.expr(n.x)
	p.w(")) AS BIGINT) + 1]")
}

// clickhouseDialect prints SQL that runs on ClickHouse 18.16 and current releases: JSON
// through visitParamExtract* with keys bound as arguments (the store's client-side binding
// makes them the constants these functions need), ANY LEFT JOIN, uniqExact.
//
// 18.16 has no JSONExtract, so a nested path nests visitParamExtractRaw: the raw text of
// "page" in properties, then of "path" in that text. A raw text that is not an object
// (a string, a number, an array) is emptied first, by notObject, so that a path through it
// is missing as on DuckDB: without that, visitParamExtract* would find the key inside the
// first element of an array.
type clickhouseDialect struct{ base }

// notObject matches a whole raw JSON text that does not start with '{'. It has no "." so
// that it spans newlines, and no "?" or backslash, which the printer and the store's
// binding would take for a placeholder or an escape.
const notObject = "^[^{]([^{]|[{])*"

// obj prints the JSON text of the object at path below col: col itself for an empty path,
// "" when the value at path is missing or not an object.
func (d clickhouseDialect) obj(p *printer, col ident, path []string) {
	if len(path) == 0 {
		p.expr(col)
		return
	}
	p.w("replaceRegexpOne(")
	d.raw(p, col, path)
	p.w(", ")
	p.lit(notObject)
	p.w(", '')")
}

// raw prints the raw JSON text of the value at path below col ("" when missing).
func (d clickhouseDialect) raw(p *printer, col ident, path []string) {
	d.extract(p, "visitParamExtractRaw", col, path)
}

// extract prints fn(object holding the last key, last key).
func (d clickhouseDialect) extract(p *printer, fn string, col ident, path []string) {
	p.w(fn)
	p.w("(")
	d.obj(p, col, path[:len(path)-1])
	p.w(", ")
	p.param(path[len(path)-1])
	p.w(")")
}

func (d clickhouseDialect) propText(p *printer, n propText) {
	p.w("multiIf(substring(")
	d.raw(p, n.col, n.path)
	p.w(", 1, 1) = '\"', ")
	d.extract(p, "visitParamExtractString", n.col, n.path)
	p.w(", ")
	d.raw(p, n.col, n.path)
	p.w(" = 'null', '', ")
	d.raw(p, n.col, n.path)
	p.w(")")
}

func (d clickhouseDialect) propSet(p *printer, n propSet) {
	d.raw(p, n.col, n.path)
	p.w(" NOT IN ('', 'null')")
}

func (d clickhouseDialect) propIsNum(p *printer, n propIsNum) {
	p.w("match(")
	d.raw(p, n.col, n.path)
	p.w(", '^[-0-9]')")
}

func (d clickhouseDialect) propNum(p *printer, n propNum) {
	d.extract(p, "visitParamExtractFloat", n.col, n.path)
}

func (clickhouseDialect) contains(p *printer, n contains) {
	p.w("position(")
	p.expr(n.hay)
	p.w(", ")
	p.expr(n.needle)
	p.w(") > 0")
}

func (clickhouseDialect) intDiv(p *printer, n intDiv) {
	p.w("intDiv(")
	p.expr(n.l)
	p.w(", ")
	p.expr(n.r)
	p.w(")")
}

func (clickhouseDialect) toInt64(p *printer, n toInt64) {
	p.w("toInt64(")
	p.expr(n.x)
	p.w(")")
}

func (clickhouseDialect) personOf(p *printer) {
	// A LEFT JOIN fills a missing Int64 with 0 (join_use_nulls is off by default).
	p.w("if(override_person_id = 0, person_id, override_person_id)")
}

func (d clickhouseDialect) agg(p *printer, n agg) {
	switch n.kind {
	case aggCount:
		p.w("count()")
	case aggUniq:
		p.w("uniqExact(")
		p.expr(n.x)
		p.w(")")
	case aggQuantile:
		p.w("quantileExact(")
		p.w(strconv.FormatFloat(n.q, 'f', -1, 64))
		p.w(")(")
		p.expr(n.x)
		p.w(")")
	default:
		d.base.agg(p, n)
	}
}

func (clickhouseDialect) joinKeyword(k joinKind) string {
	if k == joinAllInner {
		return "ALL INNER JOIN"
	}
	return "ANY LEFT JOIN"
}

// printer renders a syntax tree; it collects the arguments of "?" in print order.
type printer struct {
	d      dialect
	b      strings.Builder
	args   []any
	indent int
	subs   int // subqueries named so far
}

// render prints a statement for a dialect.
func render(d dialect, s *selectStmt) Compiled {
	p := &printer{d: d}
	p.stmt(s)
	return Compiled{SQL: p.b.String(), Args: p.args}
}

func (p *printer) w(s string) { p.b.WriteString(s) }

func (p *printer) nl() {
	p.b.WriteByte('\n')
	p.b.WriteString(strings.Repeat("  ", p.indent))
}

func (p *printer) param(v any) {
	switch x := v.(type) {
	case int:
		v = int64(x)
	case uint32:
		v = int64(x)
	case int64, float64, string:
	default:
		panic(fmt.Sprintf("BUG: bound argument of type %T", v))
	}
	p.args = append(p.args, v)
	p.w("?")
}

func (p *printer) stmt(s *selectStmt) {
	p.w("SELECT")
	p.indent++
	for i, c := range s.cols {
		p.nl()
		p.expr(c.x)
		if id, ok := c.x.(ident); !ok || id != c.name {
			p.w(" AS ")
			p.w(string(c.name))
		}
		if i < len(s.cols)-1 {
			p.w(",")
		}
	}
	p.indent--
	p.nl()
	p.w("FROM ")
	p.from(s.from)
	for _, j := range s.joins {
		p.nl()
		p.w(p.d.joinKeyword(j.kind))
		p.w(" ")
		p.from(fromItem{sub: j.right})
		p.w(" USING (")
		for i, u := range j.using {
			if i > 0 {
				p.w(", ")
			}
			p.w(string(u))
		}
		p.w(")")
	}
	if s.where != nil {
		p.nl()
		p.w("WHERE ")
		p.expr(s.where)
	}
	if len(s.groupBy) > 0 {
		p.nl()
		p.w("GROUP BY ")
		p.list(s.groupBy)
	}
	if s.having != nil {
		p.nl()
		p.w("HAVING ")
		p.expr(s.having)
	}
	if len(s.orderBy) > 0 {
		p.nl()
		p.w("ORDER BY ")
		for i, o := range s.orderBy {
			if i > 0 {
				p.w(", ")
			}
			p.expr(o.x)
			if o.desc {
				p.w(" DESC")
			}
		}
	}
	if s.limit > 0 {
		p.nl()
		p.w("LIMIT " + strconv.Itoa(s.limit))
	}
}

func (p *printer) from(f fromItem) {
	if f.sub == nil {
		p.w(string(f.table))
		return
	}
	p.w("(")
	p.indent++
	p.nl()
	p.stmt(f.sub)
	p.indent--
	p.nl()
	// Current ClickHouse requires an alias on a joined subquery; every subquery gets one.
	p.subs++
	p.w(") AS s" + strconv.Itoa(p.subs))
}

func (p *printer) list(xs []expr) {
	for i, x := range xs {
		if i > 0 {
			p.w(", ")
		}
		p.expr(x)
	}
}

// precedence of infix operators; higher binds tighter.
func precedence(op string) int {
	switch op {
	case "OR":
		return 1
	case "AND":
		return 2
	case "=", "<>", "<", "<=", ">", ">=":
		return 3
	case "+", "-":
		return 4
	case "*", "/":
		return 5
	}
	panic("BUG: unknown operator " + op)
}

// sub prints x in a context of precedence prec, with parentheses when x binds looser.
func (p *printer) sub(x expr, prec int) {
	if b, ok := x.(binary); ok && precedence(b.op) < prec {
		p.w("(")
		p.expr(x)
		p.w(")")
		return
	}
	switch x.(type) {
	case inList, propSet, propIsNum, contains:
		if prec > 3 {
			p.w("(")
			p.expr(x)
			p.w(")")
			return
		}
	}
	p.expr(x)
}

func (p *printer) expr(x expr) {
	switch n := x.(type) {
	case ident:
		p.w(string(n))
	case param:
		p.param(n.v)
	case lit:
		p.lit(n.v)
	case call:
		p.w(n.fn)
		p.w("(")
		p.list(n.args)
		p.w(")")
	case binary:
		prec := precedence(n.op)
		p.sub(n.l, prec)
		p.w(" " + n.op + " ")
		// Comparisons and non-associative arithmetic need the right side bound tighter.
		if n.op == "-" || n.op == "/" || prec == 3 {
			p.sub(n.r, prec+1)
		} else {
			p.sub(n.r, prec)
		}
	case not:
		p.w("NOT (")
		p.expr(n.x)
		p.w(")")
	case inList:
		p.sub(n.x, 4)
		if n.neg {
			p.w(" NOT")
		}
		p.w(" IN (")
		p.list(n.list)
		p.w(")")
	case caseWhen:
		p.w("CASE")
		for _, w := range n.whens {
			p.w(" WHEN ")
			p.expr(w.cond)
			p.w(" THEN ")
			p.expr(w.then)
		}
		p.w(" ELSE ")
		p.expr(n.els)
		p.w(" END")
	case star:
		p.w("*")
	case propText:
		p.d.propText(p, n)
	case propSet:
		p.d.propSet(p, n)
	case propIsNum:
		p.d.propIsNum(p, n)
	case propNum:
		p.d.propNum(p, n)
	case contains:
		p.d.contains(p, n)
	case intDiv:
		p.d.intDiv(p, n)
	case toInt64:
		p.d.toInt64(p, n)
	case personOf:
		p.d.personOf(p)
	case agg:
		p.d.agg(p, n)
	default:
		panic(fmt.Sprintf("BUG: cannot print %T", x))
	}
}

func (p *printer) lit(v any) {
	switch x := v.(type) {
	case int64:
		p.w(strconv.FormatInt(x, 10))
	case int:
		p.w(strconv.Itoa(x))
	case float64:
		p.w(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		if strings.ContainsAny(x, `'\`) {
			panic("BUG: literal with a quote or backslash")
		}
		p.w("'" + x + "'")
	default:
		panic(fmt.Sprintf("BUG: literal of type %T", v))
	}
}
