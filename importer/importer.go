// Package importer loads history from CSV and NDJSON files into a project: `jingyun
// import`. A JSON mapping (see Mapping and docs/import.md) says how each row becomes a
// validated event.Event, or how the lines of an order become one order event, and the
// events go to an event.Sink in batches.
//
// An import never half-writes silently. By default it is all-or-nothing: a first pass
// reads and validates the whole file (streaming; only one small entry per order key is
// kept), and if any row is bad nothing is written and the report lists the bad rows with
// their line numbers. With SkipBad the good rows are written and the report says exactly
// how many rows were skipped. A failing sink stops the run and the report says how many
// events were written before it failed. Event ids are derived from the file and a key, so
// running the same import again produces the same ids and a loader that deduplicates by
// id does not double the events.
//
// The package owns the mapping format and the row-to-event rules. It must not know how
// the sink stores events, nor resolve persons: that is the loader's work.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jingyun/jingyun/event"
)

// Defaults of Options.
const (
	DefaultBatchSize  = 5000
	DefaultMaxBadRows = 100
	progressEvery     = 10000
	maxUnmappedValues = 100
)

// ErrBadRows is wrapped by the error of an all-or-nothing import that found bad rows and
// therefore wrote nothing.
var ErrBadRows = errors.New("the file has bad rows")

// Options configure one import.
type Options struct {
	// Path is the input file; gzip-compressed files are read transparently.
	Path string
	// MappingPath names a mapping file; alternatively Mapping holds one (exactly one of
	// the two is set).
	MappingPath string
	Mapping     *Mapping
	// ProjectID is the project the events belong to; required.
	ProjectID uint32
	// SkipBad writes the good rows of a file with bad rows (an order with a bad line is
	// skipped whole). Without it a file with any bad row writes nothing.
	SkipBad bool
	// DryRun validates and builds every event but writes none; the report counts the
	// events that would be written. The sink may be nil.
	DryRun bool
	// Progress, when set, is called every 10,000 rows and at the end of each pass with the
	// rows read so far in the current pass. A validating import reads the file twice (the
	// count starts again at 0 for the writing pass); Report.Passes says how many passes ran.
	Progress func(rows int)
	// Watch, when set, is called at the same moments as Progress with more detail: which
	// pass runs, whether it writes, the bytes of the file it has read and what was written
	// and found bad so far. It runs on the importing goroutine: it must return quickly.
	Watch func(PassProgress)
	// BatchSize is the number of events per sink write; default 5000.
	BatchSize int
	// MaxBadRows caps Report.BadRows (the count is always exact); default 100.
	MaxBadRows int
	// ReceivedAt is stamped on every event as its receive time; default now.
	ReceivedAt time.Time
}

// PassProgress is where an import is, as given to Options.Watch.
type PassProgress struct {
	// Pass is 1 for the first read of the file, 2 for the second.
	Pass int
	// Writing is false in a validating first pass, true in a pass that writes events.
	Writing bool
	// Rows is the number of data rows read so far in this pass.
	Rows int
	// Bytes is the number of bytes of the file read so far in this pass, as stored (for a
	// gzip file, compressed bytes). Read-ahead makes it up to 256 KiB ahead of Rows.
	Bytes int64
	// Events is the number of events written so far; BadRows the bad rows found so far.
	Events  int
	BadRows int
}

