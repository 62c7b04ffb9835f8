package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of bad rows (BadRow.Kind).
const (
	KindBadRow        = "bad_row"        // unreadable: CSV quoting, column count, JSON syntax
	KindBadText       = "bad_text"       // a cell is not valid UTF-8
	KindBadTime       = "bad_time"       // the time does not parse
	KindBadNumber     = "bad_number"     // a number does not parse, is out of range, has too many decimals or the wrong sign
	KindBadValue      = "bad_value"      // a bool, currency or JSON value of the wrong form
	KindMissingColumn = "missing_column" // a required cell is empty
	KindUnmappedEvent = "unmapped_event" // the event column holds a value the mapping does not name
	KindOutOfRange    = "out_of_range"   // the time is outside valid_range
	KindOrderMismatch = "order_mismatch" // lines of one order disagree on person, currency or refund-ness
	KindOrderOverflow = "order_overflow" // an order total leaves the money range
)

// maxReasonValueSize bounds how much of a cell a reason quotes.
const maxReasonValueSize = 64

// outcome of evaluating one row.
type outcome int

const (
	rowOK       outcome = iota
	rowBad              // see bad
	rowFiltered         // a skip rule matched; see rule
	rowUnmapped         // unmapped event value under "skip"; see value
)

// record is one evaluated row.
type record struct {
	outcome outcome
	bad     BadRow
	rule    string
	value   string

	name   string
	user   string
	anon   string
	guest  bool
	timeMS int64
	props  []byte // compact JSON object of the mapped properties
	id     string // for ungrouped rows

	// Order lines.
	key      string
	refund   bool
	qty      int64 // as in the file (negative on refund lines)
	price    int64 // money units
	amount   int64 // qty × price, money units
	currency string
	product  []byte // compact JSON object of the line
}

// evaluator turns cells into records. It keeps small caches across rows and is not safe
// for concurrent use.
type evaluator struct {
	p        *plan
	lastTime string
	lastMS   int64
}

