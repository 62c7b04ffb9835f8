package importer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/jingyun/jingyun/event"
)

// memSink keeps written events in memory. failAt > 0 makes the failAt-th Write fail.
type memSink struct {
	mu     sync.Mutex
	events []event.Event
	writes int
	sizes  []int
	failAt int
}

var errSinkDown = errors.New("sink down")

func (s *memSink) Write(_ context.Context, events []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.failAt > 0 && s.writes == s.failAt {
		return errSinkDown
	}
	s.events = append(s.events, events...)
	s.sizes = append(s.sizes, len(events))
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkEvent applies the collector's rules for a valid event.
func checkEvent(t *testing.T, e *event.Event) {
	t.Helper()
	if e.Type != event.TypeTrack || e.Name == "" || e.ProjectID == 0 || !uuidRE.MatchString(e.ID) {
		t.Fatalf("invalid event header: %+v", e)
	}
	if e.UserID == "" && e.AnonymousID == "" {
		t.Fatalf("event without person: %+v", e)
	}
	// Milliseconds: between 1990 and 2100.
	if e.Time < 631152000000 || e.Time > 4102444800000 || e.ReceivedAt < 631152000000 || e.ReceivedAt > 4102444800000 {
		t.Fatalf("event times are not plausible ms: %d %d", e.Time, e.ReceivedAt)
	}
	// Compact fails on invalid JSON; a valid value starting with '{' is an object.
	var compact bytes.Buffer
	if err := json.Compact(&compact, e.Properties); err != nil || !bytes.Equal(compact.Bytes(), e.Properties) || e.Properties[0] != '{' {
		t.Fatalf("properties are not a compact JSON object: %s (%v)", e.Properties, err)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeGzip(t *testing.T, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(content))
	zw.Close()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustMapping(t *testing.T, js string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(js))
	if err != nil {
		t.Fatalf("cannot parse test mapping: %v", err)
	}
	return m
}

func propsOf(t *testing.T, e *event.Event) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(e.Properties, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}
