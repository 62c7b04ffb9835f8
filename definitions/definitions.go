// Package definitions discovers a project's event and property names from its stored events,
// for the console's pickers and data pages (the tracking plan, read side). It uses only plain
// SQL that DuckDB and ClickHouse 18.16 both run, and parses property JSON in Go, so both
// stores give the same answers.
//
// Property paths are named as the analysis specs of package query address them ("price",
// "context.scene"), nested ones by joining keys with dots ("products.price",
// "context.page.path"), and say whether the query compiler can read them (Queryable: scalars
// at paths through objects only, not through arrays). Display names and
// descriptions (the tracking plan, write side) live in package meta; this package must not
// write anything.
package definitions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// MaxEvents bounds the number of event names listed.
const MaxEvents = 1000

// DefaultSample is how many of an event's latest rows Properties reads.
const DefaultSample = 10000

// MaxProperties bounds the number of property keys listed per event.
const MaxProperties = 1000

// Event is an event name seen in a project's data. Count is over all stored events of that
// name (all time); LastSeen is the largest event time (ms UTC) and LastSeenAt the same in
// RFC 3339.
type Event struct {
	Name       string `json:"name"`
	Count      int64  `json:"count"`
	LastSeen   int64  `json:"last_seen"`
	LastSeenAt string `json:"last_seen_at"`
}

