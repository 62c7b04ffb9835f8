// Package ingest is the collector: the Segment-compatible HTTP tracking API (DESIGN §3.1).
// It authenticates the write key, decodes (gzip) bodies, validates every message against
// documented limits, corrects client clock skew, turns messages into normalized events and
// acknowledges them only once the WAL says they are durable. It does not resolve persons or
// touch a store: the loader does that from the WAL.
//
// # Limits (defaults; see Limits)
//
//   - body: 5 MiB after gzip decompression (413 body_too_large)
//   - events per batch: 5,000 (413 batch_too_large)
//   - one event: 64 KiB of JSON (event_too_large)
//   - properties, traits, context: nested at most 10 levels (too_deep), strings at most
//     8 KiB (string_too_long), objects at most 1,000 keys (too_many_keys)
//   - event names at most 200 bytes, ids (userId, anonymousId, messageId, …) at most 255
//   - timestamps after correction between 2000-01-01 and 24 h after receipt
//
// # Batches with invalid events
//
// A batch whose body is not valid JSON, exceeds a limit as a whole, or lacks a valid write
// key is refused whole (4xx, nothing stored). Otherwise every valid event of the batch is
// stored and acknowledged, and if any event is invalid the answer is 400 invalid_events
// with the count accepted and, per rejected event, its index, code, field and message.
// Clients that resend the batch after a 400 do not duplicate the accepted events: they are
// deduplicated by messageId. Rejections are also counted in the collector's stats.
package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/wal"
)

// Limits bound what one request may carry. Zero values take the documented defaults.
type Limits struct {
	MaxBodyBytes   int64 `json:"max_body_bytes"`
	MaxBatchEvents int   `json:"max_batch_events"`
	MaxEventBytes  int   `json:"max_event_bytes"`
	MaxDepth       int   `json:"max_depth"`
	MaxStringBytes int   `json:"max_string_bytes"`
	MaxKeys        int   `json:"max_keys"`
	MaxNameBytes   int   `json:"max_name_bytes"`
	MaxIDBytes     int   `json:"max_id_bytes"`
}

func (l *Limits) defaults() {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 5 << 20
	}
	if l.MaxBatchEvents <= 0 {
		l.MaxBatchEvents = 5000
	}
	if l.MaxEventBytes <= 0 {
		l.MaxEventBytes = 64 << 10
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 10
	}
	if l.MaxStringBytes <= 0 {
		l.MaxStringBytes = 8 << 10
	}
	if l.MaxKeys <= 0 {
		l.MaxKeys = 1000
	}
	if l.MaxNameBytes <= 0 {
		l.MaxNameBytes = 200
	}
	if l.MaxIDBytes <= 0 {
		l.MaxIDBytes = 255
	}
}

// Config configures the collector.
type Config struct {
	Limits Limits
	// RateLimit is the most events per second one project may send (0: no limit); bursts
	// up to one second's worth pass. Over it the collector answers 429 with Retry-After.
	RateLimit int
	// Backpressure, when set, is asked before each write; a non-nil error (typically 503
	// with Retry-After because the loader is behind) refuses the request before anything
	// is written.
	Backpressure func() *apierr.Error
}

// Projects resolves write keys; *meta.Store implements it.
type Projects interface {
	ProjectByWriteKey(ctx context.Context, key string) (*meta.Project, error)
}

// Log is where acknowledged events go; *wal.WAL implements it.
type Log interface {
	Append(ctx context.Context, payload []byte) (wal.Position, error)
}

// Stats are the collector's counters since start.
type Stats struct {
	Requests int64 `json:"requests"`
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	Refused  int64 `json:"refused_requests"`
}

// Collector serves the tracking API. It is safe for concurrent use.
type Collector struct {
	cfg      Config
	projects Projects
	log      Log
	logger   *slog.Logger
	now      func() time.Time

	keysMu sync.Mutex
	keys   map[string]keyEntry
	rateMu sync.Mutex
	rates  map[uint32]*bucket

	requests, accepted, rejected, refused atomic.Int64
	bufs                                  sync.Pool
}

type keyEntry struct {
	project *meta.Project
	expires time.Time
}

