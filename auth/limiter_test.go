package auth

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(3, 10*time.Minute, func() time.Time { return now })
	step := func(d time.Duration) { now = now.Add(d) }
	blocked := func(key string, want bool, wantWait time.Duration) {
		t.Helper()
		wait, b := l.Blocked(key)
		if b != want || (want && wait != wantWait) {
			t.Fatalf("Blocked(%s) = %v %v, want %v %v", key, wait, b, want, wantWait)
		}
	}
	l.Fail("a")
	step(time.Minute)
	l.Fail("a")
	blocked("a", false, 0)
	step(time.Minute)
	l.Fail("a")
	blocked("a", true, 8*time.Minute) // the first failure ages out 10 min after it happened
	blocked("b", false, 0)
	step(8 * time.Minute)
	blocked("a", false, 0) // two failures left in the window
	l.Fail("a")
	blocked("a", true, time.Minute)
	l.Reset("a")
	blocked("a", false, 0)

	// The map stays bounded.
	l.maxKeys = 100
	for i := 0; i < 1000; i++ {
		l.Fail(string(rune('A' + i)))
	}
	if n := len(l.fails); n > 100 {
		t.Fatalf("%d keys kept, want at most 100", n)
	}
}
