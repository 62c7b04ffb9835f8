package query

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a spec, documented for API clients.
const (
	MaxSeries         = 20
	MinSteps          = 2
	MaxSteps          = 20
	MaxFilters        = 50
	MaxListValues     = 1000
	MaxValueBytes     = 1024
	MaxNameBytes      = 200
	MaxBreakdownLimit = 100
	DefaultBreakdown  = 10
	MaxPeriods        = 60
	DefaultPeriods    = 7
	DefaultWindow     = "24h"
	DefaultProducts   = 10
	MaxProducts       = 1000
	DefaultOrderEvent = "Order Completed"
	MaxWindow         = 365 * 24 * time.Hour
)

// Validate checks the spec without resolving it against a calendar or a clock: every
// error is an *Error with CodeInvalidSpec (or CodeUnsupported) and the JSON path at fault.
func (s *Spec) Validate() error {
	if err := s.validateCommon(); err != nil {
		return err
	}
	switch s.Kind {
	case KindTrends:
		return s.validateTrends()
	case KindFunnel:
		return s.validateFunnel()
	case KindRetention:
		return s.validateRetention()
	case KindProducts:
		return s.validateProducts()
	case "":
		return invalid("kind", "is required")
	}
	return invalid("kind", "must be trends, funnel, retention or products, not %q", s.Kind)
}

func (s *Spec) validateCommon() error {
	if s.DateRange.From == "" {
		return invalid("date_range.from", "is required")
	}
	utc := Calendar{TZ: time.UTC}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := parseBound(s.DateRange.From, false, utc, now); err != nil {
		return invalid("date_range.from", "%v", err)
	}
	if s.DateRange.To != "" {
		if _, err := parseBound(s.DateRange.To, true, utc, now); err != nil {
			return invalid("date_range.to", "%v", err)
		}
	}
	if err := validateFilters(s.Filters, "filters"); err != nil {
		return err
	}
	if b := s.Breakdown; b != nil {
		if _, err := parseProperty(b.Property); err != nil {
			return invalid("breakdown.property", "%v", err)
		}
		if b.Limit < 0 || b.Limit > MaxBreakdownLimit {
			return invalid("breakdown.limit", "must be between 1 and %d", MaxBreakdownLimit)
		}
	}
	return nil
}

// foreign reports a field that belongs to another kind.
func (s *Spec) foreign() error {
	k := s.Kind
	type field struct {
		name string
		set  bool
		kind Kind
	}
	for _, f := range []field{
		{"series", s.Series != nil, KindTrends},
		{"interval", s.Interval != "", KindTrends},
		{"formula", s.Formula != "", KindTrends},
		{"compare", s.Compare, KindTrends},
		{"steps", s.Steps != nil, KindFunnel},
		{"window", s.Window != "", KindFunnel},
		{"order", s.Order != "", KindFunnel},
		{"exclusions", s.Exclusions != nil, KindFunnel},
		{"start_event", s.StartEvent != nil, KindRetention},
		{"return_event", s.ReturnEvent != nil, KindRetention},
		{"period", s.Period != "", KindRetention},
		{"first_time", s.FirstTime, KindRetention},
		{"periods", s.Periods != 0, KindRetention},
		{"event", s.Event != "", KindProducts},
		{"sort", s.Sort != "", KindProducts},
		{"limit", s.Limit != 0, KindProducts},
		{"breakdown", s.Breakdown != nil && k == KindProducts, ""},
	} {
		if f.set && f.kind == "" {
			return invalid(f.name, "does not apply to %s", k)
		}
		if f.set && f.kind != k {
			return invalid(f.name, "applies to %s, not %s", f.kind, k)
		}
	}
	return nil
}