// New returns a collector writing to log.
func New(cfg Config, projects Projects, log Log, logger *slog.Logger) *Collector {
	cfg.Limits.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &Collector{cfg: cfg, projects: projects, log: log, logger: logger, now: time.Now,
		keys: map[string]keyEntry{}, rates: map[uint32]*bucket{}}
}

// Limits returns the limits in force (defaults filled).
func (c *Collector) Limits() Limits { return c.cfg.Limits }

// Stats returns the counters.
func (c *Collector) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Accepted: c.accepted.Load(), Rejected: c.rejected.Load(), Refused: c.refused.Load()}
}

// Register adds the collector's routes to mux: POST /v1/{batch,track,identify,page,screen,
// alias,group} (also /v1/import, an alias of batch, as Segment has) with CORS.
func (c *Collector) Register(mux *http.ServeMux) {
	mux.Handle("/v1/batch", c.handler(""))
	mux.Handle("/v1/import", c.handler(""))
	for _, t := range []event.Type{event.TypeTrack, event.TypeIdentify, event.TypePage, event.TypeScreen, event.TypeAlias, event.TypeGroup} {
		mux.Handle("/v1/"+string(t), c.handler(t))
	}
}

func (c *Collector) handler(single event.Type) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := r.Header.Get("Origin")
		if origin == "" {
			origin = "*"
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Vary", "Origin")
		h.Set("Access-Control-Allow-Credentials", "true")
		// Browser SDKs must see Retry-After to back off as told.
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		c.requests.Add(1)
		if r.Method != http.MethodPost {
			h.Set("Allow", "POST, OPTIONS")
			c.refuse(w, apierr.New(http.StatusMethodNotAllowed, "method_not_allowed", "use POST"))
			return
		}
		n, errs, err := c.serve(r, single)
		if err != nil {
			c.refuse(w, err)
			return
		}
		c.accepted.Add(int64(n))
		if len(errs) > 0 {
			c.rejected.Add(int64(len(errs)))
			first := *errs[0]
			first.Code = "invalid_events"
			first.Message = fmt.Sprintf("%d of %d events rejected, %d stored; first: %s", len(errs), len(errs)+n, n, errs[0].Message)
			apierr.JSON(w, http.StatusBadRequest, map[string]any{"error": &first, "accepted": n, "rejected": len(errs), "errors": errs})
			return
		}
		apierr.JSON(w, http.StatusOK, map[string]any{"success": true, "accepted": n})
	})
}

func (c *Collector) refuse(w http.ResponseWriter, err error) {
	c.refused.Add(1)
	apierr.Write(w, c.logger, err)
}

// batchBody is the top level of /v1/batch. Unknown keys are refused.
type batchBody struct {
	Batch        []json.RawMessage `json:"batch"`
	SentAt       json.RawMessage   `json:"sentAt"`
	Context      json.RawMessage   `json:"context"`
	Integrations json.RawMessage   `json:"integrations"`
	WriteKey     string            `json:"writeKey"`
	Metadata     json.RawMessage   `json:"_metadata"`
	Metadata2    json.RawMessage   `json:"metadata"`
	MessageID    json.RawMessage   `json:"messageId"`
	Type         json.RawMessage   `json:"type"`
}

// message is one Segment message, as raw value spans of its body (see decode.go). Fields
// Segment's SDKs send that Jingyun does not use are listed so they are accepted; anything
// else is refused as an unknown key.
type message struct {
	TypeRaw           json.RawMessage `json:"type"`
	Event             json.RawMessage `json:"event"`
	Name              json.RawMessage `json:"name"`
	UserID            json.RawMessage `json:"userId"`
	AnonymousID       json.RawMessage `json:"anonymousId"`
	MessageID         json.RawMessage `json:"messageId"`
	Timestamp         json.RawMessage `json:"timestamp"`
	OriginalTimestamp json.RawMessage `json:"originalTimestamp"`
	SentAt            json.RawMessage `json:"sentAt"`
	ReceivedAt        json.RawMessage `json:"receivedAt"`
	Properties        json.RawMessage `json:"properties"`
	Traits            json.RawMessage `json:"traits"`
	Context           json.RawMessage `json:"context"`
	Integrations      json.RawMessage `json:"integrations"`
	Metadata          json.RawMessage `json:"_metadata"`
	Version           json.RawMessage `json:"version"`
	PreviousID        json.RawMessage `json:"previousId"`
	GroupID           json.RawMessage `json:"groupId"`
	Category          json.RawMessage `json:"category"`
	Channel           json.RawMessage `json:"channel"`
	WriteKey          json.RawMessage `json:"writeKey"`
	Options           json.RawMessage `json:"options"`
	RequestID         json.RawMessage `json:"requestId"`
	Library           json.RawMessage `json:"library"`

	// compacted holds properties, context and traits (slot* order) as validated and
	// compacted by decodeMessage, where valid says so; parse validates the others itself.
	compacted [3]json.RawMessage
	valid     [3]bool
}

