package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/meta"
)

// testServer is a real app on a temporary data dir behind a loopback HTTP server.
type testServer struct {
	t   *testing.T
	a   *App
	url string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerAt(t, t.TempDir())
}

// client is one caller: a session (cookie and CSRF token), a secret key, or nobody.
type client struct {
	s       *testServer
	session string
	csrf    string
	key     string
	header  map[string]string // extra request headers
}

// reply is an answer, decoded.
type reply struct {
	status int
	raw    string
	body   map[string]any
	header http.Header
}

func (r reply) code() string  { return r.errField("code") }
func (r reply) field() string { return r.errField("field") }

func (r reply) errField(k string) string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e[k].(string)
	return s
}

func (r reply) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// do sends body (a string is sent as is, anything else as JSON) with the client's
// credentials; unsafe methods of a session carry its CSRF token.
func (c *client) do(method, path string, body any) reply {
	c.s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.url+path, rd)
	if err != nil {
		c.s.t.Fatal(err)
	}
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.session})
	}
	if c.csrf != "" && method != "GET" {
		req.Header.Set(auth.CSRFHeader, c.csrf)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw), header: resp.Header}
	json.Unmarshal(raw, &r.body)
	return r
}

// signedIn returns a client of the session that r (a sign-in or set-up answer) started.
func (s *testServer) signedIn(r reply) *client {
	s.t.Helper()
	ck := r.cookie(auth.SessionCookie)
	csrf, _ := r.body["csrf_token"].(string)
	if r.status/100 != 2 || ck == nil || csrf == "" {
		s.t.Fatalf("no session in %d %s", r.status, r.raw)
	}
	if cc := r.cookie(auth.CSRFCookie); cc == nil || cc.Value != csrf {
		s.t.Fatalf("CSRF cookie %v does not match csrf_token %q", cc, csrf)
	}
	return &client{s: s, session: ck.Value, csrf: csrf}
}

func (s *testServer) anon() *client { return &client{s: s} }

