// Package jingyun is the Go SDK of Jingyun (精运): it sends a shop backend's events (orders
// paid, refunds, stock changes, member sign-ups) to a Jingyun collector in the Segment wire
// format (POST /v1/batch, see api/openapi.yaml and DESIGN §3.1). It uses the standard
// library only and must not import any other package of this module, so that a shop can
// vendor it alone.
//
// # Delivery
//
// Track, Identify, Alias, Page and Group validate and encode the message, put it on a
// bounded in-memory queue and return at once; they never block on the network. One
// goroutine sends the queue in batches (BatchSize events, or whatever is queued after
// FlushInterval) and retries failures with exponential backoff and jitter, honouring the
// collector's Retry-After. Every message has a messageId (a UUID v4) and every request a
// sentAt, so the collector deduplicates retries and corrects the clock skew of this
// machine. What an answer means:
//
//   - 2xx: stored.
//   - 400 invalid_events: the valid events were stored; the rejected ones would be rejected
//     again, so they are dropped and logged with the collector's reason.
//   - 413 with more than one event: the batch is split in halves and resent.
//   - any other 4xx but 408 and 429 (bad write key, malformed body): dropped and logged.
//   - no answer, 408, 429, 5xx: retried until it succeeds or Close gives up.
//
// When the queue holds MaxQueue events, new messages are refused with ErrQueueFull: a shop
// server must not stall or run out of memory because its analytics are down. Close (or
// Shutdown) sends what is queued, retrying until its deadline.
package jingyun

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Version is the SDK's version, sent as context.library.version.
const Version = "0.1.0"

var (
	// ErrQueueFull is returned when MaxQueue messages wait to be sent.
	ErrQueueFull = errors.New("jingyun: queue full")
	// ErrClosed is returned by calls after Close.
	ErrClosed = errors.New("jingyun: client closed")
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// Endpoint is the collector's base URL, e.g. "https://jy.example.com" (required).
	Endpoint string
	// WriteKey is the project's write key, sent as the HTTP Basic user (required).
	WriteKey string
	// BatchSize is the most events per request, and the queue length that triggers a send
	// before FlushInterval (default 250; the collector accepts up to 5,000).
	BatchSize int
	// FlushInterval is the longest time an event waits before it is sent (default 5s).
	FlushInterval time.Duration
	// MaxQueue is the most events held in memory while the collector is slow or down
	// (default 10,000); beyond it calls return ErrQueueFull.
	MaxQueue int
	// RetryBase is the first retry delay, doubled per failure with jitter (default 500ms).
	RetryBase time.Duration
	// RetryMax caps the backoff (default 30s); a longer Retry-After still wins.
	RetryMax time.Duration
	// RequestTimeout bounds one HTTP request (default 15s).
	RequestTimeout time.Duration
	// ShutdownTimeout is how long Close keeps trying to send what is queued (default 10s).
	ShutdownTimeout time.Duration
	// HTTPClient sends the requests (default: a client of its own).
	HTTPClient *http.Client
	// Logger receives dropped-event and retry reports (default slog.Default()).
	Logger *slog.Logger
	// Context is merged into every message's context (for example {"app": {"name":
	// "shop-server"}}); context.library is always the SDK's.
	Context map[string]any
}

func (c *Config) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 250
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Second
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 10000
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 500 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 30 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if c.WriteKey == "" {
		return errors.New("jingyun: WriteKey is required")
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("jingyun: Endpoint %q must be an http(s) URL such as https://jy.example.com", c.Endpoint)
	}
	if c.BatchSize > 5000 {
		return fmt.Errorf("jingyun: BatchSize %d is over the collector's limit of 5000", c.BatchSize)
	}
	return nil
}

// Stats are a client's counters since New.
type Stats struct {
	// Queued is the number of events waiting to be sent now.
	Queued int
	// Sent counts events the collector acknowledged.
	Sent int64
	// Rejected counts events dropped because the collector refused them (4xx).
	Rejected int64
	// Refused counts calls that returned ErrQueueFull.
	Refused int64
	// Retries counts failed requests that were retried.
	Retries int64
}

