package meta

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrackingPlan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, _, err := s.CreateProject(ctx, NewProject{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.CreateProject(ctx, NewProject{Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, NewUser{Email: "analyst@shop.cn", Name: "分析师", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }

	// Set a display name, then a description: each PATCH keeps the other field.
	d, err := s.SetDefinition(ctx, a.ID, EventKind, "Order Completed", DefinitionUpdate{DisplayName: str("  支付订单 ")}, u.ID)
	if err != nil || d.DisplayName != "支付订单" || d.Description != "" || d.UpdatedBy != u.ID {
		t.Fatalf("set display name: %+v %v", d, err)
	}
	d, err = s.SetDefinition(ctx, a.ID, EventKind, "Order Completed", DefinitionUpdate{Description: str("服务端发送\n一单一次")}, 0)
	if err != nil || d.DisplayName != "支付订单" || d.Description != "服务端发送\n一单一次" || d.UpdatedBy != 0 {
		t.Fatalf("set description: %+v %v", d, err)
	}
	if _, err := s.SetDefinition(ctx, a.ID, PropertyKind, "products.price", DefinitionUpdate{DisplayName: str("单价")}, u.ID); err != nil {
		t.Fatal(err)
	}
	// The same name in another kind or project is another definition.
	if _, err := s.SetDefinition(ctx, b.ID, EventKind, "Order Completed", DefinitionUpdate{DisplayName: str("B 的订单")}, 0); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Definitions(ctx, a.ID, EventKind)
	if err != nil || len(evs) != 1 || evs["Order Completed"].DisplayName != "支付订单" || evs["Order Completed"].UpdatedAt.IsZero() {
		t.Fatalf("event definitions of A: %+v %v", evs, err)
	}
	props, err := s.Definitions(ctx, a.ID, PropertyKind)
	if err != nil || len(props) != 1 || props["products.price"].DisplayName != "单价" || props["products.price"].UpdatedBy != u.ID {
		t.Fatalf("property definitions of A: %+v %v", props, err)
	}
	if d, err := s.Definition(ctx, b.ID, EventKind, "Order Completed"); err != nil || d.DisplayName != "B 的订单" {
		t.Fatalf("definition of B: %+v %v", d, err)
	}
	if _, err := s.Definition(ctx, b.ID, PropertyKind, "products.price"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B's property: %v", err)
	}

	// Clearing both fields removes the entry.
	if _, err := s.SetDefinition(ctx, a.ID, EventKind, "Order Completed", DefinitionUpdate{DisplayName: str(""), Description: str(" ")}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Definition(ctx, a.ID, EventKind, "Order Completed"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cleared definition: %v", err)
	}

	// Deleting the user keeps the definition, without its author.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Definition(ctx, a.ID, PropertyKind, "products.price"); err != nil || d.UpdatedBy != 0 {
		t.Fatalf("after the user left: %+v %v", d, err)
	}

	bad := func(name string, u DefinitionUpdate, code, field string) {
		t.Helper()
		_, err := s.SetDefinition(ctx, a.ID, EventKind, name, u, 0)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Code != code || fe.Field != field {
			t.Fatalf("%q %+v: got %v, want %s on %s", name, u, err, code, field)
		}
	}
	bad("", DefinitionUpdate{DisplayName: str("x")}, "missing_field", "name")
	bad(strings.Repeat("e", MaxDefinitionName+1), DefinitionUpdate{DisplayName: str("x")}, "too_long", "name")
	bad("\xff", DefinitionUpdate{DisplayName: str("x")}, "invalid_value", "name")
	bad("e", DefinitionUpdate{DisplayName: str(strings.Repeat("名", MaxDisplayName+1))}, "too_long", "display_name")
	bad("e", DefinitionUpdate{DisplayName: str("two\nlines")}, "invalid_value", "display_name")
	bad("e", DefinitionUpdate{DisplayName: str("bad \xff")}, "invalid_value", "display_name")
	bad("e", DefinitionUpdate{Description: str(strings.Repeat("述", MaxDescription+1))}, "too_long", "description")
	bad("e", DefinitionUpdate{Description: str("bell \a")}, "invalid_value", "description")
	if _, err := s.SetDefinition(ctx, a.ID, EventKind, "e", DefinitionUpdate{DisplayName: str(strings.Repeat("名", MaxDisplayName)),
		Description: str(strings.Repeat("述", MaxDescription))}, 0); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
	if _, err := s.SetDefinition(ctx, 999, EventKind, "e", DefinitionUpdate{DisplayName: str("x")}, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
}