func (s *testServer) login(email, pw string) *client {
	s.t.Helper()
	return s.signedIn(s.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": pw}))
}

// expect fails the test unless r has the status and, when given, the error code and field.
func expect(t *testing.T, what string, r reply, status int, codeField ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
	if len(codeField) > 0 && r.code() != codeField[0] {
		t.Fatalf("%s: code %q, want %q: %s", what, r.code(), codeField[0], r.raw)
	}
	if len(codeField) > 1 && r.field() != codeField[1] {
		t.Fatalf("%s: field %q, want %q: %s", what, r.field(), codeField[1], r.raw)
	}
}

// world is a set-up server: project A with one member of each role and its secret key,
// project B owned by an outsider, and a user "extra" who belongs to no project yet.
type world struct {
	s                *testServer
	pa, pb           uint32
	skA, skB         string
	clients          map[string]*client
	extraID, ownerID int64
}

const pw = "s3cret-passw0rd"

func newWorld(t *testing.T) *world {
	s := newTestServer(t)
	w := &world{s: s, clients: map[string]*client{}}
	setup := s.anon().do("POST", "/api/v1/setup", map[string]string{"email": "owner@shop.cn", "password": pw, "name": "店主"})
	owner := s.signedIn(setup)
	w.ownerID = int64(setup.body["user"].(map[string]any)["id"].(float64))
	w.clients["owner"] = owner
	create := func(name string) (uint32, string) {
		r := owner.do("POST", "/api/v1/projects", map[string]string{"name": name})
		expect(t, "create "+name, r, 201)
		return uint32(r.body["project"].(map[string]any)["id"].(float64)), r.body["secret_key"].(string)
	}
	w.pa, w.skA = create("A")
	w.pb, w.skB = create("B")
	add := func(by *client, project uint32, email, role string) reply {
		r := by.do("POST", fmt.Sprintf("/api/v1/projects/%d/members", project),
			map[string]string{"email": email, "role": role, "password": pw})
		expect(t, "add "+email, r, 201)
		return r
	}
	for _, role := range []string{"admin", "analyst", "operator", "viewer"} {
		add(owner, w.pa, role+"@shop.cn", role)
		w.clients[role] = s.login(role+"@shop.cn", pw)
	}
	add(owner, w.pb, "outsider@other.cn", "owner")
	w.clients["outsider"] = s.login("outsider@other.cn", pw)
	// The owner leaves B, so that B's owner is the outsider alone.
	expect(t, "owner leaves B", owner.do("DELETE", fmt.Sprintf("/api/v1/projects/%d/members/%d", w.pb, w.ownerID), nil), 204)
	r := add(w.clients["outsider"], w.pb, "extra@shop.cn", "viewer")
	w.extraID = int64(r.body["user_id"].(float64))
	expect(t, "extra leaves B", w.clients["outsider"].do("DELETE", fmt.Sprintf("/api/v1/projects/%d/members/%d", w.pb, w.extraID), nil), 204)
	w.clients["key"] = &client{s: s, key: w.skA}
	w.clients["key of B"] = &client{s: s, key: w.skB}
	w.clients["nobody"] = s.anon()
	return w
}

// TestAccessMatrix sends every project endpoint as every kind of caller: each role may do
// what the permission table allows and nothing more, and callers of another project get 404.
func TestAccessMatrix(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	m := w.s.a.Meta
	extraIn := func() { m.AddMember(ctx, w.pa, w.extraID, "viewer") }
	extraOut := func() { m.RemoveMember(ctx, w.pa, w.extraID) }
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	extra := fmt.Sprintf("%s/members/%d", p, w.extraID)
	endpoints := []struct {
		method, path string
		body         any
		min          auth.Role // the lowest role allowed: the spec, written out rather than read from the table
		status       int
		code         string // expected error code when allowed, if the answer is an error
		before       func()
	}{
		{"GET", p, nil, auth.Viewer, 200, "", nil},
		{"GET", p + "/status", nil, auth.Viewer, 200, "", nil},
		{"POST", p + "/query", map[string]any{"kind": "trends", "series": []any{map[string]any{"event": "Order Completed"}},
			"date_range": map[string]any{"from": "-7d"}}, auth.Viewer, 200, "", nil},
		{"DELETE", p + "/persons/nobody", nil, auth.Admin, 404, "person_not_found", nil},
		{"PATCH", p, map[string]any{"timezone": "Asia/Shanghai"}, auth.Admin, 200, "", nil},
		{"POST", p + "/keys/rotate", map[string]any{"key": "write"}, auth.Admin, 200, "", nil},
		{"GET", p + "/members", nil, auth.Admin, 200, "", nil},
		{"POST", p + "/members", map[string]any{"email": "extra@shop.cn", "role": "viewer"}, auth.Admin, 201, "", extraOut},
		{"PATCH", extra, map[string]any{"role": "analyst"}, auth.Admin, 200, "", extraIn},
		{"DELETE", extra, nil, auth.Admin, 204, "", extraIn},
		// The console's data pages: definitions and the tracking plan, insights and
		// dashboards, live events, persons, imports.
		{"GET", p + "/definitions/events", nil, auth.Viewer, 200, "", nil},
		{"GET", p + "/definitions/properties", nil, auth.Viewer, 200, "", nil},
		{"PATCH", p + "/definitions/events/Order%20Completed", map[string]any{"display_name": "支付订单"}, auth.Analyst, 200, "", nil},
		{"PATCH", p + "/definitions/properties/total", map[string]any{"description": "实付金额"}, auth.Analyst, 200, "", nil},
		{"GET", p + "/insights", nil, auth.Viewer, 200, "", nil},
		{"POST", p + "/insights", map[string]any{"name": "orders", "spec": map[string]any{"kind": "trends",
			"series": []any{map[string]any{"event": "Order Completed"}}, "date_range": map[string]any{"from": "-7d"}}}, auth.Analyst, 201, "", nil},
		{"GET", p + "/dashboards", nil, auth.Viewer, 200, "", nil},
		{"POST", p + "/dashboards", map[string]any{"name": "运营周报"}, auth.Analyst, 201, "", nil},
		{"GET", p + "/live/summary", nil, auth.Viewer, 200, "", nil},
		{"GET", p + "/persons?q=u", nil, auth.Operator, 200, "", nil},
		{"GET", p + "/persons/nobody", nil, auth.Operator, 404, "person_not_found", nil},
		{"GET", p + "/persons/nobody/events", nil, auth.Operator, 404, "person_not_found", nil},
		{"POST", p + "/funnel/persons", map[string]any{"step": 1, "spec": map[string]any{"kind": "funnel", "date_range": map[string]any{"from": "-7d"},
			"steps": []any{map[string]any{"event": "Product Viewed"}, map[string]any{"event": "Order Completed"}}}}, auth.Operator, 200, "", nil},
		{"POST", p + "/trends/persons", map[string]any{"series": "A", "spec": map[string]any{"kind": "trends", "date_range": map[string]any{"from": "-7d"},
			"series": []any{map[string]any{"event": "Order Completed"}}}}, auth.Operator, 200, "", nil},
		{"POST", p + "/retention/persons", map[string]any{"cohort": "1999-01-01", "spec": map[string]any{"kind": "retention", "date_range": map[string]any{"from": "-7d"},
			"start_event": map[string]any{"event": "App Launched"}, "return_event": map[string]any{"event": "App Launched"}}}, auth.Operator, 400, "invalid_value", nil},
		{"GET", p + "/import-presets", nil, auth.Admin, 200, "", nil},
		{"GET", p + "/imports", nil, auth.Admin, 200, "", nil},
		{"GET", p + "/imports/1", nil, auth.Admin, 404, "import_not_found", nil},
	}
	roleOf := map[string]auth.Role{"owner": auth.Owner, "admin": auth.Admin, "analyst": auth.Analyst,
		"operator": auth.Operator, "viewer": auth.Viewer, "key": auth.Admin}
	callers := []string{"owner", "admin", "analyst", "operator", "viewer", "key", "outsider", "key of B", "nobody"}
	for _, e := range endpoints {
		for _, who := range callers {
			t.Run(fmt.Sprintf("%s %s as %s", e.method, strings.TrimPrefix(e.path, p), who), func(t *testing.T) {
				if e.before != nil {
					e.before()
				}
				before, _ := m.Project(ctx, w.pa)
				r := w.clients[who].do(e.method, e.path, e.body)
				role, member := roleOf[who]
				switch {
				case who == "nobody":
					expect(t, "no credentials", r, 401, "missing_secret_key")
				case !member:
					expect(t, "another project's caller", r, 404, "project_not_found")
				case role.AtLeast(e.min):
					expect(t, "allowed", r, e.status, e.code)
				default:
					expect(t, "refused", r, 403, "forbidden")
				}
				if after, _ := m.Project(ctx, w.pa); r.status >= 400 && *after != *before {
					t.Fatalf("a refused request changed the project: %+v → %+v", before, after)
				}
			})
		}
	}
	// The same unsafe requests from a signed-in owner without the CSRF token are refused.
	noCSRF := &client{s: w.s, session: w.clients["owner"].session}
	for _, e := range endpoints {
		if e.method == "GET" {
			continue
		}
		if e.before != nil {
			e.before()
		}
		expect(t, e.method+" "+e.path+" without CSRF token", noCSRF.do(e.method, e.path, e.body), 403, "csrf_failed", auth.CSRFHeader)
	}
	// …and so are those that say they come from another site.
	crossSite := *w.clients["owner"]
	crossSite.header = map[string]string{"Sec-Fetch-Site": "cross-site"}
	expect(t, "cross-site request with the token", crossSite.do("POST", p+"/keys/rotate", map[string]string{"key": "write"}), 403, "csrf_failed")
}

// TestMyProjects checks that the project list shows only the caller's projects and that
// creating one makes the caller its owner.
func TestMyProjects(t *testing.T) {
	w := newWorld(t)
	names := func(c *client) string {
		r := c.do("GET", "/api/v1/projects", nil)
		expect(t, "list", r, 200)
		var out []string
		for _, p := range r.body["projects"].([]any) {
			pm := p.(map[string]any)
			out = append(out, fmt.Sprintf("%s:%s", pm["name"], pm["role"]))
		}
		return strings.Join(out, ",")
	}
	for who, want := range map[string]string{"owner": "A:owner", "viewer": "A:viewer", "outsider": "B:owner"} {
		if got := names(w.clients[who]); got != want {
			t.Errorf("%s sees %q, want %q", who, got, want)
		}
	}
	v := w.clients["viewer"]
	r := v.do("POST", "/api/v1/projects", map[string]string{"name": "观察者的店", "timezone": "Europe/Berlin", "currency": "eur"})
	expect(t, "viewer creates a project", r, 201)
	sk := r.body["secret_key"].(string)
	proj := r.body["project"].(map[string]any)
	if proj["role"] != "owner" || proj["currency"] != "EUR" || !strings.HasPrefix(sk, "sk_") {
		t.Fatalf("created: %s", r.raw)
	}
	if got := names(v); got != "A:viewer,观察者的店:owner" {
		t.Fatalf("viewer now sees %q", got)
	}
	id := int(proj["id"].(float64))
	expect(t, "secret key of the new project", (&client{s: w.s, key: sk}).do("GET", fmt.Sprintf("/api/v1/projects/%d", id), nil), 200)
	expect(t, "key on a user endpoint", w.clients["key"].do("GET", "/api/v1/projects", nil), 401, "unauthenticated")
	expect(t, "nobody lists", w.s.anon().do("GET", "/api/v1/projects", nil), 401, "unauthenticated")
	me := v.do("GET", "/api/v1/auth/me", nil)
	expect(t, "me", me, 200)
	if me.body["user"].(map[string]any)["email"] != "viewer@shop.cn" || len(me.body["projects"].([]any)) != 2 ||
		me.body["csrf_token"] != v.csrf || len(me.body["permissions"].([]any)) == 0 {
		t.Fatalf("me: %s", me.raw)
	}
	if strings.Contains(me.raw, "argon2") || strings.Contains(me.raw, "password") {
		t.Fatalf("me leaks the password hash: %s", me.raw)
	}
}

func TestSetupOnce(t *testing.T) {
	s := newTestServer(t)
	demo, _, err := s.a.Meta.CreateProject(context.Background(), meta.NewProject{Name: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	a := s.anon()
	r := a.do("GET", "/api/v1/setup", nil)
	if r.status != 200 || r.body["needed"] != true {
		t.Fatalf("setup needed: %s", r.raw)
	}
	expect(t, "me before setup", a.do("GET", "/api/v1/auth/me", nil), 401, "unauthenticated")
	expect(t, "short password", a.do("POST", "/api/v1/setup", map[string]string{"email": "o@x.cn", "password": "short"}), 400, "invalid_value", "password")
	expect(t, "no email", a.do("POST", "/api/v1/setup", map[string]string{"password": pw}), 400, "missing_field", "email")
	expect(t, "bad email", a.do("POST", "/api/v1/setup", map[string]string{"email": "o at x", "password": pw}), 400, "invalid_value", "email")
	r = a.do("POST", "/api/v1/setup", map[string]string{"email": " Owner@X.cn ", "password": pw})
	expect(t, "setup", r, 201)
	owner := s.signedIn(r)
	if ps := r.body["projects"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] != float64(demo.ID) ||
		ps[0].(map[string]any)["role"] != "owner" {
		t.Fatalf("the first user does not own the existing project: %s", r.raw)
	}
	if u := r.body["user"].(map[string]any); u["email"] != "owner@x.cn" || u["name"] != "owner" {
		t.Fatalf("user: %v", u)
	}
	expect(t, "second setup", a.do("POST", "/api/v1/setup", map[string]string{"email": "evil@x.cn", "password": pw}), 409, "already_set_up")
	if r := a.do("GET", "/api/v1/setup", nil); r.body["needed"] != false {
		t.Fatalf("setup still needed: %s", r.raw)
	}
	expect(t, "owner reads the demo project", owner.do("GET", fmt.Sprintf("/api/v1/projects/%d", demo.ID), nil), 200)
	evil := &client{s: s, header: map[string]string{"Origin": "https://evil.example"}}
	expect(t, "cross-site setup", evil.do("POST", "/api/v1/setup", `{}`), 403, "csrf_failed")
	expect(t, "cross-site sign-in", evil.do("POST", "/api/v1/auth/login", map[string]string{"email": "owner@x.cn", "password": pw}), 403, "csrf_failed")
}

func TestLoginLogoutAndThrottle(t *testing.T) {
	s := newTestServer(t)
	s.signedIn(s.anon().do("POST", "/api/v1/setup", map[string]string{"email": "o@x.cn", "password": pw}))
	a := s.anon()
	login := func(email, password string) reply {
		return a.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	}
	unknown := login("nobody@x.cn", pw)
	expect(t, "unknown email", unknown, 401, "invalid_credentials")
	c := s.login("O@X.cn", pw) // emails are case-insensitive
	c2 := s.login("o@x.cn", pw)
	expect(t, "me", c.do("GET", "/api/v1/auth/me", nil), 200)
	expect(t, "logout without CSRF", (&client{s: s, session: c.session}).do("POST", "/api/v1/auth/logout", nil), 403, "csrf_failed")
	r := c.do("POST", "/api/v1/auth/logout", nil)
	expect(t, "logout", r, 204)
	if ck := r.cookie(auth.SessionCookie); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("logout did not clear the cookie: %v", r.header)
	}
	expect(t, "me after logout", c.do("GET", "/api/v1/auth/me", nil), 401, "unauthenticated")
	expect(t, "logout again", c.do("POST", "/api/v1/auth/logout", nil), 401, "unauthenticated")
	expect(t, "the other session lives on", c2.do("GET", "/api/v1/auth/me", nil), 200)

	// Throttling: wrong passwords answer exactly as unknown emails, then 429 for the email.
	for i := 0; i < 5; i++ {
		r := login("o@x.cn", "wrong-password")
		if r.status != 401 || r.raw != unknown.raw {
			t.Fatalf("wrong password %d: %d %s; unknown email: %s", i+1, r.status, r.raw, unknown.raw)
		}
	}
	r = login("o@x.cn", pw)
	expect(t, "right password after 5 failures", r, 429, "rate_limited")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("no Retry-After: %v", r.header)
	}
	expect(t, "another email is not blocked", login("nobody@x.cn", pw), 401, "invalid_credentials")
	expect(t, "sessions are not affected", c2.do("GET", "/api/v1/auth/me", nil), 200)
}

func TestPasswordChange(t *testing.T) {
	s := newTestServer(t)
	s.signedIn(s.anon().do("POST", "/api/v1/setup", map[string]string{"email": "o@x.cn", "password": pw}))
	c1, c2 := s.login("o@x.cn", pw), s.login("o@x.cn", pw)
	change := func(cur, next string) reply {
		return c1.do("POST", "/api/v1/auth/password", map[string]string{"current_password": cur, "new_password": next})
	}
	expect(t, "wrong current", change("nope-nope", "new-password-1"), 400, "invalid_credentials", "current_password")
	expect(t, "short new", change(pw, "short"), 400, "invalid_value", "new_password")
	expect(t, "missing current", c1.do("POST", "/api/v1/auth/password", map[string]string{"new_password": "new-password-1"}), 400, "missing_field", "current_password")
	expect(t, "still signed in elsewhere", c2.do("GET", "/api/v1/auth/me", nil), 200)
	expect(t, "change", change(pw, "new-password-1"), 204)
	expect(t, "this session lives", c1.do("GET", "/api/v1/auth/me", nil), 200)
	expect(t, "other session ended", c2.do("GET", "/api/v1/auth/me", nil), 401, "unauthenticated")
	expect(t, "old password", s.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "o@x.cn", "password": pw}), 401, "invalid_credentials")
	s.login("o@x.cn", "new-password-1")
}

