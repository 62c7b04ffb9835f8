package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// Kind names an analysis.
type Kind string

// The analyses a Spec can describe.
const (
	KindTrends    Kind = "trends"
	KindFunnel    Kind = "funnel"
	KindRetention Kind = "retention"
	KindProducts  Kind = "products"
)

// ProductSort orders the products of a products analysis.
type ProductSort string

// The product orders, each descending.
const (
	SortRevenue ProductSort = "revenue"
	SortOrders  ProductSort = "orders"
	SortUnits   ProductSort = "units"
	SortBuyers  ProductSort = "buyers"
)

// Interval is a calendar unit of the project's time zone: a trends interval or a retention
// period. Weeks start on Monday.
type Interval string

// The calendar units.
const (
	Hour  Interval = "hour"
	Day   Interval = "day"
	Week  Interval = "week"
	Month Interval = "month"
)

// Operator compares a property with a filter value; see the package comment for how
// values are typed.
type Operator string

// The filter operators.
const (
	OpEq          Operator = "eq"
	OpNeq         Operator = "neq"
	OpIn          Operator = "in"
	OpNotIn       Operator = "not_in"
	OpGt          Operator = "gt"
	OpGte         Operator = "gte"
	OpLt          Operator = "lt"
	OpLte         Operator = "lte"
	OpContains    Operator = "contains"
	OpNotContains Operator = "not_contains"
	OpIsSet       Operator = "is_set"
	OpIsNotSet    Operator = "is_not_set"
)

// Math is how a trends series aggregates the events of one interval.
type Math string

// The trends aggregations. Quantiles (median, p90) are exact and not interpolated: the
// value at 0-based position floor(q·n) of the n sorted values, as ClickHouse's
// quantileExact. PerPersonAvg is events (or the sum of Property) per unique person.
const (
	MathTotal        Math = "total"
	MathDAU          Math = "dau"
	MathSum          Math = "sum"
	MathAvg          Math = "avg"
	MathMin          Math = "min"
	MathMax          Math = "max"
	MathMedian       Math = "median"
	MathP90          Math = "p90"
	MathPerPersonAvg Math = "per_person_avg"
)

// FunnelOrder is how funnel steps must follow each other.
type FunnelOrder string

// The funnel orders. Only Ordered is implemented; the others compile to an Error with
// CodeUnsupported.
const (
	Ordered   FunnelOrder = "ordered"
	Strict    FunnelOrder = "strict"
	Unordered FunnelOrder = "unordered"
)

// Spec is one analysis. Kind selects which of the kind-specific fields apply; fields of
// another kind are rejected by Validate. The JSON form is the wire format of the HTTP API.
type Spec struct {
	Kind      Kind       `json:"kind"`
	DateRange DateRange  `json:"date_range"`
	Filters   []Filter   `json:"filters,omitempty"`
	Breakdown *Breakdown `json:"breakdown,omitempty"`

	// Trends.
	Series   []Series `json:"series,omitempty"`
	Interval Interval `json:"interval,omitempty"` // default day
	Formula  string   `json:"formula,omitempty"`  // over series letters A, B, …, e.g. "B / A"
	Compare  bool     `json:"compare,omitempty"`  // add the previous period of the same length

	// Funnel.
	Steps      []EventFilter `json:"steps,omitempty"`
	Window     string        `json:"window,omitempty"` // "30m", "24h", "7d"; default 24h
	Order      FunnelOrder   `json:"order,omitempty"`  // default ordered
	Exclusions []Exclusion   `json:"exclusions,omitempty"`

	// Retention.
	StartEvent  *EventFilter `json:"start_event,omitempty"`
	ReturnEvent *EventFilter `json:"return_event,omitempty"`
	Period      Interval     `json:"period,omitempty"`     // day, week or month; default day
	FirstTime   bool         `json:"first_time,omitempty"` // cohort by the first-ever start event
	Periods     int          `json:"periods,omitempty"`    // N: retained in periods 0..N; default 7

	// Products: the line items (the products[] array of Segment's order events) of the
	// orders in the range, per product.
	Event string      `json:"event,omitempty"` // the order event; default "Order Completed"
	Sort  ProductSort `json:"sort,omitempty"`  // default revenue
	Limit int         `json:"limit,omitempty"` // top N products; default 10
}

