// Package wal owns the write-ahead log that makes ingestion durable. The collector appends
// one record per accepted HTTP batch and acknowledges the request only after Append returns,
// that is after the record is fsync'd; the loader reads records with a Reader, moves them into
// the event store, saves its checkpoint (a Position) and then calls TruncateBefore. The package
// owns the files in Options.Dir and nothing else: it knows nothing of events, JSON or stores,
// a payload is an opaque byte string to it.
//
// # Directory layout
//
// Options.Dir holds segment files named "%016d.seg" (0000000000000001.seg, ...), numbered
// consecutively from 1, and a file named LOCK that a running WAL holds an exclusive flock(2)
// on, so that two processes never write the same log. Other files are ignored. Only the
// segment with the highest number (the active segment) is ever written; all others are
// sealed and immutable until TruncateBefore deletes them, oldest first, so the numbers on
// disk always form one gap-free run.
//
// # Segment format
//
// All integers are little endian.
//
//	segment  = header record*
//	header   = "JYWAL1\n" version          ; 8 bytes, version = 0x01
//	record   = length crc payload
//	length   = uint32                      ; payload bytes, 1 <= length <= MaxRecordSize
//	crc      = uint32                      ; CRC-32C (Castagnoli) of payload
//	payload  = length bytes
//
// A record is never split across segments. The writer starts a new segment before a record
// would make the active one larger than Options.SegmentSize, unless the active segment holds
// no record yet (so a record larger than SegmentSize gets a segment of its own). A zero
// length is invalid: a zero-filled tail, which some filesystems expose after a crash, can
// therefore never parse as a record (the CRC-32C of an empty payload is 0).
//
// A Position names the byte offset just after a record in a segment; {s, 8} is the start of
// segment s, and the end of a sealed segment is the same place as the start of the next one.
//
// # Durability and group commit
//
// Two goroutines form a pipeline. The writer takes every queued record at once and writes
// them with one write(2) per segment touched; the syncer takes everything written since its
// last fsync, issues one fsync for all of it, publishes the new durable end and wakes the
// waiting Appends. While one group is being fsync'd the next is being written. A new
// segment is created only after the old one is durable: wait for the syncer, create the
// file, write its header, fsync it, fsync the directory. Removing segments fsyncs the
// directory too.
//
// A failed write is cut off again (the segment is truncated to where the write started),
// so a later record never lands behind garbage. A failed fsync fails every record not yet
// durable, and the writer truncates the active segment back to its durable size and fsyncs
// that before it writes again. If such a truncation fails, the on-disk state is unknown
// and the WAL refuses all further appends until it is reopened (which repairs the tail).
// ENOSPC and EDQUOT are reported as ErrDiskFull.
//
// # Repair at Open
//
// Open reads every segment and checks every record's length and CRC. A sealed segment must
// be intact to its last byte: any bad record there is reported as ErrCorrupt and Open fails,
// because sealed segments were fully fsync'd before the next one was created and damage
// there is not a torn write. In the last segment, Open truncates the file at the first
// record that is incomplete, has a zero or oversized length, or fails its CRC, and fsyncs
// it; an intact last segment is fsync'd too, since a killed process may have written
// records it never synced.
//
// Why cutting is safe: a record is acknowledged only once an fsync has completed that
// started after every byte up to the record's end was written. So no bad byte can lie
// before an acknowledged record, and cutting at the first bad record loses nothing a
// client was told is safe. Records after the cut that still parse were never acknowledged
// either (a batch written while the previous one was being fsync'd can reach the disk
// first) and go with it; clients retry them. A last segment shorter than its header, or
// whose header is all zero bytes (a crash between creating the file and its first fsync),
// is reset to an empty segment. What was cut is available from WAL.Repair so the caller
// can log it.
package wal

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRecordSize is the largest payload of one record, in bytes.
const MaxRecordSize = 64 << 20

