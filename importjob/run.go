package importjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/importer"
)

// work runs the queued jobs one at a time, oldest first, until Close.
func (r *Runner) work() {
	defer close(r.done)
	for {
		if r.ctx.Err() != nil {
			return
		}
		j := r.next()
		if j == nil {
			select {
			case <-r.ctx.Done():
				return
			case <-r.wake:
			}
			continue
		}
		r.run(j)
	}
}

// next returns the oldest queued job, or nil.
func (r *Runner) next() *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first *job
	for _, j := range r.jobs {
		if j.State == Queued && (first == nil || j.CreatedAt.Before(first.CreatedAt)) {
			first = j
		}
	}
	return first
}

func (r *Runner) uploadPath(id string) string { return filepath.Join(r.cfg.Dir, id+".upload") }
func (r *Runner) recordPath(id string) string { return filepath.Join(r.cfg.Dir, id+".json") }

// run imports one job's file.
func (r *Runner) run(j *job) {
	m, err := importer.ParseMapping(j.Mapping)
	r.mu.Lock()
	if j.State != Queued {
		// Cancelled between next and here: it stays cancelled.
		r.mu.Unlock()
		return
	}
	if err != nil {
		// Submit validated it: only a record edited by hand gets here.
		r.finish(j, Failed, CodeFailed, fmt.Sprintf("cannot import: %v", err))
		r.mu.Unlock()
		return
	}
	now := time.Now().UTC()
	received := now
	if j.ReceivedAt != nil {
		received = *j.ReceivedAt
	}
	if j.StartedAt == nil {
		j.StartedAt = &now
	}
	j.State = Validating
	j.Pass, j.Rows, j.BytesRead, j.Events, j.BadRowCount = 0, 0, 0, 0, 0
	ctx, cancel := context.WithCancel(r.ctx)
	j.cancel = cancel
	if err := r.save(j); err != nil {
		r.finish(j, Failed, CodeFailed, err.Error())
		r.mu.Unlock()
		cancel()
		return
	}
	r.mu.Unlock()
	defer cancel()
	r.cfg.Log.Info("import started", "job", j.ID, "project", j.ProjectID, "file", j.File, "resumed", j.Resumed)
	if m.MessageID.Namespace == "" {
		m.MessageID.Namespace = Namespace(m, j.File, j.SHA256)
	}
	path := r.uploadPath(j.ID)
	rep, err := importer.Run(ctx, importer.Options{
		Path:       path,
		Mapping:    m,
		ProjectID:  j.ProjectID,
		SkipBad:    j.SkipBad,
		ReceivedAt: received,
		Watch: func(p importer.PassProgress) {
			r.mu.Lock()
			if p.Pass > j.Pass && j.Pass == 1 {
				j.RowsTotal = j.Rows
			}
			j.Pass, j.Rows, j.BytesRead, j.BadRowCount = p.Pass, p.Rows, p.Bytes, p.BadRows
			r.mu.Unlock()
		},
	}, &jobSink{r: r, j: j, received: received})

	r.mu.Lock()
	defer r.mu.Unlock()
	j.cancel = nil
	if r.closing && !j.cancelled {
		// Interrupted by shutdown: the record keeps its state for the next Open.
		r.cfg.Log.Info("import interrupted by shutdown", "job", j.ID, "state", j.State, "events", j.Events)
		return
	}
	if rep != nil {
		rep.File = j.File
		j.Report = rep
		j.BadRows = rep.BadRows
		j.BadRowCount = rep.BadRowCount
		if rep.Complete {
			j.RowsTotal = rep.Rows
		}
	}
	msg := ""
	if err != nil {
		msg = strings.ReplaceAll(err.Error(), path, j.File)
	}
	switch {
	case err == nil:
		r.finish(j, Done, "", "")
	case j.cancelled:
		r.finish(j, Cancelled, "", "")
	case errors.Is(err, importer.ErrBadRows):
		r.finish(j, Failed, CodeBadRows, msg)
	case j.ReceivedAt != nil:
		r.finish(j, Failed, CodeFailed, msg+"; importing the same file with the same mapping again within 24 hours adds only the missing events")
	default:
		r.finish(j, Failed, CodeFailed, msg)
	}
}

// jobSink marks the job loading, durably, before the first event reaches the sink, and
// counts the events written.
type jobSink struct {
	r        *Runner
	j        *job
	received time.Time
}

func (s *jobSink) Write(ctx context.Context, events []event.Event) error {
	r, j := s.r, s.j
	r.mu.Lock()
	if j.cancelled {
		r.mu.Unlock()
		return context.Canceled
	}
	if j.State != Loading {
		j.State = Loading
		if j.ReceivedAt == nil {
			t := s.received
			j.ReceivedAt = &t
		}
		if err := r.save(j); err != nil {
			r.mu.Unlock()
			return err
		}
	}
	r.mu.Unlock()
	if err := r.sink.Write(ctx, events); err != nil {
		return err
	}
	r.mu.Lock()
	j.Events += len(events)
	r.mu.Unlock()
	return nil
}