// Client sends messages to a collector. It is safe for concurrent use; create one per
// process and Close it on shutdown.
type Client struct {
	cfg      Config
	url      string
	ctx      context.Context
	cancel   context.CancelFunc
	wake     chan struct{}
	finished chan struct{}

	mu       sync.Mutex
	queue    []queued
	seq      uint64 // sequence number of the last queued message
	flushTo  uint64 // Flush or Close asked for every message up to this one
	done     uint64 // every message with a smaller or equal number is sent or dropped
	progress chan struct{}
	closed   bool
	stats    Stats
}

type queued struct {
	seq uint64
	raw json.RawMessage
}

// New starts a client. It fails only on an invalid Config.
func New(cfg Config) (*Client, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:      cfg,
		url:      strings.TrimRight(cfg.Endpoint, "/") + "/v1/batch",
		ctx:      ctx,
		cancel:   cancel,
		wake:     make(chan struct{}, 1),
		finished: make(chan struct{}),
		progress: make(chan struct{}),
	}
	go c.loop()
	return c, nil
}

// Track records an event done by a person, such as "Order Completed".
type Track struct {
	// UserID is the shop's member id; AnonymousID a device id. One of them is required.
	UserID      string
	AnonymousID string
	// Event is the event's name (required; names starting with $ are reserved).
	Event      string
	Properties map[string]any
	Context    map[string]any
	// Timestamp is when it happened (default: now).
	Timestamp time.Time
	// MessageID deduplicates the event (default: a new UUID). Set it to a stable value
	// such as "order-paid-<order id>" to make a resend after a crash harmless.
	MessageID string
}

// Identify sets a person's traits and links an anonymous id to a user id.
type Identify struct {
	UserID      string
	AnonymousID string
	// Traits are set on the person (last write wins); a map under "$set_once" sets only
	// missing traits.
	Traits    map[string]any
	Context   map[string]any
	Timestamp time.Time
	MessageID string
}

// Alias merges the person of PreviousID into the person of UserID.
type Alias struct {
	UserID     string
	PreviousID string
	Context    map[string]any
	Timestamp  time.Time
	MessageID  string
}

// Page records a page view (stored as $pageview), for server-rendered shops.
type Page struct {
	UserID      string
	AnonymousID string
	Name        string
	Properties  map[string]any
	Context     map[string]any
	Timestamp   time.Time
	MessageID   string
}

// Group associates a person with a group (a company account, a store, a community).
type Group struct {
	UserID      string
	AnonymousID string
	GroupID     string
	Traits      map[string]any
	Context     map[string]any
	Timestamp   time.Time
	MessageID   string
}

// wire is one message as sent; empty fields are left out.
type wire struct {
	Type        string         `json:"type"`
	Event       string         `json:"event,omitempty"`
	Name        string         `json:"name,omitempty"`
	UserID      string         `json:"userId,omitempty"`
	AnonymousID string         `json:"anonymousId,omitempty"`
	PreviousID  string         `json:"previousId,omitempty"`
	GroupID     string         `json:"groupId,omitempty"`
	MessageID   string         `json:"messageId"`
	Timestamp   string         `json:"timestamp"`
	Properties  map[string]any `json:"properties,omitempty"`
	Traits      map[string]any `json:"traits,omitempty"`
	Context     map[string]any `json:"context"`
}

// Track queues an event.
func (c *Client) Track(m Track) error {
	if strings.TrimSpace(m.Event) == "" {
		return errors.New("cannot track event: Event is empty")
	}
	if strings.HasPrefix(m.Event, "$") {
		return fmt.Errorf("cannot track event %q: names starting with $ are reserved", m.Event)
	}
	return c.enqueue("track", wire{Event: m.Event, UserID: m.UserID, AnonymousID: m.AnonymousID, Properties: m.Properties}, m.Context, m.Timestamp, m.MessageID)
}

// Identify queues an identify message.
func (c *Client) Identify(m Identify) error {
	return c.enqueue("identify", wire{UserID: m.UserID, AnonymousID: m.AnonymousID, Traits: m.Traits}, m.Context, m.Timestamp, m.MessageID)
}

// Alias queues an alias message.
func (c *Client) Alias(m Alias) error {
	if m.UserID == "" || m.PreviousID == "" {
		return errors.New("cannot alias: UserID and PreviousID are required")
	}
	return c.enqueue("alias", wire{UserID: m.UserID, PreviousID: m.PreviousID}, m.Context, m.Timestamp, m.MessageID)
}

