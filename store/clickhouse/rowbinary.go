package clickhouse

import (
	"bufio"
	"encoding/binary"
	"io"
)

// rowBinaryWriter encodes rows in ClickHouse's RowBinary format: fixed-width integers in
// little endian, strings as a LEB128 length followed by the bytes. No escaping is involved,
// so any byte sequence (tabs, newlines, quotes, invalid UTF-8) round-trips unchanged.
type rowBinaryWriter struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
	err error
}

func newRowBinaryWriter(w io.Writer) *rowBinaryWriter {
	return &rowBinaryWriter{w: bufio.NewWriterSize(w, 256<<10)}
}

func (w *rowBinaryWriter) write(p []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(p)
	}
}

// UInt8 writes one byte.
func (w *rowBinaryWriter) UInt8(v uint8) { w.write([]byte{v}) }

// UInt32 writes a UInt32 value.
func (w *rowBinaryWriter) UInt32(v uint32) {
	binary.LittleEndian.PutUint32(w.buf[:4], v)
	w.write(w.buf[:4])
}

// Int64 writes an Int64 value.
func (w *rowBinaryWriter) Int64(v int64) {
	binary.LittleEndian.PutUint64(w.buf[:8], uint64(v))
	w.write(w.buf[:8])
}

// UInt64 writes a UInt64 value.
func (w *rowBinaryWriter) UInt64(v uint64) {
	binary.LittleEndian.PutUint64(w.buf[:8], v)
	w.write(w.buf[:8])
}

// String writes a String value.
func (w *rowBinaryWriter) String(s string) {
	n := binary.PutUvarint(w.buf[:], uint64(len(s)))
	w.write(w.buf[:n])
	if w.err == nil {
		_, w.err = w.w.WriteString(s)
	}
}

// Bytes writes a String value from bytes.
func (w *rowBinaryWriter) Bytes(s []byte) {
	n := binary.PutUvarint(w.buf[:], uint64(len(s)))
	w.write(w.buf[:n])
	w.write(s)
}

// Err returns the first write error.
func (w *rowBinaryWriter) Err() error { return w.err }

// Flush writes buffered data and returns the first error.
func (w *rowBinaryWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}
