package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/query"
)

// Saved insights and dashboards: CRUD over package meta, and an insight's result through the
// result cache (QueryCached). Reading needs query:read (viewer), writing insight:write
// (analyst). Ids of another project answer 404 like unknown ones. Specs are validated with
// package query when saved, and stored in canonical form.

// insightsAPI serves the insight and dashboard endpoints.
type insightsAPI struct{ a *App }

// registerInsights adds the insight and dashboard endpoints to mux.
func (a *App) registerInsights(mux *http.ServeMux, g *auth.Guard) {
	h := &insightsAPI{a: a}
	mux.HandleFunc("GET /api/v1/projects/{project}/insights", g.Project(auth.QueryRead, h.listInsights))
	mux.HandleFunc("POST /api/v1/projects/{project}/insights", g.Project(auth.InsightWrite, h.createInsight))
	mux.HandleFunc("GET /api/v1/projects/{project}/insights/{id}", g.Project(auth.QueryRead, h.getInsight))
	mux.HandleFunc("PATCH /api/v1/projects/{project}/insights/{id}", g.Project(auth.InsightWrite, h.updateInsight))
	mux.HandleFunc("DELETE /api/v1/projects/{project}/insights/{id}", g.Project(auth.InsightWrite, h.deleteInsight))
	mux.HandleFunc("GET /api/v1/projects/{project}/insights/{id}/result", g.Project(auth.QueryRead, onProject(h.insightResult)))
	mux.HandleFunc("GET /api/v1/projects/{project}/dashboards", g.Project(auth.QueryRead, onProject(h.listDashboards)))
	mux.HandleFunc("POST /api/v1/projects/{project}/dashboards", g.Project(auth.InsightWrite, h.createDashboard))
	mux.HandleFunc("GET /api/v1/projects/{project}/dashboards/{id}", g.Project(auth.QueryRead, onProject(h.getDashboard)))
	mux.HandleFunc("PATCH /api/v1/projects/{project}/dashboards/{id}", g.Project(auth.InsightWrite, onProject(h.updateDashboard)))
	mux.HandleFunc("DELETE /api/v1/projects/{project}/dashboards/{id}", g.Project(auth.InsightWrite, onProject(h.deleteDashboard)))
	mux.HandleFunc("POST /api/v1/projects/{project}/dashboards/{id}/items", g.Project(auth.InsightWrite, onProject(h.addItem)))
	mux.HandleFunc("PUT /api/v1/projects/{project}/dashboards/{id}/items", g.Project(auth.InsightWrite, onProject(h.reorderItems)))
	mux.HandleFunc("DELETE /api/v1/projects/{project}/dashboards/{id}/items/{insight}", g.Project(auth.InsightWrite, onProject(h.removeItem)))
}

func insightNotFound() error {
	return apierr.New(http.StatusNotFound, "insight_not_found", "no such insight in this project")
}

func dashboardNotFound() error {
	return apierr.New(http.StatusNotFound, "dashboard_not_found", "no such dashboard in this project")
}

// pathID reads a positive id from the path; anything else is the not-found error.
func pathID(r *http.Request, name string, notFound func() error) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound()
	}
	return id, nil
}

// storeError maps a meta error of an insight or dashboard call to an API error.
func storeError(err error, notFound func() error) error {
	var fe *meta.FieldError
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return notFound()
	case errors.As(err, &fe):
		return apierr.Field(fe.Code, fe.Field, fe.Message)
	}
	return apierr.Internal(err)
}

// canonicalSpec validates a spec given in a body (its date range resolved in the project's
// calendar now) and returns it re-encoded, with errors on the field "spec.<path>".
func canonicalSpec(p *meta.Project, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, apierr.Field("missing_field", "spec", "is required: an analysis spec (see POST …/query)")
	}
	spec, err := query.Decode(bytes.NewReader(raw))
	if err == nil {
		_, err = query.Calendar{TZ: p.Location()}.Range(spec.DateRange, time.Now())
	}
	if err != nil {
		e := specError(err)
		var ae *apierr.Error
		if errors.As(e, &ae) && ae.Status == http.StatusBadRequest {
			c := *ae
			c.Field = strings.TrimSuffix("spec."+c.Field, ".")
			return nil, &c
		}
		return nil, e
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, apierr.Internal(fmt.Errorf("cannot encode spec: %w", err))
	}
	return b, nil
}

// createdBy is the caller's user id, 0 for a secret key.
func createdBy(acc *auth.Access) int64 { return userID(acc) }

