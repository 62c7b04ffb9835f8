package meta

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

const funnelSpec = `{"kind":"funnel","steps":[{"event":"A"},{"event":"B"}],"date_range":{"from":"-6d","to":"today"}}`

func TestInsightsCRUD(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	a, _, _ := s.CreateProject(ctx, NewProject{Name: "A"})
	b, _, _ := s.CreateProject(ctx, NewProject{Name: "B"})
	u, err := s.CreateUser(ctx, NewUser{Email: "a@x.cn", Name: "a", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.CreateInsight(ctx, a.ID, NewInsight{Name: "  转化漏斗 ", Spec: json.RawMessage(funnelSpec), CreatedBy: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "转化漏斗" || in.CreatedBy == nil || *in.CreatedBy != u.ID || in.ProjectID != a.ID {
		t.Fatalf("created %+v", in)
	}
	got, err := s.Insight(ctx, a.ID, in.ID)
	if err != nil || string(got.Spec) != funnelSpec || len(got.Dashboards) != 0 {
		t.Fatalf("get: %+v %v", got, err)
	}
	// Project B cannot see, change or delete A's insight.
	if _, err := s.Insight(ctx, b.ID, in.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B reads A's insight: %v", err)
	}
	name := "B's now"
	if _, err := s.UpdateInsight(ctx, b.ID, in.ID, InsightUpdate{Name: &name}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B renames A's insight: %v", err)
	}
	if err := s.DeleteInsight(ctx, b.ID, in.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B deletes A's insight: %v", err)
	}
	if l, _ := s.Insights(ctx, b.ID); len(l) != 0 {
		t.Fatalf("B lists %v", l)
	}
	name = "Renamed"
	desc := "what it shows"
	got, err = s.UpdateInsight(ctx, a.ID, in.ID, InsightUpdate{Name: &name, Description: &desc})
	if err != nil || got.Name != "Renamed" || got.Description != desc || string(got.Spec) != funnelSpec {
		t.Fatalf("update: %+v %v", got, err)
	}
	got, err = s.UpdateInsight(ctx, a.ID, in.ID, InsightUpdate{Spec: json.RawMessage(`{"kind":"trends"}`)})
	if err != nil || string(got.Spec) != `{"kind":"trends"}` || got.Name != "Renamed" {
		t.Fatalf("update spec: %+v %v", got, err)
	}
	l, err := s.Insights(ctx, a.ID)
	if err != nil || len(l) != 1 || l[0].ID != in.ID {
		t.Fatalf("list: %v %v", l, err)
	}
	if err := s.DeleteInsight(ctx, a.ID, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Insight(ctx, a.ID, in.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted insight: %v", err)
	}
}

func TestInsightValidation(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	p, _, _ := s.CreateProject(ctx, NewProject{Name: "A"})
	f := func(n NewInsight, code, field string) {
		t.Helper()
		_, err := s.CreateInsight(ctx, p.ID, n)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Code != code || fe.Field != field {
			t.Fatalf("%+v: %v, want %s on %s", n, err, code, field)
		}
	}
	spec := json.RawMessage(funnelSpec)
	f(NewInsight{Name: " ", Spec: spec}, "missing_field", "name")
	f(NewInsight{Name: strings.Repeat("名", 201), Spec: spec}, "too_long", "name")
	f(NewInsight{Name: "a\x00b", Spec: spec}, "invalid_value", "name")
	f(NewInsight{Name: "two\nlines", Spec: spec}, "invalid_value", "name")
	f(NewInsight{Name: "x", Description: strings.Repeat("d", 2001), Spec: spec}, "too_long", "description")
	f(NewInsight{Name: "x"}, "missing_field", "spec")
	f(NewInsight{Name: "x", Spec: json.RawMessage(`[1]`)}, "invalid_type", "spec")
	f(NewInsight{Name: "x", Spec: json.RawMessage(`{"a":`)}, "invalid_type", "spec")
	if _, err := s.CreateInsight(ctx, p.ID, NewInsight{Name: strings.Repeat("名", 200), Description: "two\nlines", Spec: spec}); err != nil {
		t.Fatalf("200 characters and a multi-line description: %v", err)
	}
	if _, err := s.CreateInsight(ctx, 999, NewInsight{Name: "x", Spec: spec}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	empty := ""
	if _, err := s.CreateDashboard(ctx, p.ID, NewDashboard{Name: ""}); err == nil {
		t.Fatal("dashboard without a name")
	}
	d, _ := s.CreateDashboard(ctx, p.ID, NewDashboard{Name: "d"})
	if _, err := s.UpdateDashboard(ctx, p.ID, d.ID, DashboardUpdate{Name: &empty}); err == nil {
		t.Fatal("dashboard renamed to nothing")
	}
}

func TestDashboards(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	a, _, _ := s.CreateProject(ctx, NewProject{Name: "A"})
	b, _, _ := s.CreateProject(ctx, NewProject{Name: "B"})
	mk := func(p uint32, name string) int64 {
		in, err := s.CreateInsight(ctx, p, NewInsight{Name: name, Spec: json.RawMessage(funnelSpec)})
		if err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	i1, i2, i3, ib := mk(a.ID, "one"), mk(a.ID, "two"), mk(a.ID, "three"), mk(b.ID, "B's")
	d, err := s.CreateDashboard(ctx, a.ID, NewDashboard{Name: "周报"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{i1, i2, i3, i2} { // adding twice changes nothing
		if err := s.AddDashboardItem(ctx, a.ID, d.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	order := func(want string) {
		t.Helper()
		got, err := s.Dashboard(ctx, a.ID, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range got.Items {
			names = append(names, in.Name)
			if len(in.Dashboards) != 1 || in.Dashboards[0] != d.ID {
				t.Fatalf("%s on dashboards %v", in.Name, in.Dashboards)
			}
		}
		if strings.Join(names, ",") != want || got.ItemCount != len(names) {
			t.Fatalf("order %v, want %s", names, want)
		}
	}
	order("one,two,three")
	// Another project's insight cannot be added; another project cannot touch the dashboard.
	if err := s.AddDashboardItem(ctx, a.ID, d.ID, ib); !errors.Is(err, ErrInsightNotFound) {
		t.Fatalf("B's insight on A's dashboard: %v", err)
	}
	if err := s.AddDashboardItem(ctx, b.ID, d.ID, ib); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B adds to A's dashboard: %v", err)
	}
	if _, err := s.Dashboard(ctx, b.ID, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B reads A's dashboard: %v", err)
	}
	if err := s.SetDashboardOrder(ctx, b.ID, d.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B reorders A's dashboard: %v", err)
	}
	if err := s.RemoveDashboardItem(ctx, b.ID, d.ID, i1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B removes from A's dashboard: %v", err)
	}
	if err := s.DeleteDashboard(ctx, b.ID, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B deletes A's dashboard: %v", err)
	}
	if l, _ := s.Dashboards(ctx, b.ID); len(l) != 0 {
		t.Fatalf("B lists %v", l)
	}
	// Reorder: a permutation only.
	if err := s.SetDashboardOrder(ctx, a.ID, d.ID, []int64{i3, i1, i2}); err != nil {
		t.Fatal(err)
	}
	order("three,one,two")
	for _, bad := range [][]int64{{i3, i1}, {i3, i1, i1}, {i3, i1, i2, ib}, {i3, i1, ib}} {
		var fe *FieldError
		if err := s.SetDashboardOrder(ctx, a.ID, d.ID, bad); !errors.As(err, &fe) || fe.Field != "insight_ids" {
			t.Fatalf("order %v: %v", bad, err)
		}
	}
	order("three,one,two")
	if err := s.RemoveDashboardItem(ctx, a.ID, d.ID, i1); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDashboardItem(ctx, a.ID, d.ID, i1); !errors.Is(err, ErrInsightNotFound) {
		t.Fatalf("removed twice: %v", err)
	}
	order("three,two")
	// Deleting an insight takes it off its dashboards; adding puts it last.
	if err := s.DeleteInsight(ctx, a.ID, i3); err != nil {
		t.Fatal(err)
	}
	s.AddDashboardItem(ctx, a.ID, d.ID, i1)
	order("two,one")
	name := "月报"
	if got, err := s.UpdateDashboard(ctx, a.ID, d.ID, DashboardUpdate{Name: &name}); err != nil || got.Name != name || len(got.Items) != 2 {
		t.Fatalf("rename: %+v %v", got, err)
	}
	l, err := s.Dashboards(ctx, a.ID)
	if err != nil || len(l) != 1 || l[0].ItemCount != 2 || l[0].Name != name {
		t.Fatalf("list: %+v %v", l, err)
	}
	if in, _ := s.Insight(ctx, a.ID, i1); len(in.Dashboards) != 1 {
		t.Fatalf("insight's dashboards: %v", in.Dashboards)
	}
	// Deleting the dashboard keeps its insights.
	if err := s.DeleteDashboard(ctx, a.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	if in, err := s.Insight(ctx, a.ID, i1); err != nil || len(in.Dashboards) != 0 {
		t.Fatalf("insight after its dashboard went: %+v %v", in, err)
	}
}

func TestDashboardFull(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	p, _, _ := s.CreateProject(ctx, NewProject{Name: "A"})
	d, _ := s.CreateDashboard(ctx, p.ID, NewDashboard{Name: "big"})
	for i := 0; i <= MaxDashboardItems; i++ {
		in, _ := s.CreateInsight(ctx, p.ID, NewInsight{Name: "x", Spec: json.RawMessage(funnelSpec)})
		err := s.AddDashboardItem(ctx, p.ID, d.ID, in.ID)
		if i < MaxDashboardItems && err != nil || i == MaxDashboardItems && !errors.Is(err, ErrDashboardFull) {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	if got, _ := s.Dashboard(ctx, p.ID, d.ID); got.ItemCount != MaxDashboardItems {
		t.Fatalf("%d items", got.ItemCount)
	}
}
