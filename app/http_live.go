package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/live"
	"github.com/jingyun/jingyun/meta"
)

// The live event stream (server-sent events from the hub of package live) and the
// real-time summary of the last 30 minutes. Package live decides what a subscriber gets;
// this file reads the filters, writes the stream and answers.

// Limits and defaults of the live stream.
const (
	liveHeartbeat      = 15 * time.Second
	liveDefaultBacklog = 50
	liveMaxEvents      = 50 // event names in one filter
	liveMaxValue       = 255
	liveRetryMs        = 3000
	liveMaxStreams     = 100              // open streams per project
	liveWriteTimeout   = 30 * time.Second // a stalled client is dropped after this
)

func (a *App) registerLive(mux *http.ServeMux, g *auth.Guard) {
	mux.HandleFunc("GET /api/v1/projects/{project}/live/events", g.Project(auth.LiveRead, onProject(a.handleLiveEvents)))
	// The summary has counts only, so any member may read it; the stream shows persons'
	// identifiers and traits, so it needs what reading persons needs.
	mux.HandleFunc("GET /api/v1/projects/{project}/live/summary", g.Project(auth.QueryRead, onProject(a.handleLiveSummary)))
}

// liveRequest is a stream's filter, backlog size and resume point.
type liveRequest struct {
	filter  live.Filter
	backlog int
	since   uint64
}

// parseLive reads the query parameters of the stream. Unknown parameters are refused, so a
// typo (?events=) does not silently show everything.
func (a *App) parseLive(r *http.Request, p *meta.Project) (*liveRequest, error) {
	q := r.URL.Query()
	lr := &liveRequest{backlog: min(liveDefaultBacklog, a.Live.RingSize())}
	for k := range q {
		switch k {
		case "event", "distinct_id", "person_id", "type", "backlog":
		default:
			return nil, apierr.Field("unknown_parameter", k, "unknown query parameter; the stream takes event, distinct_id, person_id, type and backlog")
		}
	}
	value := func(name, v string) error {
		if v == "" || len(v) > liveMaxValue || !utf8.ValidString(v) {
			return apierr.Field("invalid_filter", name, fmt.Sprintf("must be a non-empty UTF-8 string of at most %d bytes", liveMaxValue))
		}
		return nil
	}
	single := func(name string) (string, error) {
		vs := q[name]
		if len(vs) == 0 {
			return "", nil
		}
		if len(vs) > 1 {
			return "", apierr.Field("invalid_filter", name, "give it at most once")
		}
		return vs[0], value(name, vs[0])
	}
	for _, e := range q["event"] {
		if err := value("event", e); err != nil {
			return nil, err
		}
		lr.filter.Events = append(lr.filter.Events, e)
	}
	if len(lr.filter.Events) > liveMaxEvents {
		return nil, apierr.Field("invalid_filter", "event", fmt.Sprintf("at most %d event names", liveMaxEvents))
	}
	var err error
	if lr.filter.DistinctID, err = single("distinct_id"); err != nil {
		return nil, err
	}
	typ, err := single("type")
	if err != nil {
		return nil, err
	}
	if typ != "" && !event.Type(typ).Valid() {
		return nil, apierr.Field("invalid_filter", "type", "must be track, page, screen, identify, alias or group")
	}
	lr.filter.Type = typ
	pid, err := single("person_id")
	if err != nil {
		return nil, err
	}
	if pid != "" {
		n, err := strconv.ParseInt(pid, 10, 64)
		if err != nil || n <= 0 {
			return nil, apierr.Field("invalid_filter", "person_id", "must be a positive integer")
		}
		lr.filter.PersonID = n
	}
	// A distinct id also follows the person it belongs to now: their other devices too.
	if lr.filter.DistinctID != "" && lr.filter.PersonID == 0 {
		lr.filter.PersonID = a.Loader.Person(p.ID, lr.filter.DistinctID)
	}
	b, err := single("backlog")
	if err != nil {
		return nil, err
	}
	if b != "" {
		n, err := strconv.Atoi(b)
		if err != nil || n < 0 || n > a.Live.RingSize() {
			return nil, apierr.Field("invalid_backlog", "backlog", fmt.Sprintf("must be an integer from 0 to %d", a.Live.RingSize()))
		}
		lr.backlog = n
	}
	// A reconnecting EventSource resumes after the last event it saw, when this server
	// numbered it; otherwise (another process) it gets the backlog again.
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		ep, seq, ok := strings.Cut(id, "-")
		if e, err := strconv.ParseInt(ep, 10, 64); ok && err == nil && e == a.Live.Epoch() {
			if n, err := strconv.ParseUint(seq, 10, 64); err == nil {
				lr.since = n
			}
		}
	}
	return lr, nil
}

