package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Accounts: users, their sign-in sessions and their membership of projects. This file stores
// and enforces invariants (unique emails, at least one owner per project that has members);
// what a role may do is decided by package auth, and passwords arrive here already hashed.

var (
	// ErrEmailTaken is returned when a user with the email already exists.
	ErrEmailTaken = errors.New("email already taken")
	// ErrAlreadySetUp is returned by CreateFirstUser when a user exists.
	ErrAlreadySetUp = errors.New("already set up")
	// ErrMemberExists is returned when the user is already a member of the project.
	ErrMemberExists = errors.New("already a member")
	// ErrLastOwner is returned when a change would leave a project without an owner.
	ErrLastOwner = errors.New("last owner")
)

// OwnerRole is the role that may do everything in a project; a project with members always
// keeps at least one. The other roles are admin, analyst, operator and viewer (package auth
// ranks them); the database refuses any other value.
const OwnerRole = "owner"

// User is a person who signs in to the console. The password hash is never part of it: read
// it with UserCredentials.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NewUser holds a user to create. Email is normalised (trimmed, lower-cased) by the store;
// PasswordHash must already be a hash (package auth makes one).
type NewUser struct {
	Email        string
	Name         string
	PasswordHash string
}

// Session is a signed-in browser. The token itself is never stored, only its SHA-256 hash.
type Session struct {
	UserID     int64     `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
}

// Member is a user's role in one project.
type Member struct {
	UserID    int64     `json:"user_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Membership is a project a user belongs to, with the user's role there. Its JSON is the
// project's fields plus "role".
type Membership struct {
	Project
	Role string `json:"role"`
}

// NormalizeEmail is how emails are compared and stored: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func insertUser(ctx context.Context, tx *sql.Tx, n NewUser, now time.Time) (*User, error) {
	email := NormalizeEmail(n.Email)
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)`,
		email, n.Name, n.PasswordHash, now.Unix(), now.Unix())
	if isUniqueViolation(err) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create user: %w", err)
	}
	id, _ := res.LastInsertId()
	return &User{ID: id, Email: email, Name: n.Name, CreatedAt: now}, nil
}

// inTx runs fn in a transaction. The store has one connection, so fn must use tx only.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot commit transaction: %w", err)
	}
	return nil
}

// CreateUser creates a user, or returns ErrEmailTaken.
func (s *Store) CreateUser(ctx context.Context, n NewUser) (*User, error) {
	var u *User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = insertUser(ctx, tx, n, time.Now().UTC().Truncate(time.Second))
		return err
	})
	return u, err
}

// CreateFirstUser creates the first user of the installation and makes them owner of every
// project that exists (projects made before anyone could sign in, such as the demo shop). It
// returns ErrAlreadySetUp when any user exists; the check and the insert are one transaction.
func (s *Store) CreateFirstUser(ctx context.Context, n NewUser) (*User, []uint32, error) {
	var u *User
	var owned []uint32
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&count); err != nil {
			return fmt.Errorf("cannot count users: %w", err)
		}
		if count > 0 {
			return ErrAlreadySetUp
		}
		now := time.Now().UTC().Truncate(time.Second)
		var err error
		if u, err = insertUser(ctx, tx, n, now); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM projects ORDER BY id`)
		if err != nil {
			return fmt.Errorf("cannot list projects: %w", err)
		}
		for rows.Next() {
			var id uint32
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("cannot list projects: %w", err)
			}
			owned = append(owned, id)
		}
		rows.Close()
		for _, id := range owned {
			if _, err := tx.ExecContext(ctx, `INSERT INTO members VALUES (?, ?, ?, ?)`, id, u.ID, OwnerRole, now.Unix()); err != nil {
				return fmt.Errorf("cannot add owner to project %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return u, owned, nil
}

const userCols = `id, email, name, created_at`

func scanUser(r interface{ Scan(...any) error }, extra ...any) (*User, error) {
	var u User
	var created int64
	if err := r.Scan(append([]any{&u.ID, &u.Email, &u.Name, &created}, extra...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot read user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0).UTC()
	return &u, nil
}

// User returns a user by id, or ErrNotFound.
func (s *Store) User(ctx context.Context, id int64) (*User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// UserByEmail returns a user by email (compared normalised), or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, NormalizeEmail(email)))
}

// UserCredentials returns a user and their password hash by email, or ErrNotFound.
func (s *Store) UserCredentials(ctx context.Context, email string) (*User, string, error) {
	var hash string
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE email = ?`, NormalizeEmail(email)), &hash)
	if err != nil {
		return nil, "", err
	}
	return u, hash, nil
}

// PasswordHash returns a user's password hash, or ErrNotFound.
func (s *Store) PasswordHash(ctx context.Context, userID int64) (string, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("cannot read password hash: %w", err)
	}
	return hash, nil
}

// Users lists every user in id order.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cannot list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// UserCount returns how many users exist; zero means the installation is not set up yet.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash and ends every session of the user except the
// one whose token is keepToken (empty ends them all), in one transaction.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash, keepToken string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`, hash, time.Now().Unix(), userID)
		if err != nil {
			return fmt.Errorf("cannot set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, hashKey(keepToken)); err != nil {
			return fmt.Errorf("cannot end sessions: %w", err)
		}
		return nil
	})
}

// CreateSession stores a session for token (stored hashed) valid until expires.
func (s *Store) CreateSession(ctx context.Context, token string, userID int64, userAgent string, now, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)`,
		hashKey(token), userID, now.Unix(), now.Unix(), expires.Unix(), userAgent)
	if err != nil {
		return fmt.Errorf("cannot create session: %w", err)
	}
	return nil
}

// SessionByToken returns the session of token and its user, or ErrNotFound when there is
// none or it expired at or before now.
func (s *Store) SessionByToken(ctx context.Context, token string, now time.Time) (*Session, *User, error) {
	var ss Session
	var created, seen, expires int64
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT u.id, u.email, u.name, u.created_at, s.created_at, s.last_seen_at, s.expires_at, s.user_agent
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`, hashKey(token), now.Unix()),
		&created, &seen, &expires, &ss.UserAgent)
	if err != nil {
		return nil, nil, err
	}
	ss.UserID = u.ID
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(seen, 0).UTC(), time.Unix(expires, 0).UTC()
	return &ss, u, nil
}

