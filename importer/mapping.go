package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Mapping says how the rows of one kind of file become events. It is read from a JSON file
// (see docs/import.md for every field and docs/examples for complete files); the zero value
// of an optional field means its documented default. A Mapping is plain data: Run validates
// it and compiles it into an internal plan, so one Mapping may be shared by concurrent runs.
type Mapping struct {
	// Format is "csv" or "ndjson".
	Format string `json:"format"`
	// CSV holds the options of the csv format; nil means comma-separated with a header.
	CSV *CSVOptions `json:"csv,omitempty"`
	// Skip lists rules for rows that are not events (adjustments, test rows). Skipped rows
	// are counted per rule in Report.Filtered; they are not bad rows.
	Skip []SkipRule `json:"skip,omitempty"`
	// Event says how a row gets its event name. It must be nil when Order is set.
	Event *EventMapping `json:"event,omitempty"`
	// Person says who did the event.
	Person PersonMapping `json:"person"`
	// Time says when.
	Time TimeMapping `json:"time"`
	// ValidRange, when set, makes rows whose time is outside it bad rows.
	ValidRange *TimeRange `json:"valid_range,omitempty"`
	// MessageID says how the deterministic event ids are derived.
	MessageID MessageIDMapping `json:"message_id"`
	// Properties are copied from columns into the event properties (for orders, from the
	// first line of the order).
	Properties []Property `json:"properties,omitempty"`
	// Order, when set, groups rows sharing a key into one order event.
	Order *OrderMapping `json:"order,omitempty"`
}

// CSVOptions are the options of the csv format.
type CSVOptions struct {
	// Delimiter is one character; default ",". Use "\t" for tab-separated files.
	Delimiter string `json:"delimiter,omitempty"`
	// Header says whether the first line names the columns; default true.
	Header *bool `json:"header,omitempty"`
	// Columns names the columns when Header is false, in file order.
	Columns []string `json:"columns,omitempty"`
	// LazyQuotes accepts a quote inside an unquoted field (encoding/csv LazyQuotes).
	LazyQuotes bool `json:"lazy_quotes,omitempty"`
}

// Condition tests one column of a row. The cell is compared after trimming spaces; exactly
// one test must be set.
type Condition struct {
	Column    string   `json:"column"`
	Equals    []string `json:"equals,omitempty"`
	NotEquals []string `json:"not_equals,omitempty"`
	Prefix    string   `json:"prefix,omitempty"`
	NotPrefix string   `json:"not_prefix,omitempty"`
	Empty     *bool    `json:"empty,omitempty"`
}

// SkipRule skips the rows for which all conditions of When hold.
type SkipRule struct {
	// Name labels the rule in Report.Filtered.
	Name string      `json:"name"`
	When []Condition `json:"when"`
}

// Unmapped-value policies of EventMapping.
const (
	UnmappedError = "error" // the row is a bad row (default)
	UnmappedSkip  = "skip"  // the row is skipped and counted in Report.Unmapped
	UnmappedKeep  = "keep"  // the raw value is the event name
)

// EventMapping gives the event name: the constant Name, or the value of Column, translated
// by Values when Values is set.
type EventMapping struct {
	Name     string            `json:"name,omitempty"`
	Column   string            `json:"column,omitempty"`
	Values   map[string]string `json:"values,omitempty"`
	Unmapped string            `json:"unmapped,omitempty"`
}

// PersonMapping gives the Segment identifiers of the event. When a row has neither a user
// id nor an anonymous id, and GuestKey is set, the row gets the synthetic anonymous id
// GuestPrefix + the GuestKey values joined by "|", so that guests with different keys
// (e.g. invoices) are different persons; without GuestKey such a row is bad.
type PersonMapping struct {
	UserID string `json:"user_id,omitempty"`
	// UserIDInteger canonicalises an integral number ("17850.0" → "17850"); a user id with
	// a fraction is a bad row.
	UserIDInteger bool     `json:"user_id_integer,omitempty"`
	AnonymousID   string   `json:"anonymous_id,omitempty"`
	GuestKey      []string `json:"guest_key,omitempty"`
	// GuestPrefix defaults to "guest:".
	GuestPrefix string `json:"guest_prefix,omitempty"`
}

// Time formats besides Go layouts.
const (
	TimeUnix    = "unix"    // seconds since 1970 UTC, optionally with a fraction
	TimeUnixMS  = "unix_ms" // milliseconds since 1970 UTC
	TimeRFC3339 = "rfc3339" // RFC 3339 with an offset, fractions allowed
)

