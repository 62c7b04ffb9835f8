package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/meta"
)

// guardEnv is a guard on a real metadata store behind a loopback server, with a clock the
// test moves.
type guardEnv struct {
	t     *testing.T
	store *meta.Store
	g     *Guard
	url   string

	mu  sync.Mutex
	now time.Time
}

func newGuardEnv(t *testing.T) *guardEnv {
	t.Helper()
	s, err := meta.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &guardEnv{t: t, store: s, now: time.Now().Truncate(time.Second)}
	e.g = New(s, Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour, Hash: HashParams{MemoryKiB: 1024, Time: 1},
		Now: func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", e.g.Public(func(w http.ResponseWriter, r *http.Request) error {
		p, err := e.g.Login(w, r, r.FormValue("email"), r.FormValue("password"))
		if err != nil {
			return err
		}
		w.Header().Set("X-Test-CSRF", p.CSRFToken())
		return nil
	}))
	mux.HandleFunc("GET /me", e.g.Session(func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		io.WriteString(w, p.User.Email)
		return nil
	}))
	mux.HandleFunc("/p/{project}/read", e.g.Project(QueryRead, func(w http.ResponseWriter, r *http.Request, a *Access) error {
		io.WriteString(w, string(a.Role))
		return nil
	}))
	mux.HandleFunc("/p/{project}/delete", e.g.Project(ProjectDelete, func(w http.ResponseWriter, r *http.Request, a *Access) error {
		return nil
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *guardEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

type answer struct {
	status int
	code   string
	body   string
	header http.Header
}

// do sends a request with optional session cookie, CSRF header and extra headers.
func (e *guardEnv) do(method, path, session, csrf string, hdr ...string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: session})
	}
	if csrf != "" {
		req.Header.Set(CSRFHeader, csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(b, &v)
	return answer{resp.StatusCode, v.Error.Code, string(b), resp.Header}
}

// login signs in and returns the session token and CSRF token.
func (e *guardEnv) login(email, pw string, hdr ...string) (string, string, answer) {
	e.t.Helper()
	a := e.do("POST", "/login?email="+email+"&password="+pw, "", "", hdr...)
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == SessionCookie {
			return c.Value, a.header.Get("X-Test-CSRF"), a
		}
	}
	return "", "", a
}

func (e *guardEnv) user(email, pw string) *meta.User {
	e.t.Helper()
	hash, err := e.g.Hasher().Hash(context.Background(), pw)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.store.CreateUser(context.Background(), meta.NewUser{Email: email, Name: "n", PasswordHash: hash})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func TestSessionExpiry(t *testing.T) {
	e := newGuardEnv(t)
	e.user("a@x.io", "password-a")
	tok, _, a := e.login("a@x.io", "password-a")
	if tok == "" {
		t.Fatalf("no session cookie: %+v", a)
	}
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == SessionCookie && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/") {
			t.Fatalf("session cookie attributes: %+v", c)
		}
		if c.Name == CSRFCookie && c.HttpOnly {
			t.Fatal("the CSRF cookie must be readable by the console")
		}
	}
	// Activity slides the idle expiry (1 h) up to the maximum age (3 h).
	for _, d := range []time.Duration{50, 50, 50, 25} {
		e.advance(d * time.Minute)
		if got := e.do("GET", "/me", tok, ""); got.status != 200 || got.body != "a@x.io" {
			t.Fatalf("after another %d min: %+v", d, got)
		}
	}
	e.advance(10 * time.Minute) // 185 min after sign-in: past the 3 h maximum, though active
	if got := e.do("GET", "/me", tok, ""); got.status != 401 || got.code != "unauthenticated" {
		t.Fatalf("session past its maximum age: %+v", got)
	} else if !strings.Contains(got.header.Get("Set-Cookie"), SessionCookie+"=;") {
		t.Fatalf("expired session's cookie not cleared: %q", got.header.Get("Set-Cookie"))
	}
	// Idle expiry.
	tok, _, _ = e.login("a@x.io", "password-a")
	e.advance(61 * time.Minute)
	if got := e.do("GET", "/me", tok, ""); got.status != 401 {
		t.Fatalf("idle session: %+v", got)
	}
	if got := e.do("GET", "/me", strings.Repeat("x", 500), ""); got.status != 401 {
		t.Fatalf("oversized cookie: %+v", got)
	}
}

