package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/meta"
)

// Accounts and access: first-run set-up, sign-in, sessions, password change, the caller's
// projects, project settings, key rotation and members. Package auth decides who may do what;
// this file only reads requests, calls it and the metadata store, and writes answers.

// newGuard returns the guard of the management API: sessions, CSRF, sign-in throttling and
// the permission table. It holds the throttling counts, so a server has one.
func (a *App) newGuard() *auth.Guard {
	return auth.New(a.Meta, auth.Config{Log: a.Log, SecureCookies: a.Cfg.Auth.SecureCookies})
}

// onProject adapts a handler that needs only the project to the guard.
func onProject(h projectHandler) auth.ProjectHandler {
	return func(w http.ResponseWriter, r *http.Request, acc *auth.Access) error { return h(w, r, acc.Project) }
}

// accountsAPI serves the accounts endpoints.
type accountsAPI struct {
	a *App
	g *auth.Guard
}

// registerAccounts adds the accounts and access endpoints to mux.
func (a *App) registerAccounts(mux *http.ServeMux, g *auth.Guard) {
	h := &accountsAPI{a: a, g: g}
	mux.HandleFunc("GET /api/v1/setup", g.Public(h.setupStatus))
	mux.HandleFunc("POST /api/v1/setup", g.Public(h.setup))
	mux.HandleFunc("POST /api/v1/auth/login", g.Public(h.login))
	mux.HandleFunc("POST /api/v1/auth/logout", g.Session(h.logout))
	mux.HandleFunc("GET /api/v1/auth/me", g.Session(h.me))
	mux.HandleFunc("POST /api/v1/auth/password", g.Session(h.password))
	mux.HandleFunc("GET /api/v1/projects", g.Session(h.listProjects))
	mux.HandleFunc("POST /api/v1/projects", g.Session(h.createProject))
	mux.HandleFunc("PATCH /api/v1/projects/{project}", g.Project(auth.ProjectSettings, h.updateProject))
	mux.HandleFunc("POST /api/v1/projects/{project}/keys/rotate", g.Project(auth.KeysManage, h.rotateKey))
	mux.HandleFunc("GET /api/v1/projects/{project}/members", g.Project(auth.MembersManage, h.listMembers))
	mux.HandleFunc("POST /api/v1/projects/{project}/members", g.Project(auth.MembersManage, h.addMember))
	mux.HandleFunc("PATCH /api/v1/projects/{project}/members/{user}", g.Project(auth.MembersManage, h.updateMember))
	mux.HandleFunc("DELETE /api/v1/projects/{project}/members/{user}", g.Project(auth.MembersManage, h.removeMember))
}

// maxAccountBody bounds the bodies of these endpoints.
const maxAccountBody = 64 << 10

var unknownFieldRe = regexp.MustCompile(`unknown (?:field|object member name) "([^"]*)"`)

// decodeBody reads a JSON object into dst, refusing unknown keys, wrong types, trailing data
// and bodies over maxAccountBody, with the field at fault where there is one.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAccountBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.New(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body exceeds %d KiB", maxAccountBody>>10))
		}
		return apierr.New(http.StatusBadRequest, "malformed_json", "cannot read the body")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return apierr.New(http.StatusBadRequest, "empty_body", "the body is empty; send a JSON object")
	}
	if body[0] != '{' {
		return apierr.New(http.StatusBadRequest, "invalid_type", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return apierr.Field("invalid_type", te.Field, fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value))
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return apierr.New(http.StatusBadRequest, "malformed_json", "the body is not valid JSON")
		}
		if m := unknownFieldRe.FindStringSubmatch(err.Error()); m != nil {
			return apierr.Field("unknown_field", m[1], "unknown key")
		}
		return apierr.New(http.StatusBadRequest, "malformed_json", "the body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apierr.New(http.StatusBadRequest, "malformed_json", "unexpected data after the JSON object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	}
	return "a number"
}

// checkEmail checks a required email field; it returns the normalised email.
func checkEmail(field, v string) (string, error) {
	v = meta.NormalizeEmail(v)
	if v == "" {
		return "", apierr.Field("missing_field", field, "is required")
	}
	if len(v) > 254 {
		return "", apierr.Field("too_long", field, "must be at most 254 bytes")
	}
	local, domain, ok := strings.Cut(v, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || !utf8.ValidString(v) ||
		strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", apierr.Field("invalid_value", field, "is not an email address")
	}
	return v, nil
}

