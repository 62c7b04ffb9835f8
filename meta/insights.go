package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Saved insights and dashboards. An insight is a named analysis spec; a dashboard is a
// named, ordered list of insights of the same project. Every method takes the project id
// and matches rows by it as well as by their own id, so an id of another project behaves as
// an unknown one (ErrNotFound). The spec is stored as given: the caller (the HTTP API)
// validates it with package query first; this file only checks that it is a JSON object.

// Limits of insights and dashboards, part of the API contract.
const (
	MaxNameLen        = 200     // characters of an insight or dashboard name
	MaxDescriptionLen = 2000    // characters of a description
	MaxSpecBytes      = 1 << 20 // bytes of an insight's spec JSON
	MaxDashboardItems = 100     // insights on one dashboard
)

// Insight is a saved analysis of a project.
type Insight struct {
	ID          int64           `json:"id"`
	ProjectID   uint32          `json:"project_id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Spec        json.RawMessage `json:"spec"`
	// CreatedBy is the user who saved it; nil when saved with a secret key or when that
	// user was deleted.
	CreatedBy *int64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Dashboards are the ids of the dashboards that show the insight, in id order.
	Dashboards []int64 `json:"dashboards"`
}

// NewInsight holds an insight to create. Name is trimmed; Spec must be a JSON object
// (validated as an analysis spec by the caller). CreatedBy 0 means no user.
type NewInsight struct {
	Name        string
	Description string
	Spec        json.RawMessage
	CreatedBy   int64
}

// InsightUpdate holds the fields of an insight to change; nil fields stay as they are.
type InsightUpdate struct {
	Name        *string
	Description *string
	Spec        json.RawMessage
}

// Dashboard is a named, ordered grid of insights of a project.
type Dashboard struct {
	ID          int64     `json:"id"`
	ProjectID   uint32    `json:"project_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedBy   *int64    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Items are the dashboard's insights in display order. Dashboards (the list) leaves
	// it nil and fills ItemCount only.
	Items     []Insight `json:"items"`
	ItemCount int       `json:"item_count"`
}

// NewDashboard holds a dashboard to create; see NewInsight for the fields.
type NewDashboard struct {
	Name        string
	Description string
	CreatedBy   int64
}

// DashboardUpdate holds the fields of a dashboard to change; nil fields stay as they are.
type DashboardUpdate struct {
	Name        *string
	Description *string
}

// checkInsightText trims v and checks that it is text (one line when required) of at most max
// characters, present when required.
func checkInsightText(field, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" && required {
		return "", &FieldError{Code: "missing_field", Field: field, Message: "is required"}
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 ||
		(required && strings.ContainsAny(v, "\n\t")) {
		return "", &FieldError{Code: "invalid_value", Field: field, Message: "must be text without control characters"}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", &FieldError{Code: "too_long", Field: field, Message: fmt.Sprintf("must be at most %d characters, not %d", max, n)}
	}
	return v, nil
}

func checkSpec(spec json.RawMessage) (json.RawMessage, error) {
	spec = json.RawMessage(strings.TrimSpace(string(spec)))
	if len(spec) == 0 {
		return nil, &FieldError{Code: "missing_field", Field: "spec", Message: "is required"}
	}
	if len(spec) > MaxSpecBytes {
		return nil, &FieldError{Code: "too_long", Field: "spec", Message: fmt.Sprintf("must be at most %d bytes", MaxSpecBytes)}
	}
	if spec[0] != '{' || !json.Valid(spec) {
		return nil, &FieldError{Code: "invalid_type", Field: "spec", Message: "must be a JSON object"}
	}
	return spec, nil
}