// Events lists a project's event names, highest count first (then by name), at most
// MaxEvents.
func Events(ctx context.Context, s store.EventStore, project uint32) ([]Event, error) {
	out := []Event{}
	err := s.Query(ctx, fmt.Sprintf(`SELECT event, count(*) AS n, max(ts) AS last_ts FROM events
WHERE project_id = ? GROUP BY event ORDER BY n DESC, event LIMIT %d`, MaxEvents), []any{int64(project)}, func(row []any) error {
		name, _ := row[0].(string)
		n, err := store.Int64(row[1])
		if err != nil {
			return err
		}
		last, err := store.Int64(row[2])
		if err != nil {
			return err
		}
		out = append(out, Event{Name: name, Count: n, LastSeen: last,
			LastSeenAt: time.UnixMilli(last).UTC().Format(time.RFC3339)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// MaxDepth bounds how deep Properties looks into objects and arrays of objects: a path has at
// most MaxDepth keys ("products.price" has 2, "context.page.path" 2 below context).
const MaxDepth = 4

// MaxArrayItems bounds how many elements of one array Properties looks into.
const MaxArrayItems = 50

// Sources of a property: the event's properties object or its context object.
const (
	SourceProperties = "properties"
	SourceContext    = "context"
)

// Property is a property path seen on an event, named as the analysis specs address it
// (package query): a key of the event's properties by itself ("price", or "properties.KEY"
// when the bare key would mean something else, such as "event"), a key of its context as
// "context.KEY". Deeper paths join their keys with dots ("products.price" for the price of
// the objects in the products array, "context.page.path"); the elements of an array share
// the array's path.
//
// Count is the number of sampled events that have the path; Type is "number", "string",
// "bool", "object", "array" or "null" (the most frequent JSON type among them); Example is
// the value of the latest event that has it (of the first array element that has it).
// Depth is the number of keys in the path below its source. Queryable reports whether the
// analyses can filter and break down by Name: the query compiler reads a string, a number
// or a boolean at a path of at most query.MaxPathKeys keys through objects. It does not
// read paths through arrays ("products.price": one event has several prices, and
// ClickHouse 18.16 cannot pick an element), keys containing a dot (Name would split them),
// or keys with quotes, backslashes or control characters. A path seen through an array on
// any sampled event is not queryable.
type Property struct {
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Count     int64           `json:"count"`
	Example   json.RawMessage `json:"example"`
	Source    string          `json:"source"`
	Depth     int             `json:"depth"`
	Queryable bool            `json:"queryable"`
}

// Properties lists the property paths (of properties and context, nested ones included) of
// the latest sample events named event (DefaultSample when sample <= 0): the event's own
// properties before context, each most frequent first (then by name), at most
// MaxProperties. It also returns how many events were sampled.
func Properties(ctx context.Context, s store.EventStore, project uint32, event string, sample int) ([]Property, int64, error) {
	if sample <= 0 {
		sample = DefaultSample
	}
	c := newCollector()
	if err := c.read(ctx, s, project, event, sample); err != nil {
		return nil, 0, err
	}
	return c.list(), c.rows, nil
}

// read collects the paths of the latest n events named event. It first finds the time of
// the nth latest, reading only narrow columns, so that the wide JSON columns are read for
// the sample alone.
func (c *collector) read(ctx context.Context, s store.EventStore, project uint32, event string, n int) error {
	cond, args := "", []any{int64(project), event}
	err := s.Query(ctx, fmt.Sprintf(`SELECT ts FROM events WHERE project_id = ? AND event = ?
ORDER BY ts DESC LIMIT 1 OFFSET %d`, n-1), []any{int64(project), event}, func(row []any) error {
		from, err := store.Int64(row[0])
		cond, args = " AND ts >= ?", append(args, from)
		return err
	})
	if err != nil {
		return fmt.Errorf("cannot read properties of %q: %w", event, err)
	}
	err = s.Query(ctx, fmt.Sprintf(`SELECT properties, context FROM events WHERE project_id = ? AND event = ?%s
ORDER BY ts DESC LIMIT %d`, cond, n), args, func(row []any) error {
		props, _ := row[0].(string)
		cx, _ := row[1].(string)
		c.row(props, cx)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot read properties of %q: %w", event, err)
	}
	return nil
}

// ProjectProperty is a property path seen anywhere in a project: Count is the number of
// sampled events that have it, over all the Events it was seen on (at most MaxEventNames
// of them listed, highest volume first).
type ProjectProperty struct {
	Property
	Events []string `json:"events"`
}

// MaxEventNames bounds ProjectProperty.Events.
const MaxEventNames = 50

// MaxScannedEvents bounds how many event names (the highest-volume ones) AllProperties reads.
const MaxScannedEvents = 200

// DefaultSamplePerEvent is how many of each event's latest rows AllProperties reads.
const DefaultSamplePerEvent = 1000

// AllProperties lists the property paths of a whole project: for each of its event names
// (the MaxScannedEvents highest-volume ones) it reads the latest perEvent events
// (DefaultSamplePerEvent when perEvent <= 0) and merges what Properties would find. The
// list is ordered like Properties' and bounded by MaxProperties; it also returns how many
// events were sampled in all.
func AllProperties(ctx context.Context, s store.EventStore, project uint32, perEvent int) ([]ProjectProperty, int64, error) {
	if perEvent <= 0 {
		perEvent = DefaultSamplePerEvent
	}
	evs, err := Events(ctx, s, project)
	if err != nil {
		return nil, 0, err
	}
	if len(evs) > MaxScannedEvents {
		evs = evs[:MaxScannedEvents]
	}
	type merged struct {
		p        Property
		keys     []string
		viaArray bool
		types    map[string]int64
		events   []string
	}
	all := map[pathKey]*merged{}
	var total int64
	for _, e := range evs {
		c := newCollector()
		if err := c.read(ctx, s, project, e.Name, perEvent); err != nil {
			return nil, 0, err
		}
		total += c.rows
		for k, a := range c.seen {
			m := all[k]
			if m == nil {
				if len(all) >= maxTracked {
					continue
				}
				m = &merged{p: Property{Name: a.name, Source: k.source, Depth: a.depth, Example: a.example}, keys: a.keys,
					types: map[string]int64{}}
				all[k] = m
			}
			m.p.Count += a.count
			m.viaArray = m.viaArray || a.viaArray
			for t, n := range a.types {
				m.types[t] += n
			}
			if len(m.events) < MaxEventNames {
				m.events = append(m.events, e.Name)
			}
		}
	}
	out := make([]ProjectProperty, 0, len(all))
	for _, m := range all {
		m.p.Type = topType(m.types)
		m.p.Queryable = queryable(m.p.Type, m.p.Name, m.keys, m.viaArray)
		out = append(out, ProjectProperty{Property: m.p, Events: m.events})
	}
	sort.Slice(out, func(i, j int) bool { return less(&out[i].Property, &out[j].Property) })
	if len(out) > MaxProperties {
		out = out[:MaxProperties]
	}
	return out, total, nil
}

// maxTracked bounds the distinct paths a collector keeps before it stops adding new ones.
const maxTracked = MaxProperties * 4

// pathKey identifies a path: its source and its keys joined by NUL (keys may hold dots).
type pathKey struct {
	source string
	keys   string
}

type acc struct {
	name     string
	keys     []string
	depth    int
	viaArray bool // seen inside an array element on some row
	count    int64
	types    map[string]int64
	example  json.RawMessage
	lastRow  int64 // the row that last counted, so an array's elements count once per event
}

// collector accumulates the paths of sampled rows.
type collector struct {
	seen map[pathKey]*acc
	rows int64
	// memo holds the paths of JSON texts already walked: events of one session share their
	// context, and many share their properties, so most rows need no parsing.
	memo map[string][]occurrence
	occ  []occurrence // being recorded by walk
}

// occurrence is one path found in a JSON text, with its value.
type occurrence struct {
	key      pathKey
	depth    int
	v        json.RawMessage
	viaArray bool // some key above is an array: the path is inside one of its elements
}

// maxMemo bounds the JSON texts a collector remembers.
const maxMemo = 4096

func newCollector() *collector {
	return &collector{seen: map[pathKey]*acc{}, memo: map[string][]occurrence{}}
}

func (c *collector) row(props, cx string) {
	c.rows++
	c.text(SourceProperties, props)
	c.text(SourceContext, cx)
}

// text adds the paths of one JSON text of a row.
func (c *collector) text(source, raw string) {
	if raw == "" || raw == "{}" {
		return
	}
	key := source + "\x00" + raw
	occ, ok := c.memo[key]
	if !ok {
		c.occ = nil
		c.walk(source, nil, json.RawMessage(raw), 0, false)
		occ = c.occ
		if len(c.memo) < maxMemo {
			c.memo[key] = occ
		}
	}
	for i := range occ {
		c.add(&occ[i])
	}
}

// walk records the keys of the object v found at path keys, which is inside an array
// element when viaArray is set.
func (c *collector) walk(source string, keys []string, v json.RawMessage, depth int, viaArray bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil {
		return // not an object: nothing to learn
	}
	for k, x := range obj {
		if k == "" {
			continue
		}
		path := append(keys[:len(keys):len(keys)], k)
		c.occ = append(c.occ, occurrence{pathKey{source, strings.Join(path, "\x00")}, len(path), x, viaArray})
		if depth+1 >= MaxDepth {
			continue
		}
		switch jsonType(x) {
		case "object":
			c.walk(source, path, x, depth+1, viaArray)
		case "array":
			var items []json.RawMessage
			if json.Unmarshal(x, &items) != nil {
				continue
			}
			for i, it := range items {
				if i >= MaxArrayItems {
					break
				}
				if jsonType(it) == "object" {
					c.walk(source, path, it, depth+1, true)
				}
			}
		}
	}
}

func (c *collector) add(o *occurrence) {
	a := c.seen[o.key]
	if a == nil {
		if len(c.seen) >= maxTracked {
			return
		}
		keys := strings.Split(o.key.keys, "\x00")
		a = &acc{name: pathName(o.key.source, keys), keys: keys, depth: o.depth, types: map[string]int64{},
			example: append(json.RawMessage(nil), o.v...)}
		c.seen[o.key] = a
	}
	a.viaArray = a.viaArray || o.viaArray
	if a.lastRow != c.rows {
		a.lastRow = c.rows
		a.count++
		a.types[jsonType(o.v)]++
	}
}

func (c *collector) list() []Property {
	out := make([]Property, 0, len(c.seen))
	for k, a := range c.seen {
		t := topType(a.types)
		out = append(out, Property{Name: a.name, Type: t, Count: a.count, Example: a.example, Source: k.source,
			Depth: a.depth, Queryable: queryable(t, a.name, a.keys, a.viaArray)})
	}
	sort.Slice(out, func(i, j int) bool { return less(&out[i], &out[j]) })
	if len(out) > MaxProperties {
		out = out[:MaxProperties]
	}
	return out
}

// less orders properties before context, then by count (highest first), name and depth.
func less(a, b *Property) bool {
	if a.Source != b.Source {
		return a.Source == SourceProperties
	}
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Depth < b.Depth
}

// columns are the event columns a bare property name means in a spec (package query).
var columns = map[string]bool{"event": true, "distinct_id": true, "type": true}

// pathName names a path as package query reads property names.
func pathName(source string, path []string) string {
	name := strings.Join(path, ".")
	if source == SourceContext {
		return "context." + name
	}
	if columns[name] || strings.HasPrefix(name, "properties.") || strings.HasPrefix(name, "context.") ||
		strings.HasPrefix(name, "person.") {
		return "properties." + name
	}
	return name
}

// queryable reports whether package query can filter and break down by the path named
// name with the given keys: a scalar, not inside an array, whose keys hold no dot (the name
// would split them into other keys), and a name query accepts (depth, length, characters).
func queryable(typ, name string, keys []string, viaArray bool) bool {
	if viaArray || (typ != "string" && typ != "number" && typ != "bool") {
		return false
	}
	for _, k := range keys {
		if strings.Contains(k, ".") {
			return false
		}
	}
	return query.ValidateProperty(name) == nil
}

func jsonType(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "number"
}

// topType is the most frequent non-null type (ties broken by name), or "null".
func topType(m map[string]int64) string {
	best, bn := "null", int64(0)
	for t, c := range m {
		if t == "null" {
			continue
		}
		if c > bn || (c == bn && t < best) {
			best, bn = t, c
		}
	}
	return best
}
