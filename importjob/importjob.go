// Package importjob runs the imports that arrive over HTTP (the console's import page): an
// uploaded file is kept in the data dir, queued, and imported by package importer with the
// same mapping rules as `jingyun import`, one job at a time, while callers watch its
// progress.
//
// A job goes queued → validating → loading → done, or ends failed or cancelled. Validating
// is importer's first pass: in the default all-or-nothing mode a file with a bad row ends
// failed with the bad rows listed and nothing written. A skip-bad import of rows (no
// orders) reads the file once and goes straight to loading.
//
// Restarts. Each job has a record (<id>.json) next to its upload (<id>.upload) in the
// directory of Config.Dir, rewritten at every change of state; the record says "loading"
// before the first event is handed to the sink. When the server starts again:
//
//   - a queued or validating job is queued again: nothing of it was written;
//   - a loading job is run again from the start with the same receive time, so every event
//     gets the same id as before and the loader drops the ones it already stored (its
//     dedupe window covers ids received in the last 24 hours). The job says resumed;
//   - a loading job that started longer ago than Config.ResumeWithin, or bigger than
//     Config.ResumeMaxRows, is not run again (the dedupe window may no longer cover its
//     events): it ends failed with code "interrupted", saying that part of the file may
//     have been written.
//
// Event ids are importer's, with the namespace of Namespace when the mapping sets none.
//
// So a restart never leaves a silent partial write. Cancelling is allowed until loading
// starts, never during it. Finished records are kept (the newest Config.Keep); uploads are
// deleted when their job ends.
//
// The package owns the job records and uploads in its directory. It must not parse HTTP or
// know how the sink stores events.
package importjob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/importer"
)

// State is where a job is.
type State string

// States of a job.
const (
	Queued     State = "queued"
	Validating State = "validating"
	Loading    State = "loading"
	Done       State = "done"
	Failed     State = "failed"
	Cancelled  State = "cancelled"
)

// Codes of Job.ErrorCode.
const (
	CodeBadRows     = "bad_rows"    // all-or-nothing import refused: the file has bad rows
	CodeInterrupted = "interrupted" // the server stopped during loading too long ago to resume
	CodeFailed      = "failed"      // the file could not be read or the sink failed
)

// Config tunes a Runner. Zero fields take the defaults.
type Config struct {
	// Dir holds uploads and job records; required (the app uses <data dir>/imports).
	Dir string
	// MaxBytes is the largest upload, as sent (a gzip file counts compressed). Default 1 GiB.
	MaxBytes int64
	// MaxQueued is how many jobs of one project may wait or run at once; more are refused,
	// so that one project cannot hold up the others' imports. Default 8.
	MaxQueued int
	// Keep is how many finished jobs are remembered. Default 50.
	Keep int
	// ResumeWithin is how old an interrupted loading job may be and still be resumed after
	// a restart. It must stay below the loader's dedupe window (24h). Default 23h.
	ResumeWithin time.Duration
	// ResumeMaxRows is the largest interrupted loading job (in rows, or bytes / 64 when its
	// rows were not counted) that is resumed: the loader remembers only its latest 2 to 4
	// million event ids, so a bigger job could write some events twice. Default 1,000,000.
	ResumeMaxRows int
	// Log receives job starts and ends; default slog.Default().
	Log *slog.Logger
}

// DefaultMaxBytes is the default upload limit.
const DefaultMaxBytes = 1 << 30