// Page queues a page view.
func (c *Client) Page(m Page) error {
	return c.enqueue("page", wire{Name: m.Name, UserID: m.UserID, AnonymousID: m.AnonymousID, Properties: m.Properties}, m.Context, m.Timestamp, m.MessageID)
}

// Group queues a group message.
func (c *Client) Group(m Group) error {
	if m.GroupID == "" {
		return errors.New("cannot group: GroupID is required")
	}
	return c.enqueue("group", wire{UserID: m.UserID, AnonymousID: m.AnonymousID, GroupID: m.GroupID, Traits: m.Traits}, m.Context, m.Timestamp, m.MessageID)
}

const (
	// maxEventBytes is the collector's default limit for one message.
	maxEventBytes = 64 << 10
	// maxBodyBytes keeps a request well under the collector's 5 MiB body limit.
	maxBodyBytes = 4 << 20
)

func (c *Client) enqueue(typ string, w wire, ctx map[string]any, ts time.Time, id string) error {
	if w.UserID == "" && w.AnonymousID == "" {
		return fmt.Errorf("cannot queue %s: a UserID or an AnonymousID is required", typ)
	}
	w.Type = typ
	if ts.IsZero() {
		ts = time.Now()
	}
	w.Timestamp = ts.UTC().Format("2006-01-02T15:04:05.000Z")
	if id == "" {
		id = NewMessageID()
	}
	w.MessageID = id
	w.Context = make(map[string]any, len(c.cfg.Context)+len(ctx)+1)
	for k, v := range c.cfg.Context {
		w.Context[k] = v
	}
	for k, v := range ctx {
		w.Context[k] = v
	}
	w.Context["library"] = map[string]string{"name": "jingyun-go", "version": Version}
	raw, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("cannot encode %s message: %w", typ, err)
	}
	if len(raw) > maxEventBytes {
		return fmt.Errorf("cannot queue %s message: %d bytes, the collector takes at most %d", typ, len(raw), maxEventBytes)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if len(c.queue) >= c.cfg.MaxQueue {
		c.stats.Refused++
		c.mu.Unlock()
		return ErrQueueFull
	}
	c.seq++
	c.queue = append(c.queue, queued{seq: c.seq, raw: raw})
	n := len(c.queue)
	c.mu.Unlock()
	if n >= c.cfg.BatchSize {
		c.poke()
	}
	return nil
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Flush sends everything queued before the call and waits until it is acknowledged or
// dropped, or until ctx is done.
func (c *Client) Flush(ctx context.Context) error {
	c.mu.Lock()
	target := c.seq
	c.flushTo = target
	c.mu.Unlock()
	c.poke()
	return c.wait(ctx, target)
}

func (c *Client) wait(ctx context.Context, target uint64) error {
	for {
		c.mu.Lock()
		done, ch, left := c.done, c.progress, len(c.queue)
		c.mu.Unlock()
		if done >= target {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("cannot flush %d queued events: %w", left, ctx.Err())
		}
	}
}

// Close stops accepting messages and sends what is queued, trying for at most
// Config.ShutdownTimeout. It returns an error naming how many events were not delivered.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
	defer cancel()
	return c.Shutdown(ctx)
}

// Shutdown is Close with the caller's deadline.
func (c *Client) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	target := c.seq
	c.flushTo = target
	c.mu.Unlock()
	c.poke()
	err := c.wait(ctx, target)
	c.cancel()
	<-c.finished
	return err
}

// Stats returns the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Queued = len(c.queue)
	return s
}

// loop sends the queue until the client is shut down.
func (c *Client) loop() {
	defer close(c.finished)
	t := time.NewTimer(c.cfg.FlushInterval)
	defer t.Stop()
	for {
		all := false
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		case <-t.C:
			all = true
		}
		for c.sendOne(all) {
		}
		t.Reset(c.cfg.FlushInterval)
	}
}

