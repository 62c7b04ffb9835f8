package app

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/definitions"
	"github.com/jingyun/jingyun/meta"
)

// Event and property definitions discovered from the data (package definitions), merged
// with the tracking plan people write (display names and descriptions, package meta), for
// the console's pickers and its data page.
//
// The name being edited is one path segment ({name}): a client URL-encodes it
// (encodeURIComponent: "Order%20Completed", "a%2Fb" for a/b); the server matches the encoded
// path and decodes the segment. Send "." as %2E too, so that a name such as ".." is not taken
// for a path step.

// definitionsAPI serves the definitions endpoints; it caches the project-wide property
// list, which reads a sample of every event.
type definitionsAPI struct {
	a *App

	mu    sync.Mutex
	cache map[allPropsKey]*allPropsEntry
}

type allPropsKey struct {
	project uint32
	sample  int
}

type allPropsEntry struct {
	gen     uint64
	at      time.Time
	props   []definitions.ProjectProperty
	sampled int64
}

// allPropsTTL is how long a project-wide property list is reused while new events arrive;
// without new events it is reused until they do.
const allPropsTTL = time.Minute

func (a *App) registerDefinitions(mux *http.ServeMux, g *auth.Guard) {
	h := &definitionsAPI{a: a, cache: map[allPropsKey]*allPropsEntry{}}
	mux.HandleFunc("GET /api/v1/projects/{project}/definitions/events", g.Project(auth.QueryRead, onProject(h.events)))
	mux.HandleFunc("GET /api/v1/projects/{project}/definitions/properties", g.Project(auth.QueryRead, onProject(h.properties)))
	mux.HandleFunc("PATCH /api/v1/projects/{project}/definitions/events/{name}", g.Project(auth.DefinitionsEdit, h.patch(meta.EventKind)))
	mux.HandleFunc("PATCH /api/v1/projects/{project}/definitions/properties/{name}", g.Project(auth.DefinitionsEdit, h.patch(meta.PropertyKind)))
}

// planned is what the tracking plan adds to a discovered name.
type planned struct {
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
}

type eventAnswer struct {
	definitions.Event
	planned
}

type propertyAnswer struct {
	definitions.Property
	planned
}

type projectPropertyAnswer struct {
	definitions.ProjectProperty
	planned
}

func plannedOf(m map[string]meta.Definition, name string) planned {
	d := m[name]
	return planned{DisplayName: d.DisplayName, Description: d.Description}
}

// events lists the event names seen in the data with volume and last seen, then the ones
// only the tracking plan knows (count 0).
func (h *definitionsAPI) events(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	out, err := h.a.eventDefinitions(r.Context(), p.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"events": out})
	return nil
}

// eventDefinitions is the event list of GET …/definitions/events.
func (a *App) eventDefinitions(ctx context.Context, project uint32) ([]eventAnswer, error) {
	evs, err := definitions.Events(ctx, a.Events, project)
	if err != nil {
		return nil, err
	}
	plan, err := a.Meta.Definitions(ctx, project, meta.EventKind)
	if err != nil {
		return nil, err
	}
	out := make([]eventAnswer, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventAnswer{e, plannedOf(plan, e.Name)})
		delete(plan, e.Name)
	}
	if len(out) < definitions.MaxEvents {
		var extra []eventAnswer
		for name, d := range plan {
			extra = append(extra, eventAnswer{definitions.Event{Name: name}, planned{d.DisplayName, d.Description}})
		}
		slices.SortFunc(extra, func(a, b eventAnswer) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, extra...)
	}
	return out, nil
}

// eventPropertyDefinitions is the property list of GET …/definitions/properties?event=NAME.
func (a *App) eventPropertyDefinitions(ctx context.Context, project uint32, event string, sample int) ([]propertyAnswer, int64, error) {
	plan, err := a.Meta.Definitions(ctx, project, meta.PropertyKind)
	if err != nil {
		return nil, 0, err
	}
	props, n, err := definitions.Properties(ctx, a.Events, project, event, sample)
	if err != nil {
		return nil, 0, err
	}
	out := make([]propertyAnswer, len(props))
	for i, pp := range props {
		out[i] = propertyAnswer{pp, plannedOf(plan, pp.Name)}
	}
	return out, n, nil
}