// quote quotes a cell for a reason message, cut to a readable length.
func quote(s string) string {
	if len(s) > maxReasonValueSize {
		cut := maxReasonValueSize
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

func (ev *evaluator) fail(r *record, line int, kind string, col int, format string, args ...any) *record {
	r.outcome = rowBad
	r.bad = BadRow{Line: line, Kind: kind, Reason: fmt.Sprintf(format, args...)}
	if col >= 0 {
		r.bad.Column = ev.p.cols[col]
	}
	return r
}

// eval evaluates one row; the record is reused between calls. For order lines, r.key is
// set as soon as it is known, so that a bad line can spoil its order.
func (ev *evaluator) eval(r *record, cells []string, line int) *record {
	p := ev.p
	*r = record{props: r.props[:0], product: r.product[:0]}
	o := p.order
	if o != nil {
		r.key = orderKey(o, cells)
	}
	for i, c := range cells {
		if !utf8.ValidString(c) {
			return ev.fail(r, line, KindBadText, i, "column %q is not valid UTF-8", p.cols[i])
		}
	}
	for _, rule := range p.skip {
		if matchAll(rule.when, cells) {
			r.outcome = rowFiltered
			r.rule = rule.name
			return r
		}
	}
	if o != nil {
		if r.key == "" {
			return ev.fail(r, line, KindMissingColumn, o.key, "order key column %q is empty", p.cols[o.key])
		}
		r.refund = o.refund != nil && matchAll(o.refund, cells)
		if r.refund {
			r.name = o.refundEvent
		} else {
			r.name = o.event
		}
	} else if p.eventCol >= 0 {
		v := strings.TrimSpace(cells[p.eventCol])
		if v == "" {
			return ev.fail(r, line, KindMissingColumn, p.eventCol, "event column %q is empty", p.cols[p.eventCol])
		}
		if p.values == nil {
			r.name = v
		} else if name, ok := p.values[v]; ok {
			r.name = name
		} else {
			switch p.unmapped {
			case UnmappedSkip:
				r.outcome = rowUnmapped
				r.value = v
				return r
			case UnmappedKeep:
				r.name = v
			default:
				return ev.fail(r, line, KindUnmappedEvent, p.eventCol, "event value %s in column %q is not in event.values", quote(v), p.cols[p.eventCol])
			}
		}
		if strings.HasPrefix(r.name, "$") {
			return ev.fail(r, line, KindBadValue, p.eventCol, "event name %s in column %q: names starting with \"$\" are reserved", quote(r.name), p.cols[p.eventCol])
		}
	} else {
		r.name = p.eventName
	}

	// Person.
	if p.userCol >= 0 {
		r.user = strings.TrimSpace(cells[p.userCol])
		if r.user != "" && p.userInt {
			u, err := canonicalInteger(r.user)
			if err != nil {
				return ev.fail(r, line, KindBadNumber, p.userCol, "user id %s in column %q: %v", quote(r.user), p.cols[p.userCol], err)
			}
			r.user = u
		}
	}
	if p.anonCol >= 0 {
		r.anon = strings.TrimSpace(cells[p.anonCol])
	}
	if r.user == "" && r.anon == "" {
		if len(p.guestKey) == 0 {
			return ev.fail(r, line, KindMissingColumn, firstCol(p.userCol, p.anonCol), "no person: %s", p.personCols())
		}
		parts := make([]string, len(p.guestKey))
		for i, c := range p.guestKey {
			parts[i] = strings.TrimSpace(cells[c])
			if parts[i] == "" {
				return ev.fail(r, line, KindMissingColumn, c, "no person: %s, and guest key column %q is empty", p.personCols(), p.cols[c])
			}
		}
		r.anon = p.guestPre + strings.Join(parts, "|")
		r.guest = true
	}

	// Time.
	ts := strings.TrimSpace(cells[p.timeCol])
	if ts == "" {
		return ev.fail(r, line, KindMissingColumn, p.timeCol, "time column %q is empty", p.cols[p.timeCol])
	}
	if ts == ev.lastTime {
		r.timeMS = ev.lastMS
	} else {
		ms, err := p.parseTime(ts)
		if err != nil {
			return ev.fail(r, line, KindBadTime, p.timeCol, "time %s in column %q: %v", quote(ts), p.cols[p.timeCol], err)
		}
		r.timeMS = ms
		ev.lastTime, ev.lastMS = ts, ms
	}
	if p.hasRange && (r.timeMS < p.lo || r.timeMS > p.hi) {
		return ev.fail(r, line, KindOutOfRange, p.timeCol, "time %s (%s) is outside valid_range %s..%s",
			quote(ts), time.UnixMilli(r.timeMS).In(p.loc).Format("2006-01-02 15:04:05 -07:00"), p.rangeDesc[0], p.rangeDesc[1])
	}

	// Properties.
	var bad *record
	if r.props, bad = ev.appendProps(r, append(r.props, '{'), p.props, cells, line); bad != nil {
		return bad
	}
	r.props = append(r.props, '}')

	if o == nil {
		switch {
		case len(p.idKey) > 0:
			parts := make([]string, 0, len(p.idKey)+2)
			parts = append(parts, p.namespace, "row")
			for _, c := range p.idKey {
				parts = append(parts, strings.TrimSpace(cells[c]))
			}
			r.id = messageID(parts...)
		default:
			r.id = messageID(p.namespace, "line", strconv.Itoa(line))
		}
		return r
	}

	// Order line.
	qs := strings.TrimSpace(cells[o.qty])
	if qs == "" {
		return ev.fail(r, line, KindMissingColumn, o.qty, "quantity column %q is empty", p.cols[o.qty])
	}
	q, err := parseInt(qs)
	if err != nil {
		return ev.fail(r, line, KindBadNumber, o.qty, "quantity %s in column %q: %v", quote(qs), p.cols[o.qty], err)
	}
	if r.refund && q >= 0 {
		return ev.fail(r, line, KindBadNumber, o.qty, "quantity %s in column %q: a refund line must have a negative quantity", quote(qs), p.cols[o.qty])
	}
	if !r.refund && q <= 0 {
		return ev.fail(r, line, KindBadNumber, o.qty, "quantity %s in column %q: an order line must have a positive quantity", quote(qs), p.cols[o.qty])
	}
	r.qty = q
	ps := strings.TrimSpace(cells[o.price])
	if ps == "" {
		return ev.fail(r, line, KindMissingColumn, o.price, "price column %q is empty", p.cols[o.price])
	}
	price, err := parseMoney(ps)
	if err != nil {
		return ev.fail(r, line, KindBadNumber, o.price, "price %s in column %q: %v", quote(ps), p.cols[o.price], err)
	}
	if price < 0 {
		return ev.fail(r, line, KindBadNumber, o.price, "price %s in column %q is negative", quote(ps), p.cols[o.price])
	}
	r.price = price
	amount, ok := mulMoney(q, price)
	if !ok {
		return ev.fail(r, line, KindBadNumber, o.qty, "quantity × price (%s × %s) is out of range", qs, ps)
	}
	r.amount = amount
	if o.currencyCol >= 0 {
		r.currency = strings.ToUpper(strings.TrimSpace(cells[o.currencyCol]))
		if r.currency == "" {
			return ev.fail(r, line, KindMissingColumn, o.currencyCol, "currency column %q is empty", p.cols[o.currencyCol])
		}
		if !isCurrency(r.currency) {
			return ev.fail(r, line, KindBadValue, o.currencyCol, "currency %s in column %q is not an ISO 4217 code", quote(r.currency), p.cols[o.currencyCol])
		}
	} else {
		r.currency = o.currency
	}
	r.product = append(r.product, '{')
	if r.product, bad = ev.appendProps(r, r.product, o.products, cells, line); bad != nil {
		return bad
	}
	r.product = appendKey(r.product, "price")
	r.product = appendMoney(r.product, price)
	r.product = appendKey(r.product, "quantity")
	r.product = strconv.AppendInt(r.product, abs64(q), 10)
	r.product = append(r.product, '}')
	return r
}

// orderKey returns the order key of a row, or "" when it is empty or not valid UTF-8.
func orderKey(o *compiledOrder, cells []string) string {
	k := strings.TrimSpace(cells[o.key])
	if !utf8.ValidString(k) {
		return ""
	}
	return k
}

// appendProps appends the typed properties to the object in dst (without braces).
func (ev *evaluator) appendProps(r *record, dst []byte, props []compiledProp, cells []string, line int) ([]byte, *record) {
	p := ev.p
	for _, pr := range props {
		raw := cells[pr.col]
		v := raw
		if pr.typ != TypeString {
			v = strings.TrimSpace(raw)
		}
		if v == "" {
			if pr.required {
				return dst, ev.fail(r, line, KindMissingColumn, pr.col, "required column %q (property %q) is empty", p.cols[pr.col], pr.name)
			}
			continue
		}
		switch pr.typ {
		case TypeString:
			dst = appendKey(dst, pr.name)
			dst = appendString(dst, v)
		case TypeInt:
			n, err := parseInt(v)
			if err != nil {
				return dst, ev.fail(r, line, KindBadNumber, pr.col, "%s in column %q (property %q, int): %v", quote(v), p.cols[pr.col], pr.name, err)
			}
			dst = appendKey(dst, pr.name)
			dst = strconv.AppendInt(dst, n, 10)
		case TypeFloat:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return dst, ev.fail(r, line, KindBadNumber, pr.col, "%s in column %q (property %q, float): not a finite number", quote(v), p.cols[pr.col], pr.name)
			}
			dst = appendKey(dst, pr.name)
			dst = appendFloat(dst, f)
		case TypeDecimal, TypeDecimalString:
			d, err := canonicalDecimal(v)
			if err != nil {
				return dst, ev.fail(r, line, KindBadNumber, pr.col, "%s in column %q (property %q, decimal): %v", quote(v), p.cols[pr.col], pr.name, err)
			}
			dst = appendKey(dst, pr.name)
			if pr.typ == TypeDecimal {
				dst = append(dst, d...)
			} else {
				dst = appendString(dst, d)
			}
		case TypeBool:
			b, ok := parseBool(v)
			if !ok {
				return dst, ev.fail(r, line, KindBadValue, pr.col, "%s in column %q (property %q, bool): want true/false, 1/0 or yes/no", quote(v), p.cols[pr.col], pr.name)
			}
			dst = appendKey(dst, pr.name)
			dst = strconv.AppendBool(dst, b)
		}
	}
	return dst, nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "t", "1", "yes", "y":
		return true, true
	case "false", "f", "0", "no", "n":
		return false, true
	}
	return false, false
}