func (s *Spec) validateTrends() error {
	if err := s.foreign(); err != nil {
		return err
	}
	if len(s.Series) == 0 {
		return invalid("series", "needs at least one series")
	}
	if len(s.Series) > MaxSeries {
		return invalid("series", "has %d series, at most %d are allowed", len(s.Series), MaxSeries)
	}
	for i, se := range s.Series {
		p := fmt.Sprintf("series[%d]", i)
		if err := validateEventName(se.Event, p+".event"); err != nil {
			return err
		}
		switch se.Math {
		case "", MathTotal, MathDAU:
			if se.Property != "" {
				return invalid(p+".property", "is not used by math %q", mathOrTotal(se.Math))
			}
		case MathSum, MathAvg, MathMin, MathMax, MathMedian, MathP90:
			if se.Property == "" {
				return invalid(p+".property", "is required by math %q", se.Math)
			}
		case MathPerPersonAvg:
		default:
			return invalid(p+".math", "must be one of total, dau, sum, avg, min, max, median, p90, per_person_avg, not %q", se.Math)
		}
		if se.Property != "" {
			r, err := parseProperty(se.Property)
			if err != nil {
				return invalid(p+".property", "%v", err)
			}
			if r.scope == scopeColumn {
				return invalid(p+".property", "must be a numeric property, not the column %q", r.name)
			}
		}
		if err := validateFilters(se.Filters, p+".filters"); err != nil {
			return err
		}
	}
	switch s.Interval {
	case "", Hour, Day, Week, Month:
	default:
		return invalid("interval", "must be hour, day, week or month, not %q", s.Interval)
	}
	if s.Formula != "" {
		if _, err := ParseFormula(s.Formula, len(s.Series)); err != nil {
			return invalid("formula", "%v", err)
		}
	}
	return nil
}

func mathOrTotal(m Math) Math {
	if m == "" {
		return MathTotal
	}
	return m
}

func (s *Spec) validateFunnel() error {
	if err := s.foreign(); err != nil {
		return err
	}
	if len(s.Steps) < MinSteps || len(s.Steps) > MaxSteps {
		return invalid("steps", "needs %d to %d steps, not %d", MinSteps, MaxSteps, len(s.Steps))
	}
	for i, st := range s.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		if err := validateEventName(st.Event, p+".event"); err != nil {
			return err
		}
		if err := validateFilters(st.Filters, p+".filters"); err != nil {
			return err
		}
	}
	if s.Window != "" {
		if _, err := ParseWindow(s.Window); err != nil {
			return invalid("window", "%v", err)
		}
	}
	switch s.Order {
	case "", Ordered:
	case Strict, Unordered:
		return unsupported("order", "%s funnels are not supported yet; use ordered", s.Order)
	default:
		return invalid("order", "must be ordered, strict or unordered, not %q", s.Order)
	}
	for i, ex := range s.Exclusions {
		p := fmt.Sprintf("exclusions[%d]", i)
		if err := validateEventName(ex.Event, p+".event"); err != nil {
			return err
		}
		if err := validateFilters(ex.Filters, p+".filters"); err != nil {
			return err
		}
		if ex.FromStep < 1 || ex.ToStep <= ex.FromStep || ex.ToStep > len(s.Steps) {
			return invalid(p+".to_step", "must satisfy 1 <= from_step < to_step <= %d", len(s.Steps))
		}
	}
	if len(s.Exclusions) > 0 {
		return unsupported("exclusions", "funnel exclusions are not supported yet")
	}
	return nil
}

func (s *Spec) validateRetention() error {
	if err := s.foreign(); err != nil {
		return err
	}
	for _, e := range []struct {
		name string
		ev   *EventFilter
	}{{"start_event", s.StartEvent}, {"return_event", s.ReturnEvent}} {
		if e.ev == nil {
			return invalid(e.name, "is required")
		}
		if err := validateEventName(e.ev.Event, e.name+".event"); err != nil {
			return err
		}
		if err := validateFilters(e.ev.Filters, e.name+".filters"); err != nil {
			return err
		}
	}
	switch s.Period {
	case "", Day, Week, Month:
	default:
		return invalid("period", "must be day, week or month, not %q", s.Period)
	}
	if s.Periods < 0 || s.Periods > MaxPeriods {
		return invalid("periods", "must be between 1 and %d", MaxPeriods)
	}
	return nil
}