func (c *Config) defaults() {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = 8
	}
	if c.Keep <= 0 {
		c.Keep = 50
	}
	if c.ResumeWithin <= 0 {
		c.ResumeWithin = 23 * time.Hour
	}
	if c.ResumeMaxRows <= 0 {
		c.ResumeMaxRows = 1_000_000
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Request describes an import to run.
type Request struct {
	ProjectID uint32
	// FileName is the uploaded file's name as the client gave it; only its base name is
	// kept. It names the job and, when the mapping sets no message_id.namespace, is the
	// namespace of the event ids (see Namespace).
	FileName string
	// Mapping is the mapping JSON; Preset, when set, names the shipped preset it came from.
	Mapping []byte
	Preset  string
	SkipBad bool
	// By says who asked (an email, or "secret key").
	By string
}

// Job is what callers see of a job. All times are UTC.
type Job struct {
	ID        string          `json:"id"`
	ProjectID uint32          `json:"project_id"`
	File      string          `json:"file"`
	Preset    string          `json:"preset,omitempty"`
	Mapping   json.RawMessage `json:"mapping"`
	SkipBad   bool            `json:"skip_bad"`
	By        string          `json:"created_by,omitempty"`
	State     State           `json:"state"`
	// Bytes is the size of the upload, SHA256 its digest; BytesRead the bytes read by the
	// current pass.
	Bytes     int64  `json:"bytes"`
	SHA256    string `json:"sha256"`
	BytesRead int64  `json:"bytes_read"`
	// Pass is the current pass over the file (1 or 2) of Passes (2 when the file is
	// validated before loading).
	Pass   int `json:"pass"`
	Passes int `json:"passes"`
	// Rows is the number of rows read by the current pass; RowsTotal the rows of the file
	// once the first pass has counted them.
	Rows      int `json:"rows"`
	RowsTotal int `json:"rows_total,omitempty"`
	// Events is the number of events handed to the loader (events it already had, from an
	// earlier run of the same file, are counted here but stored once).
	Events int `json:"events"`
	// BadRowCount is the number of bad rows found so far; BadRows lists the first of them
	// once the job ends.
	BadRowCount int               `json:"bad_row_count"`
	BadRows     []importer.BadRow `json:"bad_rows"`
	// Progress is the share of the work done, 0 to 1.
	Progress float64 `json:"progress"`
	// Report is importer's report once the job ends (absent after a cancellation before
	// any row was read).
	Report *importer.Report `json:"report,omitempty"`
	// Error and ErrorCode say why a job failed.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	// Resumed counts the runs after a restart interrupted the job.
	Resumed    int        `json:"resumed,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// ReceivedAt is the receive time stamped on the job's events, fixed when it first
	// starts loading so that a resumed run gives the same events.
	ReceivedAt *time.Time `json:"received_at,omitempty"`
}

func (j *Job) finished() bool { return j.State == Done || j.State == Failed || j.State == Cancelled }

// Errors of Submit, Get and Cancel. HTTP callers map them to status codes.
var (
	ErrNotFound     = errors.New("no such import")
	ErrQueueFull    = errors.New("too many imports are waiting")
	ErrTooLarge     = errors.New("the file is too large")
	ErrEmpty        = errors.New("the file is empty")
	ErrUncancelable = errors.New("the import is loading or finished and cannot be cancelled")
)

// MappingError is a mapping that cannot be used. Field is the JSON path of the field at
// fault within the mapping, when known.
type MappingError struct {
	Field string
	Err   error
}

func (e *MappingError) Error() string { return "invalid mapping: " + e.Err.Error() }
func (e *MappingError) Unwrap() error { return e.Err }

// FileError is an upload that cannot be imported with the mapping, found before the job is
// queued: an empty CSV file, a header without a column of the mapping, a broken gzip file.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ReadError is a failure to read the client's upload (a broken or truncated body).
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "cannot read the upload: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// errReader remembers the error of its reader.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// Runner keeps the jobs of one server and runs them one at a time. Its methods are safe
// for concurrent use.
type Runner struct {
	cfg  Config
	sink event.Sink

	mu        sync.Mutex
	jobs      map[string]*job
	receiving map[uint32]int // uploads of a project being received, each holding a queue slot
	wake      chan struct{}
	closing   bool
	ctx       context.Context
	stop      context.CancelFunc
	done      chan struct{}
}

// job is a Job with what only the runner needs.
type job struct {
	Job
	cancel      context.CancelFunc // of the running import, while validating
	cancelled   bool
	onlyOnePass bool
}

// Upload is a file received into the runner's directory, not yet a job. Submit makes it
// one; Discard removes it.
type Upload struct {
	id      string
	path    string
	project uint32
	release func() // frees the upload's queue slot; nil once freed
	// Size is the number of bytes received; SHA256 their digest, in hex.
	Size   int64
	SHA256 string
}

// Discard removes the upload and frees its queue slot; it may be called after Submit (then
// it does nothing).
func (u *Upload) Discard() {
	if u.path != "" {
		os.Remove(u.path)
		u.path = ""
	}
	if u.release != nil {
		u.release()
		u.release = nil
	}
}

// Open reads the job records in cfg.Dir, settles the jobs a previous run left unfinished
// (see the package comment) and starts the worker. sink receives the events.
func Open(cfg Config, sink event.Sink) (*Runner, error) {
	cfg.defaults()
	if cfg.Dir == "" {
		return nil, errors.New("cannot open import jobs: a directory is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create import directory: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &Runner{cfg: cfg, sink: sink, jobs: map[string]*job{}, receiving: map[uint32]int{}, wake: make(chan struct{}, 1), ctx: ctx, stop: stop, done: make(chan struct{})}
	if err := r.recover(); err != nil {
		stop()
		return nil, err
	}
	go r.work()
	r.poke()
	return r, nil
}

// Close stops the worker. A running job is interrupted and left as recorded, so that the
// next Open settles it; Close waits for the import to stop.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.stop()
	<-r.done
	return nil
}

// MaxBytes is the upload limit.
func (r *Runner) MaxBytes() int64 { return r.cfg.MaxBytes }

// Receive streams body into a new upload of at most MaxBytes bytes for the project. The
// upload takes one of the project's MaxQueued slots before a byte is read, and holds it
// until Submit queues it or Discard drops it: when the slots are taken Receive returns
// ErrQueueFull at once, so a refused upload never reaches the disk. It returns ErrTooLarge
// (the partial upload removed) when body is longer, ErrEmpty when it is empty, a
// *ReadError when body fails, and any other error when the upload cannot be stored (a full
// disk wraps syscall.ENOSPC).
func (r *Runner) Receive(project uint32, body io.Reader) (*Upload, error) {
	release, err := r.reserve(project)
	if err != nil {
		return nil, err
	}
	u, err := r.receive(body)
	if err != nil {
		release()
		return nil, err
	}
	u.project, u.release = project, release
	return u, nil
}

// Uploading is how many uploads of the project are being received.
func (r *Runner) Uploading(project uint32) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.receiving[project]
}

// reserve takes a queue slot of the project for an upload being received.
func (r *Runner) reserve(project uint32) (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active(project)+r.receiving[project] >= r.cfg.MaxQueued {
		return nil, ErrQueueFull
	}
	r.receiving[project]++
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.receiving[project]--
			r.mu.Unlock()
		})
	}, nil
}

// active counts the project's unfinished jobs; r.mu must be held.
func (r *Runner) active(project uint32) int {
	n := 0
	for _, o := range r.jobs {
		if !o.finished() && o.ProjectID == project {
			n++
		}
	}
	return n
}

func (r *Runner) receive(body io.Reader) (*Upload, error) {
	id := newID()
	path := filepath.Join(r.cfg.Dir, id+".upload")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot create upload: %w", err)
	}
	h := sha256.New()
	src := &errReader{r: io.LimitReader(body, r.cfg.MaxBytes+1)}
	n, err := io.Copy(io.MultiWriter(f, h), src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	u := &Upload{id: id, path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	switch {
	case err != nil && src.err != nil:
		u.Discard()
		return nil, &ReadError{Err: src.err}
	case err != nil:
		u.Discard()
		return nil, fmt.Errorf("cannot store upload: %w", err)
	case n > r.cfg.MaxBytes:
		u.Discard()
		return nil, ErrTooLarge
	case n == 0:
		u.Discard()
		return nil, ErrEmpty
	}
	return u, nil
}

// Submit checks the mapping and the start of the file and queues the job, which takes over
// the upload's queue slot; u must come from Receive for req.ProjectID. It returns a
// *MappingError or *FileError for input that cannot be imported; on any error the upload is
// left to the caller to Discard.
func (r *Runner) Submit(req Request, u *Upload) (Job, error) {
	if u.release == nil || u.project != req.ProjectID {
		return Job{}, fmt.Errorf("cannot queue import: the upload was received for project %d, not %d, or already used", u.project, req.ProjectID)
	}
	m, err := importer.ParseMapping(req.Mapping)
	if err != nil {
		me := &MappingError{Err: err}
		var fe *importer.FieldError
		if errors.As(err, &fe) {
			me.Field = fe.Field
		}
		return Job{}, me
	}
	name := cleanName(req.FileName)
	if err := importer.CheckFile(u.path, m); err != nil {
		return Job{}, &FileError{Err: errors.New(strings.ReplaceAll(err.Error(), u.path, name))}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, req.Mapping); err != nil {
		return Job{}, &MappingError{Err: err}
	}
	j := &job{Job: Job{
		ID:        u.id,
		ProjectID: req.ProjectID,
		File:      name,
		Preset:    req.Preset,
		Mapping:   json.RawMessage(compact.Bytes()),
		SkipBad:   req.SkipBad,
		By:        req.By,
		State:     Queued,
		Bytes:     u.Size,
		SHA256:    u.SHA256,
		Passes:    passes(m, req.SkipBad),
		BadRows:   []importer.BadRow{},
		CreatedAt: time.Now().UTC(),
	}}
	r.mu.Lock()
	if err := r.save(j); err != nil {
		r.mu.Unlock()
		return Job{}, err
	}
	// The upload's slot, taken by Receive, becomes the job's.
	r.jobs[j.ID] = j
	r.receiving[u.project]--
	out := j.view()
	r.mu.Unlock()
	u.path, u.release = "", nil // the job owns the file and the slot now
	r.cfg.Log.Info("import queued", "job", j.ID, "project", j.ProjectID, "file", j.File, "bytes", j.Bytes)
	r.poke()
	return out, nil
}

// Get returns a job of the project.
func (r *Runner) Get(project uint32, id string) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.jobs[id]
	if j == nil || j.ProjectID != project {
		return Job{}, ErrNotFound
	}
	return j.view(), nil
}

// List returns the project's jobs, newest first, at most limit (0: all kept).
func (r *Runner) List(project uint32, limit int) []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []Job{}
	for _, j := range r.jobs {
		if j.ProjectID == project {
			out = append(out, j.view())
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.After(out[b].CreatedAt)
		}
		return out[a].ID > out[b].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Cancel cancels a queued or validating job; nothing of it is written. A job that is
// loading, has loaded before a restart, or is finished gives ErrUncancelable.
func (r *Runner) Cancel(project uint32, id string) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.jobs[id]
	if j == nil || j.ProjectID != project {
		return Job{}, ErrNotFound
	}
	if j.ReceivedAt != nil {
		// A resumed job has written events before the restart.
		return j.view(), ErrUncancelable
	}
	switch j.State {
	case Queued:
		r.finish(j, Cancelled, "", "")
	case Validating:
		// The worker sees the flag before any write and ends the job as cancelled.
		j.cancelled = true
		if j.cancel != nil {
			j.cancel()
		}
	default:
		return j.view(), ErrUncancelable
	}
	return j.view(), nil
}

// view copies j for a caller, computing Progress.
func (j *job) view() Job {
	v := j.Job
	v.BadRows = append([]importer.BadRow(nil), j.BadRows...)
	if v.BadRows == nil {
		v.BadRows = []importer.BadRow{}
	}
	switch {
	case j.State == Done:
		v.Progress = 1
	case j.State == Validating || j.State == Loading:
		if j.Bytes > 0 && j.Passes > 0 && j.Pass > 0 {
			part := min(float64(j.BytesRead)/float64(j.Bytes), 1)
			v.Progress = (float64(j.Pass-1) + part) / float64(j.Passes)
		}
	}
	return v
}

// Namespace is the namespace of the event ids of an upload whose mapping sets none. Ids
// keyed by columns or by order key get the file's name, as `jingyun import` of a file of
// that name would: the same rows or orders in another extract of the same name get the same
// ids. Ids by line number also get the start of the file's SHA-256: line 2 of this week's
// "orders.csv" is not line 2 of last week's, and must not be dropped as its duplicate;
// uploading the very same file again gives the same ids.
func Namespace(m *importer.Mapping, fileName, sha string) string {
	ns := strings.TrimSuffix(fileName, ".gz")
	if len(m.MessageID.Key) == 0 && m.Order == nil {
		ns += "@" + sha[:min(16, len(sha))]
	}
	return ns
}

// passes is how many times importer reads the file (see importer.Run).
func passes(m *importer.Mapping, skipBad bool) int {
	if skipBad && m.Order == nil {
		return 1
	}
	return 2
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cleanName keeps the base name of a client's file name, as valid UTF-8 of at most 200
// bytes; "upload" when nothing is left.
func cleanName(s string) string {
	s = strings.ReplaceAll(s, `\`, "/")
	s = filepath.Base(s)
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	for len(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if s == "" || s == "." || s == "/" {
		return "upload"
	}
	return s
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