func nullUser(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

const insightCols = `id, project_id, name, description, spec, created_by, created_at, updated_at`

func scanInsight(r interface{ Scan(...any) error }) (*Insight, error) {
	var in Insight
	var spec string
	var by sql.NullInt64
	var created, updated int64
	if err := r.Scan(&in.ID, &in.ProjectID, &in.Name, &in.Description, &spec, &by, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot read insight: %w", err)
	}
	in.Spec = json.RawMessage(spec)
	if by.Valid {
		in.CreatedBy = &by.Int64
	}
	in.CreatedAt = time.Unix(created, 0).UTC()
	in.UpdatedAt = time.Unix(updated, 0).UTC()
	in.Dashboards = []int64{}
	return &in, nil
}

// fillDashboards sets the Dashboards of each insight.
func (s *Store) fillDashboards(ctx context.Context, project uint32, ins []*Insight) error {
	if len(ins) == 0 {
		return nil
	}
	byID := make(map[int64]*Insight, len(ins))
	for _, in := range ins {
		byID[in.ID] = in
	}
	rows, err := s.db.QueryContext(ctx, `SELECT i.insight_id, i.dashboard_id FROM dashboard_items i
		JOIN dashboards d ON d.id = i.dashboard_id WHERE d.project_id = ? ORDER BY i.dashboard_id`, project)
	if err != nil {
		return fmt.Errorf("cannot list dashboards of insights: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var insight, dash int64
		if err := rows.Scan(&insight, &dash); err != nil {
			return fmt.Errorf("cannot list dashboards of insights: %w", err)
		}
		if in := byID[insight]; in != nil {
			in.Dashboards = append(in.Dashboards, dash)
		}
	}
	return rows.Err()
}

// CreateInsight saves an insight in a project. Validation failures are *FieldError.
func (s *Store) CreateInsight(ctx context.Context, project uint32, n NewInsight) (*Insight, error) {
	name, err := checkInsightText("name", n.Name, true, MaxNameLen)
	if err != nil {
		return nil, err
	}
	desc, err := checkInsightText("description", n.Description, false, MaxDescriptionLen)
	if err != nil {
		return nil, err
	}
	spec, err := checkSpec(n.Spec)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	res, err := s.db.ExecContext(ctx, `INSERT INTO insights (project_id, name, description, spec, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, project, name, desc, string(spec), nullUser(n.CreatedBy), now.Unix(), now.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot create insight: %w", err)
	}
	id, _ := res.LastInsertId()
	in := &Insight{ID: id, ProjectID: project, Name: name, Description: desc, Spec: spec, CreatedAt: now, UpdatedAt: now, Dashboards: []int64{}}
	if n.CreatedBy > 0 {
		by := n.CreatedBy
		in.CreatedBy = &by
	}
	return in, nil
}

// Insight returns one insight of a project, or ErrNotFound (also for an id of another
// project).
func (s *Store) Insight(ctx context.Context, project uint32, id int64) (*Insight, error) {
	in, err := scanInsight(s.db.QueryRowContext(ctx, `SELECT `+insightCols+` FROM insights WHERE id = ? AND project_id = ?`, id, project))
	if err != nil {
		return nil, err
	}
	if err := s.fillDashboards(ctx, project, []*Insight{in}); err != nil {
		return nil, err
	}
	return in, nil
}

// Insights lists a project's insights, most recently changed first.
func (s *Store) Insights(ctx context.Context, project uint32) ([]Insight, error) {
	return s.queryInsights(ctx, project, "list insights",
		`SELECT `+insightCols+` FROM insights WHERE project_id = ? ORDER BY updated_at DESC, id DESC`, project)
}

// queryInsights runs a query of insight rows (insightCols) and fills their dashboards; what
// names the operation in errors.
func (s *Store) queryInsights(ctx context.Context, project uint32, what, query string, args ...any) ([]Insight, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot %s: %w", what, err)
	}
	var ptrs []*Insight
	for rows.Next() {
		in, err := scanInsight(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ptrs = append(ptrs, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot %s: %w", what, err)
	}
	if err := s.fillDashboards(ctx, project, ptrs); err != nil {
		return nil, err
	}
	out := make([]Insight, len(ptrs))
	for i, p := range ptrs {
		out[i] = *p
	}
	return out, nil
}

// UpdateInsight changes the given fields of an insight and returns it, or ErrNotFound.
func (s *Store) UpdateInsight(ctx context.Context, project uint32, id int64, u InsightUpdate) (*Insight, error) {
	sets, args := []string{}, []any{}
	if u.Name != nil {
		name, err := checkInsightText("name", *u.Name, true, MaxNameLen)
		if err != nil {
			return nil, err
		}
		sets, args = append(sets, "name = ?"), append(args, name)
	}
	if u.Description != nil {
		desc, err := checkInsightText("description", *u.Description, false, MaxDescriptionLen)
		if err != nil {
			return nil, err
		}
		sets, args = append(sets, "description = ?"), append(args, desc)
	}
	if u.Spec != nil {
		spec, err := checkSpec(u.Spec)
		if err != nil {
			return nil, err
		}
		sets, args = append(sets, "spec = ?"), append(args, string(spec))
	}
	if err := s.updateRow(ctx, "insights", sets, args, project, id); err != nil {
		return nil, err
	}
	return s.Insight(ctx, project, id)
}

// DeleteInsight deletes an insight and removes it from every dashboard, or returns
// ErrNotFound.
func (s *Store) DeleteInsight(ctx context.Context, project uint32, id int64) error {
	return s.deleteRow(ctx, "insights", project, id)
}

const dashboardCols = `d.id, d.project_id, d.name, d.description, d.created_by, d.created_at, d.updated_at,
	(SELECT count(*) FROM dashboard_items i WHERE i.dashboard_id = d.id)`

func scanDashboard(r interface{ Scan(...any) error }) (*Dashboard, error) {
	var d Dashboard
	var by sql.NullInt64
	var created, updated int64
	if err := r.Scan(&d.ID, &d.ProjectID, &d.Name, &d.Description, &by, &created, &updated, &d.ItemCount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot read dashboard: %w", err)
	}
	if by.Valid {
		d.CreatedBy = &by.Int64
	}
	d.CreatedAt = time.Unix(created, 0).UTC()
	d.UpdatedAt = time.Unix(updated, 0).UTC()
	return &d, nil
}

// CreateDashboard creates an empty dashboard in a project.
func (s *Store) CreateDashboard(ctx context.Context, project uint32, n NewDashboard) (*Dashboard, error) {
	name, err := checkInsightText("name", n.Name, true, MaxNameLen)
	if err != nil {
		return nil, err
	}
	desc, err := checkInsightText("description", n.Description, false, MaxDescriptionLen)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	res, err := s.db.ExecContext(ctx, `INSERT INTO dashboards (project_id, name, description, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, project, name, desc, nullUser(n.CreatedBy), now.Unix(), now.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("cannot create dashboard: %w", err)
	}
	id, _ := res.LastInsertId()
	d := &Dashboard{ID: id, ProjectID: project, Name: name, Description: desc, CreatedAt: now, UpdatedAt: now, Items: []Insight{}}
	if n.CreatedBy > 0 {
		by := n.CreatedBy
		d.CreatedBy = &by
	}
	return d, nil
}

// Dashboard returns a dashboard of a project with its insights in order, or ErrNotFound
// (also for an id of another project).
func (s *Store) Dashboard(ctx context.Context, project uint32, id int64) (*Dashboard, error) {
	d, err := scanDashboard(s.db.QueryRowContext(ctx, `SELECT `+dashboardCols+` FROM dashboards d WHERE d.id = ? AND d.project_id = ?`, id, project))
	if err != nil {
		return nil, err
	}
	if d.Items, err = s.queryInsights(ctx, project, "read dashboard items", `SELECT `+prefixCols("n.", insightCols)+` FROM dashboard_items i
		JOIN insights n ON n.id = i.insight_id AND n.project_id = ?
		WHERE i.dashboard_id = ? ORDER BY i.position, i.insight_id`, project, id); err != nil {
		return nil, err
	}
	d.ItemCount = len(d.Items)
	return d, nil
}

func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = prefix + parts[i]
	}
	return strings.Join(parts, ", ")
}

// Dashboards lists a project's dashboards by name (then id), without their items.
func (s *Store) Dashboards(ctx context.Context, project uint32) ([]Dashboard, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+dashboardCols+` FROM dashboards d WHERE d.project_id = ? ORDER BY d.name, d.id`, project)
	if err != nil {
		return nil, fmt.Errorf("cannot list dashboards: %w", err)
	}
	defer rows.Close()
	out := []Dashboard{}
	for rows.Next() {
		d, err := scanDashboard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// UpdateDashboard renames a dashboard or changes its description and returns it, or
// ErrNotFound.
func (s *Store) UpdateDashboard(ctx context.Context, project uint32, id int64, u DashboardUpdate) (*Dashboard, error) {
	sets, args := []string{}, []any{}
	if u.Name != nil {
		name, err := checkInsightText("name", *u.Name, true, MaxNameLen)
		if err != nil {
			return nil, err
		}
		sets, args = append(sets, "name = ?"), append(args, name)
	}
	if u.Description != nil {
		desc, err := checkInsightText("description", *u.Description, false, MaxDescriptionLen)
		if err != nil {
			return nil, err
		}
		sets, args = append(sets, "description = ?"), append(args, desc)
	}
	if err := s.updateRow(ctx, "dashboards", sets, args, project, id); err != nil {
		return nil, err
	}
	return s.Dashboard(ctx, project, id)
}

// DeleteDashboard deletes a dashboard (its insights stay), or returns ErrNotFound.
func (s *Store) DeleteDashboard(ctx context.Context, project uint32, id int64) error {
	return s.deleteRow(ctx, "dashboards", project, id)
}

// updateRow applies sets (with their args) and a new updated_at to row id of table
// (insights or dashboards: a constant, never input) in project, or returns ErrNotFound.
func (s *Store) updateRow(ctx context.Context, table string, sets []string, args []any, project uint32, id int64) error {
	sets, args = append(sets, "updated_at = ?"), append(args, time.Now().UTC().Unix())
	res, err := s.db.ExecContext(ctx, `UPDATE `+table+` SET `+strings.Join(sets, ", ")+` WHERE id = ? AND project_id = ?`, append(args, id, project)...)
	if err != nil {
		return fmt.Errorf("cannot update %s: %w", strings.TrimSuffix(table, "s"), err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// deleteRow deletes row id of table (insights or dashboards) in project, or returns
// ErrNotFound.
func (s *Store) deleteRow(ctx context.Context, table string, project uint32, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ? AND project_id = ?`, id, project)
	if err != nil {
		return fmt.Errorf("cannot delete %s: %w", strings.TrimSuffix(table, "s"), err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ErrInsightNotFound is returned when an insight to put on a dashboard is not in the
// dashboard's project; ErrNotFound means the dashboard itself is unknown.
var ErrInsightNotFound = errors.New("insight not found")

// ErrDashboardFull is returned when a dashboard already holds MaxDashboardItems insights.
var ErrDashboardFull = errors.New("dashboard full")

// dashboardInTx checks that a dashboard belongs to the project.
func dashboardInTx(ctx context.Context, tx *sql.Tx, project uint32, dashboard int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM dashboards WHERE id = ? AND project_id = ?`, dashboard, project).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("cannot read dashboard: %w", err)
	}
	return nil
}

func touchDashboard(ctx context.Context, tx *sql.Tx, dashboard int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE dashboards SET updated_at = ? WHERE id = ?`, time.Now().UTC().Unix(), dashboard); err != nil {
		return fmt.Errorf("cannot update dashboard: %w", err)
	}
	return nil
}

// AddDashboardItem appends an insight to a dashboard. Adding an insight the dashboard
// already shows changes nothing. It returns ErrNotFound for an unknown dashboard,
// ErrInsightNotFound for an insight not in the project and ErrDashboardFull.
func (s *Store) AddDashboardItem(ctx context.Context, project uint32, dashboard, insight int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := dashboardInTx(ctx, tx, project, dashboard); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM insights WHERE id = ? AND project_id = ?`, insight, project).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInsightNotFound
		}
		if err != nil {
			return fmt.Errorf("cannot read insight: %w", err)
		}
		var n, next int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(position) + 1, 0) FROM dashboard_items WHERE dashboard_id = ?`,
			dashboard).Scan(&n, &next); err != nil {
			return fmt.Errorf("cannot read dashboard items: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO dashboard_items (dashboard_id, insight_id, position) VALUES (?, ?, ?)
			ON CONFLICT (dashboard_id, insight_id) DO NOTHING`, dashboard, insight, next)
		if err != nil {
			return fmt.Errorf("cannot add dashboard item: %w", err)
		}
		if added, _ := res.RowsAffected(); added == 0 {
			return nil
		}
		if n >= MaxDashboardItems {
			return ErrDashboardFull // rolls the insert back
		}
		return touchDashboard(ctx, tx, dashboard)
	})
}

