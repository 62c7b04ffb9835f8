package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/persons"
	"github.com/jingyun/jingyun/query"
)

// Funnel persons: who is behind a figure of a funnel (reached a step, or dropped before
// it), listed as persons summaries. Operator and up, as persons are.

// registerFunnelPersons adds POST …/funnel/persons.
func (a *App) registerFunnelPersons(mux *http.ServeMux, g *auth.Guard) {
	mux.HandleFunc("POST /api/v1/projects/{project}/funnel/persons", g.Project(auth.PersonsRead, onProject(a.handleFunnelPersons)))
}

// FunnelPersonsRequest is the body of POST …/funnel/persons.
type FunnelPersonsRequest struct {
	Spec      json.RawMessage `json:"spec"`
	Step      int             `json:"step"`
	Dropped   bool            `json:"dropped"`
	Breakdown *string         `json:"breakdown"`
	Limit     int             `json:"limit"`
	Offset    int             `json:"offset"`
}

// DefaultFunnelPersonsLimit and MaxFunnelPersonsLimit bound a page of funnel persons.
const (
	DefaultFunnelPersonsLimit = 50
	MaxFunnelPersonsLimit     = 200
)

func (a *App) handleFunnelPersons(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	var in FunnelPersonsRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	raw := bytes.TrimSpace(in.Spec)
	if len(raw) == 0 || string(raw) == "null" {
		return apierr.Field("missing_field", "spec", "is required: the funnel's spec (as for POST …/query)")
	}
	spec, err := query.Decode(bytes.NewReader(raw))
	if err != nil {
		return prefixField(specError(err), "spec.")
	}
	if in.Limit == 0 {
		in.Limit = DefaultFunnelPersonsLimit
	}
	switch {
	case in.Step == 0:
		return apierr.Field("missing_field", "step", "is required: the step whose persons to list, from 1")
	case in.Limit < 1 || in.Limit > MaxFunnelPersonsLimit:
		return apierr.Field("invalid_value", "limit", fmt.Sprintf("must be from 1 to %d", MaxFunnelPersonsLimit))
	case in.Offset < 0:
		return apierr.Field("invalid_value", "offset", "must not be negative")
	}
	page, err := a.FunnelPersonsPage(r.Context(), p, spec, analysis.StepPersons{Step: in.Step, Dropped: in.Dropped, Breakdown: in.Breakdown}, in.Limit, in.Offset)
	if err != nil {
		e := specError(err)
		if ae, ok := e.(*apierr.Error); ok && ae.Status == http.StatusBadRequest && ae.Field != "step" && ae.Field != "dropped" && ae.Field != "breakdown" {
			return prefixField(e, "spec.")
		}
		return e
	}
	apierr.JSON(w, http.StatusOK, page)
	return nil
}

// FunnelPersonsAnswer is a page of the persons behind a funnel figure.
type FunnelPersonsAnswer struct {
	Persons    []persons.Summary `json:"persons"`
	Total      int               `json:"total"`
	Step       int               `json:"step"`
	Dropped    bool              `json:"dropped"`
	Breakdown  *string           `json:"breakdown"`
	Limit      int               `json:"limit"`
	Offset     int               `json:"offset"`
	ComputedAt string            `json:"computed_at"`
	TookMs     int64             `json:"took_ms"`
}

// FunnelPersonsPage runs a funnel spec for a project now and returns the page
// [offset, offset+limit) of the persons sel picks (see analysis.FunnelPersons), with their
// summaries. Spec and selection errors are *query.Error.
func (a *App) FunnelPersonsPage(ctx context.Context, p *meta.Project, spec *query.Spec, sel analysis.StepPersons, limit, offset int) (*FunnelPersonsAnswer, error) {
	start := time.Now()
	env := query.Env{Project: p.ID, Calendar: query.Calendar{TZ: p.Location()}, Now: start}
	ids, err := analysis.FunnelPersons(ctx, a.Events, spec, env, sel)
	if err != nil {
		return nil, err
	}
	rd, err := persons.New(a.Events)
	if err != nil {
		return nil, err
	}
	list, err := rd.Summaries(ctx, p.ID, ids[min(offset, len(ids)):min(offset+limit, len(ids))])
	if err != nil {
		return nil, err
	}
	return &FunnelPersonsAnswer{Persons: list, Total: len(ids), Step: sel.Step, Dropped: sel.Dropped, Breakdown: sel.Breakdown,
		Limit: limit, Offset: offset, ComputedAt: start.UTC().Format(time.RFC3339), TookMs: time.Since(start).Milliseconds()}, nil
}

// prefixField puts prefix before the field of a 400 error (a spec inside a body).
func prefixField(err error, prefix string) error {
	ae, ok := err.(*apierr.Error)
	if !ok || ae.Status != http.StatusBadRequest {
		return err
	}
	c := *ae
	if c.Field == "" {
		c.Field = prefix[:len(prefix)-1]
	} else {
		c.Field = prefix + c.Field
	}
	return &c
}

// A page stays within what persons.Summaries reads at once (this fails to compile if not).
const _ = uint(persons.MaxSummaries - MaxFunnelPersonsLimit)
