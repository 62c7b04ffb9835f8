package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// maxLine bounds one NDJSON line; a longer line is a bad row.
const maxLine = 16 << 20

// source yields the rows of a file as cells, one per column of the plan.
type source interface {
	// next returns the next data row and its 1-based line number in the file. A row that
	// cannot be read (bad quoting, wrong column count, bad JSON) comes back with a non-nil
	// *BadRow and, when some of it could be read, the cells that could ("" for the others;
	// nil when none), so that a bad line can still be tied to its order. At the end it
	// returns io.EOF.
	next() (cells []string, line int, bad *BadRow, err error)
	close() error
}

// openInput opens path, decompressing gzip (detected by its magic bytes, whatever the
// name) and dropping a UTF-8 byte order mark. read, when not nil, counts the bytes read
// from the file.
func openInput(path string, read *atomic.Int64) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open input: %w", err)
	}
	var fr io.Reader = f
	if read != nil {
		fr = &countingReader{r: f, n: read}
	}
	br := bufio.NewReaderSize(fr, 256<<10)
	var r io.Reader = br
	closeFn := f.Close
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("cannot open gzip input %q: %w", path, err)
		}
		r = bufio.NewReaderSize(zr, 256<<10)
		closeFn = func() error {
			zr.Close()
			return f.Close()
		}
	}
	rb := r.(*bufio.Reader)
	if bom, _ := rb.Peek(3); len(bom) == 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf {
		rb.Discard(3)
	}
	return rb, closeFn, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func openSource(path string, p *plan, read *atomic.Int64) (source, error) {
	r, closeFn, err := openInput(path, read)
	if err != nil {
		return nil, err
	}
	var s source
	if p.format == "csv" {
		s, err = newCSVSource(r, closeFn, p)
	} else {
		s = &ndjsonSource{r: r.(*bufio.Reader), closeFn: closeFn, p: p, cells: make([]string, len(p.cols))}
	}
	if err != nil {
		closeFn()
		return nil, err
	}
	return s, nil
}

type csvSource struct {
	r       *csv.Reader
	closeFn func() error
	idx     []int // header index of each plan column
	width   int
	cells   []string
}

func newCSVSource(r io.Reader, closeFn func() error, p *plan) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.Comma = p.delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = p.m.CSV != nil && p.m.CSV.LazyQuotes
	s := &csvSource{r: cr, closeFn: closeFn, cells: make([]string, len(p.cols))}
	names := p.csvCols
	if p.header {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil, errors.New("cannot read csv header: the file is empty")
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read csv header: %w", err)
		}
		names = make([]string, len(rec))
		for i, n := range rec {
			names[i] = strings.TrimSpace(n)
		}
	}
	pos := map[string]int{}
	for i, n := range names {
		if _, dup := pos[n]; dup {
			pos[n] = -1 // ambiguous; an error only if the mapping uses it
			continue
		}
		pos[n] = i
	}
	for _, c := range p.cols {
		i, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("cannot find column %q of the mapping in the csv header %q", c, strings.Join(names, string(p.delim)))
		}
		if i < 0 {
			return nil, fmt.Errorf("cannot use column %q: the csv header names it more than once", c)
		}
		s.idx = append(s.idx, i)
	}
	s.width = len(names)
	return s, nil
}

func (s *csvSource) next() ([]string, int, *BadRow, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return nil, 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The last field of a partial record may be cut short; the ones before it are whole.
			return s.fill(rec, len(rec)-1), pe.StartLine, &BadRow{Line: pe.StartLine, Kind: KindBadRow, Reason: pe.Err.Error()}, nil
		}
		return nil, 0, nil, fmt.Errorf("cannot read csv: %w", err)
	}
	line, _ := s.r.FieldPos(0)
	if len(rec) != s.width {
		return s.fill(rec, len(rec)), line, &BadRow{Line: line, Kind: KindBadRow, Reason: fmt.Sprintf("want %d columns, got %d", s.width, len(rec))}, nil
	}
	return s.fill(rec, len(rec)), line, nil, nil
}

// fill copies the first n fields of rec into the cells of the plan's columns ("" beyond).
func (s *csvSource) fill(rec []string, n int) []string {
	for i, j := range s.idx {
		if j < n {
			s.cells[i] = rec[j]
		} else {
			s.cells[i] = ""
		}
	}
	return s.cells
}

func (s *csvSource) close() error { return s.closeFn() }

type ndjsonSource struct {
	r       *bufio.Reader
	closeFn func() error
	p       *plan
	line    int
	cells   []string
	buf     []byte
}

func (s *ndjsonSource) next() ([]string, int, *BadRow, error) {
	for {
		data, tooLong, err := s.readLine()
		if err != nil {
			return nil, 0, nil, err
		}
		if tooLong {
			return nil, s.line, &BadRow{Line: s.line, Kind: KindBadRow, Reason: fmt.Sprintf("line longer than %d bytes", maxLine)}, nil
		}
		data = bytes.TrimSpace(data)
		if len(data) == 0 {
			continue
		}
		cells, bad := s.parse(data)
		return cells, s.line, bad, nil
	}
}

// readLine returns the next line without its end of line; io.EOF once none is left.
func (s *ndjsonSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(s.buf)+len(chunk) > maxLine {
			tooLong = true
		} else {
			s.buf = append(s.buf, chunk...)
		}
		switch {
		case err == nil:
			s.line++
			return s.buf, tooLong, nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(s.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			s.line++
			return s.buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("cannot read ndjson: %w", err)
		}
	}
}

func (s *ndjsonSource) parse(data []byte) ([]string, *BadRow) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &BadRow{Line: s.line, Kind: KindBadRow, Reason: "bad JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &BadRow{Line: s.line, Kind: KindBadRow, Reason: "bad JSON: more than one value on the line"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &BadRow{Line: s.line, Kind: KindBadRow, Reason: "bad JSON: the line is not an object"}
	}
	var bad *BadRow
	for i, name := range s.p.cols {
		val, found := obj[name]
		if !found && len(s.p.paths[i]) > 1 {
			val, found = lookup(obj, s.p.paths[i])
		}
		switch x := val.(type) {
		case nil:
			s.cells[i] = ""
		case string:
			s.cells[i] = x
		case json.Number:
			s.cells[i] = x.String()
		case bool:
			s.cells[i] = strconv.FormatBool(x)
		default:
			s.cells[i] = ""
			if bad == nil {
				bad = &BadRow{Line: s.line, Kind: KindBadValue, Column: name, Reason: fmt.Sprintf("column %q is a JSON object or array, want a string, number or boolean", name)}
			}
		}
	}
	return s.cells, bad
}

// lookup follows a dotted path through objects and arrays (numeric segments index arrays).
func lookup(v any, path []string) (any, bool) {
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func (s *ndjsonSource) close() error { return s.closeFn() }