func (h *insightsAPI) listInsights(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	l, err := h.a.Meta.Insights(r.Context(), acc.Project.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	if l == nil {
		l = []meta.Insight{}
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"insights": l})
	return nil
}

type insightBody struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Spec        json.RawMessage `json:"spec"`
	// Dashboard, on create, also puts the new insight on this dashboard.
	Dashboard int64 `json:"dashboard_id"`
}

func (h *insightsAPI) createInsight(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	var req insightBody
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return apierr.Field("missing_field", "name", "is required")
	}
	spec, err := canonicalSpec(acc.Project, req.Spec)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if req.Dashboard != 0 {
		if _, err := h.a.Meta.Dashboard(ctx, acc.Project.ID, req.Dashboard); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return &apierr.Error{Status: http.StatusNotFound, Code: "dashboard_not_found", Field: "dashboard_id", Message: "no such dashboard in this project"}
			}
			return apierr.Internal(err)
		}
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	in, err := h.a.Meta.CreateInsight(ctx, acc.Project.ID, meta.NewInsight{Name: *req.Name, Description: desc, Spec: spec, CreatedBy: createdBy(acc)})
	if err != nil {
		return storeError(err, func() error { return apierr.New(http.StatusNotFound, "project_not_found", "no such project") })
	}
	if req.Dashboard != 0 {
		if err := h.a.Meta.AddDashboardItem(ctx, acc.Project.ID, req.Dashboard, in.ID); err != nil {
			h.a.Meta.DeleteInsight(ctx, acc.Project.ID, in.ID) // no half-done save
			return itemError(err)
		}
		in.Dashboards = []int64{req.Dashboard}
	}
	apierr.JSON(w, http.StatusCreated, in)
	return nil
}

func (h *insightsAPI) insight(r *http.Request, acc *auth.Access) (*meta.Insight, error) {
	id, err := pathID(r, "id", insightNotFound)
	if err != nil {
		return nil, err
	}
	in, err := h.a.Meta.Insight(r.Context(), acc.Project.ID, id)
	if err != nil {
		return nil, storeError(err, insightNotFound)
	}
	return in, nil
}

func (h *insightsAPI) getInsight(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	in, err := h.insight(r, acc)
	if err != nil {
		return err
	}
	apierr.JSON(w, http.StatusOK, in)
	return nil
}

func (h *insightsAPI) updateInsight(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	id, err := pathID(r, "id", insightNotFound)
	if err != nil {
		return err
	}
	var req insightBody
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Dashboard != 0 {
		return apierr.Field("unknown_field", "dashboard_id", "only on create; use POST …/dashboards/{id}/items")
	}
	u := meta.InsightUpdate{Name: req.Name, Description: req.Description}
	if req.Spec != nil {
		if u.Spec, err = canonicalSpec(acc.Project, req.Spec); err != nil {
			return err
		}
	}
	if u.Name == nil && u.Description == nil && u.Spec == nil {
		return apierr.Field("missing_field", "name", "give at least one of name, description, spec")
	}
	in, err := h.a.Meta.UpdateInsight(r.Context(), acc.Project.ID, id, u)
	if err != nil {
		return storeError(err, insightNotFound)
	}
	apierr.JSON(w, http.StatusOK, in)
	return nil
}