// finish ends a job, removes its upload, records it and forgets the oldest finished jobs
// beyond Config.Keep. r.mu is held.
func (r *Runner) finish(j *job, st State, code, msg string) {
	now := time.Now().UTC()
	j.State, j.ErrorCode, j.Error, j.FinishedAt = st, code, msg, &now
	os.Remove(r.uploadPath(j.ID))
	if err := r.save(j); err != nil {
		r.cfg.Log.Error("cannot record import", "job", j.ID, "err", err)
	}
	r.cfg.Log.Info("import finished", "job", j.ID, "state", st, "events", j.Events, "bad_rows", j.BadRowCount, "err", msg)
	var old []*job
	for _, o := range r.jobs {
		if o.finished() {
			old = append(old, o)
		}
	}
	if len(old) <= r.cfg.Keep {
		return
	}
	sort.Slice(old, func(a, b int) bool { return old[a].CreatedAt.After(old[b].CreatedAt) })
	for _, o := range old[r.cfg.Keep:] {
		delete(r.jobs, o.ID)
		os.Remove(r.recordPath(o.ID))
	}
}

// save writes the job's record atomically and durably. r.mu is held.
func (r *Runner) save(j *job) error {
	b, err := json.Marshal(&j.Job)
	if err != nil {
		return fmt.Errorf("cannot record import %s: %w", j.ID, err)
	}
	path := r.recordPath(j.ID)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("cannot record import %s: %w", j.ID, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot record import %s: %w", j.ID, err)
	}
	if d, err := os.Open(r.cfg.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// recover loads the records of an earlier run and settles its unfinished jobs (see the
// package comment). Uploads without a record are removed.
func (r *Runner) recover() error {
	ents, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		return fmt.Errorf("cannot read import directory: %w", err)
	}
	uploads := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".upload"):
			uploads[strings.TrimSuffix(name, ".upload")] = true
		case strings.HasSuffix(name, ".tmp"):
			os.Remove(filepath.Join(r.cfg.Dir, name))
		case strings.HasSuffix(name, ".json"):
			b, err := os.ReadFile(filepath.Join(r.cfg.Dir, name))
			if err != nil {
				return fmt.Errorf("cannot read import record: %w", err)
			}
			j := &job{}
			if err := json.Unmarshal(b, &j.Job); err != nil || j.ID+".json" != name {
				r.cfg.Log.Warn("ignoring unreadable import record", "file", name, "err", err)
				continue
			}
			if j.BadRows == nil {
				j.BadRows = []importer.BadRow{}
			}
			r.jobs[j.ID] = j
		}
	}
	for id := range uploads {
		if j := r.jobs[id]; j == nil || j.finished() {
			os.Remove(r.uploadPath(id))
		}
	}
	for _, j := range r.jobs {
		if j.finished() {
			continue
		}
		switch {
		case !uploads[j.ID]:
			r.finish(j, Failed, CodeInterrupted, "the server restarted and the uploaded file is gone; upload it again")
		case j.ReceivedAt == nil:
			// Nothing of it was written.
			j.State = Queued
			r.save(j)
		case time.Since(*j.ReceivedAt) <= r.cfg.ResumeWithin && j.sizeInRows() <= int64(r.cfg.ResumeMaxRows):
			j.State = Queued
			j.Resumed++
			r.save(j)
			r.cfg.Log.Info("import will resume after a restart", "job", j.ID, "file", j.File)
		case j.sizeInRows() > int64(r.cfg.ResumeMaxRows):
			r.finish(j, Failed, CodeInterrupted, fmt.Sprintf(
				"the server stopped while this import was loading; it has more than %d rows, too many to resume without writing some events twice: "+
					"part of the file may have been imported", r.cfg.ResumeMaxRows))
		default:
			r.finish(j, Failed, CodeInterrupted, fmt.Sprintf(
				"the server stopped while this import was loading, more than %s ago: part of the file may have been imported; "+
					"importing it again would double the events already written", r.cfg.ResumeWithin))
		}
	}
	return nil
}

// sizeInRows is the job's size for the resume rule: its counted rows, else the rows it
// loaded so far, else its bytes / 64 (no event row is smaller).
func (j *Job) sizeInRows() int64 {
	if j.RowsTotal > 0 {
		return int64(j.RowsTotal)
	}
	if j.Events > 0 || j.Rows > 0 {
		return int64(max(j.Events, j.Rows))
	}
	return j.Bytes / 64
}