const (
	segmentHeaderSize = 8
	recordHeaderSize  = 8
	segmentMagic      = "JYWAL1\n"
	segmentVersion    = 1

	defaultSegmentSize = 64 << 20
	defaultMaxPending  = 64 << 20
	defaultMinFreeDisk = 256 << 20

	// The free-space verdict is refreshed at most this often, or after this many bytes
	// were written since the last look, whichever comes first.
	diskCheckInterval = time.Second
	diskCheckBytes    = 32 << 20

	lockFileName = "LOCK"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors returned by Append, NewReader, Reader.Next and Open; test them with errors.Is.
var (
	// ErrBusy means more than Options.MaxPending bytes are waiting for fsync; the caller
	// should shed load (HTTP 503) and retry later. Nothing was written.
	ErrBusy = errors.New("wal is busy: too many bytes waiting for fsync")
	// ErrDiskFull means the filesystem has less free space than Options.MinFreeDisk, or a
	// write failed with ENOSPC/EDQUOT. Nothing was written.
	ErrDiskFull = errors.New("wal disk is full")
	// ErrClosed means the WAL or Reader was closed.
	ErrClosed = errors.New("wal is closed")
	// ErrTooLarge means a payload is longer than MaxRecordSize.
	ErrTooLarge = errors.New("wal record is too large")
	// ErrCorrupt means a record that should be intact is not (a sealed segment or the
	// durable part of the active one), or segment files are missing from the run.
	ErrCorrupt = errors.New("wal is corrupt")
)

// Position is a place in the log: the byte Offset just after a record in segment number
// Segment. The zero value is the start of the log. Positions returned by Append and
// Reader.Next are what a loader stores as its checkpoint.
type Position struct {
	Segment int64
	Offset  int64
}

// Less reports whether p comes before q. Note that the end of a sealed segment {s, size}
// and the start of the next one {s+1, 8} are the same place but compare as different.
func (p Position) Less(q Position) bool {
	if p.Segment != q.Segment {
		return p.Segment < q.Segment
	}
	return p.Offset < q.Offset
}

// String formats p as "segment:offset".
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

// Options configures Open. Zero fields take the documented defaults.
type Options struct {
	// Dir holds the segment files; it is created if missing. Required.
	Dir string
	// SegmentSize is the size in bytes at which the active segment is sealed and a new one
	// started; default 64 MiB.
	SegmentSize int64
	// MaxPending bounds the bytes (payloads plus 8-byte record headers) accepted by Append
	// but not yet fsync'd; beyond it Append fails fast with ErrBusy. A single record is
	// always accepted when nothing else is pending. Default 64 MiB.
	MaxPending int64
	// MinFreeDisk is the free space in bytes below which Append fails with ErrDiskFull;
	// default 256 MiB, a negative value turns the check off.
	MinFreeDisk int64
	// NoSync skips every fsync. Only for tests and benchmarks: nothing is durable.
	NoSync bool

	hooks *hooks // tests only
}

// hooks lets tests slow down or break the writer; nil in production.
type hooks struct {
	beforeSync func(f *os.File) error                             // before every file fsync; an error fails it
	writeAt    func(f *os.File, b []byte, off int64) (int, error) // replaces f.WriteAt
	statfs     func(dir string) (free int64, err error)           // replaces statfs(2)
}

// Validate reports the first invalid field of o.
func (o Options) Validate() error {
	switch {
	case o.Dir == "":
		return errors.New("cannot validate wal options: Dir is empty")
	case o.SegmentSize < 0 || (o.SegmentSize > 0 && o.SegmentSize < segmentHeaderSize+recordHeaderSize+1):
		return fmt.Errorf("cannot validate wal options: SegmentSize %d is too small", o.SegmentSize)
	case o.MaxPending < 0:
		return fmt.Errorf("cannot validate wal options: MaxPending %d is negative", o.MaxPending)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.SegmentSize == 0 {
		o.SegmentSize = defaultSegmentSize
	}
	if o.MaxPending == 0 {
		o.MaxPending = defaultMaxPending
	}
	if o.MinFreeDisk == 0 {
		o.MinFreeDisk = defaultMinFreeDisk
	}
	return o
}

// Repair describes what Open cut from the tail of the last segment.
type Repair struct {
	Segment int64  // number of the segment that was cut
	Offset  int64  // size the segment was cut to, in bytes
	Cut     int64  // bytes removed (for a reset header: the bytes that were there)
	Reason  string // why the first removed record (or the header) was rejected
}

// String describes r in one line for a log.
func (r Repair) String() string {
	return fmt.Sprintf("cut %d bytes from segment %d at offset %d: %s", r.Cut, r.Segment, r.Offset, r.Reason)
}

// Stats is a snapshot of counters; counters count since Open.
type Stats struct {
	Segments      int   // segment files on disk, including the active one
	FirstSegment  int64 // number of the oldest segment
	LastSegment   int64 // number of the active segment
	DiskBytes     int64 // durable bytes in all segment files
	PendingBytes  int64 // bytes accepted by Append and not yet durable, headers included
	Appends       int64 // records made durable
	AppendedBytes int64 // payload bytes made durable
	Commits       int64 // batches taken from the Append queue by the writer
	Fsyncs        int64 // fsync calls on segment files and the directory
	Busy          int64 // Appends refused with ErrBusy
	DiskFull      bool  // whether Append currently refuses with ErrDiskFull
}

// WAL is an open write-ahead log. All methods are safe for concurrent use.
type WAL struct {
	opts   Options
	hooks  *hooks // never nil
	lock   *os.File
	repair *Repair

	// Queue shared by Append and the writer, guarded by qmu.
	qmu     sync.Mutex
	queue   []*request
	cur     *commit // the commit the queued requests will complete with
	closed  bool
	failed  error // sticky: set when a rollback failed
	syncErr error // the last failed fsync
	wake    chan struct{}
	flights chan *flight  // writer to syncer; closed when the writer exits
	done    chan struct{} // closed when the syncer has exited

	// Owned by the writer goroutine (and by Open/Close before it starts/after it ends).
	f       *os.File
	seg     int64
	written int64 // bytes written to the active segment, durable or not
	buf     []byte

	rollbackWanted atomic.Bool // set by the syncer after a failed fsync

	// Segment list shared with readers and TruncateBefore, guarded by mu. segs is sorted
	// and its last element is the active segment, with its durable size.
	mu     sync.Mutex
	segs   []segInfo
	notify chan struct{}

	truncMu sync.Mutex // serializes TruncateBefore

	pending       atomic.Int64
	appends       atomic.Int64
	appendedBytes atomic.Int64
	commits       atomic.Int64
	fsyncs        atomic.Int64
	busy          atomic.Int64

	diskMu        sync.Mutex   // held while calling statfs
	diskCheckedAt atomic.Int64 // unix nanoseconds of the last statfs
	diskWritten   atomic.Int64 // bytes written since the last statfs
	diskFull      atomic.Bool
}

type segInfo struct {
	num  int64
	size int64
}

// request is one Append waiting for its commit. end is written by the writer, err by the
// writer or the syncer, both before commit.done is closed.
type request struct {
	payload  []byte
	crc      uint32
	c        *commit
	canceled bool // set under qmu while the request is still queued
	end      Position
	err      error
}

type commit struct{ done chan struct{} }

func newCommit() *commit { return &commit{done: make(chan struct{})} }

// Open opens (or creates) the WAL in o.Dir, verifies every segment, repairs a torn tail of
// the last one (see the package comment and WAL.Repair) and starts the writer. The caller
// must Close the WAL; only one WAL per directory can be open at a time, across processes.
func Open(o Options) (*WAL, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	w := &WAL{
		opts:    o,
		wake:    make(chan struct{}, 1),
		flights: make(chan *flight, 1024),
		done:    make(chan struct{}),
		notify:  make(chan struct{}, 1),
		cur:     newCommit(),
	}
	w.hooks = o.hooks
	if w.hooks == nil {
		w.hooks = &hooks{}
	}
	if w.hooks.statfs == nil {
		w.hooks.statfs = freeBytes
	}
	if err := w.makeDir(); err != nil {
		return nil, err
	}
	lock, err := lockDir(o.Dir)
	if err != nil {
		return nil, err
	}
	w.lock = lock
	if err := w.load(); err != nil {
		_ = w.lock.Close() // releases the flock
		return nil, err
	}
	if o.MinFreeDisk >= 0 {
		w.refreshDisk(time.Now().UnixNano())
	}
	go w.run()
	go w.syncLoop()
	return w, nil
}

func (w *WAL) makeDir() error {
	dir := w.opts.Dir
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create wal directory %q: %w", dir, err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		return w.syncDir(filepath.Dir(filepath.Clean(dir)))
	}
	return nil
}

// load lists, verifies and repairs the segments and opens the active one for writing.
func (w *WAL) load() error {
	nums, err := listSegments(w.opts.Dir)
	if err != nil {
		return err
	}
	for i := 1; i < len(nums); i++ {
		if nums[i] != nums[i-1]+1 {
			return fmt.Errorf("cannot open wal %q: segment %d is missing: %w", w.opts.Dir, nums[i-1]+1, ErrCorrupt)
		}
	}
	if len(nums) == 0 {
		f, err := w.createSegment(1)
		if err != nil {
			return err
		}
		w.f, w.seg, w.written = f, 1, segmentHeaderSize
		w.segs = []segInfo{{1, segmentHeaderSize}}
		return nil
	}
	for _, num := range nums[:len(nums)-1] {
		size, err := verifySegment(w.segmentPath(num))
		if err != nil {
			return err
		}
		w.segs = append(w.segs, segInfo{num, size})
	}
	last := nums[len(nums)-1]
	f, size, repair, err := w.openLast(last)
	if err != nil {
		return err
	}
	w.f, w.seg, w.written, w.repair = f, last, size, repair
	w.segs = append(w.segs, segInfo{last, size})
	return nil
}

// openLast opens the last segment read-write and cuts a torn tail.
func (w *WAL) openLast(num int64) (*os.File, int64, *Repair, error) {
	path := w.segmentPath(num)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("cannot open segment %q: %w", path, err)
	}
	fail := func(err error) (*os.File, int64, *Repair, error) {
		_ = f.Close() // the error that made us give up is the one to report
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("cannot stat segment %q: %w", path, err))
	}
	size := fi.Size()
	torn, err := checkHeader(f, size)
	if err != nil {
		return fail(fmt.Errorf("cannot open segment %q: %w", path, err))
	}
	if torn != "" {
		if err := f.Truncate(0); err != nil {
			return fail(fmt.Errorf("cannot reset segment %q: %w", path, err))
		}
		if _, err := f.WriteAt(segmentHeader(), 0); err != nil {
			return fail(fmt.Errorf("cannot reset segment %q: %w", path, err))
		}
		if err := w.sync(f); err != nil {
			return fail(fmt.Errorf("cannot sync segment %q: %w", path, err))
		}
		r := &Repair{Segment: num, Offset: segmentHeaderSize, Cut: size, Reason: torn}
		return f, segmentHeaderSize, r, nil
	}
	end, reason, err := scanSegment(f, size)
	if err != nil {
		return fail(fmt.Errorf("cannot read segment %q: %w", path, err))
	}
	if end == size {
		// Records a killed process wrote but never got to fsync are valid and kept; make
		// them durable before this segment is sealed and a later one is created.
		if err := w.sync(f); err != nil {
			return fail(fmt.Errorf("cannot sync segment %q: %w", path, err))
		}
		return f, size, nil, nil
	}
	if err := f.Truncate(end); err != nil {
		return fail(fmt.Errorf("cannot truncate segment %q: %w", path, err))
	}
	if err := w.sync(f); err != nil {
		return fail(fmt.Errorf("cannot sync segment %q: %w", path, err))
	}
	return f, end, &Repair{Segment: num, Offset: end, Cut: size - end, Reason: reason}, nil
}

