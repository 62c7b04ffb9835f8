package app

import (
	"net/http"
	"strconv"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/definitions"
	"github.com/jingyun/jingyun/meta"
)

// Event and property definitions discovered from the data (package definitions), for the
// console's pickers and data pages.

func (a *App) registerDefinitions(mux *http.ServeMux, g *auth.Guard) {
	mux.HandleFunc("GET /api/v1/projects/{project}/definitions/events", g.Project(auth.QueryRead, onProject(a.handleEventDefinitions)))
	mux.HandleFunc("GET /api/v1/projects/{project}/definitions/properties", g.Project(auth.QueryRead, onProject(a.handlePropertyDefinitions)))
}

func (a *App) handleEventDefinitions(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	evs, err := definitions.Events(r.Context(), a.Events, p.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

func (a *App) handlePropertyDefinitions(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	q := r.URL.Query()
	name := q.Get("event")
	if name == "" {
		return &apierr.Error{Status: http.StatusBadRequest, Code: "missing_event", Field: "event", Message: "give the event name: ?event=NAME"}
	}
	sample := definitions.DefaultSample
	if s := q.Get("sample"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return &apierr.Error{Status: http.StatusBadRequest, Code: "invalid_sample", Field: "sample", Message: "sample must be an integer from 1 to 100000"}
		}
		sample = n
	}
	props, n, err := definitions.Properties(r.Context(), a.Events, p.ID, name, sample)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"event": name, "sampled": n, "properties": props})
	return nil
}
