// Package definitions discovers a project's event and property names from its stored events,
// for the console's pickers and data pages (the tracking plan, read side). It uses only plain
// SQL that DuckDB and ClickHouse 18.16 both run, and parses property JSON in Go, so both
// stores give the same answers.
package definitions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

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
		n, err := toInt(row[1])
		if err != nil {
			return err
		}
		last, err := toInt(row[2])
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

// Property is a top-level property key seen on an event. Count is the number of sampled
// events that have it; Type is "number", "string", "bool", "object", "array" or "null" (the
// most frequent JSON type among them); Example is the value of the latest event that has it.
type Property struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Count   int64           `json:"count"`
	Example json.RawMessage `json:"example"`
}

// Properties lists the top-level property keys of the latest sample events named event
// (DefaultSample when sample <= 0), most frequent first (then by name), at most
// MaxProperties. It also returns how many events were sampled.
func Properties(ctx context.Context, s store.EventStore, project uint32, event string, sample int) ([]Property, int64, error) {
	if sample <= 0 {
		sample = DefaultSample
	}
	type acc struct {
		count   int64
		types   map[string]int64
		example json.RawMessage
	}
	seen := map[string]*acc{}
	var n int64
	err := s.Query(ctx, fmt.Sprintf(`SELECT properties FROM events WHERE project_id = ? AND event = ?
ORDER BY ts DESC LIMIT %d`, sample), []any{int64(project), event}, func(row []any) error {
		raw, _ := row[0].(string)
		n++
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &obj) != nil {
			return nil // not an object: nothing to learn
		}
		for k, v := range obj {
			a := seen[k]
			if a == nil {
				if len(seen) >= MaxProperties*4 {
					continue
				}
				a = &acc{types: map[string]int64{}, example: append(json.RawMessage(nil), v...)}
				seen[k] = a
			}
			a.count++
			a.types[jsonType(v)]++
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]Property, 0, len(seen))
	for k, a := range seen {
		out = append(out, Property{Name: k, Type: topType(a.types), Count: a.count, Example: a.example})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > MaxProperties {
		out = out[:MaxProperties]
	}
	return out, n, nil
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

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("definitions: unexpected %T from the store", v)
}
