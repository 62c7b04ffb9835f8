package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/jingyun/jingyun/apierr"
)

// The collector decodes bodies with its own single-pass walker instead of encoding/json:
// at 100,000 events/s on two cores the reflection decoder alone took three quarters of the
// CPU. The walker only splits objects into raw key/value spans; values are validated by the
// scanner of jsonscan.go (fully, with the documented limits) where they are used.

// envelopeLimits bound values the collector accepts but does not store (integrations,
// _metadata, …): generous, but still bounded.
var envelopeLimits = scanLimits{maxDepth: 32, maxString: 1 << 20, maxKeys: 10000}

// field returns the slot of an accepted key of a message, nil for an unknown key. A switch,
// not a map of accessors: it is looked up for every key of every message, and calling an
// accessor through a map made every message escape to the heap.
func (m *message) field(key []byte) *json.RawMessage {
	switch string(key) {
	case "type":
		return &m.TypeRaw
	case "event":
		return &m.Event
	case "name":
		return &m.Name
	case "userId":
		return &m.UserID
	case "anonymousId":
		return &m.AnonymousID
	case "messageId":
		return &m.MessageID
	case "timestamp":
		return &m.Timestamp
	case "originalTimestamp":
		return &m.OriginalTimestamp
	case "sentAt":
		return &m.SentAt
	case "receivedAt":
		return &m.ReceivedAt
	case "properties":
		return &m.Properties
	case "traits":
		return &m.Traits
	case "context":
		return &m.Context
	case "integrations":
		return &m.Integrations
	case "_metadata":
		return &m.Metadata
	case "version":
		return &m.Version
	case "previousId":
		return &m.PreviousID
	case "groupId":
		return &m.GroupID
	case "category":
		return &m.Category
	case "channel":
		return &m.Channel
	case "writeKey":
		return &m.WriteKey
	case "options":
		return &m.Options
	case "requestId":
		return &m.RequestID
	case "library":
		return &m.Library
	}
	return nil
}

// checkedLater reports the keys whose values the collector validates itself where it uses
// them (against the collector's limits); the others are checked as JSON when decoded.
func checkedLater(key []byte) bool {
	switch string(key) {
	case "properties", "traits", "context":
		return true
	}
	return false
}

// decodeMessage splits one message object into m (values alias raw). Unknown keys and
// malformed JSON are errors naming the key. With lim non-nil, properties, traits and context
// objects are also validated against lim and compacted in the same pass (see message.valid);
// the values that fail are left for parse to report, in its order.
func decodeMessage(raw []byte, m *message, scratch *[]byte, lim *scanLimits) *apierr.Error {
	var delimit func(key []byte, src []byte, i int) int
	if lim != nil && lim.maxDepth < maxSkipDepth {
		delimit = func(key []byte, src []byte, i int) int {
			slot := objectSlot(key)
			if slot < 0 {
				return -1
			}
			m.valid[slot] = false // a repeated key: only the last value counts
			if src[i] != '{' {
				return -1
			}
			out, end, err := compactPrefix((*scratch)[:0], src, i, *lim)
			*scratch = out
			if err != nil {
				return -1
			}
			m.compacted[slot], m.valid[slot] = compactedObject(src[i:end], out), true
			return end
		}
	}
	return walkObject(raw, delimit, func(key []byte, val []byte) *apierr.Error {
		slot := m.field(key)
		if slot == nil {
			return &apierr.Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: string(key), Message: fmt.Sprintf("unknown key %q", key)}
		}
		if !checkedLater(key) {
			out, err := compactValue((*scratch)[:0], val, envelopeLimits)
			if err != nil {
				return apierr.Field("malformed_json", string(key), err.Error())
			}
			*scratch = out
		}
		*slot = val
		return nil
	})
}

// objectSlot is the index in message.compacted of the objects validated while decoding.
func objectSlot(key []byte) int {
	switch string(key) {
	case "properties":
		return slotProperties
	case "context":
		return slotContext
	case "traits":
		return slotTraits
	}
	return -1
}

const (
	slotProperties = iota
	slotContext
	slotTraits
)

// compactedObject returns the compacted form out of the object raw: raw itself when it had
// no whitespace to drop (the request body outlives the events made from it, so the event
// can point into it), a copy of out otherwise, nil for an empty object.
func compactedObject(raw, out []byte) json.RawMessage {
	if len(out) == 2 {
		return nil
	}
	if len(out) == len(raw) {
		// Compacting only drops whitespace: the same length means the same bytes.
		return raw
	}
	return append(json.RawMessage(nil), out...)
}

