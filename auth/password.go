package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits, in bytes. The upper one bounds the work an unauthenticated request
// can cause.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

// HashParams are argon2id's costs. They are stored in every hash (PHC string format), so they
// can be raised later without invalidating existing passwords.
type HashParams struct {
	// MemoryKiB is the memory per hash in KiB.
	MemoryKiB uint32
	// Time is the number of passes.
	Time uint32
	// Threads is the parallelism.
	Threads uint8
}

// DefaultHashParams are OWASP's recommended argon2id minimum (19 MiB, 2 passes, 1 thread):
// about 30 ms per hash on one core of the reference machine.
func DefaultHashParams() HashParams { return HashParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1} }

// Hasher hashes and verifies passwords with argon2id. It bounds how many hashes run at once
// (each takes MemoryKiB), so a burst of sign-ins cannot exhaust memory. Safe for concurrent use.
type Hasher struct {
	params HashParams
	slots  chan struct{}
	dummy  string
}

// NewHasher returns a hasher with params (zero fields take the defaults).
func NewHasher(params HashParams) *Hasher {
	def := DefaultHashParams()
	if params.MemoryKiB == 0 {
		params.MemoryKiB = def.MemoryKiB
	}
	if params.Time == 0 {
		params.Time = def.Time
	}
	if params.Threads == 0 {
		params.Threads = def.Threads
	}
	h := &Hasher{params: params, slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
	h.dummy = h.hash("not a password", make([]byte, 16))
	return h
}

// CheckPassword returns an error saying what is wrong with a new password, or nil.
func CheckPassword(pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return fmt.Errorf("must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("must be at most %d bytes", MaxPasswordLen)
	case !utf8.ValidString(pw):
		return errors.New("must be valid UTF-8")
	case strings.TrimSpace(pw) == "":
		return errors.New("must not be only spaces")
	}
	return nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

func (h *Hasher) hash(pw string, salt []byte) string {
	key := argon2.IDKey([]byte(pw), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.params.MemoryKiB, h.params.Time,
		h.params.Threads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// Hash returns the argon2id hash of pw in PHC string format, with a fresh random salt. It
// does not check the password's length: call CheckPassword first.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", fmt.Errorf("cannot hash password: %w", err)
	}
	defer h.release()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return h.hash(pw, salt), nil
}

// Verify reports whether pw matches hash, comparing in constant time. An empty hash (an
// unknown user) is checked against a dummy hash, so that the answer takes as long as for a
// known user and does not reveal which emails exist.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	known := hash != ""
	if !known {
		hash = h.dummy
	}
	p, salt, want, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, fmt.Errorf("cannot verify password: %w", err)
	}
	defer h.release()
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && known, nil
}

// parseHash reads a PHC argon2id string.
func parseHash(s string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("cannot parse password hash: not argon2id")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("cannot parse password hash: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("cannot parse password hash parameters: %w", err)
	}
	if p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 || p.MemoryKiB > 1<<21 || p.Time > 64 {
		return p, nil, nil, errors.New("cannot parse password hash: parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("cannot parse password hash salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("cannot parse password hash key")
	}
	return p, salt, key, nil
}