// object returns the validated, compacted object of a slot: the one decodeMessage made,
// or objectField's verdict.
func (m *message) object(slot int, raw json.RawMessage, field string, lim scanLimits, buf *[]byte) (json.RawMessage, *apierr.Error) {
	if m.valid[slot] {
		return m.compacted[slot], nil
	}
	return objectField(raw, field, lim, buf)
}

// serve handles one request; it returns the number of stored events and the per-event
// errors, or a request-level error when nothing was stored.
func (c *Collector) serve(r *http.Request, single event.Type) (int, []*apierr.Error, error) {
	received := c.now()
	body, err := c.readBody(r)
	if err != nil {
		return 0, nil, err
	}
	var raws []json.RawMessage
	var batchSentAt json.RawMessage
	var batchCtx json.RawMessage
	key, _, hasAuth := r.BasicAuth()
	if single != "" {
		raws = []json.RawMessage{body}
	} else {
		var b batchBody
		if err := decodeBatch(body, &b); err != nil {
			return 0, nil, err
		}
		if b.Batch == nil {
			return 0, nil, apierr.Field("missing_field", "batch", "a batch body needs a \"batch\" array of messages")
		}
		if len(b.Batch) > c.cfg.Limits.MaxBatchEvents {
			return 0, nil, &apierr.Error{Status: http.StatusRequestEntityTooLarge, Code: "batch_too_large", Field: "batch",
				Message: fmt.Sprintf("%d events in one batch; at most %d", len(b.Batch), c.cfg.Limits.MaxBatchEvents)}
		}
		raws, batchSentAt, batchCtx = b.Batch, b.SentAt, b.Context
		if !hasAuth || key == "" {
			key = b.WriteKey
		}
	}
	if key == "" && single != "" {
		// Single calls may carry the key in the body, as some SDKs do.
		var k struct {
			WriteKey string `json:"writeKey"`
		}
		json.Unmarshal(body, &k)
		key = k.WriteKey
	}
	project, err := c.project(r.Context(), key)
	if err != nil {
		return 0, nil, err
	}
	if err := c.allow(project.ID, len(raws)); err != nil {
		return 0, nil, err
	}
	if c.cfg.Backpressure != nil {
		if e := c.cfg.Backpressure(); e != nil {
			return 0, nil, e
		}
	}
	events := make([]event.Event, 0, len(raws))
	var errs []*apierr.Error
	buf := c.getBuf()
	defer c.putBuf(buf)
	sent := &batchTime{raw: batchSentAt}
	tx := &bodyText{body: body}
	for i, raw := range raws {
		e, err := c.parse(tx, raw, single, project.ID, received, sent, batchCtx, buf)
		if err != nil {
			if single != "" {
				return 0, nil, err
			}
			idx := i
			err.Index = &idx
			if len(errs) < 100 {
				errs = append(errs, err)
			} else {
				errs = append(errs, &apierr.Error{Code: "invalid_event", Message: "further errors omitted", Index: &idx})
			}
			continue
		}
		events = append(events, e)
	}
	if len(events) == 0 {
		if len(errs) > 0 {
			return 0, errs, nil
		}
		return 0, nil, nil
	}
	payload := event.AppendBatch((*buf)[:0], events)
	*buf = payload
	if _, err := c.log.Append(r.Context(), payload); err != nil {
		return 0, nil, c.appendError(err)
	}
	return len(events), errs, nil
}

