// Package auth decides who may do what in Jingyun. It owns the roles and the permission table
// (roles.go), password hashing (argon2id), sign-in sessions and their cookies, CSRF
// protection, sign-in throttling, and the middleware that authenticates every management
// request and enforces the minimum role of its action on the server.
//
// A request is authenticated in one of two ways:
//
//   - Authorization: Bearer sk_… — the project's secret key, for scripts. It acts as role
//     admin in that project and nowhere else; a key of another project gets 404. Browsers
//     never send it by themselves, so it needs no CSRF token.
//   - the jingyun_session cookie set by sign-in, for the console. The user's role is their
//     membership of the project in the path; a non-member gets 404, as for a project that does
//     not exist, so project ids cannot be probed. Unsafe methods (anything but GET, HEAD,
//     OPTIONS) must carry the session's CSRF token in the X-CSRF-Token header, and are refused
//     when the browser says the request is cross-site (Sec-Fetch-Site, or Origin).
//
// The CSRF token is an HMAC of a fixed label keyed by the session token: bound to the session
// on the server (unlike a plain double-submit cookie, a cookie planted by a sibling subdomain
// does not help an attacker) and stored nowhere. It is given in the sign-in answer and in the
// readable jingyun_csrf cookie.
//
// The package stores nothing itself (package meta does) and defines no endpoints (package app
// does); it must not build SQL.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/meta"
)

// Config tunes the guard. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// SecureCookies marks cookies Secure on every answer. Without it they are Secure only when
	// the request came over TLS or through a proxy that says X-Forwarded-Proto: https.
	SecureCookies bool
	// SessionIdle ends a session after this long without a request. Default 7 days.
	SessionIdle time.Duration
	// SessionMax ends a session this long after sign-in, however active. Default 30 days.
	SessionMax time.Duration
	// LoginFailures is how many failed sign-ins one email may have from one client address
	// within LoginWindow before further attempts get 429. Default 5.
	LoginFailures int
	// LoginFailuresPerAddr is the same for one client address over all emails. Default 50.
	LoginFailuresPerAddr int
	// LoginWindow is the throttling window. Default 15 minutes.
	LoginWindow time.Duration
	// Hash holds argon2id's costs; zero fields take DefaultHashParams.
	Hash HashParams
	// Now is the clock; nil is time.Now. Tests move it.
	Now func() time.Time
	// Log receives internal errors; nil is slog.Default().
	Log *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{SessionIdle: 7 * 24 * time.Hour, SessionMax: 30 * 24 * time.Hour, LoginFailures: 5,
		LoginFailuresPerAddr: 50, LoginWindow: 15 * time.Minute, Hash: DefaultHashParams(), Now: time.Now, Log: slog.Default()}
}

// Guard authenticates requests and enforces the permission table. Create one per server with
// New; it holds the sign-in throttling counts. Safe for concurrent use.
type Guard struct {
	store   *meta.Store
	cfg     Config
	hasher  *Hasher
	account *Limiter // failures per email and client address
	addr    *Limiter // failures per client address
	pw      *Limiter // wrong current passwords per user

	mu         sync.Mutex
	lastPruned time.Time
}

// New returns a guard over the metadata store.
func New(store *meta.Store, cfg Config) *Guard {
	def := DefaultConfig()
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = def.SessionIdle
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = def.SessionMax
	}
	if cfg.LoginFailures <= 0 {
		cfg.LoginFailures = def.LoginFailures
	}
	if cfg.LoginFailuresPerAddr <= 0 {
		cfg.LoginFailuresPerAddr = def.LoginFailuresPerAddr
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = def.LoginWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Guard{store: store, cfg: cfg, hasher: NewHasher(cfg.Hash),
		account: NewLimiter(cfg.LoginFailures, cfg.LoginWindow, cfg.Now),
		addr:    NewLimiter(cfg.LoginFailuresPerAddr, cfg.LoginWindow, cfg.Now),
		pw:      NewLimiter(cfg.LoginFailures, cfg.LoginWindow, cfg.Now)}
}

// Hasher returns the guard's password hasher.
func (g *Guard) Hasher() *Hasher { return g.hasher }