// TimeMapping gives the event time: the column, its format (TimeUnix, TimeUnixMS,
// TimeRFC3339 or a Go layout such as "2006-01-02 15:04:05") and the IANA zone that local
// times are in. Zone is required with a Go layout and with ValidRange.
type TimeMapping struct {
	Column string `json:"column"`
	Format string `json:"format"`
	Zone   string `json:"zone,omitempty"`
}

// TimeRange bounds event times, both ends inclusive, in the zone of the mapping. Each end
// is a date "2006-01-02" (To then includes that whole day), a local time
// "2006-01-02 15:04:05", or RFC 3339. Either end may be empty.
type TimeRange struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// MessageIDMapping gives the deterministic event id (a UUID-shaped SHA-256 digest). The
// namespace defaults to the file's base name without ".gz". Orders are keyed by their order
// key; other rows by the Key columns, or by their line number when Key is empty.
type MessageIDMapping struct {
	Namespace string   `json:"namespace,omitempty"`
	Key       []string `json:"key,omitempty"`
}

// Property types.
const (
	TypeString        = "string"
	TypeInt           = "int"
	TypeFloat         = "float"
	TypeDecimal       = "decimal"        // exact decimal written as a JSON number
	TypeDecimalString = "decimal_string" // exact decimal written as a JSON string
	TypeBool          = "bool"
)

// Property copies a column into a property of the given type (default string). Empty
// cells are left out, or are bad rows when Required.
type Property struct {
	Column   string `json:"column"`
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// OrderMapping groups rows sharing the value of Key into one order event (default name
// "Order Completed") with order_id, products[], revenue, total and currency. Quantity and
// Price are required on every line. Rows of one order need not be contiguous.
type OrderMapping struct {
	Key            string         `json:"key"`
	Event          string         `json:"event,omitempty"`
	Quantity       string         `json:"quantity"`
	Price          string         `json:"price"`
	Currency       string         `json:"currency,omitempty"`
	CurrencyColumn string         `json:"currency_column,omitempty"`
	Products       []Property     `json:"products,omitempty"`
	Refund         *RefundMapping `json:"refund,omitempty"`
}

// RefundMapping marks orders whose lines match When as refunds: one event (default
// "Order Refunded") whose lines have negative quantities in the file, written as positive
// refunded quantities, and whose total is the positive refunded amount.
type RefundMapping struct {
	When  []Condition `json:"when"`
	Event string      `json:"event,omitempty"`
}

// LoadMapping reads and validates a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read mapping: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("cannot load mapping %q: %w", path, err)
	}
	return m, nil
}

