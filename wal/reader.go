package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// readChunk is how much a Reader reads from a segment at once.
const readChunk = 1 << 20

// Reader reads durable records in log order, across segments. A Reader is not safe for
// concurrent use; each consumer opens its own. It holds a file descriptor until Close.
type Reader struct {
	w      *WAL
	pos    Position // the end of the last record read: where the next one starts
	limit  int64    // durable size of pos.Segment when last looked at
	sealed bool     // pos.Segment is sealed, so limit is final
	f      *os.File // pos.Segment, opened lazily
	buf    []byte   // read-ahead of f, starting at file offset bufOff
	bufOff int64
	closed bool
}

// NewReader returns a Reader that starts just after from: the zero Position, a position
// returned by Append, Reader.Next or DurableEnd, or {s, 0} for the start of segment s. A
// position in a segment TruncateBefore already removed starts at the first remaining
// segment. A position past the durable end is an error.
func (w *WAL) NewReader(from Position) (*Reader, error) {
	w.qmu.Lock()
	closed := w.closed
	w.qmu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	first, last := w.segs[0], w.segs[len(w.segs)-1]
	pos := from
	switch {
	case from.Segment < first.num:
		pos = Position{first.num, segmentHeaderSize}
	case from.Segment > last.num:
		return nil, fmt.Errorf("cannot create reader at %v: past the durable end %v", from, Position{last.num, last.size})
	default:
		size := w.segs[from.Segment-first.num].size
		pos.Offset = max(pos.Offset, segmentHeaderSize)
		if pos.Offset > size {
			return nil, fmt.Errorf("cannot create reader at %v: past the durable end %v of its segment", from, Position{from.Segment, size})
		}
	}
	return &Reader{w: w, pos: pos}, nil
}

// Position returns where the next record starts: the end of the last one read.
func (r *Reader) Position() Position { return r.pos }

// Next returns the next durable record's payload, owned by the caller, and the position just
// after it. It returns io.EOF when no more records are durable yet; calling Next again later
// continues (see WAL.Notify). ErrCorrupt means a durable record is damaged; the Reader does
// not move past it.
func (r *Reader) Next() (payload []byte, end Position, err error) {
	if r.closed {
		return nil, r.pos, ErrClosed
	}
	for {
		if !r.sealed {
			if err := r.refresh(); err != nil {
				return nil, r.pos, err
			}
		}
		if r.pos.Offset < r.limit {
			if r.f == nil {
				f, err := os.Open(r.w.segmentPath(r.pos.Segment))
				if errors.Is(err, os.ErrNotExist) {
					// Removed by TruncateBefore between refresh and here: look again.
					r.sealed = false
					continue
				}
				if err != nil {
					return nil, r.pos, fmt.Errorf("cannot open segment %s: %w", segmentName(r.pos.Segment), err)
				}
				r.f, r.buf, r.bufOff = f, r.buf[:0], 0
			}
			return r.read()
		}
		if !r.sealed {
			return nil, r.pos, io.EOF
		}
		next, ok := r.w.nextSegment(r.pos.Segment)
		if !ok {
			return nil, r.pos, io.EOF
		}
		r.moveTo(next)
	}
}

// refresh learns the durable size of the current segment.
func (r *Reader) refresh() error {
	size, sealed, found := r.w.segmentBound(r.pos.Segment)
	if found {
		r.limit, r.sealed = size, sealed
		return nil
	}
	if r.f != nil {
		// Removed while we read it. Only sealed segments are removed, and the open file
		// still holds all of it.
		fi, err := r.f.Stat()
		if err != nil {
			return fmt.Errorf("cannot stat segment %s: %w", segmentName(r.pos.Segment), err)
		}
		r.limit, r.sealed = fi.Size(), true
		return nil
	}
	// Removed before we got to it: the loader said it was consumed.
	next, ok := r.w.nextSegment(r.pos.Segment)
	if !ok {
		return fmt.Errorf("cannot find segment after %s: %w", segmentName(r.pos.Segment), ErrCorrupt)
	}
	r.moveTo(next)
	size, sealed, _ = r.w.segmentBound(next)
	r.limit, r.sealed = size, sealed
	return nil
}

func (r *Reader) moveTo(num int64) {
	if r.f != nil {
		_ = r.f.Close() // read-only
		r.f = nil
	}
	r.pos = Position{num, segmentHeaderSize}
	r.limit, r.sealed = 0, false
	r.buf = r.buf[:0]
}

// read reads the record at r.pos, which starts before r.limit.
func (r *Reader) read() ([]byte, Position, error) {
	off := r.pos.Offset
	corrupt := func(reason string) ([]byte, Position, error) {
		return nil, r.pos, fmt.Errorf("cannot read record at %v: %s: %w", r.pos, reason, ErrCorrupt)
	}
	if r.limit-off < recordHeaderSize {
		return corrupt("incomplete record header")
	}
	hdr, err := r.peek(off, recordHeaderSize)
	if err != nil {
		return nil, r.pos, err
	}
	n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
	sum := binary.LittleEndian.Uint32(hdr[4:8])
	switch {
	case n == 0:
		return corrupt("zero record length")
	case n > MaxRecordSize:
		return corrupt(fmt.Sprintf("record length %d over the limit", n))
	case n > r.limit-off-recordHeaderSize:
		return corrupt("incomplete record payload")
	}
	payload := make([]byte, n)
	if n >= readChunk {
		if _, err := r.f.ReadAt(payload, off+recordHeaderSize); err != nil {
			return nil, r.pos, fmt.Errorf("cannot read record at %v: %w", r.pos, err)
		}
	} else {
		b, err := r.peek(off+recordHeaderSize, n)
		if err != nil {
			return nil, r.pos, err
		}
		copy(payload, b)
	}
	if crc32.Checksum(payload, castagnoli) != sum {
		return corrupt("checksum mismatch")
	}
	r.pos.Offset = off + recordHeaderSize + n
	return payload, r.pos, nil
}

// peek returns n bytes at file offset off, which must end at or before r.limit, from the
// read-ahead buffer, refilling it when needed. The result is valid until the next peek.
func (r *Reader) peek(off, n int64) ([]byte, error) {
	if off >= r.bufOff && off+n <= r.bufOff+int64(len(r.buf)) {
		i := off - r.bufOff
		return r.buf[i : i+n], nil
	}
	want := min(max(n, readChunk), r.limit-off)
	if int64(cap(r.buf)) < want {
		r.buf = make([]byte, want)
	}
	r.buf = r.buf[:want]
	if _, err := r.f.ReadAt(r.buf, off); err != nil {
		r.buf = r.buf[:0]
		return nil, fmt.Errorf("cannot read segment %s at offset %d: %w", segmentName(r.pos.Segment), off, err)
	}
	r.bufOff = off
	return r.buf[:n], nil
}

// Close releases the Reader's file. Next after Close returns ErrClosed.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.buf = nil
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if err != nil {
		return fmt.Errorf("cannot close segment %s: %w", segmentName(r.pos.Segment), err)
	}
	return nil
}