// BadRow is a row that cannot become an event.
type BadRow struct {
	// Line is the 1-based line in the file (the header is line 1; for a CSV record that
	// spans lines, its first line).
	Line int `json:"line"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Column names the offending column, when there is one.
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

// Report says what an import did. It is JSON-serialisable for `jingyun import --json`.
// Rows = RowsImported + Skipped + the counts in Filtered and Unmapped when Complete;
// after an all-or-nothing refusal, Rows = BadRowCount + good rows and nothing was written.
type Report struct {
	File      string `json:"file"`
	Format    string `json:"format"`
	ProjectID uint32 `json:"project_id"`
	// Mode is "all-or-nothing" or "skip-bad".
	Mode   string `json:"mode"`
	DryRun bool   `json:"dry_run,omitempty"`
	// Passes is how many times the file was read (1 or 2).
	Passes int `json:"passes"`
	// Rows is the number of data rows in the file (header and blank lines excluded).
	Rows int `json:"rows"`
	// RowsImported is the number of rows that went into written events.
	RowsImported int `json:"rows_imported"`
	// Events is the number of events written to the sink (in a dry run: built).
	Events int `json:"events"`
	// Orders and Refunds count the written order and refund events (part of Events).
	Orders  int `json:"orders"`
	Refunds int `json:"refunds"`
	// GuestRows is the number of imported rows that got a synthetic guest anonymous id.
	GuestRows int `json:"guest_rows"`
	// Skipped is the number of rows not imported because they were bad or belonged to an
	// order with a bad line (SkipBad only); SkippedOrders counts those orders.
	Skipped       int `json:"skipped"`
	SkippedOrders int `json:"skipped_orders"`
	// BadRowCount is the number of bad rows; BadRows lists the first of them.
	BadRowCount int            `json:"bad_row_count"`
	BadRowKinds map[string]int `json:"bad_row_kinds,omitempty"`
	BadRows     []BadRow       `json:"bad_rows"`
	// Filtered counts the rows dropped by each skip rule of the mapping.
	Filtered map[string]int `json:"filtered,omitempty"`
	// Unmapped counts the rows skipped per unmapped event value (event.unmapped "skip");
	// beyond 100 distinct values the rest are counted under "(other)".
	Unmapped map[string]int `json:"unmapped,omitempty"`
	// Complete is true when every event the file yields was written.
	Complete   bool  `json:"complete"`
	DurationMS int64 `json:"duration_ms"`
}

// Run imports one file into the project. Invalid options or mapping give a nil report and
// an error. Otherwise the report is non-nil, also together with an error: when the input
// cannot be read, after an all-or-nothing refusal (wrapping ErrBadRows; nothing was
// written), when the sink fails (Report.Events says how many events were written before),
// when ctx is cancelled, or when the file changes between the passes. Run is safe to call
// concurrently with different sinks or files.
func Run(ctx context.Context, opts Options, sink event.Sink) (*Report, error) {
	start := time.Now()
	m := opts.Mapping
	switch {
	case m != nil && opts.MappingPath != "":
		return nil, errors.New("cannot import: want a mapping or a mapping path, not both")
	case m == nil && opts.MappingPath == "":
		return nil, errors.New("cannot import: a mapping is required")
	case m == nil:
		var err error
		if m, err = LoadMapping(opts.MappingPath); err != nil {
			return nil, fmt.Errorf("cannot import: %w", err)
		}
	}
	p, err := compile(m)
	if err != nil {
		return nil, fmt.Errorf("cannot import: %w", err)
	}
	if opts.Path == "" {
		return nil, errors.New("cannot import: an input path is required")
	}
	if opts.ProjectID == 0 {
		return nil, errors.New("cannot import: a project id is required")
	}
	if opts.DryRun {
		sink = discardSink{}
	} else if sink == nil {
		return nil, errors.New("cannot import: a sink is required")
	}
	if p.namespace == "" {
		p.namespace = strings.TrimSuffix(filepath.Base(opts.Path), ".gz")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MaxBadRows <= 0 {
		opts.MaxBadRows = DefaultMaxBadRows
	}
	if opts.ReceivedAt.IsZero() {
		opts.ReceivedAt = time.Now()
	}
	rep := &Report{
		File:      opts.Path,
		Format:    p.format,
		ProjectID: opts.ProjectID,
		Mode:      "all-or-nothing",
		DryRun:    opts.DryRun,
		BadRows:   []BadRow{},
	}
	if opts.SkipBad {
		rep.Mode = "skip-bad"
	}
	r := &run{
		opts:       opts,
		p:          p,
		sink:       sink,
		rep:        rep,
		receivedAt: opts.ReceivedAt.UnixMilli(),
		context:    []byte(`{"library":{"name":"jingyun-import"}}`),
	}
	defer func() { rep.DurationMS = time.Since(start).Milliseconds() }()

	// Rows of an order are only known complete at the end of the file, and an
	// all-or-nothing import must see every row before writing: both need a first pass.
	if !opts.SkipBad || p.order != nil {
		r.keys = map[string]*keyInfo{}
		if err := r.pass(ctx, true, false); err != nil {
			return rep, err
		}
		if rep.BadRowCount > 0 && !opts.SkipBad {
			return rep, fmt.Errorf("cannot import %q: %s, nothing written: %w", opts.Path, plural(rep.BadRowCount, "bad row"), ErrBadRows)
		}
		for _, ki := range r.keys {
			if ki.bad {
				rep.SkippedOrders++
			}
		}
		if err := r.pass(ctx, false, true); err != nil {
			return rep, err
		}
	} else if err := r.pass(ctx, true, true); err != nil {
		return rep, err
	}
	rep.Complete = true
	return rep, nil
}

// run is the state of one import.
type run struct {
	opts       Options
	p          *plan
	sink       event.Sink
	rep        *Report
	receivedAt int64
	context    []byte
	keys       map[string]*keyInfo // order key → what the first pass learnt
	open       map[string]*openOrder
	batch      []event.Event
	pending    counts // of the events in batch
}

// keyInfo is what the first pass keeps per order key.
type keyInfo struct {
	last     int // line of the last good line
	lines    int // good lines
	user     string
	anon     string
	refund   bool
	currency string
	total    int64
	bad      bool // a line is bad: the order is not imported
}

// openOrder is an order being assembled by the writing pass.
type openOrder struct {
	name     string
	refund   bool
	user     string
	anon     string
	guest    bool
	timeMS   int64
	props    []byte
	currency string
	products []byte
	total    int64
	lines    int
}

type counts struct {
	events, orders, refunds, rows, guestRows int
}

var errChanged = errors.New("the file changed between the validating and the writing pass")

// pass reads the file once. The counting pass records rows, bad rows, filtered rows and
// order keys; the writing pass builds and writes events. A one-pass import does both.
func (r *run) pass(ctx context.Context, counting, writing bool) error {
	p, rep := r.p, r.rep
	var read atomic.Int64
	src, err := openSource(r.opts.Path, p, &read)
	if err != nil {
		return fmt.Errorf("cannot import %q: %w", r.opts.Path, err)
	}
	defer src.close()
	rep.Passes++
	watch := func(rows int) {
		if r.opts.Progress != nil {
			r.opts.Progress(rows)
		}
		if r.opts.Watch != nil {
			r.opts.Watch(PassProgress{Pass: rep.Passes, Writing: writing, Rows: rows, Bytes: read.Load(), Events: rep.Events, BadRows: rep.BadRowCount})
		}
	}
	ev := &evaluator{p: p}
	var rec record
	rows := 0
	if writing {
		r.open = map[string]*openOrder{}
		r.batch = make([]event.Event, 0, r.opts.BatchSize)
	}
	for {
		cells, line, bad, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("cannot import %q: %w", r.opts.Path, err)
		}
		rows++
		if rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("cannot import %q: %d events written before cancellation: %w", r.opts.Path, rep.Events, err)
			}
		}
		if rows%progressEvery == 0 {
			watch(rows)
		}
		var rc *record
		if bad == nil {
			rc = ev.eval(&rec, cells, line)
			if rc.outcome == rowBad {
				bad = &rc.bad
			}
		}
		if bad != nil {
			if counting {
				r.addBad(*bad)
				// An order with a bad line is not imported: a partial order would carry a
				// wrong total.
				if p.order != nil {
					key := ""
					if rc != nil {
						key = rc.key
					} else if cells != nil {
						key = orderKey(p.order, cells)
					}
					if key != "" {
						r.spoil(key)
					}
				}
			}
			if writing {
				if !r.opts.SkipBad {
					return r.changed()
				}
				rep.Skipped++
			}
			continue
		}
		switch rc.outcome {
		case rowFiltered:
			if counting {
				if rep.Filtered == nil {
					rep.Filtered = map[string]int{}
				}
				rep.Filtered[rc.rule]++
			}
			continue
		case rowUnmapped:
			if counting {
				r.addUnmapped(rc.value)
			}
			continue
		}
		if p.order == nil {
			if writing {
				if err := r.emit(ctx, r.rowEvent(rc), counts{events: 1, rows: 1, guestRows: b2i(rc.guest)}); err != nil {
					return err
				}
			}
			continue
		}
		if counting {
			r.noteLine(rc, line)
		}
		if writing {
			ki := r.keys[rc.key]
			if ki == nil {
				return r.changed()
			}
			if ki.bad {
				rep.Skipped++
				continue
			}
			if err := r.addLine(ctx, rc, line, ki); err != nil {
				return err
			}
		}
	}
	if counting {
		rep.Rows = rows
	} else if rows != rep.Rows {
		return r.changed()
	}
	if writing {
		if len(r.open) > 0 {
			return r.changed()
		}
		if err := r.flush(ctx); err != nil {
			return err
		}
	}
	watch(rows)
	return nil
}

func (r *run) changed() error {
	return fmt.Errorf("cannot import %q: %d events written before stopping: %w", r.opts.Path, r.rep.Events, errChanged)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r *run) addBad(b BadRow) {
	rep := r.rep
	rep.BadRowCount++
	if rep.BadRowKinds == nil {
		rep.BadRowKinds = map[string]int{}
	}
	rep.BadRowKinds[b.Kind]++
	if len(rep.BadRows) < r.opts.MaxBadRows {
		rep.BadRows = append(rep.BadRows, b)
	}
}

func (r *run) addUnmapped(v string) {
	rep := r.rep
	if rep.Unmapped == nil {
		rep.Unmapped = map[string]int{}
	}
	if _, ok := rep.Unmapped[v]; !ok && len(rep.Unmapped) >= maxUnmappedValues {
		v = "(other)"
	}
	rep.Unmapped[v]++
}

func (r *run) spoil(key string) {
	ki := r.keys[key]
	if ki == nil {
		ki = &keyInfo{}
		r.keys[key] = ki
	}
	ki.bad = true
}

// noteLine records a good order line in the first pass and checks it against the other
// lines of its order.
func (r *run) noteLine(rc *record, line int) {
	ki := r.keys[rc.key]
	if ki == nil {
		ki = &keyInfo{}
		r.keys[rc.key] = ki
	}
	if ki.lines == 0 {
		ki.user, ki.anon, ki.refund, ki.currency = rc.user, rc.anon, rc.refund, rc.currency
	} else {
		mismatch := func(what, got, want string) {
			r.addBad(BadRow{Line: line, Kind: KindOrderMismatch, Reason: fmt.Sprintf("order %s: %s %s differs from %s on line %d", quote(rc.key), what, quote(got), quote(want), ki.last)})
			ki.bad = true
		}
		switch {
		case rc.user != ki.user || rc.anon != ki.anon:
			mismatch("person", rc.user+rc.anon, ki.user+ki.anon)
			return
		case rc.refund != ki.refund:
			mismatch("refund marking", fmt.Sprint(rc.refund), fmt.Sprint(ki.refund))
			return
		case rc.currency != ki.currency:
			mismatch("currency", rc.currency, ki.currency)
			return
		}
	}
	total, ok := addMoney(ki.total, rc.amount)
	if !ok {
		r.addBad(BadRow{Line: line, Kind: KindOrderOverflow, Reason: fmt.Sprintf("order %s: total out of range", quote(rc.key))})
		ki.bad = true
		return
	}
	ki.total = total
	ki.last = line
	ki.lines++
}

// addLine adds a good line to its open order in the writing pass and writes the order
// after its last line.
func (r *run) addLine(ctx context.Context, rc *record, line int, ki *keyInfo) error {
	o := r.open[rc.key]
	if o == nil {
		o = &openOrder{
			name:     rc.name,
			refund:   rc.refund,
			user:     rc.user,
			anon:     rc.anon,
			guest:    rc.guest,
			timeMS:   rc.timeMS,
			props:    append([]byte(nil), rc.props...),
			currency: rc.currency,
			products: []byte{'['},
		}
		r.open[rc.key] = o
	}
	if rc.timeMS < o.timeMS {
		o.timeMS = rc.timeMS
	}
	if o.lines > 0 {
		o.products = append(o.products, ',')
	}
	o.products = append(o.products, rc.product...)
	o.total += rc.amount // cannot overflow: the first pass summed the same lines
	o.lines++
	if line != ki.last {
		return nil
	}
	delete(r.open, rc.key)
	if o.lines != ki.lines || o.total != ki.total {
		return r.changed()
	}
	return r.emit(ctx, r.orderEvent(rc.key, o), counts{
		events:    1,
		orders:    b2i(!o.refund),
		refunds:   b2i(o.refund),
		rows:      o.lines,
		guestRows: o.lines * b2i(o.guest),
	})
}

func (r *run) rowEvent(rc *record) event.Event {
	return event.Event{
		ProjectID:   r.opts.ProjectID,
		ID:          rc.id,
		Type:        event.TypeTrack,
		Name:        rc.name,
		Time:        rc.timeMS,
		ReceivedAt:  r.receivedAt,
		AnonymousID: rc.anon,
		UserID:      rc.user,
		Properties:  append([]byte(nil), rc.props...),
		Context:     r.context,
	}
}

// orderEvent builds the properties of an order or refund:
// {"order_id", the mapped properties, "revenue" (orders only), "total", "currency", "products"}.
func (r *run) orderEvent(key string, o *openOrder) event.Event {
	b := make([]byte, 0, len(o.props)+len(o.products)+96)
	b = append(b, '{')
	b = appendKey(b, "order_id")
	b = appendString(b, key)
	if inner := o.props[1 : len(o.props)-1]; len(inner) > 0 {
		b = append(b, ',')
		b = append(b, inner...)
	}
	total := o.total
	if o.refund {
		total = -total
	} else {
		b = appendKey(b, "revenue")
		b = appendMoney(b, total)
	}
	b = appendKey(b, "total")
	b = appendMoney(b, total)
	b = appendKey(b, "currency")
	b = appendString(b, o.currency)
	b = appendKey(b, "products")
	b = append(b, o.products...)
	b = append(b, ']', '}')
	return event.Event{
		ProjectID:   r.opts.ProjectID,
		ID:          messageID(r.p.namespace, "order", o.name, key),
		Type:        event.TypeTrack,
		Name:        o.name,
		Time:        o.timeMS,
		ReceivedAt:  r.receivedAt,
		AnonymousID: o.anon,
		UserID:      o.user,
		Properties:  b,
		Context:     r.context,
	}
}

func (r *run) emit(ctx context.Context, e event.Event, c counts) error {
	r.batch = append(r.batch, e)
	r.pending.events += c.events
	r.pending.orders += c.orders
	r.pending.refunds += c.refunds
	r.pending.rows += c.rows
	r.pending.guestRows += c.guestRows
	if len(r.batch) >= r.opts.BatchSize {
		return r.flush(ctx)
	}
	return nil
}

func (r *run) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	if err := r.sink.Write(ctx, r.batch); err != nil {
		return fmt.Errorf("cannot write events of %q: %d events written before the failure: %w", r.opts.Path, r.rep.Events, err)
	}
	rep, c := r.rep, r.pending
	rep.Events += c.events
	rep.Orders += c.orders
	rep.Refunds += c.refunds
	rep.RowsImported += c.rows
	rep.GuestRows += c.guestRows
	r.pending = counts{}
	// The sink may keep the slice it was given; start a new one.
	r.batch = make([]event.Event, 0, r.opts.BatchSize)
	return nil
}

// discardSink is the sink of a dry run.
type discardSink struct{}

func (discardSink) Write(context.Context, []event.Event) error { return nil }
