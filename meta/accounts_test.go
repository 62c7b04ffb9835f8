package meta

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFirstUserAdoptsProjects(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p, _, err := s.CreateProject(ctx, NewProject{Name: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	// Concurrent set-ups: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = s.CreateFirstUser(ctx, NewUser{Email: "Owner@Example.com ", Name: "o", PasswordHash: "h"})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrAlreadySetUp), errors.Is(err, ErrEmailTaken):
		default:
			t.Fatal(err)
		}
	}
	if won != 1 {
		t.Fatalf("%d set-ups succeeded, want 1", won)
	}
	u, hash, err := s.UserCredentials(ctx, "OWNER@example.com")
	if err != nil || u.Email != "owner@example.com" || hash != "h" {
		t.Fatalf("credentials: %+v %q %v", u, hash, err)
	}
	if role, err := s.MemberRole(ctx, p.ID, u.ID); err != nil || role != OwnerRole {
		t.Fatalf("first user is not owner of the existing project: %q %v", role, err)
	}
	if _, err := s.CreateUser(ctx, NewUser{Email: "owner@example.com", Name: "x", PasswordHash: "h"}); !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("duplicate email: %v", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	u, err := s.CreateUser(ctx, NewUser{Email: "a@b.c", Name: "a", PasswordHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tok := range []string{"t1", "t2", "t3"} {
		if err := s.CreateSession(ctx, tok, u.ID, "ua", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, got, err := s.SessionByToken(ctx, "t1", now); err != nil || got.ID != u.ID {
		t.Fatalf("session: %v %v", got, err)
	}
	if _, _, err := s.SessionByToken(ctx, "t1", now.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired session still valid: %v", err)
	}
	if err := s.TouchSession(ctx, "t1", now, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByToken(ctx, "t1", now.Add(time.Hour)); err != nil {
		t.Fatalf("touched session expired: %v", err)
	}
	if err := s.SetPassword(ctx, u.ID, "h2", "t1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByToken(ctx, "t2", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other session survived a password change: %v", err)
	}
	if _, _, err := s.SessionByToken(ctx, "t1", now); err != nil {
		t.Fatalf("current session ended by a password change: %v", err)
	}
	if h, _ := s.PasswordHash(ctx, u.ID); h != "h2" {
		t.Fatalf("hash %q", h)
	}
	if err := s.DeleteSession(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByToken(ctx, "t1", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
}

func TestMembersKeepAnOwner(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, _ := s.CreateUser(ctx, NewUser{Email: "a@x", Name: "a", PasswordHash: "h"})
	b, _ := s.CreateUser(ctx, NewUser{Email: "b@x", Name: "b", PasswordHash: "h"})
	p, _, err := s.CreateProjectOwnedBy(ctx, NewProject{Name: "p"}, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, p.ID, b.ID, "viewer"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, p.ID, b.ID, "admin"); !errors.Is(err, ErrMemberExists) {
		t.Fatalf("second add: %v", err)
	}
	if err := s.AddMember(ctx, p.ID+1, b.ID, "admin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("add to unknown project: %v", err)
	}
	if err := s.AddMember(ctx, p.ID, b.ID+5, "admin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("add unknown user: %v", err)
	}
	if err := s.SetMemberRole(ctx, p.ID, b.ID, "god"); err == nil {
		t.Fatal("the database accepted an unknown role")
	}
	if err := s.SetMemberRole(ctx, p.ID, a.ID, "admin"); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("demote last owner: %v", err)
	}
	if err := s.RemoveMember(ctx, p.ID, a.ID); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("remove last owner: %v", err)
	}
	if err := s.SetMemberRole(ctx, p.ID, b.ID, OwnerRole); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, p.ID, a.ID); err != nil {
		t.Fatalf("remove one of two owners: %v", err)
	}
	ms, err := s.Members(ctx, p.ID)
	if err != nil || len(ms) != 1 || ms[0].UserID != b.ID || ms[0].Role != OwnerRole {
		t.Fatalf("members: %+v %v", ms, err)
	}
	if got, _ := s.Memberships(ctx, a.ID); len(got) != 0 {
		t.Fatalf("removed member still has %+v", got)
	}
	if got, _ := s.Memberships(ctx, b.ID); len(got) != 1 || got[0].ID != p.ID || got[0].Role != OwnerRole {
		t.Fatalf("memberships: %+v", got)
	}
}

func TestUpdateProject(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p, _, _ := s.CreateProject(ctx, NewProject{Name: "p"})
	str := func(v string) *string { return &v }
	f := func(u ProjectUpdate, field string) {
		t.Helper()
		_, err := s.UpdateProject(ctx, p.ID, u)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Fatalf("UpdateProject(%+v) = %v, want error on %q", u, err, field)
		}
	}
	f(ProjectUpdate{Name: str(" ")}, "name")
	f(ProjectUpdate{Timezone: str("")}, "timezone")
	f(ProjectUpdate{Timezone: str("Mars/Base")}, "timezone")
	f(ProjectUpdate{Currency: str("")}, "currency")
	got, err := s.UpdateProject(ctx, p.ID, ProjectUpdate{Timezone: str("Europe/Paris"), Currency: str("eur")})
	if err != nil || got.Name != "p" || got.Timezone != "Europe/Paris" || got.Currency != "EUR" {
		t.Fatalf("update: %+v %v", got, err)
	}
	if _, err := s.UpdateProject(ctx, 99, ProjectUpdate{Name: str("x")}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
}
