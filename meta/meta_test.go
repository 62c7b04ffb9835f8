package meta

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestProjects(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p, sk, err := s.CreateProject(ctx, NewProject{Name: " 精运小店 "})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "精运小店" || p.Timezone != "Asia/Shanghai" || p.Currency != "CNY" || p.ID != 1 {
		t.Fatalf("defaults not applied: %+v", p)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ProjectBySecretKey(ctx, sk)
	if err != nil || got.ID != p.ID {
		t.Fatalf("by secret key: %v %v", got, err)
	}
	if _, err := s.ProjectBySecretKey(ctx, sk+"x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong secret key: %v", err)
	}
	if got, err := s.ProjectByWriteKey(ctx, p.WriteKey); err != nil || got.ID != p.ID {
		t.Fatalf("by write key: %v %v", got, err)
	}
	sk2, err := s.RotateSecretKey(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProjectBySecretKey(ctx, sk); !errors.Is(err, ErrNotFound) {
		t.Fatal("old secret key still works after rotation")
	}
	if _, err := s.ProjectBySecretKey(ctx, sk2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateSecretKey(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rotate unknown project: %v", err)
	}
}

func TestNewProjectValidate(t *testing.T) {
	f := func(n NewProject, field string) {
		t.Helper()
		err := n.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Fatalf("Validate(%+v) = %v, want error on %q", n, err, field)
		}
	}
	f(NewProject{Name: ""}, "name")
	f(NewProject{Name: "a", Timezone: "Mars/Base"}, "timezone")
	f(NewProject{Name: "a", Timezone: "Local"}, "timezone")
	f(NewProject{Name: "a", Currency: "yuan"}, "currency")
	n := NewProject{Name: "a", Timezone: "Europe/London", Currency: "gbp"}
	if err := n.Validate(); err != nil || n.Currency != "GBP" {
		t.Fatalf("valid project refused: %v %+v", err, n)
	}
}
