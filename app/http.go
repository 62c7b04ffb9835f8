package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/console"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/query"
)

// Handler returns the HTTP API: the collector under /v1/, the management and query API
// under /api/v1/ (a signed-in session or the project's secret key as Bearer token, checked
// against the permission table of package auth), and /healthz.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	g := a.newGuard()
	if a.Collector != nil {
		a.Collector.Register(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		apierr.JSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("GET /api/v1/projects/{project}", g.Project(auth.ProjectRead, onProject(a.handleProject)))
	mux.HandleFunc("GET /api/v1/projects/{project}/status", g.Project(auth.QueryRead, onProject(a.handleStatus)))
	mux.HandleFunc("POST /api/v1/projects/{project}/query", g.Project(auth.QueryRead, onProject(a.handleQuery)))
	mux.HandleFunc("DELETE /api/v1/projects/{project}/persons/{distinct_id}", g.Project(auth.PersonsDelete, onProject(a.handleDeletePerson)))
	a.registerAccounts(mux, g)
	a.registerDefinitions(mux, g)
	a.registerInsights(mux, g)
	a.registerLive(mux, g)
	a.registerPersons(mux, g)
	a.registerImport(mux, g)
	a.registerFigurePersons(mux, g)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, a.Log, apierr.New(http.StatusNotFound, "not_found", "no such API endpoint"))
	})
	mux.Handle("/", console.Handler())
	return mux
}

type projectHandler func(w http.ResponseWriter, r *http.Request, p *meta.Project) error

func (a *App) handleProject(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	apierr.JSON(w, http.StatusOK, p)
	return nil
}

func (a *App) handleStatus(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	out := map[string]any{"loader": a.Loader.Stats(), "store": a.Events.Name()}
	if a.WAL != nil {
		out["wal"] = a.WAL.Stats()
		out["caught_up"] = a.CaughtUp()
	}
	if a.Collector != nil {
		out["collector"] = a.Collector.Stats()
		out["limits"] = a.Collector.Limits()
	}
	apierr.JSON(w, http.StatusOK, out)
	return nil
}

// handleQuery runs an analysis spec (trends, funnel, retention) in the project's calendar,
// served from the result cache while the project's data is unchanged (?refresh=1 recomputes).
func (a *App) handleQuery(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	refresh, err := refreshParam(r)
	if err != nil {
		return err
	}
	spec, err := query.Decode(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return specError(err)
	}
	ans, err := a.QueryCached(r.Context(), p, spec, refresh)
	if err != nil {
		return specError(err)
	}
	apierr.JSON(w, http.StatusOK, ans)
	return nil
}

// RunQuery runs a validated spec for a project, uncached (see QueryCached).
func (a *App) RunQuery(ctx context.Context, p *meta.Project, spec *query.Spec) (*analysis.Result, error) {
	return analysis.Run(ctx, a.Events, p.ID, query.Calendar{TZ: p.Location()}, *spec)
}

func specError(err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		return &apierr.Error{Status: http.StatusBadRequest, Code: qe.Code, Field: qe.Field, Message: qe.Message}
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apierr.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "the spec exceeds 1 MiB"}
	}
	return apierr.Internal(err)
}

// handleDeletePerson deletes a person (PIPL / GDPR request) by any of their distinct ids
// and reports what was removed.
func (a *App) handleDeletePerson(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	id := r.PathValue("distinct_id")
	rep, ok, err := a.Loader.DeletePerson(r.Context(), p.ID, id)
	if err != nil {
		return apierr.Internal(err)
	}
	if !ok {
		return apierr.New(http.StatusNotFound, "person_not_found", "no person has this distinct id")
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"deleted": rep})
	return nil
}

// CaughtUp reports whether everything durable in the WAL is in the event store.
func (a *App) CaughtUp() bool { return a.Loader.CaughtUp(a.WAL) }