// handleLiveEvents streams the project's events as they are loaded, as server-sent events:
// the backlog (latest matching events), an "ready" event, then each new event (with id
// EPOCH-SEQ), "dropped" events with the running count of events this slow client lost,
// heartbeat comments, and "bye" when the server shuts down.
func (a *App) handleLiveEvents(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	lr, err := a.parseLive(r, p)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	// The server's read and write timeouts are for ordinary requests: a stream lasts.
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{}) // each write sets its own deadline (liveWriteTimeout)
	// After a restart the ring is empty: fill it from the store once, so the page is not blank.
	if err := a.Live.Warm(r.Context(), a.Events, p.ID); err != nil {
		a.Log.Warn("cannot warm the live backlog", "project", p.ID, "err", err)
	}
	sub, ok := a.Live.TrySubscribe(p.ID, lr.filter, lr.backlog, lr.since, liveMaxStreams)
	if !ok {
		return &apierr.Error{Status: http.StatusTooManyRequests, Code: "too_many_streams", RetryAfter: 10,
			Message: fmt.Sprintf("the project has %d open live streams; close one", liveMaxStreams)}
	}
	defer sub.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell a reverse proxy (nginx) not to buffer the stream
	w.WriteHeader(http.StatusOK)

	var buf []byte
	epoch := strconv.FormatInt(a.Live.Epoch(), 10)
	writeEvent := func(e *live.Event) {
		j, err := json.Marshal(e)
		if err != nil {
			return // cannot happen: properties are valid JSON
		}
		buf = append(buf, "id: "...)
		buf = append(buf, epoch...)
		buf = append(buf, '-')
		buf = strconv.AppendUint(buf, e.Seq, 10)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, j...)
		buf = append(buf, "\n\n"...)
	}
	named := func(name string, v any) {
		j, _ := json.Marshal(v)
		buf = fmt.Appendf(buf, "event: %s\ndata: %s\n\n", name, j)
	}
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		// A client that stops reading must not hold its goroutine and stream slot forever.
		rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
		if _, err := w.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
		return rc.Flush()
	}
	buf = fmt.Appendf(buf, "retry: %d\n\n", liveRetryMs)
	for range sub.Backlog() {
		writeEvent(<-sub.C())
	}
	named("ready", map[string]any{"backlog": sub.Backlog(), "epoch": a.Live.Epoch(), "heartbeat_ms": liveHeartbeat.Milliseconds()})
	if err := flush(); err != nil {
		return nil
	}
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	var dropped int64
	reportDrops := func() {
		if d := sub.Dropped(); d != dropped {
			dropped = d
			named("dropped", map[string]int64{"dropped": d})
		}
	}
	for {
		select {
		case e := <-sub.C():
			writeEvent(e)
			// Take what else is waiting, so that a burst is one write.
			for more := true; more && len(buf) < 64<<10; {
				select {
				case e := <-sub.C():
					writeEvent(e)
				default:
					more = false
				}
			}
			reportDrops()
		case <-beat.C:
			reportDrops()
			buf = append(buf, ": ping\n\n"...)
		case <-sub.Done():
			named("bye", map[string]string{"reason": "server_shutdown"})
			flush()
			return nil
		case <-r.Context().Done():
			return nil
		}
		if err := flush(); err != nil {
			return nil // the client went away
		}
	}
}

// handleLiveSummary answers the last 30 minutes of the project per minute, from the store.
func (a *App) handleLiveSummary(w http.ResponseWriter, r *http.Request, p *meta.Project) error {
	for k := range r.URL.Query() {
		return apierr.Field("unknown_parameter", k, "the summary takes no query parameters")
	}
	start := time.Now()
	// Noted before the query: streamed events up to seq are in the answer already.
	seq := a.Live.Seq(p.ID)
	s, err := live.Summarize(r.Context(), a.Events, p.ID, start)
	if err != nil {
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"summary": s, "took_ms": time.Since(start).Milliseconds(),
		"computed_at": start.UTC().Format(time.RFC3339), "live": map[string]any{"epoch": a.Live.Epoch(), "seq": seq}})
	return nil
}