// Principal is who made a request: a signed-in user with their session, or a project's
// secret key (User nil).
type Principal struct {
	User    *meta.User
	Session *meta.Session
	token   string
}

// ViaKey reports whether the request used a secret key rather than a session.
func (p *Principal) ViaKey() bool { return p.User == nil }

// CSRFToken returns the session's CSRF token ("" for a secret key).
func (p *Principal) CSRFToken() string {
	if p.token == "" {
		return ""
	}
	return CSRFToken(p.token)
}

// Access is an authenticated, authorised request in one project.
type Access struct {
	Principal
	Project *meta.Project
	// Role is the member's role, or Admin for a secret key.
	Role Role
}

// ProjectHandler serves a request in a project after the guard let it through.
type ProjectHandler func(w http.ResponseWriter, r *http.Request, a *Access) error

// SessionHandler serves a request of a signed-in user.
type SessionHandler func(w http.ResponseWriter, r *http.Request, p *Principal) error

// PublicHandler serves a request that needs no credentials.
type PublicHandler func(w http.ResponseWriter, r *http.Request) error

// write answers err. When the client has gone away, a failure is put down to that (drivers
// do not always wrap the context's error), so it is not logged as a server error.
func (g *Guard) write(w http.ResponseWriter, r *http.Request, err error) {
	if cerr := r.Context().Err(); errors.Is(cerr, context.Canceled) && !errors.Is(err, context.Canceled) {
		err = errors.Join(err, cerr)
	}
	apierr.Write(w, g.cfg.Log, err)
}

// The errors the guard answers with; functions, so that no caller can change a shared value.
func errUnauthenticated() error {
	return &apierr.Error{Status: http.StatusUnauthorized, Code: "unauthenticated",
		Message: "sign in first: the session is missing, expired or ended"}
}

func errCSRF() error {
	return &apierr.Error{Status: http.StatusForbidden, Code: "csrf_failed", Field: CSRFHeader,
		Message: "send the session's CSRF token in the X-CSRF-Token header, from the same site"}
}

func errCrossSite() error {
	return &apierr.Error{Status: http.StatusForbidden, Code: "csrf_failed", Message: "cross-site requests are refused"}
}

// Project wraps h so that it runs only for a request authenticated for the project in the
// path ({project}) with a role that may do action.
func (g *Guard) Project(action Action, h ProjectHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := g.authorize(w, r, action)
		if err == nil {
			err = h(w, r, a)
		}
		if err != nil {
			g.write(w, r, err)
		}
	}
}

func (g *Guard) authorize(w http.ResponseWriter, r *http.Request, action Action) (*Access, error) {
	min, ok := MinRole(action)
	if !ok {
		panic("BUG: action " + string(action) + " is not in the permission table")
	}
	var a *Access
	if r.Header.Get("Authorization") != "" {
		p, err := g.secretKey(r)
		if err != nil {
			return nil, err
		}
		a = &Access{Project: p, Role: Admin}
	} else {
		pr, err := g.session(w, r)
		if err != nil {
			return nil, err
		}
		if pr == nil {
			return nil, &apierr.Error{Status: http.StatusUnauthorized, Code: "missing_secret_key", Field: "Authorization",
				Message: "sign in, or send the project's secret key as \"Authorization: Bearer sk_…\""}
		}
		notFound := apierr.New(http.StatusNotFound, "project_not_found", "no such project")
		id, err := strconv.ParseUint(r.PathValue("project"), 10, 32)
		if err != nil {
			return nil, notFound
		}
		role, err := g.store.MemberRole(r.Context(), uint32(id), pr.User.ID)
		if errors.Is(err, meta.ErrNotFound) {
			return nil, notFound
		}
		if err != nil {
			return nil, apierr.Internal(err)
		}
		p, err := g.store.Project(r.Context(), uint32(id))
		if errors.Is(err, meta.ErrNotFound) {
			return nil, notFound
		}
		if err != nil {
			return nil, apierr.Internal(err)
		}
		a = &Access{Principal: *pr, Project: p, Role: Role(role)}
	}
	if !a.Role.AtLeast(min) {
		return nil, apierr.New(http.StatusForbidden, "forbidden",
			fmt.Sprintf("%s needs the role %s or higher; this request has %s", action, min, a.Role))
	}
	return a, nil
}