// decodeBatch splits a /v1/batch body: the messages of "batch" as raw spans, and the
// batch-level fields.
func decodeBatch(body []byte, b *batchBody) *apierr.Error {
	var scratch []byte
	// The batch array is split while the body is walked; splitting it after the walk had
	// delimited it would read every message twice more. Whatever the fast split does not
	// take (anything but well-formed input) goes the slow way, which reports the errors.
	var split []json.RawMessage
	fresh := false // split holds the elements of the value fn is about to get
	delimit := func(key []byte, src []byte, i int) int {
		if string(key) != "batch" || src[i] != '[' {
			return -1
		}
		items, end, ok := splitArrayAt(src, i)
		if !ok {
			return -1
		}
		split, fresh = items, true
		return end
	}
	return walkObject(body, delimit, func(key []byte, val []byte) *apierr.Error {
		switch string(key) {
		case "batch":
			if val[0] != '[' {
				return apierr.Field("invalid_type", "batch", "batch must be an array of messages")
			}
			items := split
			if !fresh {
				var err *apierr.Error
				if items, err = splitArray(val); err != nil {
					return err
				}
			}
			split, fresh = nil, false
			b.Batch = items
			if b.Batch == nil {
				b.Batch = []json.RawMessage{}
			}
			return nil
		case "sentAt":
			b.SentAt = val
		case "context":
			b.Context = val
		case "writeKey":
			s, ok := fastString(val)
			if !ok {
				return apierr.Field("invalid_type", "writeKey", "writeKey must be a string")
			}
			b.WriteKey = s
		case "integrations", "_metadata", "metadata", "messageId", "type":
		default:
			return &apierr.Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: string(key), Message: fmt.Sprintf("unknown key %q", key)}
		}
		out, err := compactValue(scratch[:0], val, envelopeLimits)
		if err != nil {
			return apierr.Field("malformed_json", string(key), err.Error())
		}
		scratch = out
		return nil
	})
}

// splitArrayAt splits the array starting at src[i] in place, returning its elements, the index after it and true when it reached the array's end exactly
// where skipValue on the whole array would have; any doubt (malformed input, a scalar
// element that skipValue would read differently, nesting near skipValue's bound) gives
// false, and the caller falls back to skipValue plus splitArray.
func splitArrayAt(src []byte, i int) ([]json.RawMessage, int, bool) {
	var out []json.RawMessage
	j := skipWS(src, i+1)
	if j < len(src) && src[j] == ']' {
		return out, j + 1, true
	}
	for {
		if j >= len(src) {
			return nil, 0, false
		}
		var end int
		switch src[j] {
		case '{', '[':
			e, ok := skipNested(src, j, maxSkipDepth-1)
			if !ok {
				return nil, 0, false
			}
			end = e
		case '"':
			e, err := skipString(src, j)
			if err != nil {
				return nil, 0, false
			}
			end = e
		default:
			// Scalars are never messages; leave their exact reading to the slow path.
			return nil, 0, false
		}
		out = append(out, src[j:end])
		j = skipWS(src, end)
		if j >= len(src) {
			return nil, 0, false
		}
		switch src[j] {
		case ',':
			j = skipWS(src, j+1)
		case ']':
			return out, j + 1, true
		default:
			return nil, 0, false
		}
	}
}

// maxSkipDepth bounds the nesting skipValue follows.
const maxSkipDepth = 10000

// skipNested is skipValue for an object or array at src[i] nested at most maxDepth levels;
// false for anything skipValue would refuse.
func skipNested(src []byte, i, maxDepth int) (int, bool) {
	end, err := skipContainer(src, i, maxDepth)
	return end, err == nil
}