func (h *insightsAPI) deleteInsight(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	id, err := pathID(r, "id", insightNotFound)
	if err != nil {
		return err
	}
	if err := h.a.Meta.DeleteInsight(r.Context(), acc.Project.ID, id); err != nil {
		return storeError(err, insightNotFound)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// insightResult runs the insight's spec through the result cache.
func (h *insightsAPI) insightResult(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	refresh, err := refreshParam(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", insightNotFound)
	if err != nil {
		return err
	}
	in, err := h.a.Meta.Insight(r.Context(), p.ID, id)
	if err != nil {
		return storeError(err, insightNotFound)
	}
	spec, err := query.Decode(bytes.NewReader(in.Spec))
	if err != nil {
		// Saved specs were valid when saved; one a later version refuses is reported as
		// the insight's problem, with the field, so that it can be fixed by editing it.
		return specError(err)
	}
	ans, err := h.a.QueryCached(r.Context(), p, spec, refresh)
	if err != nil {
		return specError(err)
	}
	apierr.JSON(w, http.StatusOK, struct {
		InsightID int64 `json:"insight_id"`
		*Answer
	}{in.ID, ans})
	return nil
}

func (h *insightsAPI) listDashboards(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	l, err := h.a.Meta.Dashboards(r.Context(), p.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	// The list has no items (item_count only): hide the empty field.
	type summary struct {
		meta.Dashboard
		Items *struct{} `json:"items,omitempty"`
	}
	out := make([]summary, len(l))
	for i := range l {
		out[i].Dashboard = l[i]
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"dashboards": out})
	return nil
}

type dashboardBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (h *insightsAPI) createDashboard(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	var req dashboardBody
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return apierr.Field("missing_field", "name", "is required")
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	d, err := h.a.Meta.CreateDashboard(r.Context(), acc.Project.ID, meta.NewDashboard{Name: *req.Name, Description: desc, CreatedBy: createdBy(acc)})
	if err != nil {
		return storeError(err, func() error { return apierr.New(http.StatusNotFound, "project_not_found", "no such project") })
	}
	apierr.JSON(w, http.StatusCreated, d)
	return nil
}

// dashboard answers with the dashboard id in the path, with its items.
func (h *insightsAPI) dashboard(w http.ResponseWriter, r *http.Request, p *meta.Project, status int) error {
	id, err := pathID(r, "id", dashboardNotFound)
	if err != nil {
		return err
	}
	d, err := h.a.Meta.Dashboard(r.Context(), p.ID, id)
	if err != nil {
		return storeError(err, dashboardNotFound)
	}
	if d.Items == nil {
		d.Items = []meta.Insight{}
	}
	apierr.JSON(w, status, d)
	return nil
}

func (h *insightsAPI) getDashboard(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	return h.dashboard(w, r, p, http.StatusOK)
}

func (h *insightsAPI) updateDashboard(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	id, err := pathID(r, "id", dashboardNotFound)
	if err != nil {
		return err
	}
	var req dashboardBody
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil && req.Description == nil {
		return apierr.Field("missing_field", "name", "give at least one of name, description")
	}
	if _, err := h.a.Meta.UpdateDashboard(r.Context(), p.ID, id, meta.DashboardUpdate{Name: req.Name, Description: req.Description}); err != nil {
		return storeError(err, dashboardNotFound)
	}
	return h.dashboard(w, r, p, http.StatusOK)
}

func (h *insightsAPI) deleteDashboard(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	id, err := pathID(r, "id", dashboardNotFound)
	if err != nil {
		return err
	}
	if err := h.a.Meta.DeleteDashboard(r.Context(), p.ID, id); err != nil {
		return storeError(err, dashboardNotFound)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// itemError maps the errors of the dashboard item calls.
func itemError(err error) error {
	switch {
	case errors.Is(err, meta.ErrInsightNotFound):
		return &apierr.Error{Status: http.StatusNotFound, Code: "insight_not_found", Field: "insight_id", Message: "no such insight in this project (or not on this dashboard)"}
	case errors.Is(err, meta.ErrDashboardFull):
		return &apierr.Error{Status: http.StatusConflict, Code: "dashboard_full", Field: "insight_id",
			Message: fmt.Sprintf("a dashboard holds at most %d insights", meta.MaxDashboardItems)}
	}
	return storeError(err, dashboardNotFound)
}

func (h *insightsAPI) addItem(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	id, err := pathID(r, "id", dashboardNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Insight int64 `json:"insight_id"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Insight == 0 {
		return apierr.Field("missing_field", "insight_id", "is required")
	}
	if err := h.a.Meta.AddDashboardItem(r.Context(), p.ID, id, req.Insight); err != nil {
		return itemError(err)
	}
	return h.dashboard(w, r, p, http.StatusOK)
}

func (h *insightsAPI) reorderItems(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	id, err := pathID(r, "id", dashboardNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Insights []int64 `json:"insight_ids"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Insights == nil {
		return apierr.Field("missing_field", "insight_ids", "is required: every insight of the dashboard, in the new order")
	}
	if err := h.a.Meta.SetDashboardOrder(r.Context(), p.ID, id, req.Insights); err != nil {
		return storeError(err, dashboardNotFound)
	}
	return h.dashboard(w, r, p, http.StatusOK)
}

func (h *insightsAPI) removeItem(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	id, err := pathID(r, "id", dashboardNotFound)
	if err != nil {
		return err
	}
	insight, err := pathID(r, "insight", insightNotFound)
	if err != nil {
		return err
	}
	if err := h.a.Meta.RemoveDashboardItem(r.Context(), p.ID, id, insight); err != nil {
		return itemError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
