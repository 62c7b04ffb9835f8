package identity

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/jingyun/jingyun/store"
)

func TestResolveRules(t *testing.T) {
	r := New(0)
	var f Facts
	a1 := r.Resolve(&f, 1, "dev-1", "", 1)
	if a1 != 1 || len(f.Persons) != 1 || f.Persons[0].CreatedAt != 1 {
		t.Fatalf("first anonymous event: person %d facts %+v", a1, f)
	}
	// Login on the same device: the user joins the anonymous person, no merge needed.
	if p := r.Resolve(&f, 1, "dev-1", "u1", 2); p != a1 || len(f.Overrides) != 0 {
		t.Fatalf("login: person %d, overrides %v", p, f.Overrides)
	}
	// A second device browses anonymously, then logs in as u1: it is merged into u1's person.
	a2 := r.Resolve(&f, 1, "dev-2", "", 3)
	if a2 == a1 {
		t.Fatal("second device got the first person before login")
	}
	if p := r.Resolve(&f, 1, "dev-2", "u1", 4); p != a1 {
		t.Fatalf("second device login: person %d, want %d", p, a1)
	}
	if len(f.Overrides) != 1 || f.Overrides[0] != (store.Override{ProjectID: 1, OldPersonID: a2, NewPersonID: a1}) {
		t.Fatalf("overrides = %v", f.Overrides)
	}
	if p := r.Person(1, "dev-2"); p != a1 {
		t.Fatalf("dev-2 resolves to %d after merge", p)
	}
	// A shared device: u2 logs in on dev-1, which already belongs to u1. No merge.
	u2 := r.Resolve(&f, 1, "dev-1", "u2", 5)
	if u2 == a1 || len(f.Overrides) != 1 {
		t.Fatalf("shared device merged two users: %d, %v", u2, f.Overrides)
	}
	if p := r.Person(1, "dev-1"); p != a1 {
		t.Fatalf("dev-1 moved to %d", p)
	}
	// alias merges two identified persons, and overrides stay flat.
	if p := r.Alias(&f, 1, "u1", "u2", 6); p != u2 {
		t.Fatalf("alias survivor %d, want %d", p, u2)
	}
	for _, id := range []string{"dev-1", "dev-2", "u1", "u2"} {
		if p := r.Person(1, id); p != u2 {
			t.Fatalf("%s resolves to %d, want %d", id, p, u2)
		}
	}
	last := map[int64]int64{}
	for _, o := range f.Overrides {
		last[o.OldPersonID] = o.NewPersonID
	}
	for old, n := range last {
		if _, again := last[n]; again {
			t.Fatalf("override %d→%d points at a merged person", old, n)
		}
	}
	// Projects are separate worlds.
	if p := r.Resolve(&f, 2, "dev-1", "", 7); p == a1 || p == u2 {
		t.Fatal("project 2 shares a person with project 1")
	}
}

func TestReloadKeepsRules(t *testing.T) {
	r := New(0)
	var f Facts
	r.Resolve(&f, 1, "dev-1", "u1", 1)
	r.Resolve(&f, 1, "dev-2", "", 2)
	r.Resolve(&f, 1, "dev-2", "u1", 3)
	// Rebuild from the persisted facts, as the loader does at start-up.
	r2 := New(0)
	for _, id := range f.Identities {
		r2.LoadIdentity(id)
	}
	for _, o := range f.Overrides {
		r2.LoadOverride(o)
	}
	for _, id := range []string{"dev-1", "dev-2", "u1"} {
		if r.Person(1, id) != r2.Person(1, id) {
			t.Fatalf("%s: %d before reload, %d after", id, r.Person(1, id), r2.Person(1, id))
		}
	}
	var g Facts
	if p := r2.Resolve(&g, 1, "dev-1", "u9", 4); p == r2.Person(1, "u1") {
		t.Fatal("after reload a shared device merged two users")
	}
	if n := r2.Resolve(&g, 1, "new-device", "", 5); n <= 3 {
		t.Fatalf("person id %d reused after reload", n)
	}
	r2.Forget(1, r2.Person(1, "u1"))
	if r2.Person(1, "dev-2") != 0 || r2.Person(1, "u1") != 0 {
		t.Fatal("Forget left identities behind")
	}
}

// TestIDsAreCopied: the resolver keeps its own copy of a new id, not a piece of the decoded
// batch it came in, which would keep the whole batch in memory as long as the id is known.
func TestIDsAreCopied(t *testing.T) {
	r := New(0)
	batch := strings.Repeat("x", 1<<16) + "anon-1" + "user-1"
	anon, user := batch[1<<16:1<<16+6], batch[1<<16+6:]
	var f Facts
	r.Resolve(&f, 1, anon, user, 1)
	inBatch := func(s string) bool {
		p, b := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(batch)))
		return p >= b && p < b+uintptr(len(batch))
	}
	n := 0
	for k := range r.ids {
		n++
		if inBatch(k.id) {
			t.Fatalf("the resolver keeps %q inside the decoded batch", k.id)
		}
	}
	if n != 2 {
		t.Fatalf("%d ids known, want 2", n)
	}
}