func TestGuardProject(t *testing.T) {
	e := newGuardEnv(t)
	ctx := context.Background()
	u := e.user("v@x.io", "password-v")
	p, sk, _ := e.store.CreateProject(ctx, meta.NewProject{Name: "p"})
	q, skq, _ := e.store.CreateProject(ctx, meta.NewProject{Name: "q"})
	if err := e.store.AddMember(ctx, p.ID, u.ID, "viewer"); err != nil {
		t.Fatal(err)
	}
	tok, csrf, _ := e.login("v@x.io", "password-v")
	pp, qp := "/p/"+strconv.Itoa(int(p.ID)), "/p/"+strconv.Itoa(int(q.ID))
	cases := []struct {
		name, method, path, session, csrf string
		hdr                               []string
		status                            int
		code                              string
	}{
		{"viewer reads", "GET", pp + "/read", tok, "", nil, 200, ""},
		{"viewer posts with token", "POST", pp + "/read", tok, csrf, nil, 200, ""},
		{"viewer posts without token", "POST", pp + "/read", tok, "", nil, 403, "csrf_failed"},
		{"viewer posts with a wrong token", "POST", pp + "/read", tok, csrf + "x", nil, 403, "csrf_failed"},
		{"viewer posts cross-site", "POST", pp + "/read", tok, csrf, []string{"Sec-Fetch-Site", "cross-site"}, 403, "csrf_failed"},
		{"viewer posts from another origin", "POST", pp + "/read", tok, csrf, []string{"Origin", "https://evil.example"}, 403, "csrf_failed"},
		{"viewer may not delete", "DELETE", pp + "/delete", tok, csrf, nil, 403, "forbidden"},
		{"viewer of p asks q", "GET", qp + "/read", tok, "", nil, 404, "project_not_found"},
		{"viewer asks an unknown project", "GET", "/p/999/read", tok, "", nil, 404, "project_not_found"},
		{"viewer asks a bad id", "GET", "/p/abc/read", tok, "", nil, 404, "project_not_found"},
		{"key reads as admin", "GET", pp + "/read", "", "", []string{"Authorization", "Bearer " + sk}, 200, ""},
		{"key posts without CSRF", "POST", pp + "/read", "", "", []string{"Authorization", "Bearer " + sk}, 200, ""},
		{"key may not delete the project", "DELETE", pp + "/delete", "", "", []string{"Authorization", "Bearer " + sk}, 403, "forbidden"},
		{"key of q asks p", "GET", pp + "/read", "", "", []string{"Authorization", "Bearer " + skq}, 404, "project_not_found"},
		{"unknown key", "GET", pp + "/read", "", "", []string{"Authorization", "Bearer sk_nope"}, 401, "invalid_secret_key"},
		{"basic auth", "GET", pp + "/read", "", "", []string{"Authorization", "Basic eDp5"}, 401, "missing_secret_key"},
		{"nothing", "GET", pp + "/read", "", "", nil, 401, "missing_secret_key"},
		{"stale session", "GET", pp + "/read", "deadbeef", "", nil, 401, "unauthenticated"},
		{"key on a session endpoint", "GET", "/me", "", "", []string{"Authorization", "Bearer " + sk}, 401, "unauthenticated"},
	}
	for _, c := range cases {
		got := e.do(c.method, c.path, c.session, c.csrf, c.hdr...)
		if got.status != c.status || got.code != c.code {
			t.Errorf("%s: %d %s, want %d %s (%s)", c.name, got.status, got.code, c.status, c.code, got.body)
		}
		if c.status == 200 && c.session == "" && got.body != "admin" {
			t.Errorf("%s: role %q, want admin", c.name, got.body)
		}
	}
	// Sign-in is refused cross-site (login CSRF), whatever the credentials.
	if _, _, a := e.login("v@x.io", "password-v", "Sec-Fetch-Site", "cross-site"); a.status != 403 || a.code != "csrf_failed" {
		t.Fatalf("cross-site sign-in: %+v", a)
	}
	if tok, _, a := e.login("v@x.io", "password-v", "Origin", e.url); tok == "" {
		t.Fatalf("same-origin sign-in refused: %+v", a)
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newGuardEnv(t)
	e.user("a@x.io", "password-a")
	unknown := e.do("POST", "/login?email=nobody@x.io&password=password-a", "", "")
	for i := 0; i < 5; i++ {
		wrong := e.do("POST", "/login?email=A@x.io&password=wrong-pass", "", "")
		if wrong.status != 401 || wrong.body != unknown.body {
			t.Fatalf("wrong password %d: %+v, unknown email: %+v", i, wrong, unknown)
		}
	}
	blocked := e.do("POST", "/login?email=a@x.io&password=password-a", "", "")
	if blocked.status != 429 || blocked.code != "rate_limited" || blocked.header.Get("Retry-After") != "900" {
		t.Fatalf("6th attempt: %+v %v", blocked, blocked.header)
	}
	e.advance(10 * time.Minute)
	if got := e.do("POST", "/login?email=a@x.io&password=password-a", "", ""); got.header.Get("Retry-After") != "300" {
		t.Fatalf("Retry-After after 10 min: %+v", got)
	}
	e.advance(5 * time.Minute)
	if tok, _, a := e.login("a@x.io", "password-a"); tok == "" {
		t.Fatalf("sign-in after the window: %+v", a)
	}
}

// TestAbandonedRequestIsNotAServerError: a handler failing because its client went away
// (a driver's "interrupted" error, not wrapping the context's) is answered 499 and not
// logged as an error.
func TestAbandonedRequestIsNotAServerError(t *testing.T) {
	s, err := meta.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logs bytes.Buffer
	g := New(s, Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	h := g.Public(func(w http.ResponseWriter, r *http.Request) error {
		return apierr.Internal(errors.New("INTERRUPT Error: Interrupted!"))
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
	if w.Code != apierr.StatusClientClosed || strings.Contains(logs.String(), "ERROR") {
		t.Fatalf("abandoned: %d, log %q", w.Code, logs.String())
	}
	w = httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != 500 || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("failed with its client waiting: %d, log %q", w.Code, logs.String())
	}
}