// TouchSession records activity on a session and moves its expiry.
func (s *Store) TouchSession(ctx context.Context, token string, now, expires time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?`,
		now.Unix(), expires.Unix(), hashKey(token)); err != nil {
		return fmt.Errorf("cannot touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session; ending an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashKey(token)); err != nil {
		return fmt.Errorf("cannot delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired at or before now and says how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("cannot delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// CreateProjectOwnedBy creates a project with fresh keys and makes the user its owner, in one
// transaction. It returns the project and its secret key (shown once, as CreateProject).
func (s *Store) CreateProjectOwnedBy(ctx context.Context, n NewProject, userID int64) (*Project, string, error) {
	if err := n.Validate(); err != nil {
		return nil, "", err
	}
	var p *Project
	var sk string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		wk := "wk_" + randomToken(12)
		sk = "sk_" + randomToken(24)
		now := time.Now().UTC().Truncate(time.Second)
		res, err := tx.ExecContext(ctx, `INSERT INTO projects (name, timezone, currency, write_key, secret_key_hash, secret_key_prefix, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, n.Name, n.Timezone, n.Currency, wk, hashKey(sk), sk[:7], now.Unix())
		if err != nil {
			return fmt.Errorf("cannot create project: %w", err)
		}
		id, _ := res.LastInsertId()
		if _, err := tx.ExecContext(ctx, `INSERT INTO members VALUES (?, ?, ?, ?)`, id, userID, OwnerRole, now.Unix()); err != nil {
			return fmt.Errorf("cannot add owner to project %d: %w", id, err)
		}
		p = &Project{ID: uint32(id), Name: n.Name, Timezone: n.Timezone, Currency: n.Currency, WriteKey: wk,
			CreatedAt: now, SecretKeyPrefix: sk[:7]}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return p, sk, nil
}

// ProjectUpdate holds the settings to change; nil fields stay as they are.
type ProjectUpdate struct {
	Name     *string `json:"name"`
	Timezone *string `json:"timezone"`
	Currency *string `json:"currency"`
}