func (c *Collector) appendError(err error) error {
	switch {
	case errors.Is(err, wal.ErrBusy):
		return &apierr.Error{Status: http.StatusServiceUnavailable, Code: "overloaded", Message: "the write path is saturated; retry later", RetryAfter: 1, Cause: err}
	case errors.Is(err, wal.ErrDiskFull):
		return &apierr.Error{Status: http.StatusServiceUnavailable, Code: "disk_full", Message: "the server's disk is full; retry later", RetryAfter: 30, Cause: err}
	case errors.Is(err, wal.ErrClosed):
		return &apierr.Error{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down; retry later", RetryAfter: 5, Cause: err}
	case errors.Is(err, context.Canceled):
		return &apierr.Error{Status: 499, Code: "client_closed", Message: "the client went away before the events were durable", Cause: err}
	}
	return &apierr.Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "cannot store events now; retry later", RetryAfter: 5, Cause: err}
}

func (c *Collector) getBuf() *[]byte {
	if b, ok := c.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

func (c *Collector) putBuf(b *[]byte) {
	if cap(*b) <= 8<<20 {
		c.bufs.Put(b)
	}
}

func (c *Collector) readBody(r *http.Request) ([]byte, error) {
	max := c.cfg.Limits.MaxBodyBytes
	tooLarge := &apierr.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("the body exceeds %d bytes (after decompression)", max)}
	if r.ContentLength > max {
		return nil, tooLarge
	}
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, max+1)
	var hint int64 // the body's size when known: read into one buffer of that size
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		hint = r.ContentLength
	case "gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, apierr.Field("invalid_gzip", "Content-Encoding", "the body is not valid gzip")
		}
		defer zr.Close()
		rd = zr
	default:
		return nil, &apierr.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_encoding", Field: "Content-Encoding",
			Message: fmt.Sprintf("content encoding %q is not supported; use gzip or none", enc)}
	}
	body, err := readAll(io.LimitReader(rd, max+1), hint)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, apierr.Field("invalid_gzip", "Content-Encoding", "the body is not valid gzip")
		}
		return nil, &apierr.Error{Status: http.StatusBadRequest, Code: "unreadable_body", Message: "cannot read the request body", Cause: err}
	}
	if int64(len(body)) > max {
		return nil, tooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, apierr.New(http.StatusBadRequest, "empty_body", "the request body is empty")
	}
	return body, nil
}

// readAll is io.ReadAll starting with room for hint bytes (and the read that sees EOF), so
// that a body of known length is read without growing and copying the buffer on the way.
func readAll(r io.Reader, hint int64) ([]byte, error) {
	b := make([]byte, 0, max(512, hint+1))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// ForgetKey drops a write key from the collector's key cache, so that a rotated (revoked)
// key is refused at once rather than after the cache's 10 s.
func (c *Collector) ForgetKey(key string) {
	c.keysMu.Lock()
	delete(c.keys, key)
	c.keysMu.Unlock()
}

func (c *Collector) project(ctx context.Context, key string) (*meta.Project, error) {
	if key == "" {
		return nil, &apierr.Error{Status: http.StatusUnauthorized, Code: "missing_write_key", Field: "Authorization",
			Message: "send the project's write key as the HTTP Basic user name"}
	}
	now := c.now()
	c.keysMu.Lock()
	e, ok := c.keys[key]
	c.keysMu.Unlock()
	if !ok || now.After(e.expires) {
		p, err := c.projects.ProjectByWriteKey(ctx, key)
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return nil, apierr.Internal(err)
		}
		ttl := 10 * time.Second
		if p == nil {
			ttl = time.Second
		}
		e = keyEntry{project: p, expires: now.Add(ttl)}
		c.keysMu.Lock()
		if len(c.keys) > 10000 {
			clear(c.keys)
		}
		c.keys[key] = e
		c.keysMu.Unlock()
	}
	if e.project == nil {
		return nil, &apierr.Error{Status: http.StatusUnauthorized, Code: "invalid_write_key", Field: "Authorization", Message: "unknown write key"}
	}
	return e.project, nil
}

// bucket is a token bucket of events per second.
type bucket struct {
	tokens float64
	last   time.Time
}