func TestMemberRules(t *testing.T) {
	w := newWorld(t)
	owner, admin := w.clients["owner"], w.clients["admin"]
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	me := fmt.Sprintf("%s/members/%d", p, w.ownerID)
	expect(t, "admin adds an owner", admin.do("POST", p+"/members", map[string]string{"email": "extra@shop.cn", "role": "owner"}), 403, "forbidden")
	expect(t, "admin demotes the owner", admin.do("PATCH", me, map[string]string{"role": "viewer"}), 403, "forbidden")
	expect(t, "admin removes the owner", admin.do("DELETE", me, nil), 403, "forbidden")
	expect(t, "key removes the owner", w.clients["key"].do("DELETE", me, nil), 403, "forbidden")
	expect(t, "last owner demotes self", owner.do("PATCH", me, map[string]string{"role": "admin"}), 409, "last_owner")
	expect(t, "last owner leaves", owner.do("DELETE", me, nil), 409, "last_owner")
	expect(t, "add a member twice", owner.do("POST", p+"/members", map[string]string{"email": "viewer@shop.cn", "role": "viewer"}), 409, "member_exists", "email")
	expect(t, "add an unknown user", owner.do("POST", p+"/members", map[string]string{"email": "new@shop.cn", "role": "viewer"}), 404, "user_not_found", "email")
	expect(t, "reset a password by adding", admin.do("POST", p+"/members", map[string]string{"email": "outsider@other.cn", "role": "viewer", "password": "taken-over!"}), 409, "email_taken", "email")
	expect(t, "unknown member", owner.do("PATCH", p+"/members/999", map[string]string{"role": "viewer"}), 404, "member_not_found")
	expect(t, "bad member id", owner.do("DELETE", p+"/members/abc", nil), 404, "member_not_found")
	expect(t, "outsider is no member of A", owner.do("DELETE", fmt.Sprintf("%s/members/%d", p, w.extraID), nil), 404, "member_not_found")
	// An owner can hand over: make the admin owner, then step down.
	adminID := int64(0)
	r := owner.do("GET", p+"/members", nil)
	for _, m := range r.body["members"].([]any) {
		if mm := m.(map[string]any); mm["email"] == "admin@shop.cn" {
			adminID = int64(mm["user_id"].(float64))
		}
	}
	expect(t, "promote admin", owner.do("PATCH", fmt.Sprintf("%s/members/%d", p, adminID), map[string]string{"role": "owner"}), 200)
	expect(t, "step down", owner.do("PATCH", me, map[string]string{"role": "viewer"}), 200)
	expect(t, "the former owner cannot manage keys", owner.do("POST", p+"/keys/rotate", map[string]string{"key": "write"}), 403, "forbidden")
}

