package auth

import (
	"sync"
	"time"
)

// Limiter counts failures per key (an email and client address, say) in a sliding window
// and blocks a key that reached the limit until its oldest failure in the window ages out.
// It lives in memory: a restart forgets the counts, and several API processes count
// separately. Its size is bounded by maxKeys. Safe for concurrent use.
type Limiter struct {
	max     int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewLimiter allows max failures per key within window. now is the clock (nil: time.Now).
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window, maxKeys: 100_000, now: now, fails: map[string][]time.Time{}}
}

// recent returns key's failures still inside the window, dropping older ones. mu is held.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

// Blocked reports whether key reached the limit and, if so, how long until it may try again.
func (l *Limiter) Blocked(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.recent(key, now)
	if len(ts) < l.max {
		return 0, false
	}
	return ts[len(ts)-l.max].Add(l.window).Sub(now), true
}

// Fail records a failure of key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.recent(key, now)
	if ts == nil && len(l.fails) >= l.maxKeys {
		l.prune(now)
	}
	ts = append(ts, now)
	if len(ts) > l.max { // only the last max failures decide when the key is free again
		ts = ts[len(ts)-l.max:]
	}
	l.fails[key] = ts
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// prune drops keys without recent failures and, if the map is still full, arbitrary keys
// until a tenth is free: forgetting some counts is better than growing without bound. mu is held.
func (l *Limiter) prune(now time.Time) {
	for k := range l.fails {
		l.recent(k, now)
	}
	for k := range l.fails {
		if len(l.fails) < l.maxKeys-l.maxKeys/10 {
			break
		}
		delete(l.fails, k)
	}
}
