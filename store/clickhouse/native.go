package clickhouse

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// nativeInt64Reader decodes ClickHouse's Native format (as sent over HTTP, protocol
// revision 0) for result sets whose columns are all integers. Native is columnar: each
// block (max_block_size rows, 65536 by default) is a header (column and row counts) and,
// per column, its name, its type and the values back to back in little endian. Decoding a
// block is a copy and a widening per value, which is what makes ScanInt64 fast.
type nativeInt64Reader struct {
	r     *bufio.Reader
	cols  [][]int64
	raw   []byte
	names []string
	block int
}

func newNativeInt64Reader(r io.Reader) *nativeInt64Reader {
	return &nativeInt64Reader{r: bufio.NewReaderSize(r, 1<<20)}
}

// intWidth returns the byte width and signedness of the integer types ScanInt64 accepts.
// Date (UInt16 days) and DateTime (UInt32 seconds) are integers on the wire too.
func intWidth(typ string) (int, bool, bool) {
	switch typ {
	case "Int8":
		return 1, true, true
	case "Int16":
		return 2, true, true
	case "Int32":
		return 4, true, true
	case "Int64":
		return 8, true, true
	case "UInt8", "Bool":
		return 1, false, true
	case "UInt16", "Date":
		return 2, false, true
	case "UInt32", "DateTime":
		return 4, false, true
	case "UInt64":
		return 8, false, true
	}
	if strings.HasPrefix(typ, "DateTime(") {
		return 4, false, true
	}
	return 0, false, false
}

// next decodes the next non-empty block; the returned columns are reused by the next call.
func (n *nativeInt64Reader) next() ([][]int64, error) {
	for {
		if p, _ := n.r.Peek(6); string(p) == "Code: " {
			return nil, fmt.Errorf("server error in mid-stream: %s", serverTail(nil, n.r))
		}
		numCols, err := binary.ReadUvarint(n.r)
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read block header: %w", err)
		}
		numRows, err := binary.ReadUvarint(n.r)
		if err != nil {
			return nil, fmt.Errorf("cannot read block header: %w", err)
		}
		if numCols > 4096 || numRows > 1<<28 {
			return nil, n.garbage()
		}
		n.block++
		if n.block == 1 {
			n.cols = make([][]int64, numCols)
			n.names = make([]string, numCols)
		} else if int(numCols) != len(n.cols) {
			return nil, n.garbage()
		}
		for c := 0; c < int(numCols); c++ {
			name, err := n.readString()
			if err != nil {
				return nil, err
			}
			typ, err := n.readString()
			if err != nil {
				return nil, err
			}
			n.names[c] = name
			width, signed, ok := intWidth(typ)
			if !ok {
				return nil, fmt.Errorf("column %q has type %s, not an integer type (CAST it to Int64)", name, typ)
			}
			if err := n.readColumn(c, int(numRows), width, signed); err != nil {
				return nil, fmt.Errorf("cannot read column %q: %w", name, err)
			}
		}
		if numRows > 0 {
			return n.cols, nil
		}
	}
}

func (n *nativeInt64Reader) readColumn(c, rows, width int, signed bool) error {
	size := rows * width
	if cap(n.raw) < size {
		n.raw = make([]byte, size)
	}
	raw := n.raw[:size]
	if _, err := io.ReadFull(n.r, raw); err != nil {
		return err
	}
	if cap(n.cols[c]) < rows {
		n.cols[c] = make([]int64, rows)
	}
	col := n.cols[c][:rows]
	n.cols[c] = col
	switch {
	case width == 8:
		for i := range col {
			col[i] = int64(binary.LittleEndian.Uint64(raw[i*8:]))
		}
	case width == 4 && signed:
		for i := range col {
			col[i] = int64(int32(binary.LittleEndian.Uint32(raw[i*4:])))
		}
	case width == 4:
		for i := range col {
			col[i] = int64(binary.LittleEndian.Uint32(raw[i*4:]))
		}
	case width == 2 && signed:
		for i := range col {
			col[i] = int64(int16(binary.LittleEndian.Uint16(raw[i*2:])))
		}
	case width == 2:
		for i := range col {
			col[i] = int64(binary.LittleEndian.Uint16(raw[i*2:]))
		}
	case signed:
		for i := range col {
			col[i] = int64(int8(raw[i]))
		}
	default:
		for i := range col {
			col[i] = int64(raw[i])
		}
	}
	return nil
}

func (n *nativeInt64Reader) readString() (string, error) {
	l, err := binary.ReadUvarint(n.r)
	if err != nil {
		return "", fmt.Errorf("cannot read block: %w", err)
	}
	if l > 1<<16 {
		return "", n.garbage()
	}
	b := make([]byte, l)
	if _, err := io.ReadFull(n.r, b); err != nil {
		return "", fmt.Errorf("cannot read block: %w", err)
	}
	return string(b), nil
}

// garbage reports output that is not a Native block: after an error in mid-stream the
// server appends its message to the body.
func (n *nativeInt64Reader) garbage() error {
	return errors.New("malformed Native output: " + serverTail(nil, n.r))
}
