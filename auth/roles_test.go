package auth

import "testing"

func TestPermissionTable(t *testing.T) {
	f := func(r Role, a Action, want bool) {
		t.Helper()
		if got := Allowed(r, a); got != want {
			t.Fatalf("Allowed(%s, %s) = %v, want %v", r, a, got, want)
		}
	}
	f(Viewer, QueryRead, true)
	f(Viewer, ProjectRead, true)
	f(Viewer, InsightWrite, false)
	f(Operator, CampaignSend, true)
	f(Operator, InsightWrite, false)
	f(Analyst, InsightWrite, true)
	f(Analyst, KeysManage, false)
	f(Admin, KeysManage, true)
	f(Admin, MembersManage, true)
	f(Admin, PersonsDelete, true)
	f(Admin, ProjectDelete, false)
	f(Owner, ProjectDelete, true)
	f(Role("root"), QueryRead, false)
	f(Owner, Action("nuke"), false)
	for _, p := range Permissions() {
		if !p.MinRole.Valid() {
			t.Fatalf("%s needs unknown role %q", p.Action, p.MinRole)
		}
		// Every role at or above the minimum may, every role below may not.
		for _, r := range Roles() {
			if Allowed(r, p.Action) != (r.rank() >= p.MinRole.rank()) {
				t.Fatalf("%s for %s is not monotonic", p.Action, r)
			}
		}
	}
	if _, err := ParseRole("Admin"); err == nil {
		t.Fatal("roles are case-sensitive")
	}
	if r, err := ParseRole("operator"); err != nil || r != Operator {
		t.Fatalf("ParseRole(operator) = %v %v", r, err)
	}
}