// ParseMapping decodes and validates a mapping. Unknown fields are errors, so that a typo
// does not silently drop a setting.
func ParseMapping(data []byte) (*Mapping, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("cannot parse mapping: field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("cannot parse mapping: %w", err)
	}
	if dec.More() {
		return nil, errors.New("cannot parse mapping: trailing data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// FieldError is a mapping error that names the offending field by its JSON path
// (e.g. "order.products[1].type").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid mapping field %s: %s", e.Field, e.Msg)
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks the mapping and returns a *FieldError naming the first bad field.
func (m *Mapping) Validate() error {
	_, err := compile(m)
	return err
}

// plan is a validated, resolved mapping. Columns are referred to by their index in cols.
type plan struct {
	m         *Mapping
	format    string
	delim     rune
	header    bool
	csvCols   []string // column names when header is false
	cols      []string // every column the mapping reads, in first-use order
	paths     [][]string
	skip      []compiledRule
	eventName string // constant name
	eventCol  int    // -1 when constant
	values    map[string]string
	unmapped  string
	userCol   int
	userInt   bool
	anonCol   int
	guestKey  []int
	guestPre  string
	timeCol   int
	timeFmt   string
	loc       *time.Location
	hasRange  bool
	lo, hi    int64 // inclusive ms bounds
	rangeDesc [2]string
	namespace string
	idKey     []int
	props     []compiledProp
	order     *compiledOrder
}

type compiledRule struct {
	name string
	when []compiledCond
}

type compiledCond struct {
	col       int
	equals    []string
	notEquals []string
	prefix    *string
	notPrefix *string
	empty     *bool
}

type compiledProp struct {
	col      int
	name     string
	typ      string
	required bool
}

type compiledOrder struct {
	key         int
	event       string
	qty         int
	price       int
	currency    string
	currencyCol int
	products    []compiledProp
	refund      []compiledCond // nil when no refund rule
	refundEvent string
}

func compile(m *Mapping) (*plan, error) {
	p := &plan{m: m, eventCol: -1, userCol: -1, anonCol: -1, timeCol: -1}
	index := map[string]int{}
	col := func(field, name string) (int, error) {
		if strings.TrimSpace(name) == "" {
			return -1, fieldErr(field, "column name is empty")
		}
		if i, ok := index[name]; ok {
			return i, nil
		}
		index[name] = len(p.cols)
		p.cols = append(p.cols, name)
		return len(p.cols) - 1, nil
	}

	switch m.Format {
	case "csv":
		p.format = "csv"
		p.delim = ','
		p.header = true
		if c := m.CSV; c != nil {
			if c.Delimiter != "" {
				r, size := utf8.DecodeRuneInString(c.Delimiter)
				if size != len(c.Delimiter) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
					return nil, fieldErr("csv.delimiter", "want one character other than a quote or newline, got %q", c.Delimiter)
				}
				p.delim = r
			}
			if c.Header != nil {
				p.header = *c.Header
			}
			if p.header && len(c.Columns) > 0 {
				return nil, fieldErr("csv.columns", "only allowed when csv.header is false")
			}
			if !p.header {
				if len(c.Columns) == 0 {
					return nil, fieldErr("csv.columns", "required when csv.header is false")
				}
				seen := map[string]bool{}
				for i, name := range c.Columns {
					if strings.TrimSpace(name) == "" || seen[name] {
						return nil, fieldErr(fmt.Sprintf("csv.columns[%d]", i), "empty or repeated column name %q", name)
					}
					seen[name] = true
				}
				p.csvCols = c.Columns
			}
		}
	case "ndjson":
		p.format = "ndjson"
		if m.CSV != nil {
			return nil, fieldErr("csv", "only allowed with format \"csv\"")
		}
	case "":
		return nil, fieldErr("format", "required: \"csv\" or \"ndjson\"")
	default:
		return nil, fieldErr("format", "want \"csv\" or \"ndjson\", got %q", m.Format)
	}

	conds := func(field string, cs []Condition) ([]compiledCond, error) {
		if len(cs) == 0 {
			return nil, fieldErr(field, "needs at least one condition")
		}
		var out []compiledCond
		for i, c := range cs {
			f := fmt.Sprintf("%s[%d]", field, i)
			ci, err := col(f+".column", c.Column)
			if err != nil {
				return nil, err
			}
			cc := compiledCond{col: ci, equals: c.Equals, notEquals: c.NotEquals, empty: c.Empty}
			tests := 0
			if len(c.Equals) > 0 {
				tests++
			}
			if len(c.NotEquals) > 0 {
				tests++
			}
			if c.Prefix != "" {
				tests++
				cc.prefix = &cs[i].Prefix
			}
			if c.NotPrefix != "" {
				tests++
				cc.notPrefix = &cs[i].NotPrefix
			}
			if c.Empty != nil {
				tests++
			}
			if tests != 1 {
				return nil, fieldErr(f, "want exactly one of equals, not_equals, prefix, not_prefix, empty; got %d", tests)
			}
			out = append(out, cc)
		}
		return out, nil
	}

	seenRule := map[string]bool{}
	for i, r := range m.Skip {
		f := fmt.Sprintf("skip[%d]", i)
		if r.Name == "" || seenRule[r.Name] {
			return nil, fieldErr(f+".name", "empty or repeated rule name %q", r.Name)
		}
		seenRule[r.Name] = true
		when, err := conds(f+".when", r.When)
		if err != nil {
			return nil, err
		}
		p.skip = append(p.skip, compiledRule{name: r.Name, when: when})
	}

	if m.Order != nil && m.Event != nil {
		return nil, fieldErr("event", "not allowed with order: the order and refund events are named in order.event and order.refund.event")
	}
	if m.Order == nil && m.Event == nil {
		return nil, fieldErr("event", "required (or order)")
	}
	if e := m.Event; e != nil {
		switch {
		case e.Name != "" && e.Column != "":
			return nil, fieldErr("event", "want either name or column, not both")
		case e.Name != "":
			if len(e.Values) > 0 || e.Unmapped != "" {
				return nil, fieldErr("event.values", "only allowed with event.column")
			}
			if err := checkEventName("event.name", e.Name); err != nil {
				return nil, err
			}
			p.eventName = e.Name
		case e.Column != "":
			i, err := col("event.column", e.Column)
			if err != nil {
				return nil, err
			}
			p.eventCol = i
			for k, v := range e.Values {
				if err := checkEventName(fmt.Sprintf("event.values[%q]", k), v); err != nil {
					return nil, err
				}
			}
			p.values = e.Values
			switch e.Unmapped {
			case "":
				p.unmapped = UnmappedError
			case UnmappedError, UnmappedSkip, UnmappedKeep:
				p.unmapped = e.Unmapped
			default:
				return nil, fieldErr("event.unmapped", "want \"error\", \"skip\" or \"keep\", got %q", e.Unmapped)
			}
			if len(e.Values) == 0 && e.Unmapped != "" {
				return nil, fieldErr("event.unmapped", "only allowed with event.values")
			}
		default:
			return nil, fieldErr("event", "want name or column")
		}
	}

	pm := m.Person
	if pm.UserID == "" && pm.AnonymousID == "" {
		return nil, fieldErr("person", "want user_id or anonymous_id (or both)")
	}
	if pm.UserID != "" {
		i, err := col("person.user_id", pm.UserID)
		if err != nil {
			return nil, err
		}
		p.userCol = i
	} else if pm.UserIDInteger {
		return nil, fieldErr("person.user_id_integer", "only allowed with person.user_id")
	}
	p.userInt = pm.UserIDInteger
	if pm.AnonymousID != "" {
		i, err := col("person.anonymous_id", pm.AnonymousID)
		if err != nil {
			return nil, err
		}
		p.anonCol = i
	}
	for i, k := range pm.GuestKey {
		ci, err := col(fmt.Sprintf("person.guest_key[%d]", i), k)
		if err != nil {
			return nil, err
		}
		p.guestKey = append(p.guestKey, ci)
	}
	p.guestPre = pm.GuestPrefix
	if p.guestPre == "" {
		p.guestPre = "guest:"
	}
	if pm.GuestPrefix != "" && len(pm.GuestKey) == 0 {
		return nil, fieldErr("person.guest_prefix", "only allowed with person.guest_key")
	}

	tm := m.Time
	i, err := col("time.column", tm.Column)
	if err != nil {
		return nil, err
	}
	p.timeCol = i
	switch tm.Format {
	case "":
		return nil, fieldErr("time.format", "required: \"unix\", \"unix_ms\", \"rfc3339\" or a Go layout such as \"2006-01-02 15:04:05\"")
	case TimeUnix, TimeUnixMS, TimeRFC3339:
	default:
		// A layout must keep the date through a round trip, else every row would parse to
		// a wrong time (a typo such as "YYYY-MM-DD" formats to itself and parses to year 0).
		ref := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
		back, err := time.Parse(tm.Format, ref.Format(tm.Format))
		if err != nil || back.Year() != 2001 || back.Month() != 2 || back.Day() != 3 {
			return nil, fieldErr("time.format", "%q is not \"unix\", \"unix_ms\", \"rfc3339\" or a Go layout with a year, month and day such as \"2006-01-02 15:04:05\"", tm.Format)
		}
	}
	p.timeFmt = tm.Format
	layout := tm.Format != TimeUnix && tm.Format != TimeUnixMS && tm.Format != TimeRFC3339
	if tm.Zone == "" {
		if layout {
			return nil, fieldErr("time.zone", "required with a Go layout: the IANA zone of the local times, e.g. \"Asia/Shanghai\"")
		}
		if m.ValidRange != nil {
			return nil, fieldErr("time.zone", "required with valid_range: the IANA zone of its dates")
		}
		p.loc = time.UTC
	} else {
		loc, err := time.LoadLocation(tm.Zone)
		if err != nil {
			return nil, fieldErr("time.zone", "unknown time zone %q", tm.Zone)
		}
		p.loc = loc
	}

	if r := m.ValidRange; r != nil {
		if r.From == "" && r.To == "" {
			return nil, fieldErr("valid_range", "want from, to or both")
		}
		p.hasRange = true
		p.lo, p.hi = minMS, maxMS
		if r.From != "" {
			t, _, err := parseBound(r.From, p.loc)
			if err != nil {
				return nil, fieldErr("valid_range.from", "%v", err)
			}
			p.lo = t.UnixMilli()
		}
		if r.To != "" {
			t, dateOnly, err := parseBound(r.To, p.loc)
			if err != nil {
				return nil, fieldErr("valid_range.to", "%v", err)
			}
			if dateOnly {
				t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, p.loc).Add(-time.Millisecond)
			}
			p.hi = t.UnixMilli()
		}
		if p.lo > p.hi {
			return nil, fieldErr("valid_range", "from %q is after to %q", r.From, r.To)
		}
		p.rangeDesc = [2]string{r.From, r.To}
	}

	p.namespace = m.MessageID.Namespace
	for i, k := range m.MessageID.Key {
		ci, err := col(fmt.Sprintf("message_id.key[%d]", i), k)
		if err != nil {
			return nil, err
		}
		p.idKey = append(p.idKey, ci)
	}
	if m.Order != nil && len(m.MessageID.Key) > 0 {
		return nil, fieldErr("message_id.key", "not allowed with order: orders are keyed by order.key")
	}

	props := func(field string, ps []Property, reserved map[string]bool) ([]compiledProp, error) {
		var out []compiledProp
		seen := map[string]bool{}
		for i, pr := range ps {
			f := fmt.Sprintf("%s[%d]", field, i)
			ci, err := col(f+".column", pr.Column)
			if err != nil {
				return nil, err
			}
			if pr.Name == "" || seen[pr.Name] {
				return nil, fieldErr(f+".name", "empty or repeated property name %q", pr.Name)
			}
			if reserved[pr.Name] {
				return nil, fieldErr(f+".name", "%q is set by the importer", pr.Name)
			}
			seen[pr.Name] = true
			typ := pr.Type
			switch typ {
			case "":
				typ = TypeString
			case TypeString, TypeInt, TypeFloat, TypeDecimal, TypeDecimalString, TypeBool:
			default:
				return nil, fieldErr(f+".type", "want string, int, float, decimal, decimal_string or bool, got %q", pr.Type)
			}
			out = append(out, compiledProp{col: ci, name: pr.Name, typ: typ, required: pr.Required})
		}
		return out, nil
	}
	var reserved map[string]bool
	if m.Order != nil {
		reserved = map[string]bool{"order_id": true, "products": true, "revenue": true, "total": true, "currency": true}
	}
	if p.props, err = props("properties", m.Properties, reserved); err != nil {
		return nil, err
	}

	if om := m.Order; om != nil {
		o := &compiledOrder{currencyCol: -1}
		if o.key, err = col("order.key", om.Key); err != nil {
			return nil, err
		}
		o.event = om.Event
		if o.event == "" {
			o.event = "Order Completed"
		}
		if err := checkEventName("order.event", o.event); err != nil {
			return nil, err
		}
		if o.qty, err = col("order.quantity", om.Quantity); err != nil {
			return nil, err
		}
		if o.price, err = col("order.price", om.Price); err != nil {
			return nil, err
		}
		switch {
		case om.Currency != "" && om.CurrencyColumn != "":
			return nil, fieldErr("order.currency", "want currency or currency_column, not both")
		case om.Currency != "":
			if !isCurrency(om.Currency) {
				return nil, fieldErr("order.currency", "want an ISO 4217 code such as \"GBP\", got %q", om.Currency)
			}
			o.currency = om.Currency
		case om.CurrencyColumn != "":
			if o.currencyCol, err = col("order.currency_column", om.CurrencyColumn); err != nil {
				return nil, err
			}
		default:
			return nil, fieldErr("order.currency", "required (or order.currency_column)")
		}
		if o.products, err = props("order.products", om.Products, map[string]bool{"price": true, "quantity": true}); err != nil {
			return nil, err
		}
		if r := om.Refund; r != nil {
			if o.refund, err = conds("order.refund.when", r.When); err != nil {
				return nil, err
			}
			o.refundEvent = r.Event
			if o.refundEvent == "" {
				o.refundEvent = "Order Refunded"
			}
			if err := checkEventName("order.refund.event", o.refundEvent); err != nil {
				return nil, err
			}
			if o.refundEvent == o.event {
				return nil, fieldErr("order.refund.event", "must differ from order.event %q", o.event)
			}
		}
		p.order = o
	}

	if p.format == "ndjson" {
		for _, c := range p.cols {
			p.paths = append(p.paths, strings.Split(c, "."))
		}
	}
	if !p.header && p.format == "csv" {
		known := map[string]bool{}
		for _, c := range p.csvCols {
			known[c] = true
		}
		for _, c := range p.cols {
			if !known[c] {
				return nil, fieldErr("csv.columns", "does not name column %q used by the mapping", c)
			}
		}
	}
	return p, nil
}

func checkEventName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return fieldErr(field, "event name is empty")
	}
	if strings.HasPrefix(name, "$") {
		return fieldErr(field, "event name %q: names starting with \"$\" are reserved", name)
	}
	return nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// The event times the importer accepts: years 1 to 9999.
var (
	minMS = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxMS = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1
)

func parseBound(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, true, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc); err == nil {
		return t, false, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("want \"2006-01-02\", \"2006-01-02 15:04:05\" or RFC 3339, got %q", s)
}