// properties lists the property paths of one event (?event=NAME) or, without event, of the
// whole project with the events each was seen on.
func (h *definitionsAPI) properties(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	q := r.URL.Query()
	_, one := q["event"]
	name := q.Get("event")
	if one && name == "" {
		return apierr.Field("missing_event", "event", "give the event name (?event=NAME), or leave event out for the whole project")
	}
	sample, max := definitions.DefaultSample, 100000
	if !one {
		sample, max = definitions.DefaultSamplePerEvent, definitions.DefaultSample
	}
	if s := q.Get("sample"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return apierr.Field("invalid_sample", "sample", "sample must be an integer from 1 to "+strconv.Itoa(max))
		}
		sample = n
	}
	if !one {
		plan, err := h.a.Meta.Definitions(r.Context(), p.ID, meta.PropertyKind)
		if err != nil {
			return apierr.Internal(err)
		}
		props, n, err := h.allProperties(r, p.ID, sample)
		if err != nil {
			return apierr.Internal(err)
		}
		out := make([]projectPropertyAnswer, len(props))
		for i, pp := range props {
			out[i] = projectPropertyAnswer{pp, plannedOf(plan, pp.Name)}
		}
		apierr.JSON(w, http.StatusOK, map[string]any{"sampled": n, "sample_per_event": sample, "properties": out})
		return nil
	}
	out, n, err := h.a.eventPropertyDefinitions(r.Context(), p.ID, name, sample)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"event": name, "sampled": n, "properties": out})
	return nil
}

// allProperties is definitions.AllProperties, reused while the project's data is unchanged
// or for allPropsTTL.
func (h *definitionsAPI) allProperties(r *http.Request, project uint32, sample int) ([]definitions.ProjectProperty, int64, error) {
	var gen uint64
	if h.a.Loader != nil {
		gen = h.a.Loader.Generation(project)
	}
	key := allPropsKey{project, sample}
	h.mu.Lock()
	e := h.cache[key]
	h.mu.Unlock()
	if e != nil && h.a.Loader != nil && (e.gen == gen || time.Since(e.at) < allPropsTTL) {
		return e.props, e.sampled, nil
	}
	props, n, err := definitions.AllProperties(r.Context(), h.a.Events, project, sample)
	if err != nil {
		return nil, 0, err
	}
	h.mu.Lock()
	if len(h.cache) >= 1000 {
		clear(h.cache) // many projects: start over rather than grow without bound
	}
	h.cache[key] = &allPropsEntry{gen: gen, at: time.Now(), props: props, sampled: n}
	h.mu.Unlock()
	return props, n, nil
}

// patch sets the display name and description of an event name or a property path.
func (h *definitionsAPI) patch(kind meta.DefinitionKind) auth.ProjectHandler {
	return func(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
		name := r.PathValue("name")
		if err := meta.CheckDefinitionName(name); err != nil {
			return fieldError(err)
		}
		var u meta.DefinitionUpdate
		if err := decodeBody(w, r, &u); err != nil {
			return err
		}
		if u.DisplayName == nil && u.Description == nil {
			return apierr.Field("missing_field", "display_name", "give display_name, description or both")
		}
		var by int64
		if acc.User != nil {
			by = acc.User.ID
		}
		d, err := h.a.Meta.SetDefinition(r.Context(), acc.Project.ID, kind, name, u, by)
		if errors.Is(err, meta.ErrNotFound) {
			return apierr.New(http.StatusNotFound, "not_found", "no such project")
		}
		if err != nil {
			return fieldError(err)
		}
		apierr.JSON(w, http.StatusOK, map[string]any{string(kind): d})
		return nil
	}
}