func TestKeyRotation(t *testing.T) {
	w := newWorld(t)
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	r := w.clients["admin"].do("POST", p+"/keys/rotate", map[string]string{"key": "secret"})
	expect(t, "rotate secret", r, 200)
	sk := r.body["secret_key"].(string)
	expect(t, "old key", w.clients["key"].do("GET", p, nil), 401, "invalid_secret_key")
	fresh := &client{s: w.s, key: sk}
	expect(t, "new key", fresh.do("GET", p, nil), 200)
	old := fresh.do("GET", p, nil).body["write_key"]
	r = fresh.do("POST", p+"/keys/rotate", map[string]string{"key": "write"})
	expect(t, "rotate write with the key", r, 200)
	if nw := fresh.do("GET", p, nil).body["write_key"]; nw == old || nw != r.body["write_key"] {
		t.Fatalf("write key %v → %v, answer %s", old, nw, r.raw)
	}
	if _, err := w.s.a.Meta.ProjectByWriteKey(context.Background(), old.(string)); err == nil {
		t.Fatal("the old write key still resolves")
	}
}

// TestBadInput sends malformed, empty, huge, mistyped and unknown input to every endpoint
// that takes a body: each gets a 4xx naming the field where there is one.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	owner := w.clients["owner"]
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	huge := `{"email":"` + strings.Repeat("a", 70<<10) + `"}`
	cases := []struct {
		method, path, body string
		status             int
		code, field        string
	}{
		{"POST", "/api/v1/auth/login", ``, 400, "empty_body", ""},
		{"POST", "/api/v1/auth/login", `{"email":`, 400, "malformed_json", ""},
		{"POST", "/api/v1/auth/login", `[]`, 400, "invalid_type", ""},
		{"POST", "/api/v1/auth/login", `null`, 400, "invalid_type", ""},
		{"POST", "/api/v1/auth/login", `{"email":"a@b.c","password":"x"} {}`, 400, "malformed_json", ""},
		{"POST", "/api/v1/auth/login", `{"email":1,"password":"x"}`, 400, "invalid_type", "email"},
		{"POST", "/api/v1/auth/login", `{"email":"a@b.c","password":"x","remember":true}`, 400, "unknown_field", "remember"},
		{"POST", "/api/v1/auth/login", `{"password":"x"}`, 400, "missing_field", "email"},
		{"POST", "/api/v1/auth/login", `{"email":"a@b.c"}`, 400, "missing_field", "password"},
		{"POST", "/api/v1/auth/login", `{"email":"a@b.c","password":"` + strings.Repeat("p", 300) + `"}`, 400, "too_long", "password"},
		{"POST", "/api/v1/auth/login", huge, 413, "body_too_large", ""},
		{"POST", "/api/v1/auth/password", `{"current_password":true}`, 400, "invalid_type", "current_password"},
		{"POST", "/api/v1/projects", `{}`, 400, "invalid_field", "name"},
		{"POST", "/api/v1/projects", `{"name":"x","timezone":"Mars/Olympus"}`, 400, "invalid_field", "timezone"},
		{"POST", "/api/v1/projects", `{"name":"x","currency":"yuan"}`, 400, "invalid_field", "currency"},
		{"POST", "/api/v1/projects", `{"name":"` + strings.Repeat("名", 201) + `"}`, 400, "invalid_field", "name"},
		{"POST", "/api/v1/projects", `{"name":"x","owner":"me"}`, 400, "unknown_field", "owner"},
		{"PATCH", p, `{}`, 400, "missing_field", "name"},
		{"PATCH", p, `{"timezone":""}`, 400, "invalid_field", "timezone"},
		{"PATCH", p, `{"currency":7}`, 400, "invalid_type", "currency"},
		{"PATCH", p, `{"write_key":"wk_mine"}`, 400, "unknown_field", "write_key"},
		{"POST", p + "/keys/rotate", `{}`, 400, "missing_field", "key"},
		{"POST", p + "/keys/rotate", `{"key":"master"}`, 400, "invalid_value", "key"},
		{"POST", p + "/members", `{"email":"extra@shop.cn"}`, 400, "missing_field", "role"},
		{"POST", p + "/members", `{"email":"extra@shop.cn","role":"god"}`, 400, "invalid_value", "role"},
		{"POST", p + "/members", `{"email":"","role":"viewer"}`, 400, "missing_field", "email"},
		{"POST", p + "/members", `{"email":"` + strings.Repeat("a", 250) + `@x.cn","role":"viewer"}`, 400, "too_long", "email"},
		{"POST", p + "/members", `{"email":"new@x.cn","role":"viewer","password":"short"}`, 400, "invalid_value", "password"},
		{"POST", p + "/members", `{"email":"new@x.cn","role":"viewer","password":"long-enough","name":"a\u0000b"}`, 400, "invalid_value", "name"},
		{"POST", p + "/members", `{"email":"new@x.cn","role":["viewer"]}`, 400, "invalid_type", "role"},
		{"PATCH", fmt.Sprintf("%s/members/%d", p, w.ownerID), `{"role":"sudo"}`, 400, "invalid_value", "role"},
		{"PATCH", fmt.Sprintf("%s/members/%d", p, w.ownerID), `{"role":"owner","extra":1}`, 400, "unknown_field", "extra"},
	}
	for _, c := range cases {
		r := owner.do(c.method, c.path, c.body)
		if r.status != c.status || r.code() != c.code || r.field() != c.field {
			t.Errorf("%s %s %.60q: %d %s %q, want %d %s %q (%s)", c.method, c.path, c.body, r.status, r.code(), r.field(),
				c.status, c.code, c.field, r.raw)
		}
	}
	// Nothing above changed the project or added a user.
	proj, _ := w.s.a.Meta.Project(context.Background(), w.pa)
	if proj.Name != "A" || proj.Timezone != "Asia/Shanghai" || proj.Currency != "CNY" {
		t.Fatalf("bad input changed the project: %+v", proj)
	}
	if _, err := w.s.a.Meta.UserByEmail(context.Background(), "new@x.cn"); err == nil {
		t.Fatal("bad input created a user")
	}
}