func (c *Collector) allow(project uint32, n int) error {
	if c.cfg.RateLimit <= 0 {
		return nil
	}
	now := c.now()
	c.rateMu.Lock()
	defer c.rateMu.Unlock()
	b := c.rates[project]
	if b == nil {
		b = &bucket{tokens: float64(c.cfg.RateLimit), last: now}
		c.rates[project] = b
	}
	b.tokens = min(float64(c.cfg.RateLimit), b.tokens+now.Sub(b.last).Seconds()*float64(c.cfg.RateLimit))
	b.last = now
	if b.tokens < float64(n) && b.tokens < float64(c.cfg.RateLimit) {
		return &apierr.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: 1,
			Message: fmt.Sprintf("the project may send %d events per second", c.cfg.RateLimit)}
	}
	b.tokens -= float64(n)
	return nil
}

func strictDecode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// decodeError turns a json decoding error into an API error naming the field.
func decodeError(err error, index int) *apierr.Error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	e := &apierr.Error{Status: http.StatusBadRequest}
	switch {
	case errors.As(err, &te):
		e.Code, e.Field = "invalid_type", te.Field
		e.Message = fmt.Sprintf("%s must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		e.Code, e.Message = "malformed_json", fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		e.Code, e.Field, e.Message = "unknown_field", f, fmt.Sprintf("unknown key %q", f)
	default:
		e.Code, e.Message = "malformed_json", "the body is not valid JSON"
	}
	return e
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "string":
		return "a string"
	}
	return "a " + k
}

func (c *Collector) parse(tx *bodyText, raw json.RawMessage, single event.Type, project uint32, received time.Time, batchSentAt *batchTime, batchCtx json.RawMessage, buf *[]byte) (event.Event, *apierr.Error) {
	lim := &c.cfg.Limits
	var e event.Event
	if len(raw) > lim.MaxEventBytes {
		return e, &apierr.Error{Status: http.StatusBadRequest, Code: "event_too_large", Message: fmt.Sprintf("the event is %d bytes; at most %d", len(raw), lim.MaxEventBytes)}
	}
	var m message
	scan := scanLimits{maxDepth: lim.MaxDepth, maxString: lim.MaxStringBytes, maxKeys: lim.MaxKeys}
	if err := decodeMessage(raw, &m, buf, &scan); err != nil {
		return e, err
	}
	t := single
	if t == "" {
		t = knownType(m.TypeRaw)
	}
	if t == "" {
		typ, err := stringField(tx, m.TypeRaw, "type", 32)
		if err != nil {
			return e, err
		}
		t = event.Type(typ)
		if typ == "" {
			return e, apierr.Field("missing_field", "type", "every message needs a type: track, identify, page, screen, alias or group")
		}
		if !t.Valid() {
			return e, apierr.Field("invalid_value", "type", fmt.Sprintf("unknown type %q", typ))
		}
	}
	e.ProjectID, e.Type, e.ReceivedAt = project, t, received.UnixMilli()
	var err *apierr.Error
	if e.UserID, err = idField(tx, m.UserID, "userId", lim.MaxIDBytes); err != nil {
		return e, err
	}
	if e.AnonymousID, err = idField(tx, m.AnonymousID, "anonymousId", lim.MaxIDBytes); err != nil {
		return e, err
	}
	if e.UserID == "" && e.AnonymousID == "" {
		return e, apierr.Field("missing_field", "userId", "every message needs a userId or an anonymousId")
	}
	if e.ID, err = idField(tx, m.MessageID, "messageId", lim.MaxIDBytes); err != nil {
		return e, err
	}
	if e.ID == "" {
		e.ID = newID()
	}
	switch t {
	case event.TypeTrack:
		name, err := stringField(tx, m.Event, "event", lim.MaxNameBytes)
		if err != nil {
			return e, err
		}
		if strings.TrimSpace(name) == "" {
			return e, apierr.Field("missing_field", "event", "a track message needs a non-empty event name")
		}
		if strings.HasPrefix(name, "$") {
			return e, apierr.Field("invalid_value", "event", "event names starting with $ are reserved")
		}
		e.Name = name
	case event.TypeAlias:
		if e.PreviousID, err = idField(tx, m.PreviousID, "previousId", lim.MaxIDBytes); err != nil {
			return e, err
		}
		if e.PreviousID == "" {
			return e, apierr.Field("missing_field", "previousId", "an alias message needs a previousId")
		}
		if e.UserID == "" {
			return e, apierr.Field("missing_field", "userId", "an alias message needs a userId")
		}
	case event.TypeGroup:
		if e.GroupID, err = idField(tx, m.GroupID, "groupId", lim.MaxIDBytes); err != nil {
			return e, err
		}
		if e.GroupID == "" {
			return e, apierr.Field("missing_field", "groupId", "a group message needs a groupId")
		}
	}
	if e.Name == "" {
		e.Name = t.ReservedName()
	}
	ts, err := c.eventTime(tx, &m, batchSentAt, received)
	if err != nil {
		return e, err
	}
	e.Time = ts
	if e.Properties, err = m.object(slotProperties, m.Properties, "properties", scan, buf); err != nil {
		return e, err
	}
	if t == event.TypePage || t == event.TypeScreen {
		if e.Properties, err = withName(tx, e.Properties, m.Name, m.Category, lim.MaxNameBytes); err != nil {
			return e, err
		}
	}
	if len(m.Context) > 0 {
		e.Context, err = m.object(slotContext, m.Context, "context", scan, buf)
	} else {
		e.Context, err = objectField(batchCtx, "context", scan, buf)
	}
	if err != nil {
		return e, err
	}
	if e.Traits, err = m.object(slotTraits, m.Traits, "traits", scan, buf); err != nil {
		return e, err
	}
	for _, f := range []struct {
		v    json.RawMessage
		name string
	}{{m.Integrations, "integrations"}, {m.Options, "options"}} {
		if _, err := objectField(f.v, f.name, scan, buf); err != nil {
			return e, err
		}
	}
	return e, nil
}

