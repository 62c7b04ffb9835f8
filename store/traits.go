package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// MergeTraits applies an update to a person's stored traits (a JSON object, "" or "{}" for
// none) and returns the new compact JSON object: Set keys overwrite, SetOnce keys are added
// only where absent, Unset keys are removed. Keys are written in sorted order so that equal
// trait sets have equal text in every store.
func MergeTraits(stored string, u *PersonUpdate) (string, error) {
	m := map[string]json.RawMessage{}
	if stored != "" && stored != "{}" {
		if err := json.Unmarshal([]byte(stored), &m); err != nil {
			return "", fmt.Errorf("cannot decode person traits: %w", err)
		}
	}
	for k, v := range u.SetOnce {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	for k, v := range u.Set {
		m[k] = v
	}
	for k, v := range m {
		if !json.Valid(v) {
			return "", fmt.Errorf("cannot merge trait %q: invalid JSON value", k)
		}
	}
	for _, k := range u.Unset {
		delete(m, k)
	}
	return EncodeTraits(m), nil
}

// MergePersons returns the traits of a person that absorbs another: the absorbed person's
// traits fill the keys the surviving person lacks (the survivor wins).
func MergePersons(survivor, absorbed string) (string, error) {
	m := map[string]json.RawMessage{}
	if absorbed != "" && absorbed != "{}" {
		if err := json.Unmarshal([]byte(absorbed), &m); err != nil {
			return "", fmt.Errorf("cannot decode person traits: %w", err)
		}
	}
	if survivor != "" && survivor != "{}" {
		s := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(survivor), &s); err != nil {
			return "", fmt.Errorf("cannot decode person traits: %w", err)
		}
		for k, v := range s {
			m[k] = v
		}
	}
	return EncodeTraits(m), nil
}

// EncodeTraits writes a trait map as a compact JSON object with sorted keys.
func EncodeTraits(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		b = append(b, kb...)
		b = append(b, ':')
		b = append(b, compact(m[k])...)
	}
	return string(append(b, '}'))
}

func compact(v json.RawMessage) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return v
	}
	return buf.Bytes()
}
