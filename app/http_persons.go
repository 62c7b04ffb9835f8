package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/persons"
)

// Persons: search, profile and event timeline (package persons does the reads). Deleting a
// person is handleDeletePerson in http.go.

// registerPersons adds the persons read endpoints to mux (operator and above).
func (a *App) registerPersons(mux *http.ServeMux, g *auth.Guard) {
	mux.HandleFunc("GET /api/v1/projects/{project}/persons", g.Project(auth.PersonsRead, onProject(a.handlePersonSearch)))
	mux.HandleFunc("GET /api/v1/projects/{project}/persons/{distinct_id}", g.Project(auth.PersonsRead, onProject(a.handlePersonProfile)))
	mux.HandleFunc("GET /api/v1/projects/{project}/persons/{distinct_id}/events", g.Project(auth.PersonsRead, onProject(a.handlePersonEvents)))
}

func (a *App) personsReader() (*persons.Reader, error) {
	r, err := persons.New(a.Events)
	if err != nil {
		return nil, apierr.Internal(err)
	}
	return r, nil
}

// limitParam reads an optional page size in 1..max.
func limitParam(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, apierr.Field("invalid_value", "limit", fmt.Sprintf("must be a whole number from 1 to %d", max))
	}
	return n, nil
}

func personError(err error) error {
	if errors.Is(err, persons.ErrNotFound) {
		return apierr.New(http.StatusNotFound, "person_not_found", "no person has this distinct id")
	}
	return apierr.Internal(err)
}

func (a *App) handlePersonSearch(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	limit, err := limitParam(r, persons.DefaultSearchLimit, persons.MaxSearchLimit)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > persons.MaxQueryLength {
		return apierr.Field("too_long", "q", fmt.Sprintf("must be at most %d bytes", persons.MaxQueryLength))
	}
	rd, err := a.personsReader()
	if err != nil {
		return err
	}
	res, err := rd.Search(r.Context(), p.ID, q, limit, r.URL.Query().Get("cursor"))
	if errors.Is(err, persons.ErrBadQuery) {
		return apierr.Field("invalid_value", "q", "must be UTF-8 text without NUL characters")
	}
	if errors.Is(err, persons.ErrBadCursor) {
		return apierr.Field("invalid_cursor", "cursor", "is not a cursor of this search; use next_cursor of the previous page")
	}
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, res)
	return nil
}

func (a *App) handlePersonProfile(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	rd, err := a.personsReader()
	if err != nil {
		return err
	}
	prof, err := rd.Profile(r.Context(), p.ID, r.PathValue("distinct_id"))
	if err != nil {
		return personError(err)
	}
	apierr.JSON(w, http.StatusOK, prof)
	return nil
}

func (a *App) handlePersonEvents(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	limit, err := limitParam(r, persons.DefaultTimelineLimit, persons.MaxTimelineLimit)
	if err != nil {
		return err
	}
	var before *persons.Cursor
	if s := r.URL.Query().Get("before"); s != "" {
		c, err := persons.ParseCursor(s)
		if err != nil {
			return apierr.Field("invalid_cursor", "before", "is not a timeline cursor; use next_cursor of the previous page")
		}
		before = &c
	}
	events := r.URL.Query()["event"]
	if len(events) > persons.MaxTimelineEvents {
		return apierr.Field("invalid_value", "event", fmt.Sprintf("give at most %d event names", persons.MaxTimelineEvents))
	}
	for _, e := range events {
		if e == "" || len(e) > 200 || !utf8.ValidString(e) {
			return apierr.Field("invalid_value", "event", "an event name is 1 to 200 bytes of UTF-8")
		}
	}
	rd, err := a.personsReader()
	if err != nil {
		return err
	}
	page, err := rd.TimelineOf(r.Context(), p.ID, r.PathValue("distinct_id"), before, limit, events)
	if err != nil {
		return personError(err)
	}
	apierr.JSON(w, http.StatusOK, page)
	return nil
}