// knownType returns the type a plain JSON string of a message type names (without
// allocating a string for it), "" for anything else.
func knownType(raw json.RawMessage) event.Type {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return ""
	}
	switch string(raw[1 : len(raw)-1]) {
	case string(event.TypeTrack):
		return event.TypeTrack
	case string(event.TypeIdentify):
		return event.TypeIdentify
	case string(event.TypePage):
		return event.TypePage
	case string(event.TypeScreen):
		return event.TypeScreen
	case string(event.TypeAlias):
		return event.TypeAlias
	case string(event.TypeGroup):
		return event.TypeGroup
	}
	return ""
}

// withName adds the page/screen name and category to the properties, unless they are there.
func withName(tx *bodyText, props json.RawMessage, name, category json.RawMessage, max int) (json.RawMessage, *apierr.Error) {
	n, err := stringField(tx, name, "name", max)
	if err != nil {
		return nil, err
	}
	cat, err := stringField(tx, category, "category", max)
	if err != nil {
		return nil, err
	}
	if n == "" && cat == "" {
		return props, nil
	}
	var have map[string]json.RawMessage
	if len(props) > 0 {
		json.Unmarshal(props, &have)
	}
	if have == nil {
		have = map[string]json.RawMessage{}
	}
	changed := false
	if _, ok := have["name"]; !ok && n != "" {
		have["name"], _ = json.Marshal(n)
		changed = true
	}
	if _, ok := have["category"]; !ok && cat != "" {
		have["category"], _ = json.Marshal(cat)
		changed = true
	}
	if !changed {
		return props, nil
	}
	out, _ := json.Marshal(have)
	return out, nil
}

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// batchTime is the sentAt of a batch, parsed once for all its messages.
type batchTime struct {
	raw  json.RawMessage
	done bool
	ms   int64
	err  *apierr.Error
}

// get parses raw (not null) as the field sentAt; an error is a fresh copy every time, since
// the caller sets the message's index on it.
func (b *batchTime) get() (int64, *apierr.Error) {
	if !b.done {
		b.ms, b.err = timeField(nil, b.raw, "sentAt")
		b.done = true
	}
	if b.err != nil {
		e := *b.err
		return 0, &e
	}
	return b.ms, nil
}