// skipContainer returns the end of the object or array at src[i], checking strings and a
// nesting of at most maxDepth levels.
func skipContainer(src []byte, i, maxDepth int) (int, *apierr.Error) {
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '"':
			end, err := skipString(src, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
			if depth > maxDepth {
				// Only skipValue reports this error; its bound is maxSkipDepth.
				return 0, apierr.New(http.StatusBadRequest, "too_deep", "JSON nested more than 10,000 levels")
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, malformed(len(src))
}

// walkObject calls fn for each member of the JSON object src with the key (unescaped, valid
// for the call only) and
// the raw value span. Values are delimited, not validated: fn validates what it keeps.
// delimit, when not nil, may delimit a value itself (returning its end, which must be the
// one skipValue would find) while doing work the caller needs anyway; -1 leaves it to
// skipValue.
func walkObject(src []byte, delimit func(key []byte, src []byte, i int) int, fn func(key []byte, val []byte) *apierr.Error) *apierr.Error {
	i := skipWS(src, 0)
	if i >= len(src) || src[i] != '{' {
		return apierr.New(http.StatusBadRequest, "malformed_json", "expected a JSON object")
	}
	i = skipWS(src, i+1)
	if i < len(src) && src[i] == '}' {
		return trailing(src, i+1)
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return malformed(i)
		}
		end, err := skipString(src, i)
		if err != nil {
			return err
		}
		key, ok := keyBytes(src[i:end])
		if !ok {
			return malformed(i)
		}
		i = skipWS(src, end)
		if i >= len(src) || src[i] != ':' {
			return malformed(i)
		}
		i = skipWS(src, i+1)
		vend := -1
		if delimit != nil && i < len(src) {
			vend = delimit(key, src, i)
		}
		if vend < 0 {
			var err *apierr.Error
			if vend, err = skipValue(src, i); err != nil {
				return err
			}
		}
		if err := fn(key, src[i:vend]); err != nil {
			return err
		}
		i = skipWS(src, vend)
		if i >= len(src) {
			return malformed(i)
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
		case '}':
			return trailing(src, i+1)
		default:
			return malformed(i)
		}
	}
}

func trailing(src []byte, i int) *apierr.Error {
	if i = skipWS(src, i); i != len(src) {
		return malformed(i)
	}
	return nil
}

// splitArray returns the raw elements of a JSON array.
func splitArray(src []byte) ([]json.RawMessage, *apierr.Error) {
	var out []json.RawMessage
	i := skipWS(src, 1)
	if i < len(src) && src[i] == ']' {
		return out, nil
	}
	for {
		end, err := skipValue(src, i)
		if err != nil {
			return nil, err
		}
		out = append(out, src[i:end])
		i = skipWS(src, end)
		if i >= len(src) {
			return nil, malformed(i)
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
		case ']':
			return out, nil
		default:
			return nil, malformed(i)
		}
	}
}

func malformed(i int) *apierr.Error {
	return apierr.New(http.StatusBadRequest, "malformed_json", fmt.Sprintf("invalid JSON at byte %d", i))
}

func skipWS(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\n' || src[i] == '\t' || src[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at src[i] (a quote).
func skipString(src []byte, i int) (int, *apierr.Error) {
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return 0, malformed(len(src))
		}
		j += k
		// The quote ends the string unless an odd number of backslashes precede it.
		n := 0
		for b := j - 1; b > i && src[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

// skipValue returns the index after the value starting at src[i], matching brackets and
// strings; it does not validate numbers or literals (the scanner does, where needed).
func skipValue(src []byte, i int) (int, *apierr.Error) {
	if i >= len(src) {
		return 0, malformed(i)
	}
	switch src[i] {
	case '"':
		return skipString(src, i)
	case '{', '[':
		return skipContainer(src, i, maxSkipDepth)
	}
	j := i
	for j < len(src) && src[j] != ',' && src[j] != '}' && src[j] != ']' && src[j] != ' ' && src[j] != '\n' && src[j] != '\t' && src[j] != '\r' {
		j++
	}
	if j == i {
		return 0, malformed(i)
	}
	return j, nil
}

// keyBytes is fastString for keys, which are only compared: a plain key is returned as
// the bytes between its quotes, not copied.
func keyBytes(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			s, ok := fastString(raw)
			return []byte(s), ok
		}
	}
	return inner, utf8.Valid(inner)
}

// bodyText hands out the strings of one request body as substrings of a single string
// copy of it, made on first use: one allocation per request instead of one per id, name
// and timestamp of every message. A nil *bodyText copies each string (fastString).
type bodyText struct {
	body []byte
	s    string
	made bool
}

// str is fastString for a token taken from the body.
func (t *bodyText) str(raw []byte) (string, bool) {
	if t == nil {
		return fastString(raw)
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			return fastString(raw)
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	// Where inner starts in the body, if it is a slice of it: the pointer comparison
	// makes sure, whatever the capacities say.
	if off := cap(t.body) - cap(inner); len(inner) > 0 && off >= 0 && off+len(inner) <= len(t.body) && &t.body[off] == &inner[0] {
		if !t.made {
			t.s, t.made = string(t.body), true
		}
		return t.s[off : off+len(inner)], true
	}
	return string(inner), true
}

// fastString decodes a JSON string token; without escapes it is a plain copy.
func fastString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}
