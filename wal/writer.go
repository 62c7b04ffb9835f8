package wal

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

// The write path is a pipeline of two goroutines, so that writing one batch overlaps with
// the fsync of the previous ones:
//
//   - the writer (run) takes the whole Append queue at once, writes it with one pwrite per
//     segment touched and hands a flight per segment part to the syncer;
//   - the syncer (syncLoop) takes every flight waiting, issues one fsync for all of them,
//     publishes the new durable end and wakes the Appends.
//
// Flights are processed in order. Two kinds of flight stop the writer until the syncer has
// handled them (they are always the last of their group): the barrier before a new segment
// (the old one must be durable before the next exists) and the resume marker after a
// rollback.
//
// When an fsync fails, the syncer fails that group and every later flight, and asks the
// writer to roll back: at its next batch the writer truncates the active segment to the
// durable size, fsyncs it and sends the resume marker; flights after the marker are synced
// normally again. If the rollback itself fails the WAL fails every later Append.

// flight is one part of a batch, written to one segment, on its way to the syncer.
type flight struct {
	f      *os.File   // the segment written, nil when nothing was written
	seg    int64      // its number
	end    int64      // its written size after this flight
	reqs   []*request // the requests of this part (canceled ones are skipped)
	err    error      // set when writing failed: every request fails with it
	done   *commit    // closed after this flight when it ends its batch
	ack    chan struct{}
	resume bool // the writer rolled back after a failed fsync
}

// run is the writer goroutine.
func (w *WAL) run() {
	defer close(w.flights)
	for range w.wake {
		for {
			w.qmu.Lock()
			batch, c, closed := w.queue, w.cur, w.closed
			if len(batch) == 0 {
				w.qmu.Unlock()
				if closed {
					return
				}
				break
			}
			w.queue, w.cur = nil, newCommit()
			w.qmu.Unlock()

			w.commits.Add(1)
			fl := w.writeBatch(batch)
			fl.done = c
			w.flights <- fl
		}
	}
}

// writeBatch writes the batch, sending a flight for every segment it fills, and returns
// the flight of its last part, which the caller sends.
func (w *WAL) writeBatch(batch []*request) *flight {
	if w.rollbackWanted.Load() {
		w.rollbackAfterSyncFailure()
	}
	if err := w.failure(); err != nil {
		return &flight{reqs: batch, err: err}
	}
	buf := w.buf[:0]
	start := 0
	for i, r := range batch {
		if r.canceled {
			continue
		}
		need := int64(recordHeaderSize + len(r.payload))
		if used := w.written + int64(len(buf)); used+need > w.opts.SegmentSize && used > segmentHeaderSize {
			if len(buf) > 0 {
				fl := w.writeFlight(buf, batch[start:i])
				if fl.err != nil {
					fl.reqs = batch[start:]
					return fl
				}
				w.flights <- fl
				buf = buf[:0]
			}
			start = i
			if err := w.rotate(); err != nil {
				return &flight{reqs: batch[start:], err: err}
			}
		}
		r.end = Position{w.seg, w.written + int64(len(buf)) + need}
		buf = appendRecord(buf, r)
	}
	fl := w.writeFlight(buf, batch[start:])
	// Keep the buffer for the next batch unless one huge batch blew it up.
	if cap(buf) > 8<<20 && len(buf) < cap(buf)/4 {
		buf = nil
	}
	w.buf = buf
	return fl
}

func appendRecord(buf []byte, r *request) []byte {
	n := len(r.payload)
	buf = append(buf, byte(n), byte(n>>8), byte(n>>16), byte(n>>24),
		byte(r.crc), byte(r.crc>>8), byte(r.crc>>16), byte(r.crc>>24))
	return append(buf, r.payload...)
}

// writeFlight writes buf at the end of the active segment. A failed write is cut off
// again so that the next write starts at the same place.
func (w *WAL) writeFlight(buf []byte, reqs []*request) *flight {
	if len(buf) == 0 {
		return &flight{reqs: reqs}
	}
	off := w.written
	if err := w.writeAt(w.f, buf, off); err != nil {
		err = fmt.Errorf("cannot write segment %s: %w", segmentName(w.seg), w.diskErr(err))
		if terr := w.f.Truncate(off); terr != nil {
			w.setFailed(fmt.Errorf("cannot cut segment %s back to %d bytes after a failed write, reopen the wal: %w", segmentName(w.seg), off, terr))
		}
		return &flight{reqs: reqs, err: err}
	}
	w.written += int64(len(buf))
	w.diskWritten.Add(int64(len(buf)))
	return &flight{f: w.f, seg: w.seg, end: w.written, reqs: reqs}
}

// rotate waits until the active segment is durable, then starts the next one.
func (w *WAL) rotate() error {
	w.waitSyncer(&flight{})
	if w.rollbackWanted.Load() {
		return w.syncFailure() // the old segment is not durable: do not seal it
	}
	num := w.seg + 1
	f, err := w.createSegment(num)
	if err != nil {
		return err
	}
	old := w.f
	w.f, w.seg, w.written = f, num, segmentHeaderSize
	w.mu.Lock()
	w.segs = append(w.segs, segInfo{num, segmentHeaderSize})
	w.mu.Unlock()
	_ = old.Close() // fsync'd; a close error cannot lose data
	return nil
}

// waitSyncer sends fl and waits until the syncer has handled it and everything before.
func (w *WAL) waitSyncer(fl *flight) {
	fl.ack = make(chan struct{})
	w.flights <- fl
	<-fl.ack
}

