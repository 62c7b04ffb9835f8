package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The tracking plan: display names and descriptions that people give to the event names and
// property paths discovered from the data (package definitions). A row exists only while
// one of the two is set; names are matched exactly as the data spells them.

// Limits of the tracking plan's fields, in characters (runes) except names, in bytes.
const (
	MaxDisplayName    = 100
	MaxDescription    = 2000
	MaxDefinitionName = 1000
)

// DefinitionKind says whether a definition describes an event name or a property path.
type DefinitionKind string

// The kinds of definitions; each has its own table and name space.
const (
	EventKind    DefinitionKind = "event"
	PropertyKind DefinitionKind = "property"
)

func (k DefinitionKind) table() string {
	switch k {
	case EventKind:
		return "event_definitions"
	case PropertyKind:
		return "property_definitions"
	}
	panic(fmt.Sprintf("BUG: unknown definition kind %q", string(k)))
}

// Definition is the tracking plan's entry for one event name or property path of a project.
// UpdatedBy is the user who last changed it (0 for a secret key or a deleted user).
type Definition struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Description string    `json:"description"`
	UpdatedBy   int64     `json:"updated_by,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// DefinitionUpdate changes a definition: a nil field is left as it is, an empty string
// clears it. Values are trimmed of surrounding white space.
type DefinitionUpdate struct {
	DisplayName *string `json:"display_name"`
	Description *string `json:"description"`
}

// Validate trims and checks both fields, returning a *FieldError naming the first bad one.
func (u *DefinitionUpdate) Validate() error {
	if u.DisplayName != nil {
		v := strings.TrimSpace(*u.DisplayName)
		if err := checkText("display_name", v, MaxDisplayName, false); err != nil {
			return err
		}
		u.DisplayName = &v
	}
	if u.Description != nil {
		v := strings.TrimSpace(*u.Description)
		if err := checkText("description", v, MaxDescription, true); err != nil {
			return err
		}
		u.Description = &v
	}
	return nil
}

// checkText checks a text field: valid UTF-8, at most max characters, no control characters
// (but line breaks and tabs where multiline).
func checkText(field, v string, max int, multiline bool) error {
	if !utf8.ValidString(v) {
		return &FieldError{Code: "invalid_value", Field: field, Message: "must be valid UTF-8 text"}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return &FieldError{Code: "too_long", Field: field, Message: fmt.Sprintf("must be at most %d characters, not %d", max, n)}
	}
	bad := strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	})
	if bad >= 0 {
		what := "control characters"
		if !multiline {
			what = "line breaks or control characters"
		}
		return &FieldError{Code: "invalid_value", Field: field, Message: "must not contain " + what}
	}
	return nil
}

// CheckDefinitionName checks the name of an event or the path of a property: 1 to
// MaxDefinitionName bytes of UTF-8 text.
func CheckDefinitionName(name string) error {
	if name == "" {
		return &FieldError{Code: "missing_field", Field: "name", Message: "is required"}
	}
	if len(name) > MaxDefinitionName {
		return &FieldError{Code: "too_long", Field: "name", Message: fmt.Sprintf("must be at most %d bytes", MaxDefinitionName)}
	}
	if !utf8.ValidString(name) {
		return &FieldError{Code: "invalid_value", Field: "name", Message: "must be valid UTF-8 text"}
	}
	return nil
}

// Definitions returns a project's definitions of one kind, by name.
func (s *Store) Definitions(ctx context.Context, project uint32, kind DefinitionKind) (map[string]Definition, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, display_name, description, updated_by, updated_at FROM `+kind.table()+`
		WHERE project_id = ?`, project)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s definitions: %w", kind, err)
	}
	defer rows.Close()
	out := map[string]Definition{}
	for rows.Next() {
		d, err := scanDefinition(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s definitions: %w", kind, err)
		}
		out[d.Name] = *d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s definitions: %w", kind, err)
	}
	return out, nil
}

// Definition returns one definition, or ErrNotFound when neither field is set.
func (s *Store) Definition(ctx context.Context, project uint32, kind DefinitionKind, name string) (*Definition, error) {
	d, err := scanDefinition(s.db.QueryRowContext(ctx, `SELECT name, display_name, description, updated_by, updated_at FROM `+kind.table()+`
		WHERE project_id = ? AND name = ?`, project, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s definition: %w", kind, err)
	}
	return d, nil
}

// SetDefinition applies u to the definition of name (by is the user making the change, 0
// for a secret key) and returns the definition as it now is; a definition whose display
// name and description both become empty is removed (and returned with empty fields). It
// returns a *FieldError for bad input and ErrNotFound when the project does not exist.
func (s *Store) SetDefinition(ctx context.Context, project uint32, kind DefinitionKind, name string, u DefinitionUpdate, by int64) (*Definition, error) {
	if err := CheckDefinitionName(name); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	out := &Definition{Name: name, UpdatedBy: by, UpdatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE id = ?`, project).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return ErrNotFound
		}
		cur, err := scanDefinition(tx.QueryRowContext(ctx, `SELECT name, display_name, description, updated_by, updated_at FROM `+kind.table()+`
			WHERE project_id = ? AND name = ?`, project, name))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if cur != nil {
			out.DisplayName, out.Description = cur.DisplayName, cur.Description
		}
		if u.DisplayName != nil {
			out.DisplayName = *u.DisplayName
		}
		if u.Description != nil {
			out.Description = *u.Description
		}
		if out.DisplayName == "" && out.Description == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM `+kind.table()+` WHERE project_id = ? AND name = ?`, project, name)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO `+kind.table()+` (project_id, name, display_name, description, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (project_id, name) DO UPDATE SET display_name = excluded.display_name,
				description = excluded.description, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			project, name, out.DisplayName, out.Description, nullID(by), now.Unix())
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cannot set %s definition: %w", kind, err)
	}
	return out, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func scanDefinition(r interface{ Scan(...any) error }) (*Definition, error) {
	var d Definition
	var by sql.NullInt64
	var at int64
	if err := r.Scan(&d.Name, &d.DisplayName, &d.Description, &by, &at); err != nil {
		return nil, err
	}
	d.UpdatedBy = by.Int64
	d.UpdatedAt = time.Unix(at, 0).UTC()
	return &d, nil
}