// RemoveDashboardItem takes an insight off a dashboard (the insight stays). It returns
// ErrNotFound for an unknown dashboard and ErrInsightNotFound when the dashboard does not
// show the insight.
func (s *Store) RemoveDashboardItem(ctx context.Context, project uint32, dashboard, insight int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := dashboardInTx(ctx, tx, project, dashboard); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM dashboard_items WHERE dashboard_id = ? AND insight_id = ?`, dashboard, insight)
		if err != nil {
			return fmt.Errorf("cannot remove dashboard item: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrInsightNotFound
		}
		return touchDashboard(ctx, tx, dashboard)
	})
}

// SetDashboardOrder puts a dashboard's insights in the order of insights, which must name
// each insight on the dashboard exactly once (else a *FieldError on "insight_ids"). It
// returns ErrNotFound for an unknown dashboard.
func (s *Store) SetDashboardOrder(ctx context.Context, project uint32, dashboard int64, insights []int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := dashboardInTx(ctx, tx, project, dashboard); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT insight_id FROM dashboard_items WHERE dashboard_id = ?`, dashboard)
		if err != nil {
			return fmt.Errorf("cannot read dashboard items: %w", err)
		}
		have := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("cannot read dashboard items: %w", err)
			}
			have[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("cannot read dashboard items: %w", err)
		}
		seen := map[int64]bool{}
		for _, id := range insights {
			if !have[id] || seen[id] {
				return &FieldError{Code: "invalid_value", Field: "insight_ids",
					Message: fmt.Sprintf("must list each insight of the dashboard once; %d is not on it or repeated", id)}
			}
			seen[id] = true
		}
		if len(seen) != len(have) {
			return &FieldError{Code: "invalid_value", Field: "insight_ids",
				Message: fmt.Sprintf("must list all %d insights of the dashboard, not %d", len(have), len(seen))}
		}
		for i, id := range insights {
			if _, err := tx.ExecContext(ctx, `UPDATE dashboard_items SET position = ? WHERE dashboard_id = ? AND insight_id = ?`, i, dashboard, id); err != nil {
				return fmt.Errorf("cannot reorder dashboard: %w", err)
			}
		}
		return touchDashboard(ctx, tx, dashboard)
	})
}