// rollbackAfterSyncFailure cuts the active segment back to its durable size after the
// syncer failed an fsync, and lets the syncer resume.
func (w *WAL) rollbackAfterSyncFailure() {
	w.rollbackWanted.Store(false)
	w.mu.Lock()
	durable := w.segs[len(w.segs)-1].size
	w.mu.Unlock()
	err := w.f.Truncate(durable)
	if err == nil {
		err = w.sync(w.f)
	}
	if err != nil {
		w.setFailed(fmt.Errorf("cannot roll segment %s back to %d bytes after a failed fsync, reopen the wal: %w", segmentName(w.seg), durable, err))
	} else {
		w.written = durable
	}
	w.waitSyncer(&flight{resume: true})
}

// syncLoop is the syncer goroutine. It ends when the writer closed w.flights.
func (w *WAL) syncLoop() {
	defer close(w.done)
	var group []*flight
	failing := false // an fsync failed and the writer has not rolled back yet
	for fl := range w.flights {
		group = append(group[:0], fl)
	more:
		for {
			select {
			case fl, ok := <-w.flights:
				if !ok {
					break more
				}
				group = append(group, fl)
			default:
				break more
			}
		}
		var f *os.File
		for _, fl := range group {
			if fl.f != nil {
				f = fl.f // all flights in a group are in the same segment
			}
		}
		var syncErr error
		if failing {
			syncErr = w.syncFailure()
		} else if f != nil {
			if err := w.sync(f); err != nil {
				syncErr = fmt.Errorf("cannot sync segment %q: %w", f.Name(), w.diskErr(err))
				failing = true
				w.qmu.Lock()
				w.syncErr = syncErr
				w.qmu.Unlock()
				w.rollbackWanted.Store(true)
			}
		}
		w.finish(group, syncErr)
		for _, fl := range group {
			if fl.resume {
				failing = false
			}
			if fl.done != nil {
				close(fl.done.done)
			}
			if fl.ack != nil {
				close(fl.ack)
			}
		}
		// Let the Appends just woken queue their next records before the next group;
		// otherwise groups alternate between one record and all the others.
		runtime.Gosched()
	}
}

// finish sets the outcome of every request in group, publishes the durable end and
// releases the pending bytes.
func (w *WAL) finish(group []*flight, syncErr error) {
	var pending, count, bytes int64
	var durable *flight
	for _, fl := range group {
		err := fl.err
		if err == nil && fl.f != nil && syncErr != nil {
			err = syncErr
		}
		for _, r := range fl.reqs {
			if r.canceled {
				continue
			}
			pending += int64(len(r.payload) + recordHeaderSize)
			if err != nil {
				r.err = err
				continue
			}
			count++
			bytes += int64(len(r.payload))
		}
		if err == nil && fl.f != nil {
			durable = fl
		}
	}
	if durable != nil {
		w.mu.Lock()
		if last := &w.segs[len(w.segs)-1]; last.num == durable.seg {
			last.size = durable.end
		} else {
			panic(fmt.Sprintf("BUG: flight for segment %d, active segment is %d", durable.seg, last.num))
		}
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
	w.appends.Add(count)
	w.appendedBytes.Add(bytes)
	w.pending.Add(-pending)
}

func (w *WAL) setFailed(err error) {
	w.qmu.Lock()
	if w.failed == nil {
		w.failed = err
	}
	w.qmu.Unlock()
}

// failure returns the sticky error that stops all appends, if any.
func (w *WAL) failure() error {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return w.failed
}

// syncFailure returns the error of the last failed fsync.
func (w *WAL) syncFailure() error {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return w.syncErr
}

// writeAt writes all of b at off, through the test hook when set.
func (w *WAL) writeAt(f *os.File, b []byte, off int64) error {
	if w.hooks.writeAt != nil {
		_, err := w.hooks.writeAt(f, b, off)
		return err
	}
	_, err := f.WriteAt(b, off)
	return err
}

// diskErr maps ENOSPC and EDQUOT to ErrDiskFull and makes Append refuse until the next
// free-space check says otherwise.
func (w *WAL) diskErr(err error) error {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return err
	}
	if w.opts.MinFreeDisk >= 0 {
		w.diskFull.Store(true)
		w.diskCheckedAt.Store(time.Now().UnixNano())
	}
	return fmt.Errorf("%w: %w", ErrDiskFull, err)
}

// createSegment creates segment num with its header, fsyncs it and the directory.
func (w *WAL) createSegment(num int64) (*os.File, error) {
	path := w.segmentPath(num)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create segment %q: %w", path, w.diskErr(err))
	}
	err = w.writeAt(f, segmentHeader(), 0)
	if err == nil {
		err = w.sync(f)
	}
	if err == nil {
		err = w.syncDir(w.opts.Dir)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path) // best effort: an empty or headerless last segment is reset at Open
		return nil, fmt.Errorf("cannot create segment %q: %w", path, w.diskErr(err))
	}
	return f, nil
}

func (w *WAL) sync(f *os.File) error {
	if w.opts.NoSync {
		return nil
	}
	w.fsyncs.Add(1)
	if w.hooks.beforeSync != nil {
		if err := w.hooks.beforeSync(f); err != nil {
			return err
		}
	}
	return f.Sync()
}

func (w *WAL) syncDir(dir string) error {
	if w.opts.NoSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot open directory %q: %w", dir, err)
	}
	w.fsyncs.Add(1)
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot sync directory %q: %w", dir, err)
	}
	return nil
}