// DateRange is the analysed range. From and To are a date "2024-01-31" of the project's
// calendar (To inclusive: the whole day), an RFC 3339 instant (To exclusive), "now",
// "today", or relative to now: "-24h", "-7d", "-2w", "-3m" (months), "-1y"; relative days,
// weeks, months and years start at local midnight, and as To they mean the whole day.
// "-1d@now" (also w, m, y) is now's local time of day that far back: {"-1d", "-1d@now"} is
// yesterday up to the time it is now. An empty To means now.
type DateRange struct {
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

// Filter restricts events by one property. Value is a string, a number or a boolean; a
// list of strings or numbers for in and not_in; absent for is_set and is_not_set.
type Filter struct {
	Property string   `json:"property"`
	Operator Operator `json:"operator"`
	Value    any      `json:"value,omitempty"`
}

// Breakdown splits results by the text of a property: the Limit most frequent values
// (default 10), and the rest together as "$other".
type Breakdown struct {
	Property string `json:"property"`
	Limit    int    `json:"limit,omitempty"`
}

// Other is the breakdown value that stands for every value outside the top N.
const Other = "$other"

// Series is one line of a trends analysis.
type Series struct {
	Event    string   `json:"event"`
	Math     Math     `json:"math,omitempty"` // default total
	Property string   `json:"property,omitempty"`
	Filters  []Filter `json:"filters,omitempty"`
}

// EventFilter is an event name with filters: a funnel step or a retention event.
type EventFilter struct {
	Event   string   `json:"event"`
	Filters []Filter `json:"filters,omitempty"`
}

// Exclusion drops a funnel conversion when the event happens between two steps. Not yet
// implemented: a spec with exclusions compiles to an Error with CodeUnsupported.
type Exclusion struct {
	Event    string   `json:"event"`
	Filters  []Filter `json:"filters,omitempty"`
	FromStep int      `json:"from_step"`
	ToStep   int      `json:"to_step"`
}

// Error codes, stable for API clients.
const (
	CodeInvalidSpec = "invalid_spec"
	CodeUnsupported = "unsupported"
)

// Error is a spec that cannot be compiled: Code is stable and machine-readable, Field is
// the JSON path at fault ("steps[2].event"), Message says what is wrong. It is safe to show
// to the caller (an HTTP 400).
type Error struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Code + ": " + e.Message
	}
	return e.Code + ": " + e.Field + ": " + e.Message
}

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidSpec, Field: field, Message: fmt.Sprintf(format, args...)}
}

func unsupported(field, format string, args ...any) *Error {
	return &Error{Code: CodeUnsupported, Field: field, Message: fmt.Sprintf(format, args...)}
}

// maxSpecBytes bounds a decoded spec.
const maxSpecBytes = 1 << 20

// Decode reads one JSON spec, rejecting unknown keys (with their path in Field), trailing
// data and type mismatches, and validates it. Numbers in filter values decode as
// json.Number.
func Decode(r io.Reader) (*Spec, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read spec: %w", err)
	}
	if len(data) > maxSpecBytes {
		return nil, invalid("", "spec is larger than %d bytes", maxSpecBytes)
	}
	var raw any
	if err := decodeStrict(data, &raw); err != nil {
		return nil, err
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, invalid("", "spec must be a JSON object")
	}
	if err := checkKeys(raw, reflect.TypeOf(Spec{}), ""); err != nil {
		return nil, err
	}
	var s Spec
	if err := decodeStrict(data, &s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalid(te.Field, "must be a JSON %s, not %s", jsonTypeName(te.Type), te.Value)
		}
		return invalid("", "malformed JSON: %v", err)
	}
	if dec.More() {
		return invalid("", "trailing data after the spec")
	}
	return nil
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice:
		return "array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "object"
	default:
		return "number"
	}
}

// checkKeys walks decoded JSON along the Go type and reports the first unknown key.
func checkKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type mismatch, reported by the typed decode
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return invalid(joinPath(path, k), "unknown field")
			}
			if err := checkKeys(m[k], ft, joinPath(path, k)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, x := range a {
			if err := checkKeys(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