// sendOne sends the head of the queue until it is delivered or dropped, retrying as the
// package comment says. Unless all is set or Flush asked for it, it sends only a full
// batch. It returns false when there is nothing (more) to send or the client stopped.
func (c *Client) sendOne(all bool) bool {
	c.mu.Lock()
	if len(c.queue) == 0 || (!all && len(c.queue) < c.cfg.BatchSize && c.queue[0].seq > c.flushTo) {
		c.mu.Unlock()
		return false
	}
	n, size := 0, 0
	for n < len(c.queue) && n < c.cfg.BatchSize && (n == 0 || size+len(c.queue[n].raw) < maxBodyBytes) {
		size += len(c.queue[n].raw) + 1
		n++
	}
	batch := c.queue[:n:n]
	c.mu.Unlock()
	if n == 0 {
		return false
	}
	for attempt := 0; ; {
		a, err := c.post(batch)
		if c.ctx.Err() != nil {
			return false
		}
		switch {
		case err == nil && a.status >= 200 && a.status < 300:
			c.finish(batch, len(batch))
			return true
		case err == nil && a.status == http.StatusRequestEntityTooLarge && len(batch) > 1:
			batch = batch[:len(batch)/2]
			continue
		case err == nil && a.status >= 400 && a.status < 500 && a.status != http.StatusRequestTimeout && a.status != http.StatusTooManyRequests:
			// On 400 invalid_events the collector stored the valid events and says how many.
			var partial struct {
				Accepted int `json:"accepted"`
			}
			json.Unmarshal([]byte(a.body), &partial)
			c.cfg.Logger.Warn("jingyun: events rejected by the collector", "status", a.status, "events", len(batch)-partial.Accepted, "answer", truncate(a.body, 2000))
			c.finish(batch, partial.Accepted)
			return true
		}
		attempt++
		delay := backoff(c.cfg.RetryBase, c.cfg.RetryMax, attempt)
		if err == nil && a.retryAfter > delay {
			delay = a.retryAfter
		}
		c.mu.Lock()
		c.stats.Retries++
		c.mu.Unlock()
		c.cfg.Logger.Debug("jingyun: send failed, retrying", "status", a.status, "err", err, "in", delay)
		select {
		case <-time.After(delay):
		case <-c.ctx.Done():
			return false
		}
	}
}

// finish removes a batch from the head of the queue once the collector answered for it;
// stored of its events were stored, the others rejected.
func (c *Client) finish(batch []queued, stored int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queue = c.queue[len(batch):]
	if len(c.queue) == 0 {
		c.queue = nil
	}
	c.done = batch[len(batch)-1].seq
	stored = min(max(stored, 0), len(batch))
	c.stats.Sent += int64(stored)
	c.stats.Rejected += int64(len(batch) - stored)
	close(c.progress)
	c.progress = make(chan struct{})
}

type answer struct {
	status     int
	retryAfter time.Duration
	body       string
}

// post sends one batch request.
func (c *Client) post(batch []queued) (answer, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"batch":[`)
	for i, q := range batch {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(q.raw)
	}
	buf.WriteString(`],"sentAt":"`)
	buf.WriteString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	buf.WriteString(`"}`)
	body := buf.Bytes()
	gz := len(body) > 1024
	if gz {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(body)
		w.Close()
		body = z.Bytes()
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return answer{}, fmt.Errorf("cannot build request: %w", err)
	}
	req.SetBasicAuth(c.cfg.WriteKey, "")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jingyun-go/"+Version)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("cannot send batch: %w", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	return answer{status: res.StatusCode, retryAfter: retryAfter(res.Header.Get("Retry-After")), body: string(b)}, nil
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// backoff is base·2^(attempt−1), capped, with jitter in [½, 1] of it.
func backoff(base, cap time.Duration, attempt int) time.Duration {
	d := float64(base) * math.Pow(2, float64(attempt-1))
	if d > float64(cap) {
		d = float64(cap)
	}
	return time.Duration(d * (0.5 + mrand.Float64()/2))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// NewMessageID returns a random UUID (version 4), the default messageId.
func NewMessageID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Amount formats an amount in the currency's minor unit (fen, cents) as a decimal with two
// places, so that 5990 is sent as 59.90 exactly: money in properties never goes through a
// float. Use it for price, revenue, total, discount and shipping.
func Amount(minor int64) json.Number {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, u/100, u%100))
}
