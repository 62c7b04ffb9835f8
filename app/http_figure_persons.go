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

// Figure persons: who is behind a figure of a trends line (a point, or the whole range), a
// funnel (reached a step, or dropped before it) or a retention table (a cohort, who
// returned in a period, or who did not), listed as persons summaries a page at a time.
// Operator and up, as persons are.

// registerFigurePersons adds POST …/trends/persons, …/funnel/persons and
// …/retention/persons.
func (a *App) registerFigurePersons(mux *http.ServeMux, g *auth.Guard) {
	mux.HandleFunc("POST /api/v1/projects/{project}/trends/persons", g.Project(auth.PersonsRead, onProject(a.handleTrendsPersons)))
	mux.HandleFunc("POST /api/v1/projects/{project}/funnel/persons", g.Project(auth.PersonsRead, onProject(a.handleFunnelPersons)))
	mux.HandleFunc("POST /api/v1/projects/{project}/retention/persons", g.Project(auth.PersonsRead, onProject(a.handleRetentionPersons)))
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

// TrendsPersonsRequest is the body of POST …/trends/persons.
type TrendsPersonsRequest struct {
	Spec      json.RawMessage `json:"spec"`
	Series    string          `json:"series"`
	Time      string          `json:"time"`
	Breakdown *string         `json:"breakdown"`
	Compare   bool            `json:"compare"`
	Limit     int             `json:"limit"`
	Offset    int             `json:"offset"`
}

// RetentionPersonsRequest is the body of POST …/retention/persons.
type RetentionPersonsRequest struct {
	Spec   json.RawMessage `json:"spec"`
	Cohort string          `json:"cohort"`
	Period *int            `json:"period"`
	Lost   bool            `json:"lost"`
	Limit  int             `json:"limit"`
	Offset int             `json:"offset"`
}

// DefaultPersonsPage and MaxPersonsPage bound a page of a figure's persons.
const (
	DefaultPersonsPage = 50
	MaxPersonsPage     = 200
)

// A page stays within what persons.Summaries reads at once (this fails to compile if not).
const _ = uint(persons.MaxSummaries - MaxPersonsPage)

// PersonsPage is a page of the persons behind a figure; Figure echoes the selection.
type PersonsPage struct {
	Figure     any               `json:"figure"`
	Persons    []persons.Summary `json:"persons"`
	Total      int               `json:"total"`
	Limit      int               `json:"limit"`
	Offset     int               `json:"offset"`
	ComputedAt string            `json:"computed_at"`
	TookMs     int64             `json:"took_ms"`
}

// selectionFields are the request's own fields; other 400s of a run are about the spec.
var selectionFields = map[string]bool{"series": true, "time": true, "compare": true, "step": true, "dropped": true, "breakdown": true, "cohort": true, "period": true, "lost": true}

func (a *App) handleTrendsPersons(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	var in TrendsPersonsRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	sel := analysis.PointPersons{Series: in.Series, Time: in.Time, Breakdown: in.Breakdown, Compare: in.Compare}
	return a.answerPersons(w, r, p, in.Spec, in.Limit, in.Offset, sel)
}

func (a *App) handleFunnelPersons(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	var in FunnelPersonsRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Step == 0 && len(bytes.TrimSpace(in.Spec)) > 0 {
		return apierr.Field("missing_field", "step", "is required: the step whose persons to list, from 1")
	}
	sel := analysis.StepPersons{Step: in.Step, Dropped: in.Dropped, Breakdown: in.Breakdown}
	return a.answerPersons(w, r, p, in.Spec, in.Limit, in.Offset, sel)
}

func (a *App) handleRetentionPersons(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	var in RetentionPersonsRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	sel := analysis.CohortPersons{Cohort: in.Cohort, Period: in.Period, Lost: in.Lost}
	return a.answerPersons(w, r, p, in.Spec, in.Limit, in.Offset, sel)
}

// answerPersons decodes the spec of a request, checks its page and answers the page of the
// persons sel picks (see FigurePersons).
func (a *App) answerPersons(w http.ResponseWriter, r *http.Request, p *meta.Project, raw json.RawMessage, limit, offset int, sel any) error {
	spec, err := bodySpec(raw)
	if err != nil {
		return err
	}
	if err := pageParams(&limit, offset); err != nil {
		return err
	}
	page, err := a.FigurePersons(r.Context(), p, spec, sel, limit, offset)
	if err != nil {
		return runError(err)
	}
	apierr.JSON(w, http.StatusOK, page)
	return nil
}

// bodySpec decodes the spec of a request body, with errors on "spec.<path>".
func bodySpec(raw json.RawMessage) (*query.Spec, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, apierr.Field("missing_field", "spec", "is required: the analysis's spec (as for POST …/query)")
	}
	spec, err := query.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, prefixField(specError(err), "spec.")
	}
	return spec, nil
}

// pageParams checks limit (0 takes the default) and offset.
func pageParams(limit *int, offset int) error {
	if *limit == 0 {
		*limit = DefaultPersonsPage
	}
	switch {
	case *limit < 1 || *limit > MaxPersonsPage:
		return apierr.Field("invalid_value", "limit", fmt.Sprintf("must be from 1 to %d", MaxPersonsPage))
	case offset < 0:
		return apierr.Field("invalid_value", "offset", "must not be negative")
	}
	return nil
}

// runError maps an error of FigurePersons: spec errors name "spec.<path>", selection
// errors their own field.
func runError(err error) error {
	e := specError(err)
	if ae, ok := e.(*apierr.Error); ok && ae.Status == http.StatusBadRequest && !selectionFields[ae.Field] {
		return prefixField(e, "spec.")
	}
	return e
}

// FigurePersons runs spec for a project now and returns the page [offset, offset+limit)
// of the persons behind one figure, with their summaries: sel is an analysis.PointPersons
// for a trends line, an analysis.StepPersons for a funnel or an analysis.CohortPersons for
// a retention table. Spec and selection
// errors are *query.Error.
func (a *App) FigurePersons(ctx context.Context, p *meta.Project, spec *query.Spec, sel any, limit, offset int) (*PersonsPage, error) {
	start := time.Now()
	env := query.Env{Project: p.ID, Calendar: query.Calendar{TZ: p.Location()}, Now: start}
	var ids []int64
	var err error
	switch s := sel.(type) {
	case analysis.PointPersons:
		ids, err = analysis.TrendsPersons(ctx, a.Events, spec, env, s)
	case analysis.StepPersons:
		ids, err = analysis.FunnelPersons(ctx, a.Events, spec, env, s)
	case analysis.CohortPersons:
		ids, err = analysis.RetentionPersons(ctx, a.Events, spec, env, s)
	default:
		err = fmt.Errorf("cannot list persons: unknown selection %T", sel)
	}
	if err != nil {
		return nil, err
	}
	rd, err := persons.New(a.Events)
	if err != nil {
		return nil, err
	}
	from := min(offset, len(ids)) // offset+limit may overflow: never add them
	list, err := rd.Summaries(ctx, p.ID, ids[from:from+min(limit, len(ids)-from)])
	if err != nil {
		return nil, err
	}
	return &PersonsPage{Figure: sel, Persons: list, Total: len(ids), Limit: limit, Offset: offset,
		ComputedAt: start.UTC().Format(time.RFC3339), TookMs: time.Since(start).Milliseconds()}, nil
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