// checkName checks an optional display name; empty becomes the email's local part.
func checkName(field, v, email string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		v, _, _ = strings.Cut(email, "@")
	}
	if utf8.RuneCountInString(v) > 200 {
		return "", apierr.Field("too_long", field, "must be at most 200 characters")
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", apierr.Field("invalid_value", field, "must be text without control characters")
	}
	return v, nil
}

// checkNewPassword checks a password being set.
func checkNewPassword(field, v string) error {
	if v == "" {
		return apierr.Field("missing_field", field, "is required")
	}
	if err := auth.CheckPassword(v); err != nil {
		return apierr.Field("invalid_value", field, err.Error())
	}
	return nil
}

// fieldError turns a meta validation error into an API error; other errors are internal.
func fieldError(err error) error {
	var fe *meta.FieldError
	if errors.As(err, &fe) {
		return apierr.Field(fe.Code, fe.Field, fe.Message)
	}
	return apierr.Internal(err)
}

// sessionAnswer is what sign-in and set-up answer with.
type sessionAnswer struct {
	User      *meta.User        `json:"user"`
	CSRFToken string            `json:"csrf_token"`
	Session   *meta.Session     `json:"session"`
	Projects  []meta.Membership `json:"projects"`
}

func (h *accountsAPI) answerSession(w http.ResponseWriter, r *http.Request, status int, p *auth.Principal) error {
	ms, err := h.a.Meta.Memberships(r.Context(), p.User.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, status, sessionAnswer{User: p.User, CSRFToken: p.CSRFToken(), Session: p.Session, Projects: ms})
	return nil
}

func (h *accountsAPI) setupStatus(w http.ResponseWriter, r *http.Request) error {
	n, err := h.a.Meta.UserCount(r.Context())
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"needed": n == 0})
	return nil
}

func alreadySetUp() error {
	return apierr.New(http.StatusConflict, "already_set_up", "the first user exists; sign in, or ask an admin to add you")
}

// setup creates the first user, who becomes owner of every existing project, and signs them in.
func (h *accountsAPI) setup(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if n, err := h.a.Meta.UserCount(r.Context()); err != nil {
		return apierr.Internal(err)
	} else if n > 0 {
		return alreadySetUp()
	}
	email, err := checkEmail("email", req.Email)
	if err != nil {
		return err
	}
	name, err := checkName("name", req.Name, email)
	if err != nil {
		return err
	}
	if err := checkNewPassword("password", req.Password); err != nil {
		return err
	}
	hash, err := h.g.Hasher().Hash(r.Context(), req.Password)
	if err != nil {
		return apierr.Internal(err)
	}
	u, owned, err := h.a.Meta.CreateFirstUser(r.Context(), meta.NewUser{Email: email, Name: name, PasswordHash: hash})
	if errors.Is(err, meta.ErrAlreadySetUp) || errors.Is(err, meta.ErrEmailTaken) {
		return alreadySetUp()
	}
	if err != nil {
		return apierr.Internal(err)
	}
	h.a.Log.Info("first user created", "user", u.ID, "owner_of", owned)
	p, err := h.g.StartSession(w, r, u)
	if err != nil {
		return err
	}
	return h.answerSession(w, r, http.StatusCreated, p)
}

func (h *accountsAPI) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Email) == "" {
		return apierr.Field("missing_field", "email", "is required")
	}
	if len(req.Email) > 254 {
		return apierr.Field("too_long", "email", "must be at most 254 bytes")
	}
	if req.Password == "" {
		return apierr.Field("missing_field", "password", "is required")
	}
	if len(req.Password) > auth.MaxPasswordLen {
		return apierr.Field("too_long", "password", fmt.Sprintf("must be at most %d bytes", auth.MaxPasswordLen))
	}
	p, err := h.g.Login(w, r, req.Email, req.Password)
	if err != nil {
		return err
	}
	return h.answerSession(w, r, http.StatusOK, p)
}