// UpdateProject changes a project's settings, validated as NewProject's, and returns the
// project as it now is, or ErrNotFound, or a *FieldError.
func (s *Store) UpdateProject(ctx context.Context, id uint32, u ProjectUpdate) (*Project, error) {
	var out *Project
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := scanProject(tx.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
		if err != nil {
			return err
		}
		n := NewProject{Name: p.Name, Timezone: p.Timezone, Currency: p.Currency}
		if u.Name != nil {
			n.Name = *u.Name
		}
		if u.Timezone != nil {
			n.Timezone = *u.Timezone
			if n.Timezone == "" { // an empty value would silently mean the default
				return &FieldError{Code: "invalid_field", Field: "timezone", Message: "must not be empty"}
			}
		}
		if u.Currency != nil {
			n.Currency = *u.Currency
			if n.Currency == "" {
				return &FieldError{Code: "invalid_field", Field: "currency", Message: "must not be empty"}
			}
		}
		if err := n.Validate(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET name = ?, timezone = ?, currency = ? WHERE id = ?`,
			n.Name, n.Timezone, n.Currency, id); err != nil {
			return fmt.Errorf("cannot update project: %w", err)
		}
		p.Name, p.Timezone, p.Currency = n.Name, n.Timezone, n.Currency
		out = p
		return nil
	})
	return out, err
}

// AddMember gives a user a role in a project, or returns ErrMemberExists, or ErrNotFound when
// the project or the user does not exist.
func (s *Store) AddMember(ctx context.Context, project uint32, userID int64, role string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM projects p, users u WHERE p.id = ? AND u.id = ?`, project, userID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("cannot add member: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO members VALUES (?, ?, ?, ?)`, project, userID, role, time.Now().Unix())
		if isUniqueViolation(err) || (err != nil && strings.Contains(err.Error(), "PRIMARY KEY")) {
			return ErrMemberExists
		}
		if err != nil {
			return fmt.Errorf("cannot add member: %w", err)
		}
		return nil
	})
}

// MemberRole returns a user's role in a project, or ErrNotFound when they are not a member.
func (s *Store) MemberRole(ctx context.Context, project uint32, userID int64) (string, error) {
	var role string
	err := s.db.QueryRowContext(ctx, `SELECT role FROM members WHERE project_id = ? AND user_id = ?`, project, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("cannot read member: %w", err)
	}
	return role, nil
}

const memberCols = `m.user_id, u.email, u.name, m.role, m.created_at`

func scanMember(r interface{ Scan(...any) error }) (*Member, error) {
	var m Member
	var created int64
	if err := r.Scan(&m.UserID, &m.Email, &m.Name, &m.Role, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot read member: %w", err)
	}
	m.CreatedAt = time.Unix(created, 0).UTC()
	return &m, nil
}

// Member returns one member of a project, or ErrNotFound.
func (s *Store) Member(ctx context.Context, project uint32, userID int64) (*Member, error) {
	return scanMember(s.db.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.project_id = ? AND m.user_id = ?`, project, userID))
}

// Members lists a project's members in the order they joined.
func (s *Store) Members(ctx context.Context, project uint32) ([]Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.project_id = ? ORDER BY m.created_at, m.user_id`, project)
	if err != nil {
		return nil, fmt.Errorf("cannot list members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// keepsOwner returns ErrLastOwner when removing the owner role from userID would leave the
// project without an owner.
func keepsOwner(ctx context.Context, tx *sql.Tx, project uint32, userID int64, current string) error {
	if current != OwnerRole {
		return nil
	}
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE project_id = ? AND role = ? AND user_id <> ?`,
		project, OwnerRole, userID).Scan(&others); err != nil {
		return fmt.Errorf("cannot count owners: %w", err)
	}
	if others == 0 {
		return ErrLastOwner
	}
	return nil
}

// SetMemberRole changes a member's role. It returns ErrNotFound for a non-member and
// ErrLastOwner when the project would be left without an owner.
func (s *Store) SetMemberRole(ctx context.Context, project uint32, userID int64, role string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var current string
		err := tx.QueryRowContext(ctx, `SELECT role FROM members WHERE project_id = ? AND user_id = ?`, project, userID).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("cannot read member: %w", err)
		}
		if role != OwnerRole {
			if err := keepsOwner(ctx, tx, project, userID, current); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET role = ? WHERE project_id = ? AND user_id = ?`, role, project, userID); err != nil {
			return fmt.Errorf("cannot change role: %w", err)
		}
		return nil
	})
}

// RemoveMember takes a user out of a project. It returns ErrNotFound for a non-member and
// ErrLastOwner for the project's only owner.
func (s *Store) RemoveMember(ctx context.Context, project uint32, userID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var current string
		err := tx.QueryRowContext(ctx, `SELECT role FROM members WHERE project_id = ? AND user_id = ?`, project, userID).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("cannot read member: %w", err)
		}
		if err := keepsOwner(ctx, tx, project, userID, current); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE project_id = ? AND user_id = ?`, project, userID); err != nil {
			return fmt.Errorf("cannot remove member: %w", err)
		}
		return nil
	})
}

// Memberships lists the projects a user belongs to, with the user's role, in project order.
func (s *Store) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.name, p.timezone, p.currency, p.write_key, p.secret_key_prefix, p.created_at, m.role
		FROM members m JOIN projects p ON p.id = m.project_id WHERE m.user_id = ? ORDER BY p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("cannot list memberships: %w", err)
	}
	defer rows.Close()
	out := []Membership{}
	for rows.Next() {
		var m Membership
		var created int64
		if err := rows.Scan(&m.ID, &m.Name, &m.Timezone, &m.Currency, &m.WriteKey, &m.SecretKeyPrefix, &created, &m.Role); err != nil {
			return nil, fmt.Errorf("cannot list memberships: %w", err)
		}
		m.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}