// secretKey authenticates the Bearer secret key and checks that it belongs to the project in
// the path. A key of another project gets 404, as an unknown project does.
func (g *Guard) secretKey(r *http.Request) (*meta.Project, error) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		return nil, &apierr.Error{Status: http.StatusUnauthorized, Code: "missing_secret_key", Field: "Authorization",
			Message: "send the project's secret key as \"Authorization: Bearer sk_…\""}
	}
	p, err := g.store.ProjectBySecretKey(r.Context(), strings.TrimSpace(key))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, &apierr.Error{Status: http.StatusUnauthorized, Code: "invalid_secret_key", Field: "Authorization", Message: "unknown secret key"}
	}
	if err != nil {
		return nil, apierr.Internal(err)
	}
	id, err := strconv.ParseUint(r.PathValue("project"), 10, 32)
	if err != nil || uint32(id) != p.ID {
		return nil, apierr.New(http.StatusNotFound, "project_not_found", "no such project for this key")
	}
	return p, nil
}

// session authenticates the session cookie. It returns nil, nil when there is no cookie, and
// checks the CSRF token of unsafe methods. An invalid session clears the cookies.
func (g *Guard) session(w http.ResponseWriter, r *http.Request) (*Principal, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	if len(c.Value) > maxTokenLen {
		g.clearCookies(w, r)
		return nil, errUnauthenticated()
	}
	now := g.cfg.Now()
	ss, u, err := g.store.SessionByToken(r.Context(), c.Value, now)
	if errors.Is(err, meta.ErrNotFound) {
		g.clearCookies(w, r)
		return nil, errUnauthenticated()
	}
	if err != nil {
		return nil, apierr.Internal(err)
	}
	if !safeMethod(r.Method) && (crossSite(r) || !validCSRF(r, c.Value)) {
		return nil, errCSRF()
	}
	// Slide the idle expiry, writing at most once a minute per session.
	if now.Sub(ss.LastSeenAt) >= time.Minute {
		ss.LastSeenAt = now
		ss.ExpiresAt = g.expiry(ss.CreatedAt, now)
		if err := g.store.TouchSession(r.Context(), c.Value, now, ss.ExpiresAt); err != nil {
			g.cfg.Log.Warn("cannot touch session", "err", err)
		}
	}
	return &Principal{User: u, Session: ss, token: c.Value}, nil
}

// expiry is the idle expiry from now, capped by the session's maximum age.
func (g *Guard) expiry(created, now time.Time) time.Time {
	exp := now.Add(g.cfg.SessionIdle)
	if limit := created.Add(g.cfg.SessionMax); exp.After(limit) {
		exp = limit
	}
	return exp
}

// Session wraps h so that it runs only for a signed-in user (a secret key is not enough).
func (g *Guard) Session(h SessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			if r.Header.Get("Authorization") != "" {
				return apierr.New(http.StatusUnauthorized, "unauthenticated",
					"this endpoint needs a signed-in user; secret keys work on /api/v1/projects/{project}/… only")
			}
			p, err := g.session(w, r)
			if err != nil {
				return err
			}
			if p == nil {
				return errUnauthenticated()
			}
			return h(w, r, p)
		}()
		if err != nil {
			g.write(w, r, err)
		}
	}
}

// Public wraps h, which needs no credentials but may start a session (sign-in, set-up): its
// unsafe methods are refused when the browser says the request is cross-site, so that another
// site cannot sign a visitor in to an account of its choosing.
func (g *Guard) Public(h PublicHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var err error
		if !safeMethod(r.Method) && crossSite(r) {
			err = errCrossSite()
		} else {
			err = h(w, r)
		}
		if err != nil {
			g.write(w, r, err)
		}
	}
}

// clientAddr is the client's IP address as the server sees it. X-Forwarded-For is not
// trusted: behind a proxy every client shares the proxy's address, which makes throttling
// per email (and per proxy) rather than per email and client.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func rateLimited(wait time.Duration) error {
	return &apierr.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: max(1, int(math.Ceil(wait.Seconds()))),
		Message: "too many failed attempts; retry after Retry-After seconds"}
}

