package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jingyun/jingyun/persons"
)

// The person show and person search verbs: read a local data dir (which a running server
// locks), or ask a running server with --server and --key, and print JSON.

// personFlags are the flags person show and person search share.
type personFlags struct {
	*flags
	project *uint
	server  *string
	key     *string
}

func newPersonFlags(env *cliEnv, name, example string) *personFlags {
	f := newFlags(env, name, example)
	return &personFlags{
		flags:   f,
		project: projectFlag(f),
		server:  f.String("server", "", "ask a running server at this URL instead of opening the data dir (which a running server locks)"),
		key:     f.String("key", "", "the project's secret key, with --server (env JINGYUN_SECRET_KEY)"),
	}
}

// local runs fn with a reader on the local data dir and the --project.
func (f *personFlags) local(ctx context.Context, env *cliEnv, fn func(r *persons.Reader, project uint32) error) error {
	a, err := Open(ctx, f.cfg, newLogger(env, "warn"), false)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := f.flags.project(ctx, a, f.project)
	if err != nil {
		return err
	}
	r, err := persons.New(a.Events)
	if err != nil {
		return err
	}
	return fn(r, p.ID)
}

// get asks the server for path (below /api/v1/projects/{project}) and decodes the answer.
func (f *personFlags) get(ctx context.Context, env *cliEnv, path string, v any) error {
	k, err := secretKey(env, *f.key, "--server needs --key (or JINGYUN_SECRET_KEY)")
	if err != nil {
		return err
	}
	u := strings.TrimRight(*f.server, "/") + "/api/v1/projects/" + strconv.FormatUint(uint64(*f.project), 10) + path
	body, err := cliGet(ctx, u, k)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("cannot decode answer: %w", err)
	}
	return nil
}

func runPersonShow(ctx context.Context, env *cliEnv, args []string) error {
	f := newPersonFlags(env, "person show", `jingyun person show --data ./data --project 1 m100042
  jingyun person show --server http://127.0.0.1:8080 --key sk_… --project 1 --events 50 m100042`)
	events := f.Int("events", 10, fmt.Sprintf("how many of the latest events to print (0 to %d)", persons.MaxTimelineLimit))
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"give one distinct id (user id or anonymous id) of the person, or person:<id>"}
	}
	if *f.project == 0 {
		return &usageError{"--project is required"}
	}
	if *events < 0 || *events > persons.MaxTimelineLimit {
		return &usageError{fmt.Sprintf("--events must be from 0 to %d", persons.MaxTimelineLimit)}
	}
	out := struct {
		*persons.Profile
		Events     []persons.Event `json:"events,omitempty"`
		NextCursor string          `json:"next_cursor,omitempty"`
	}{}
	if *f.server != "" {
		esc := "/persons/" + url.PathEscape(pos[0])
		if err := f.get(ctx, env, esc, &out.Profile); err != nil {
			return err
		}
		if *events > 0 {
			var page persons.TimelinePage
			if err := f.get(ctx, env, esc+"/events?limit="+strconv.Itoa(*events), &page); err != nil {
				return err
			}
			out.Events, out.NextCursor = page.Events, page.NextCursor
		}
		return printJSON(env.stdout, out)
	}
	err = f.local(ctx, env, func(r *persons.Reader, project uint32) error {
		prof, err := r.Profile(ctx, project, pos[0])
		if err != nil {
			return err
		}
		out.Profile = prof
		if *events > 0 {
			page, err := r.Timeline(ctx, project, pos[0], nil, *events)
			if err != nil {
				return err
			}
			out.Events, out.NextCursor = page.Events, page.NextCursor
		}
		return nil
	})
	if errors.Is(err, persons.ErrNotFound) {
		return fmt.Errorf("cannot find a person with distinct id %q in project %d", pos[0], *f.project)
	}
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

func runPersonSearch(ctx context.Context, env *cliEnv, args []string) error {
	f := newPersonFlags(env, "person search", `jingyun person search --data ./data --project 1 13800
  jingyun person search --project 1 city=上海 --limit 50
  jingyun person search --server http://127.0.0.1:8080 --key sk_… --project 1 m1000`)
	limit := f.Int("limit", persons.DefaultSearchLimit, fmt.Sprintf("persons per page (1 to %d)", persons.MaxSearchLimit))
	cursor := f.String("cursor", "", "continue after a page: its next_cursor")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return &usageError{"give one search text (quote it if it has spaces), or none to list persons"}
	}
	if *f.project == 0 {
		return &usageError{"--project is required"}
	}
	if *limit < 1 || *limit > persons.MaxSearchLimit {
		return &usageError{fmt.Sprintf("--limit must be from 1 to %d", persons.MaxSearchLimit)}
	}
	q := ""
	if len(pos) == 1 {
		q = pos[0]
	}
	if len(q) > persons.MaxQueryLength {
		return &usageError{fmt.Sprintf("the search text must be at most %d bytes", persons.MaxQueryLength)}
	}
	var res *persons.SearchResult
	if *f.server != "" {
		v := url.Values{"q": {q}, "limit": {strconv.Itoa(*limit)}}
		if *cursor != "" {
			v.Set("cursor", *cursor)
		}
		res = &persons.SearchResult{}
		if err := f.get(ctx, env, "/persons?"+v.Encode(), res); err != nil {
			return err
		}
		return printJSON(env.stdout, res)
	}
	err = f.local(ctx, env, func(r *persons.Reader, project uint32) error {
		res, err = r.Search(ctx, project, q, *limit, *cursor)
		return err
	})
	if errors.Is(err, persons.ErrBadCursor) {
		return &usageError{"--cursor is not a next_cursor of this search"}
	}
	if errors.Is(err, persons.ErrBadQuery) {
		return &usageError{"the search text must be UTF-8 without NUL characters"}
	}
	if err != nil {
		return err
	}
	return printJSON(env.stdout, res)
}