func (s *Spec) validateProducts() error {
	if err := s.foreign(); err != nil {
		return err
	}
	if s.Event != "" {
		if err := validateEventName(s.Event, "event"); err != nil {
			return err
		}
	}
	switch s.Sort {
	case "", SortRevenue, SortOrders, SortUnits, SortBuyers:
	default:
		return invalid("sort", "must be revenue, orders, units or buyers, not %q", s.Sort)
	}
	if s.Limit < 0 || s.Limit > MaxProducts {
		return invalid("limit", "must be between 1 and %d", MaxProducts)
	}
	return nil
}

func validateEventName(name, field string) error {
	if name == "" {
		return invalid(field, "is required")
	}
	if len(name) > MaxNameBytes || !utf8.ValidString(name) {
		return invalid(field, "must be valid UTF-8 of at most %d bytes", MaxNameBytes)
	}
	return nil
}

func validateFilters(fs []Filter, field string) error {
	if len(fs) > MaxFilters {
		return invalid(field, "has %d filters, at most %d are allowed", len(fs), MaxFilters)
	}
	for i, f := range fs {
		if _, err := resolveFilter(f, fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return err
		}
	}
	return nil
}

// propScope is where a property lives.
type propScope int

const (
	scopeColumn  propScope = iota // a String column of events: event, distinct_id, type
	scopeEvent                    // a key of events.properties
	scopeContext                  // a key of events.context
	scopePerson                   // a key of persons.properties, via person_overrides
)

// propRef is a resolved property name.
type propRef struct {
	scope propScope
	name  string   // column name, or the path as written after the prefix
	path  []string // the keys of a JSON path, outermost first; nil for a column
}

var columns = map[string]bool{"event": true, "distinct_id": true, "type": true}

// MaxPathKeys bounds the keys of a property path below its prefix ("context.page.path"
// has 2). It equals the depth to which package definitions lists nested paths, so every
// object path the console offers can be queried.
const MaxPathKeys = 4

func parseProperty(s string) (propRef, error) {
	if s == "" {
		return propRef{}, fmt.Errorf("is required")
	}
	if columns[s] {
		return propRef{scope: scopeColumn, name: s}, nil
	}
	r := propRef{scope: scopeEvent, name: s}
	for _, p := range []struct {
		prefix string
		scope  propScope
	}{{"properties.", scopeEvent}, {"context.", scopeContext}, {"person.", scopePerson}} {
		if k, ok := strings.CutPrefix(s, p.prefix); ok {
			r = propRef{scope: p.scope, name: k}
			break
		}
	}
	path, err := splitPath(r.name)
	if err != nil {
		return propRef{}, err
	}
	r.path = path
	return r, nil
}

// splitPath splits a property path at its dots into the keys of nested JSON objects.
func splitPath(name string) ([]string, error) {
	if name == "" {
		return nil, fmt.Errorf("needs a key after the prefix")
	}
	if len(name) > MaxNameBytes || !utf8.ValidString(name) {
		return nil, fmt.Errorf("key must be valid UTF-8 of at most %d bytes", MaxNameBytes)
	}
	path := strings.Split(name, ".")
	if len(path) > MaxPathKeys {
		return nil, fmt.Errorf("path %q has %d keys, at most %d are allowed", name, len(path), MaxPathKeys)
	}
	for _, k := range path {
		if err := validateKey(k, name); err != nil {
			return nil, err
		}
	}
	return path, nil
}

func validateKey(k, name string) error {
	if k == "" {
		return fmt.Errorf("path %q has an empty key: keys are separated by single dots", name)
	}
	for _, c := range k {
		if c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			return fmt.Errorf("key %q must not contain quotes, backslashes or control characters", k)
		}
	}
	return nil
}

// ValidateProperty reports whether name is a property name a spec accepts (see the package
// comment), with the same message a spec's field would carry.
func ValidateProperty(name string) error {
	_, err := parseProperty(name)
	return err
}

// valueKind is the JSON type of a filter value.
type valueKind int

const (
	valNone valueKind = iota
	valString
	valNumber
	valBool
	valList // of texts
)

// filterValue is a typed filter value.
type filterValue struct {
	kind valueKind
	text string   // valString, valBool ("true"/"false")
	num  float64  // valNumber
	list []string // valList
}