// Login checks an email and password and, when they match, starts a session and sets its
// cookies. Unknown emails and wrong passwords get the same answer in about the same time.
// After LoginFailures failures for the email from the client's address (or
// LoginFailuresPerAddr from the address) within LoginWindow, it answers 429 until the window
// has passed, whatever the password.
func (g *Guard) Login(w http.ResponseWriter, r *http.Request, email, password string) (*Principal, error) {
	ip := clientAddr(r)
	accKey := meta.NormalizeEmail(email) + "\x00" + ip
	for _, c := range []struct {
		l   *Limiter
		key string
	}{{g.account, accKey}, {g.addr, ip}} {
		if wait, blocked := c.l.Blocked(c.key); blocked {
			return nil, rateLimited(wait)
		}
	}
	u, hash, err := g.store.UserCredentials(r.Context(), email)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return nil, apierr.Internal(err)
	}
	ok, err := g.hasher.Verify(r.Context(), hash, password)
	if err != nil {
		return nil, apierr.Internal(err)
	}
	if !ok {
		g.account.Fail(accKey)
		g.addr.Fail(ip)
		return nil, apierr.New(http.StatusUnauthorized, "invalid_credentials", "wrong email or password")
	}
	g.account.Reset(accKey)
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" && len(c.Value) <= maxTokenLen {
		// A new sign-in replaces the browser's old session rather than leaving it behind.
		if err := g.store.DeleteSession(r.Context(), c.Value); err != nil {
			return nil, apierr.Internal(err)
		}
	}
	return g.StartSession(w, r, u)
}

// StartSession starts a session for u and sets its cookies (after sign-in or set-up).
func (g *Guard) StartSession(w http.ResponseWriter, r *http.Request, u *meta.User) (*Principal, error) {
	now := g.cfg.Now().UTC().Truncate(time.Second)
	g.pruneSessions(r.Context(), now)
	token := newToken()
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	exp := g.expiry(now, now)
	if err := g.store.CreateSession(r.Context(), token, u.ID, ua, now, exp); err != nil {
		return nil, apierr.Internal(err)
	}
	g.setCookies(w, r, token, now.Add(g.cfg.SessionMax))
	return &Principal{User: u, token: token, Session: &meta.Session{UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: exp, UserAgent: ua}}, nil
}

// pruneSessions deletes expired sessions, at most once an hour.
func (g *Guard) pruneSessions(ctx context.Context, now time.Time) {
	g.mu.Lock()
	due := now.Sub(g.lastPruned) >= time.Hour
	if due {
		g.lastPruned = now
	}
	g.mu.Unlock()
	if due {
		if _, err := g.store.DeleteExpiredSessions(ctx, now); err != nil {
			g.cfg.Log.Warn("cannot prune sessions", "err", err)
		}
	}
}

// Logout ends p's session and clears the cookies.
func (g *Guard) Logout(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := g.store.DeleteSession(r.Context(), p.token); err != nil {
		return apierr.Internal(err)
	}
	g.clearCookies(w, r)
	return nil
}

// ChangePassword checks p's current password and replaces it with next, ending every other
// session of the user. Wrong current passwords are throttled as sign-ins are. The caller
// checks next with CheckPassword first.
func (g *Guard) ChangePassword(r *http.Request, p *Principal, current, next string) error {
	key := strconv.FormatInt(p.User.ID, 10)
	if wait, blocked := g.pw.Blocked(key); blocked {
		return rateLimited(wait)
	}
	hash, err := g.store.PasswordHash(r.Context(), p.User.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	ok, err := g.hasher.Verify(r.Context(), hash, current)
	if err != nil {
		return apierr.Internal(err)
	}
	if !ok {
		g.pw.Fail(key)
		return apierr.Field("invalid_credentials", "current_password", "the current password is wrong")
	}
	g.pw.Reset(key)
	newHash, err := g.hasher.Hash(r.Context(), next)
	if err != nil {
		return apierr.Internal(err)
	}
	if err := g.store.SetPassword(r.Context(), p.User.ID, newHash, p.token); err != nil {
		return apierr.Internal(err)
	}
	return nil
}
