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

// messageFields maps each accepted key of a message to its slot in message.
var messageFields = map[string]func(m *message) *json.RawMessage{
	"type":              func(m *message) *json.RawMessage { return &m.TypeRaw },
	"event":             func(m *message) *json.RawMessage { return &m.Event },
	"name":              func(m *message) *json.RawMessage { return &m.Name },
	"userId":            func(m *message) *json.RawMessage { return &m.UserID },
	"anonymousId":       func(m *message) *json.RawMessage { return &m.AnonymousID },
	"messageId":         func(m *message) *json.RawMessage { return &m.MessageID },
	"timestamp":         func(m *message) *json.RawMessage { return &m.Timestamp },
	"originalTimestamp": func(m *message) *json.RawMessage { return &m.OriginalTimestamp },
	"sentAt":            func(m *message) *json.RawMessage { return &m.SentAt },
	"receivedAt":        func(m *message) *json.RawMessage { return &m.ReceivedAt },
	"properties":        func(m *message) *json.RawMessage { return &m.Properties },
	"traits":            func(m *message) *json.RawMessage { return &m.Traits },
	"context":           func(m *message) *json.RawMessage { return &m.Context },
	"integrations":      func(m *message) *json.RawMessage { return &m.Integrations },
	"_metadata":         func(m *message) *json.RawMessage { return &m.Metadata },
	"version":           func(m *message) *json.RawMessage { return &m.Version },
	"previousId":        func(m *message) *json.RawMessage { return &m.PreviousID },
	"groupId":           func(m *message) *json.RawMessage { return &m.GroupID },
	"category":          func(m *message) *json.RawMessage { return &m.Category },
	"channel":           func(m *message) *json.RawMessage { return &m.Channel },
	"writeKey":          func(m *message) *json.RawMessage { return &m.WriteKey },
	"options":           func(m *message) *json.RawMessage { return &m.Options },
	"requestId":         func(m *message) *json.RawMessage { return &m.RequestID },
	"library":           func(m *message) *json.RawMessage { return &m.Library },
}

// values whose content the collector validates itself where it uses them; the others are
// checked as JSON here.
var checkedLater = map[string]bool{"properties": true, "traits": true, "context": true}

// decodeMessage splits one message object into m (values alias raw). Unknown keys and
// malformed JSON are errors naming the key.
func decodeMessage(raw []byte, m *message, scratch *[]byte) *apierr.Error {
	return walkObject(raw, func(key string, val []byte) *apierr.Error {
		slot, ok := messageFields[key]
		if !ok {
			return &apierr.Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: key, Message: fmt.Sprintf("unknown key %q", key)}
		}
		if !checkedLater[key] {
			out, err := compactValue((*scratch)[:0], val, envelopeLimits)
			if err != nil {
				return apierr.Field("malformed_json", key, err.Error())
			}
			*scratch = out
		}
		*slot(m) = val
		return nil
	})
}

// decodeBatch splits a /v1/batch body: the messages of "batch" as raw spans, and the
// batch-level fields.
func decodeBatch(body []byte, b *batchBody) *apierr.Error {
	var scratch []byte
	return walkObject(body, func(key string, val []byte) *apierr.Error {
		switch key {
		case "batch":
			if val[0] != '[' {
				return apierr.Field("invalid_type", "batch", "batch must be an array of messages")
			}
			items, err := splitArray(val)
			if err != nil {
				return err
			}
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
			return &apierr.Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: key, Message: fmt.Sprintf("unknown key %q", key)}
		}
		out, err := compactValue(scratch[:0], val, envelopeLimits)
		if err != nil {
			return apierr.Field("malformed_json", key, err.Error())
		}
		scratch = out
		return nil
	})
}

// walkObject calls fn for each member of the JSON object src with the key (unescaped) and
// the raw value span. Values are delimited, not validated: fn validates what it keeps.
func walkObject(src []byte, fn func(key string, val []byte) *apierr.Error) *apierr.Error {
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
		key, ok := fastString(src[i:end])
		if !ok {
			return malformed(i)
		}
		i = skipWS(src, end)
		if i >= len(src) || src[i] != ':' {
			return malformed(i)
		}
		i = skipWS(src, i+1)
		vend, err := skipValue(src, i)
		if err != nil {
			return err
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
				if depth > 10000 {
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
	j := i
	for j < len(src) && src[j] != ',' && src[j] != '}' && src[j] != ']' && src[j] != ' ' && src[j] != '\n' && src[j] != '\t' && src[j] != '\r' {
		j++
	}
	if j == i {
		return 0, malformed(i)
	}
	return j, nil
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