func (h *accountsAPI) logout(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := h.g.Logout(w, r, p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *accountsAPI) me(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ms, err := h.a.Meta.Memberships(r.Context(), p.User.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"user": p.User, "csrf_token": p.CSRFToken(), "session": p.Session,
		"projects": ms, "permissions": auth.Permissions()})
	return nil
}

func (h *accountsAPI) password(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Current == "" {
		return apierr.Field("missing_field", "current_password", "is required")
	}
	if len(req.Current) > auth.MaxPasswordLen {
		return apierr.Field("too_long", "current_password", fmt.Sprintf("must be at most %d bytes", auth.MaxPasswordLen))
	}
	if err := checkNewPassword("new_password", req.New); err != nil {
		return err
	}
	if err := h.g.ChangePassword(r, p, req.Current, req.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *accountsAPI) listProjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ms, err := h.a.Meta.Memberships(r.Context(), p.User.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"projects": ms})
	return nil
}

// createProject creates a project owned by the caller and shows its secret key, once.
func (h *accountsAPI) createProject(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req meta.NewProject
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	proj, sk, err := h.a.Meta.CreateProjectOwnedBy(r.Context(), req, p.User.ID)
	if err != nil {
		return fieldError(err)
	}
	apierr.JSON(w, http.StatusCreated, map[string]any{"project": meta.Membership{Project: *proj, Role: meta.OwnerRole}, "secret_key": sk})
	return nil
}

func (h *accountsAPI) updateProject(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	var req meta.ProjectUpdate
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil && req.Timezone == nil && req.Currency == nil {
		return apierr.Field("missing_field", "name", "give at least one of name, timezone, currency")
	}
	proj, err := h.a.Meta.UpdateProject(r.Context(), acc.Project.ID, req)
	if errors.Is(err, meta.ErrNotFound) {
		return apierr.New(http.StatusNotFound, "project_not_found", "no such project")
	}
	if err != nil {
		return fieldError(err)
	}
	apierr.JSON(w, http.StatusOK, proj)
	return nil
}

