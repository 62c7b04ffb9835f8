package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"
)

// Cookie and header names. The console reads the CSRF cookie (it is not HttpOnly) or the
// csrf_token of the sign-in answer and sends it back in the CSRF header.
const (
	SessionCookie = "jingyun_session"
	CSRFCookie    = "jingyun_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

// maxTokenLen bounds a session cookie we look up; ours are 64 hex characters.
const maxTokenLen = 128

// newToken returns a session token: 32 random bytes, hex.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// CSRFToken returns the CSRF token of a session: an HMAC of a fixed label keyed by the
// session token. It is bound to the session, needs no storage, and does not reveal the
// session token, so it can be given to scripts in the page.
func CSRFToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("jingyun csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF reports whether r carries the CSRF token of sessionToken in its header.
func validCSRF(r *http.Request, sessionToken string) bool {
	got := r.Header.Get(CSRFHeader)
	want := CSRFToken(sessionToken)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// safeMethod reports whether m is a method that must not change state, and so needs no CSRF
// token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// crossSite reports whether a browser says r comes from another site: Sec-Fetch-Site is
// cross-site or, from browsers that do not send it, Origin names another host.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site":
		return true
	case "":
		origin := r.Header.Get("Origin")
		if origin == "" {
			return false
		}
		u, err := url.Parse(origin)
		return err != nil || u.Host == "" || u.Host != r.Host
	}
	return false
}

func (g *Guard) secure(r *http.Request) bool {
	return g.cfg.SecureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// setCookies sends the session and CSRF cookies. Both live until the session's latest
// possible expiry; the server decides earlier expiry by inactivity.
func (g *Guard) setCookies(w http.ResponseWriter, r *http.Request, token string, until time.Time) {
	secure := g.secure(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: until, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: CSRFToken(token), Path: "/", Expires: until,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}

// clearCookies tells the browser to forget both cookies.
func (g *Guard) clearCookies(w http.ResponseWriter, r *http.Request) {
	secure := g.secure(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}