func TestUserCLI(t *testing.T) {
	dir := t.TempDir()
	cli := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, append(args, "--data", dir))
		return code, out.String(), errb.String()
	}
	if code, _, _ := cli("", "project", "create", "demo"); code != 0 {
		t.Fatal("project create failed")
	}
	if code, _, stderr := cli(pw+"\n", "user", "create", "o@x.cn"); code != 2 || !strings.Contains(stderr, "--password-stdin") {
		t.Fatalf("without --password-stdin: %d %s", code, stderr)
	}
	if code, _, stderr := cli("short\n", "user", "create", "o@x.cn", "--password-stdin"); code != 2 || !strings.Contains(stderr, "password") {
		t.Fatalf("short password: %d %s", code, stderr)
	}
	code, out, stderr := cli(pw+"\n", "user", "create", "o@x.cn", "--password-stdin", "--name", "店主")
	if code != 0 || !strings.Contains(out, `"owner_of": [`) || !strings.Contains(out, `"name": "店主"`) {
		t.Fatalf("first user: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cli(pw, "user", "create", "O@x.cn", "--password-stdin"); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("duplicate: %d %s", code, stderr)
	}
	if code, _, stderr := cli(pw, "user", "create", "b@x.cn", "--password-stdin", "--owner-of", "7"); code != 1 || !strings.Contains(stderr, "project 7") {
		t.Fatalf("unknown project: %d %s", code, stderr)
	}
	if code, out, stderr := cli(pw, "user", "create", "b@x.cn", "--password-stdin", "--owner-of", "1"); code != 0 {
		t.Fatalf("second user: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli("", "user", "list")
	var users []struct {
		Email    string
		Projects []struct {
			ID   uint32
			Role string
		}
	}
	if err := json.Unmarshal([]byte(out), &users); code != 0 || err != nil {
		t.Fatalf("user list: %d %v %s", code, err, out)
	}
	if len(users) != 2 || users[0].Email != "o@x.cn" || len(users[0].Projects) != 1 || users[0].Projects[0].Role != "owner" ||
		users[1].Email != "b@x.cn" || len(users[1].Projects) != 1 || users[1].Projects[0].ID != 1 {
		t.Fatalf("user list: %s", out)
	}
	// The user made on the command line signs in to the server.
	s := newTestServerAt(t, dir)
	s.login("o@x.cn", pw)
}

// newTestServerAt is newTestServer on an existing data dir.
func newTestServerAt(t *testing.T, dir string) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	return newTestServerWith(t, cfg)
}

// newTestServerWith is newTestServer with a configuration of the caller's.
func newTestServerWith(t *testing.T, cfg Config) *testServer {
	t.Helper()
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &testServer{t: t, a: a, url: srv.URL}
}

// TestRotatedWriteKeyIsRefusedAtOnce: the collector caches write keys for 10 s; rotating
// the write key revokes the old one immediately all the same.
func TestRotatedWriteKeyIsRefusedAtOnce(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer func() {
		srv.Close()
		a.Close()
	}()
	s := &testServer{t: t, a: a, url: srv.URL}
	owner := s.signedIn(s.anon().do("POST", "/api/v1/setup", map[string]string{"email": "owner@shop.cn", "password": pw, "name": "店主"}))
	r := owner.do("POST", "/api/v1/projects", map[string]string{"name": "A"})
	expect(t, "create", r, 201)
	id := int64(r.body["project"].(map[string]any)["id"].(float64))
	old := r.body["project"].(map[string]any)["write_key"].(string)
	track := func(key string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/track", strings.NewReader(`{"userId":"u1","event":"Order Completed"}`))
		req.SetBasicAuth(key, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := track(old); st != 200 {
		t.Fatalf("track with the write key: %d, want 200", st)
	}
	r = owner.do("POST", fmt.Sprintf("/api/v1/projects/%d/keys/rotate", id), map[string]string{"key": "write"})
	expect(t, "rotate write", r, 200)
	if st := track(old); st != 401 {
		t.Fatalf("track with the rotated write key: %d, want 401", st)
	}
	if st := track(r.body["write_key"].(string)); st != 200 {
		t.Fatalf("track with the new write key: %d, want 200", st)
	}
}