// rotateKey replaces the write key or the secret key; the old one stops working at once.
func (h *accountsAPI) rotateKey(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	var req struct {
		Key string `json:"key"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	var out map[string]any
	switch req.Key {
	case "write":
		wk, err := h.a.Meta.RotateWriteKey(r.Context(), acc.Project.ID)
		if err != nil {
			return apierr.Internal(err)
		}
		if h.a.Collector != nil {
			h.a.Collector.ForgetKey(acc.Project.WriteKey) // the old key is refused from now on
		}
		out = map[string]any{"key": "write", "write_key": wk}
	case "secret":
		sk, err := h.a.Meta.RotateSecretKey(r.Context(), acc.Project.ID)
		if err != nil {
			return apierr.Internal(err)
		}
		out = map[string]any{"key": "secret", "secret_key": sk, "secret_key_prefix": sk[:7]}
	case "":
		return apierr.Field("missing_field", "key", `is required: "write" or "secret"`)
	default:
		return apierr.Field("invalid_value", "key", `must be "write" or "secret"`)
	}
	h.a.Log.Info("key rotated", "project", acc.Project.ID, "key", req.Key, "by_user", userID(acc))
	apierr.JSON(w, http.StatusOK, out)
	return nil
}

// userID is the caller's user id for logs, 0 for a secret key.
func userID(acc *auth.Access) int64 {
	if acc.User == nil {
		return 0
	}
	return acc.User.ID
}

func (h *accountsAPI) listMembers(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	ms, err := h.a.Meta.Members(r.Context(), acc.Project.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	if ms == nil {
		ms = []meta.Member{}
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"members": ms})
	return nil
}

func parseRoleField(field, v string) (auth.Role, error) {
	if v == "" {
		return "", apierr.Field("missing_field", field, "is required: owner, admin, analyst, operator or viewer")
	}
	role, err := auth.ParseRole(v)
	if err != nil {
		return "", apierr.Field("invalid_value", field, err.Error())
	}
	return role, nil
}

// onlyOwners refuses a change that makes or touches an owner unless the caller is an owner:
// an admin (or a secret key) manages the roles below owner only.
func onlyOwners(acc *auth.Access, roles ...auth.Role) error {
	for _, r := range roles {
		if r == auth.Owner && acc.Role != auth.Owner {
			return apierr.New(http.StatusForbidden, "forbidden", "only an owner can make, change or remove an owner")
		}
	}
	return nil
}

// addMember adds an existing user by email, or creates the user when a password is given.
func (h *accountsAPI) addMember(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	var req struct {
		Email    string `json:"email"`
		Role     string `json:"role"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	email, err := checkEmail("email", req.Email)
	if err != nil {
		return err
	}
	role, err := parseRoleField("role", req.Role)
	if err != nil {
		return err
	}
	if err := onlyOwners(acc, role); err != nil {
		return err
	}
	ctx := r.Context()
	u, err := h.a.Meta.UserByEmail(ctx, email)
	switch {
	case err == nil && req.Password != "":
		return &apierr.Error{Status: http.StatusConflict, Code: "email_taken", Field: "email",
			Message: "a user with this email exists; add them without a password"}
	case errors.Is(err, meta.ErrNotFound) && req.Password == "":
		return &apierr.Error{Status: http.StatusNotFound, Code: "user_not_found", Field: "email",
			Message: "no user has this email; give a password to create one"}
	case errors.Is(err, meta.ErrNotFound):
		name, err := checkName("name", req.Name, email)
		if err != nil {
			return err
		}
		if err := checkNewPassword("password", req.Password); err != nil {
			return err
		}
		hash, err := h.g.Hasher().Hash(ctx, req.Password)
		if err != nil {
			return apierr.Internal(err)
		}
		u, err = h.a.Meta.CreateUser(ctx, meta.NewUser{Email: email, Name: name, PasswordHash: hash})
		if errors.Is(err, meta.ErrEmailTaken) {
			return &apierr.Error{Status: http.StatusConflict, Code: "email_taken", Field: "email", Message: "a user with this email exists"}
		}
		if err != nil {
			return apierr.Internal(err)
		}
	case err != nil:
		return apierr.Internal(err)
	}
	err = h.a.Meta.AddMember(ctx, acc.Project.ID, u.ID, string(role))
	if errors.Is(err, meta.ErrMemberExists) {
		return &apierr.Error{Status: http.StatusConflict, Code: "member_exists", Field: "email", Message: "this user is already a member; change their role instead"}
	}
	if err != nil {
		return apierr.Internal(err)
	}
	m, err := h.a.Meta.Member(ctx, acc.Project.ID, u.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusCreated, m)
	return nil
}

// member returns the member named by the {user} path value, or 404 member_not_found.
func (h *accountsAPI) member(r *http.Request, acc *auth.Access) (*meta.Member, error) {
	notFound := apierr.New(http.StatusNotFound, "member_not_found", "no such member in this project")
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound
	}
	m, err := h.a.Meta.Member(r.Context(), acc.Project.ID, id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, apierr.Internal(err)
	}
	return m, nil
}

func lastOwner() error {
	return apierr.New(http.StatusConflict, "last_owner", "a project keeps at least one owner: make someone else owner first")
}

func (h *accountsAPI) updateMember(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	m, err := h.member(r, acc)
	if err != nil {
		return err
	}
	var req struct {
		Role string `json:"role"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	role, err := parseRoleField("role", req.Role)
	if err != nil {
		return err
	}
	if err := onlyOwners(acc, auth.Role(m.Role), role); err != nil {
		return err
	}
	err = h.a.Meta.SetMemberRole(r.Context(), acc.Project.ID, m.UserID, string(role))
	if errors.Is(err, meta.ErrLastOwner) {
		return lastOwner()
	}
	if errors.Is(err, meta.ErrNotFound) {
		return apierr.New(http.StatusNotFound, "member_not_found", "no such member in this project")
	}
	if err != nil {
		return apierr.Internal(err)
	}
	m.Role = string(role)
	apierr.JSON(w, http.StatusOK, m)
	return nil
}

func (h *accountsAPI) removeMember(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	m, err := h.member(r, acc)
	if err != nil {
		return err
	}
	if err := onlyOwners(acc, auth.Role(m.Role)); err != nil {
		return err
	}
	err = h.a.Meta.RemoveMember(r.Context(), acc.Project.ID, m.UserID)
	if errors.Is(err, meta.ErrLastOwner) {
		return lastOwner()
	}
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return apierr.Internal(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