// Repair reports what Open cut from the tail of the last segment; ok is false when the
// log was intact.
func (w *WAL) Repair() (r Repair, ok bool) {
	if w.repair == nil {
		return Repair{}, false
	}
	return *w.repair, true
}

// Append writes payload as one record and returns once it is durable (fsync'd), with the
// position just after it. Concurrent calls are committed together: the records queued
// while earlier ones are written or fsync'd go out with one write and are covered by one
// fsync (group commit). Append does not keep payload after it returns; the caller must not
// modify it while Append runs. It fails fast, writing nothing, with ErrBusy (too much pending),
// ErrDiskFull, ErrTooLarge, ErrClosed or an empty-payload error. If ctx is done before
// the writer took the record, Append returns ctx.Err() and the record is never written;
// once the writer took it, Append waits for the outcome, so a returned error other than
// ctx.Err() means the record may not be relied on but a nil error always means durable.
func (w *WAL) Append(ctx context.Context, payload []byte) (Position, error) {
	if len(payload) == 0 {
		return Position{}, errors.New("cannot append record: empty payload")
	}
	if len(payload) > MaxRecordSize {
		return Position{}, fmt.Errorf("cannot append record of %d bytes: %w", len(payload), ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	if err := w.checkDisk(); err != nil {
		return Position{}, err
	}
	n := int64(len(payload) + recordHeaderSize)
	if p := w.pending.Add(n); p > w.opts.MaxPending && p != n {
		w.pending.Add(-n)
		w.busy.Add(1)
		return Position{}, ErrBusy
	}
	r := &request{payload: payload, crc: crc32.Checksum(payload, castagnoli)}
	w.qmu.Lock()
	if w.closed || w.failed != nil {
		err := w.failed
		if w.closed {
			err = ErrClosed
		}
		w.qmu.Unlock()
		w.pending.Add(-n)
		return Position{}, err
	}
	r.c = w.cur
	w.queue = append(w.queue, r)
	w.qmu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	select {
	case <-r.c.done:
	case <-ctx.Done():
		w.qmu.Lock()
		if r.c == w.cur {
			r.canceled = true
			w.qmu.Unlock()
			w.pending.Add(-n)
			return Position{}, ctx.Err()
		}
		w.qmu.Unlock()
		<-r.c.done
	}
	if r.err != nil {
		return Position{}, r.err
	}
	return r.end, nil
}

// checkDisk refuses appends while free space is below MinFreeDisk, looking at the
// filesystem at most once per diskCheckInterval or diskCheckBytes written.
func (w *WAL) checkDisk() error {
	if w.opts.MinFreeDisk < 0 {
		return nil
	}
	now := time.Now().UnixNano()
	if now-w.diskCheckedAt.Load() >= int64(diskCheckInterval) || w.diskWritten.Load() >= diskCheckBytes {
		if w.diskMu.TryLock() {
			w.refreshDisk(now)
			w.diskMu.Unlock()
		}
	}
	if w.diskFull.Load() {
		return ErrDiskFull
	}
	return nil
}

// refreshDisk looks at the free space. If statfs fails the previous verdict stands: a
// broken statfs must neither stop ingestion nor hide a full disk (ENOSPC still maps).
func (w *WAL) refreshDisk(now int64) {
	free, err := w.hooks.statfs(w.opts.Dir)
	w.diskCheckedAt.Store(now)
	w.diskWritten.Store(0)
	if err == nil {
		w.diskFull.Store(free < w.opts.MinFreeDisk)
	}
}

// DurableEnd returns the position just after the last durable record.
func (w *WAL) DurableEnd() Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	last := w.segs[len(w.segs)-1]
	return Position{last.num, last.size}
}

// Notify returns a channel that receives a value after new records became durable.
// Sends never block and coalesce (capacity one), so the channel is meant for a single
// consumer, which must read until io.EOF after every receive.
func (w *WAL) Notify() <-chan struct{} { return w.notify }

// TruncateBefore deletes, oldest first, every sealed segment all of whose records end at or
// before p, and returns how many it deleted. The active segment is never deleted. Readers
// already inside a deleted segment keep reading it; a Reader positioned before the first
// remaining segment continues at its start.
func (w *WAL) TruncateBefore(p Position) (removed int, err error) {
	w.truncMu.Lock()
	defer w.truncMu.Unlock()
	w.mu.Lock()
	var victims []int64
	for _, s := range w.segs[:len(w.segs)-1] {
		if s.num > p.Segment || (s.num == p.Segment && p.Offset < s.size) {
			break
		}
		victims = append(victims, s.num)
	}
	w.mu.Unlock()
	for _, num := range victims {
		if err = os.Remove(w.segmentPath(num)); err != nil && !errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("cannot remove segment %q: %w", w.segmentPath(num), err)
			break
		}
		err = nil
		w.mu.Lock()
		w.segs = w.segs[1:]
		w.mu.Unlock()
		removed++
	}
	if removed > 0 {
		if serr := w.syncDir(w.opts.Dir); err == nil {
			err = serr
		}
	}
	return removed, err
}

