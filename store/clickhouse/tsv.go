package clickhouse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// tsvReader reads ClickHouse TabSeparated output line by line. Fields are unescaped into
// a reused buffer; the returned slices are valid until the next call of next.
type tsvReader struct {
	r      *bufio.Reader
	fields [][]byte
	buf    []byte
	offs   [][2]int
	line   int
}

func newTSVReader(r io.Reader) *tsvReader {
	return &tsvReader{r: bufio.NewReaderSize(r, 256<<10)}
}

// nullField is the field returned for \N.
var nullField = []byte(nil)

// next returns the fields of the next row, with nil for \N and non-nil (possibly empty)
// slices otherwise; io.EOF at the end of the output.
func (t *tsvReader) next() ([][]byte, error) {
	line, err := t.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A long row: gather it.
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = t.r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, io.EOF
		}
		// A last line without newline is the server's message after an error in mid-stream.
		return nil, fmt.Errorf("truncated output: %s", serverTail(line, t.r))
	}
	if err != nil {
		return nil, err
	}
	t.line++
	line = line[:len(line)-1]
	t.fields = t.fields[:0]
	t.buf = t.buf[:0]
	// Fields point into t.buf, which may grow; record offsets first.
	offs := t.offs[:0]
	for {
		i := bytes.IndexByte(line, '\t')
		f := line
		if i >= 0 {
			f = line[:i]
		}
		if len(f) == 2 && f[0] == '\\' && f[1] == 'N' {
			offs = append(offs, [2]int{-1, -1})
		} else {
			s := len(t.buf)
			var err error
			t.buf, err = unescapeTSV(t.buf, f)
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", t.line, err)
			}
			offs = append(offs, [2]int{s, len(t.buf)})
		}
		if i < 0 {
			break
		}
		line = line[i+1:]
	}
	t.offs = offs
	for _, o := range offs {
		if o[0] < 0 {
			t.fields = append(t.fields, nullField)
		} else {
			t.fields = append(t.fields, t.buf[o[0]:o[1]:o[1]])
		}
	}
	return t.fields, nil
}

// serverTail returns the text ClickHouse appended to a stream after an error, for messages.
func serverTail(line []byte, r io.Reader) string {
	rest, _ := io.ReadAll(io.LimitReader(r, 4096))
	s := strings.TrimSpace(string(line) + string(rest))
	if i := strings.Index(s, "Code: "); i >= 0 {
		s = s[i:]
	}
	if len(s) > 2000 {
		s = s[:2000]
	}
	return s
}

// unescapeTSV appends the unescaped form of a TabSeparated field to dst. ClickHouse escapes
// \b \f \r \n \t \0 \' \\ in TabSeparated output and accepts \xHH; any other escaped
// character stands for itself.
func unescapeTSV(dst, f []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(f, '\\')
		if i < 0 {
			return append(dst, f...), nil
		}
		dst = append(dst, f[:i]...)
		if i+1 >= len(f) {
			return nil, errors.New("field ends with a lone backslash")
		}
		c := f[i+1]
		f = f[i+2:]
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'r':
			dst = append(dst, '\r')
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case '0':
			dst = append(dst, 0)
		case 'a':
			dst = append(dst, '\a')
		case 'v':
			dst = append(dst, '\v')
		case 'x':
			if len(f) < 2 {
				return nil, errors.New("short \\x escape")
			}
			v, err := strconv.ParseUint(string(f[:2]), 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad \\x escape: %w", err)
			}
			dst = append(dst, byte(v))
			f = f[2:]
		default:
			dst = append(dst, c)
		}
	}
}

// valueKind is how a ClickHouse column type is returned by Query.
type valueKind int

const (
	kindString valueKind = iota
	kindInt
	kindUint
	kindFloat
	kindBool
)

// columnKind maps a ClickHouse type name (as printed in the TabSeparatedWithNamesAndTypes
// header) to the Go type Query returns, and whether the column may hold NULL.
func columnKind(typ string) (valueKind, bool) {
	nullable := false
	for {
		switch {
		case strings.HasPrefix(typ, "Nullable(") && strings.HasSuffix(typ, ")"):
			typ = typ[len("Nullable(") : len(typ)-1]
			nullable = true
			continue
		case strings.HasPrefix(typ, "LowCardinality(") && strings.HasSuffix(typ, ")"):
			typ = typ[len("LowCardinality(") : len(typ)-1]
			continue
		}
		break
	}
	switch {
	case typ == "Int8", typ == "Int16", typ == "Int32", typ == "Int64":
		return kindInt, nullable
	case typ == "UInt8", typ == "UInt16", typ == "UInt32", typ == "UInt64":
		return kindUint, nullable
	case typ == "Float32", typ == "Float64", strings.HasPrefix(typ, "Decimal"):
		return kindFloat, nullable
	case typ == "Bool":
		return kindBool, nullable
	case typ == "Nothing":
		return kindString, true
	}
	return kindString, nullable
}

// parseValue converts one unescaped TabSeparated field of the given kind.
func parseValue(k valueKind, f []byte) (any, error) {
	if f == nil {
		return nil, nil
	}
	switch k {
	case kindInt:
		return strconv.ParseInt(string(f), 10, 64)
	case kindUint:
		u, err := strconv.ParseUint(string(f), 10, 64)
		// UInt64 values above MaxInt64 (hashes) keep their bits.
		return int64(u), err
	case kindFloat:
		switch string(f) {
		case "inf", "+inf":
			return math.Inf(1), nil
		case "-inf":
			return math.Inf(-1), nil
		case "nan", "-nan", "+nan":
			return math.NaN(), nil
		}
		return strconv.ParseFloat(string(f), 64)
	case kindBool:
		switch string(f) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("bad Bool %q", f)
	}
	return string(f), nil
}
