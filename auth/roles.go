package auth

import "fmt"

// Role is a member's role in a project. Roles are ranked: owner > admin > analyst > operator
// > viewer, and a role may do everything the roles below it may.
type Role string

// The roles, highest first.
const (
	Owner    Role = "owner"
	Admin    Role = "admin"
	Analyst  Role = "analyst"
	Operator Role = "operator"
	Viewer   Role = "viewer"
)

// Roles returns every role, highest first.
func Roles() []Role { return []Role{Owner, Admin, Analyst, Operator, Viewer} }

func (r Role) rank() int {
	switch r {
	case Owner:
		return 5
	case Admin:
		return 4
	case Analyst:
		return 3
	case Operator:
		return 2
	case Viewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r ranks at or above min. An invalid role is at least nothing.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// ParseRole returns the role named s, or an error naming the valid ones.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q: must be owner, admin, analyst, operator or viewer", s)
	}
	return r, nil
}

// Action is something a request does in a project. Every project endpoint names one, and the
// permission table says which role it needs.
type Action string

// The actions. Those marked "later" have no endpoint yet; they are here so that the endpoints
// that come with the console and campaigns use the agreed minimum role.
const (
	ProjectRead     Action = "project:read"     // read the project's settings and write key
	QueryRead       Action = "query:read"       // run analyses, read status and definitions
	InsightWrite    Action = "insight:write"    // save, change and delete insights and dashboards
	LiveRead        Action = "live:read"        // watch the live event stream (events carry ids and traits)
	PersonsRead     Action = "persons:read"     // search persons, read profiles and timelines
	DefinitionsEdit Action = "definitions:edit" // edit display names and descriptions (tracking plan)
	DataImport      Action = "data:import"      // import event files from the console
	SQLRun          Action = "sql:run"          // the read-only SQL console (later)
	CampaignSend    Action = "campaign:send"    // send campaigns, issue coupons (later)
	PersonsDelete   Action = "persons:delete"   // delete a person's data (PIPL / GDPR)
	ProjectSettings Action = "project:settings" // rename, time zone, currency
	KeysManage      Action = "keys:manage"      // rotate the write and secret keys
	MembersManage   Action = "members:manage"   // list, add, change and remove members
	ProjectDelete   Action = "project:delete"   // delete the project (later)
)

// Permission is one row of the permission table.
type Permission struct {
	Action  Action `json:"action"`
	MinRole Role   `json:"min_role"`
}

// permissions is the permission table: the only place that says who may do what.
var permissions = [...]Permission{
	{ProjectRead, Viewer},
	{QueryRead, Viewer},
	{InsightWrite, Analyst},
	{LiveRead, Operator},
	{PersonsRead, Operator},
	{DefinitionsEdit, Analyst},
	{DataImport, Admin},
	{SQLRun, Analyst},
	{CampaignSend, Operator},
	{PersonsDelete, Admin},
	{ProjectSettings, Admin},
	{KeysManage, Admin},
	{MembersManage, Admin},
	{ProjectDelete, Owner},
}

// Permissions returns a copy of the permission table, in the order above.
func Permissions() []Permission { return append([]Permission(nil), permissions[:]...) }

// MinRole returns the lowest role that may do a; ok is false for an unknown action, which
// nobody may do.
func MinRole(a Action) (Role, bool) {
	for _, p := range permissions {
		if p.Action == a {
			return p.MinRole, true
		}
	}
	return "", false
}

// Allowed reports whether role r may do a.
func Allowed(r Role, a Action) bool {
	min, ok := MinRole(a)
	return ok && r.AtLeast(min)
}
