package auth

import (
	"context"
	"strings"
	"testing"
)

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(HashParams{MemoryKiB: 1024, Time: 1})
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", hash)
	}
	if again, _ := h.Hash(ctx, "correct horse"); again == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	f := func(hash, pw string, want bool) {
		t.Helper()
		ok, err := h.Verify(ctx, hash, pw)
		if err != nil || ok != want {
			t.Fatalf("Verify(%q) = %v %v, want %v", pw, ok, err, want)
		}
	}
	f(hash, "correct horse", true)
	f(hash, "correct horsE", false)
	f(hash, "", false)
	f("", "not a password", false) // unknown user: the dummy hash never matches
	// Hashes made with other costs still verify: the parameters travel in the hash.
	other, _ := NewHasher(HashParams{MemoryKiB: 2048, Time: 2}).Hash(ctx, "pw-other-costs")
	f(other, "pw-other-costs", true)
	for _, bad := range []string{"x", "$bcrypt$", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=8,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := h.Verify(ctx, bad, "pw"); err == nil {
			t.Fatalf("Verify accepted the hash %q", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	f := func(pw string, ok bool) {
		t.Helper()
		if err := CheckPassword(pw); (err == nil) != ok {
			t.Fatalf("CheckPassword(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
	f("", false)
	f("1234567", false)
	f("        ", false)
	f("12345678", true)
	f("密码密码密码", true) // 18 bytes
	f(strings.Repeat("a", MaxPasswordLen), true)
	f(strings.Repeat("a", MaxPasswordLen+1), false)
	f("abcdefg\xff", false)
}