func matchAll(conds []compiledCond, cells []string) bool {
	for i := range conds {
		if !conds[i].match(cells) {
			return false
		}
	}
	return true
}

func (c *compiledCond) match(cells []string) bool {
	v := strings.TrimSpace(cells[c.col])
	switch {
	case c.equals != nil:
		for _, e := range c.equals {
			if v == e {
				return true
			}
		}
		return false
	case c.notEquals != nil:
		for _, e := range c.notEquals {
			if v == e {
				return false
			}
		}
		return true
	case c.prefix != nil:
		return strings.HasPrefix(v, *c.prefix)
	case c.notPrefix != nil:
		return !strings.HasPrefix(v, *c.notPrefix)
	case c.empty != nil:
		return (v == "") == *c.empty
	}
	panic("BUG: condition without a test")
}

func firstCol(a, b int) int {
	if a >= 0 {
		return a
	}
	return b
}

func (p *plan) personCols() string {
	var parts []string
	if p.userCol >= 0 {
		parts = append(parts, fmt.Sprintf("user id column %q is empty", p.cols[p.userCol]))
	}
	if p.anonCol >= 0 {
		parts = append(parts, fmt.Sprintf("anonymous id column %q is empty", p.cols[p.anonCol]))
	}
	return strings.Join(parts, " and ")
}

// parseTime returns the Unix milliseconds of a time cell.
func (p *plan) parseTime(s string) (int64, error) {
	var ms int64
	switch p.timeFmt {
	case TimeUnix:
		// Sub-millisecond digits are dropped, not rounded.
		if whole, frac, ok := strings.Cut(s, "."); ok && len(frac) > 3 {
			s = whole + "." + frac[:3]
		}
		v, err := parseScaled(s, 3, math.MaxInt64)
		if err != nil {
			return 0, fmt.Errorf("want Unix seconds: %v", err)
		}
		ms = v
	case TimeUnixMS:
		v, err := parseInt(s)
		if err != nil {
			return 0, fmt.Errorf("want Unix milliseconds: %v", err)
		}
		ms = v
	case TimeRFC3339:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, fmt.Errorf("want RFC 3339 such as 2006-01-02T15:04:05+08:00")
		}
		ms = t.UnixMilli()
	default:
		t, err := time.ParseInLocation(p.timeFmt, s, p.loc)
		if err != nil {
			return 0, fmt.Errorf("want layout %q", p.timeFmt)
		}
		ms = t.UnixMilli()
	}
	if ms < minMS || ms > maxMS {
		return 0, errTooLarge
	}
	return ms, nil
}