// resolvedFilter is a validated filter: what to compare, how and with what.
type resolvedFilter struct {
	prop propRef
	op   Operator
	val  filterValue
}

func resolveFilter(f Filter, field string) (resolvedFilter, error) {
	r, err := parseProperty(f.Property)
	if err != nil {
		return resolvedFilter{}, invalid(field+".property", "%v", err)
	}
	v, err := typeValue(f.Value)
	if err != nil {
		return resolvedFilter{}, invalid(field+".value", "%v", err)
	}
	rf := resolvedFilter{prop: r, op: f.Operator, val: v}
	vf := field + ".value"
	switch f.Operator {
	case OpEq, OpNeq:
		if v.kind != valString && v.kind != valNumber && v.kind != valBool {
			return rf, invalid(vf, "must be a string, a number or a boolean for %s", f.Operator)
		}
		if r.scope == scopeColumn && v.kind != valString {
			return rf, invalid(vf, "must be a string for the column %q", r.name)
		}
	case OpIn, OpNotIn:
		if v.kind != valList {
			return rf, invalid(vf, "must be a non-empty list of strings or numbers for %s", f.Operator)
		}
	case OpGt, OpGte, OpLt, OpLte:
		if v.kind != valNumber {
			return rf, invalid(vf, "must be a number for %s", f.Operator)
		}
		if r.scope == scopeColumn {
			return rf, invalid(field+".operator", "%s does not apply to the column %q", f.Operator, r.name)
		}
	case OpContains, OpNotContains:
		if v.kind != valString || v.text == "" {
			return rf, invalid(vf, "must be a non-empty string for %s", f.Operator)
		}
	case OpIsSet, OpIsNotSet:
		if v.kind != valNone {
			return rf, invalid(vf, "must be absent for %s", f.Operator)
		}
	case "":
		return rf, invalid(field+".operator", "is required")
	default:
		return rf, invalid(field+".operator", "unknown operator %q", f.Operator)
	}
	return rf, nil
}

func typeValue(v any) (filterValue, error) {
	switch x := v.(type) {
	case nil:
		return filterValue{kind: valNone}, nil
	case string:
		if len(x) > MaxValueBytes || !utf8.ValidString(x) {
			return filterValue{}, fmt.Errorf("must be valid UTF-8 of at most %d bytes", MaxValueBytes)
		}
		return filterValue{kind: valString, text: x}, nil
	case bool:
		return filterValue{kind: valBool, text: strconv.FormatBool(x)}, nil
	case []any:
		if len(x) == 0 || len(x) > MaxListValues {
			return filterValue{}, fmt.Errorf("must have 1 to %d values", MaxListValues)
		}
		out := filterValue{kind: valList}
		for i, e := range x {
			ev, err := typeValue(e)
			if err != nil {
				return filterValue{}, fmt.Errorf("[%d] %v", i, err)
			}
			switch ev.kind {
			case valString:
				out.list = append(out.list, ev.text)
			case valNumber:
				out.list = append(out.list, numberText(ev.num))
			default:
				return filterValue{}, fmt.Errorf("[%d] must be a string or a number", i)
			}
		}
		return out, nil
	case []string:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = e
		}
		return typeValue(a)
	}
	f, ok := toFloat(v)
	if !ok {
		return filterValue{}, fmt.Errorf("must be a string, number, boolean or list, not %T", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return filterValue{}, fmt.Errorf("must be a finite number")
	}
	return filterValue{kind: valNumber, num: f}, nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// numberText is how a number in an in-list is compared as text: integers without a
// fraction, others in their shortest form, as DuckDB prints a JSON number.
func numberText(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// ParseWindow parses a funnel window: a positive whole number and a unit s, m, h, d or w
// ("30m", "24h", "7d"), at most 365 days.
func ParseWindow(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("must be a number and a unit s, m, h, d or w, like 24h")
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("must be a positive whole number and a unit s, m, h, d or w, like 24h, not %q", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("unit must be s, m, h, d or w, not %q", s[len(s)-1:])
	}
	if n > int64(MaxWindow/unit) {
		return 0, fmt.Errorf("must be at most 365d")
	}
	return time.Duration(n) * unit, nil
}