// eventTime applies Segment's clock-skew correction: timestamp + (receivedAt − sentAt)
// when sentAt is known, else timestamp as sent; receipt time when there is no timestamp.
func (c *Collector) eventTime(tx *bodyText, m *message, batchSentAt *batchTime, received time.Time) (int64, *apierr.Error) {
	field := "timestamp"
	raw := m.Timestamp
	if isNull(raw) {
		raw, field = m.OriginalTimestamp, "originalTimestamp"
	}
	rec := received.UnixMilli()
	if isNull(raw) {
		return rec, nil
	}
	ts, err := timeField(tx, raw, field)
	if err != nil {
		return 0, err
	}
	var sent int64
	hasSent := true
	switch {
	case !isNull(m.SentAt):
		sent, err = timeField(tx, m.SentAt, "sentAt")
	case !isNull(batchSentAt.raw):
		sent, err = batchSentAt.get()
	default:
		hasSent = false
	}
	if err != nil {
		return 0, err
	}
	if hasSent {
		ts += rec - sent
	}
	if ts < minTime || ts > rec+24*3600*1000 {
		return 0, apierr.Field("out_of_range", field, "the event time (after clock-skew correction) must be between 2000-01-01 and 24 hours after receipt")
	}
	return ts, nil
}

func isNull(b json.RawMessage) bool {
	return len(b) == 0 || string(b) == "null"
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// timeField parses an ISO 8601 timestamp string, or a number of milliseconds since 1970.
func timeField(tx *bodyText, raw json.RawMessage, field string) (int64, *apierr.Error) {
	if raw[0] == '"' {
		s, ok := tx.str(raw)
		if !ok {
			return 0, apierr.Field("invalid_type", field, field+" must be an ISO 8601 string or milliseconds since 1970")
		}
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UnixMilli(), nil
			}
		}
		return 0, apierr.Field("invalid_value", field, fmt.Sprintf("%s %q is not an ISO 8601 time such as 2024-05-01T12:00:00.000Z", field, s))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, apierr.Field("invalid_type", field, field+" must be an ISO 8601 string or milliseconds since 1970")
	}
	return n, nil
}

// idField accepts a string or an integer id (some SDKs send numeric user ids).
func idField(tx *bodyText, raw json.RawMessage, field string, max int) (string, *apierr.Error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if raw[0] == '"' {
		var ok bool
		if s, ok = tx.str(raw); !ok {
			return "", apierr.Field("invalid_type", field, field+" must be a string")
		}
	} else if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		s = string(raw)
	} else {
		return "", apierr.Field("invalid_type", field, field+" must be a string")
	}
	if len(s) > max {
		return "", apierr.Field("too_long", field, fmt.Sprintf("%s is longer than %d bytes", field, max))
	}
	return strings.TrimSpace(s), nil
}

func stringField(tx *bodyText, raw json.RawMessage, field string, max int) (string, *apierr.Error) {
	if isNull(raw) {
		return "", nil
	}
	s, ok := tx.str(raw)
	if !ok {
		return "", apierr.Field("invalid_type", field, field+" must be a string")
	}
	if len(s) > max {
		return "", apierr.Field("too_long", field, fmt.Sprintf("%s is longer than %d bytes", field, max))
	}
	return s, nil
}

// objectField validates a JSON object against the limits and returns it compacted (nil for
// absent or null).
func objectField(raw json.RawMessage, field string, lim scanLimits, buf *[]byte) (json.RawMessage, *apierr.Error) {
	if isNull(raw) {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, apierr.Field("invalid_type", field, field+" must be an object")
	}
	out, err := compactValue((*buf)[:0], raw, lim)
	if err != nil {
		var pe *pathError
		code, path := "invalid_value", field
		if errors.As(err, &pe) {
			if pe.Path != "" {
				path = field + "." + pe.Path
			}
			switch {
			case strings.HasPrefix(pe.Msg, "nested deeper"):
				code = "too_deep"
			case strings.HasPrefix(pe.Msg, "string longer"):
				code = "string_too_long"
			case strings.HasPrefix(pe.Msg, "more than"):
				code = "too_many_keys"
			}
			return nil, apierr.Field(code, path, pe.Msg)
		}
		return nil, apierr.Field(code, path, err.Error())
	}
	*buf = out
	return compactedObject(raw, out), nil
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return event.FormatUUID(&b, 4)
}
