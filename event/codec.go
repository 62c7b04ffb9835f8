package event

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// codecVersion is the first byte of every encoded batch; bump it when the layout changes
// and keep decoding the old one, since WAL segments outlive binaries.
const codecVersion = 1

// AppendBatch appends the binary encoding of events to dst: a version byte, the event count
// and each event's fields in declaration order (integers as varints, strings and JSON as
// length-prefixed bytes). It is the WAL record payload.
func AppendBatch(dst []byte, events []Event) []byte {
	dst = append(dst, codecVersion)
	dst = binary.AppendUvarint(dst, uint64(len(events)))
	for i := range events {
		e := &events[i]
		dst = binary.AppendUvarint(dst, uint64(e.ProjectID))
		dst = appendStr(dst, e.ID)
		dst = appendStr(dst, string(e.Type))
		dst = appendStr(dst, e.Name)
		dst = binary.AppendVarint(dst, e.Time)
		dst = binary.AppendVarint(dst, e.ReceivedAt)
		dst = appendStr(dst, e.AnonymousID)
		dst = appendStr(dst, e.UserID)
		dst = appendStr(dst, e.PreviousID)
		dst = appendStr(dst, e.GroupID)
		dst = appendBytes(dst, e.Properties)
		dst = appendBytes(dst, e.Context)
		dst = appendBytes(dst, e.Traits)
	}
	return dst
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

var errShort = errors.New("truncated batch")

// DecodeBatch decodes a payload written by AppendBatch, appending to dst. The returned
// events own their memory (they do not alias src).
func DecodeBatch(dst []Event, src []byte) ([]Event, error) {
	if len(src) == 0 || src[0] != codecVersion {
		return dst, fmt.Errorf("cannot decode batch: unknown codec version")
	}
	d := decoder{b: src[1:]}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		return dst, fmt.Errorf("cannot decode batch: count %d exceeds payload", n)
	}
	// One string copy of the payload backs every string field of the batch.
	d.s = string(d.b)
	d.base = len(d.b)
	for i := uint64(0); i < n && d.err == nil; i++ {
		var e Event
		e.ProjectID = uint32(d.uvarint())
		e.ID = d.str()
		e.Type = Type(d.str())
		e.Name = d.str()
		e.Time = d.varint()
		e.ReceivedAt = d.varint()
		e.AnonymousID = d.str()
		e.UserID = d.str()
		e.PreviousID = d.str()
		e.GroupID = d.str()
		e.Properties = d.bytes()
		e.Context = d.bytes()
		e.Traits = d.bytes()
		dst = append(dst, e)
	}
	if d.err != nil {
		return dst, fmt.Errorf("cannot decode batch: %w", d.err)
	}
	return dst, nil
}

type decoder struct {
	b    []byte
	s    string
	base int
	err  error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) span() (int, int) {
	l := d.uvarint()
	if d.err != nil {
		return 0, 0
	}
	if l > uint64(len(d.b)) {
		d.err = errShort
		return 0, 0
	}
	start := d.base - len(d.b)
	d.b = d.b[l:]
	return start, start + int(l)
}

func (d *decoder) str() string {
	a, b := d.span()
	return d.s[a:b]
}

func (d *decoder) bytes() []byte {
	a, b := d.span()
	if a == b {
		return nil
	}
	return []byte(d.s[a:b])
}