// Stats returns a snapshot of the WAL's counters.
func (w *WAL) Stats() Stats {
	w.mu.Lock()
	s := Stats{
		Segments:     len(w.segs),
		FirstSegment: w.segs[0].num,
		LastSegment:  w.segs[len(w.segs)-1].num,
	}
	for _, seg := range w.segs {
		s.DiskBytes += seg.size
	}
	w.mu.Unlock()
	s.PendingBytes = w.pending.Load()
	s.Appends = w.appends.Load()
	s.AppendedBytes = w.appendedBytes.Load()
	s.Commits = w.commits.Load()
	s.Fsyncs = w.fsyncs.Load()
	s.Busy = w.busy.Load()
	s.DiskFull = w.diskFull.Load()
	return s
}

// Close refuses new appends, waits until every queued record is written and fsync'd (each
// waiting Append gets its outcome), closes the files and releases the directory lock. It
// returns the error that stopped the WAL, if one did. Readers stay usable until they are
// closed. Calling Close again returns nil.
func (w *WAL) Close() error {
	w.qmu.Lock()
	if w.closed {
		w.qmu.Unlock()
		return nil
	}
	w.closed = true
	w.qmu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.done
	err := w.f.Close()
	if err != nil {
		err = fmt.Errorf("cannot close segment %s: %w", segmentName(w.seg), err)
	}
	if lerr := w.lock.Close(); lerr != nil && err == nil {
		err = fmt.Errorf("cannot release wal lock: %w", lerr)
	}
	if ferr := w.failure(); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

func (w *WAL) segmentPath(num int64) string {
	return filepath.Join(w.opts.Dir, segmentName(num))
}

// segmentBound returns the durable size of segment num and whether it is sealed; found is
// false when the segment is not (or no longer) in the log.
func (w *WAL) segmentBound(num int64) (size int64, sealed, found bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	first := w.segs[0].num
	if num < first || num > w.segs[len(w.segs)-1].num {
		return 0, false, false
	}
	i := int(num - first)
	return w.segs[i].size, i < len(w.segs)-1, true
}

// nextSegment returns the first segment in the log after num.
func (w *WAL) nextSegment(num int64) (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	first, last := w.segs[0].num, w.segs[len(w.segs)-1].num
	switch {
	case num < first:
		return first, true
	case num < last:
		return num + 1, true
	}
	return 0, false
}
