package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// scanLimits bound a JSON value taken from a client.
type scanLimits struct {
	maxDepth  int // nesting of objects and arrays; the top-level object is depth 1
	maxString int // bytes of any string value or key, after unescaping is not computed: raw bytes
	maxKeys   int // members of any one object
}

// compactValue validates a JSON value against the limits and appends it, without
// insignificant whitespace, to dst. It is a single pass over the bytes, faster than
// encoding/json's scanner plus json.Compact, and it reports the path of the first offence.
func compactValue(dst, src []byte, lim scanLimits) ([]byte, error) {
	s := scanner{src: src, dst: dst, lim: lim}
	s.ws()
	if err := s.value(0); err != nil {
		return dst, pathOf(err)
	}
	s.ws()
	if s.i != len(s.src) {
		return dst, fmt.Errorf("unexpected data after the JSON value at byte %d", s.i)
	}
	return s.dst, nil
}

// compactPrefix is compactValue for the value starting at src[i], which more data may
// follow: it returns the output and the index just after the value.
func compactPrefix(dst, src []byte, i int, lim scanLimits) ([]byte, int, error) {
	s := scanner{src: src, dst: dst, lim: lim, i: i}
	if err := s.value(0); err != nil {
		return dst, 0, pathOf(err)
	}
	return s.dst, s.i, nil
}

type scanner struct {
	src []byte
	dst []byte
	i   int
	lim scanLimits
}

// pathError names where in the value the problem is.
type pathError struct {
	Path string
	Msg  string
	segs []string // innermost first, until pathOf renders Path
}

func (e *pathError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func (s *scanner) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) syntax() error {
	if s.i >= len(s.src) {
		return s.fail("unexpected end of JSON")
	}
	return s.fail(fmt.Sprintf("invalid JSON at byte %d", s.i))
}

func (s *scanner) value(depth int) error {
	if s.i >= len(s.src) {
		return s.syntax()
	}
	switch c := s.src[s.i]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return s.syntax()
}

func (s *scanner) lit(w string) error {
	if len(s.src)-s.i < len(w) || string(s.src[s.i:s.i+len(w)]) != w {
		return s.syntax()
	}
	s.dst = append(s.dst, w...)
	s.i += len(w)
	return nil
}

func (s *scanner) number() error {
	start := s.i
	if s.src[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.src) && s.src[s.i] >= '0' && s.src[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.src) && s.src[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return s.syntax()
	}
	if s.i < len(s.src) && s.src[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.syntax()
		}
	}
	if s.i < len(s.src) && (s.src[s.i] == 'e' || s.src[s.i] == 'E') {
		s.i++
		if s.i < len(s.src) && (s.src[s.i] == '+' || s.src[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.syntax()
		}
	}
	if s.i-start > 64 {
		return s.fail("number too long")
	}
	s.dst = append(s.dst, s.src[start:s.i]...)
	return nil
}

// str copies a string token and returns its raw content (escapes not decoded).
func (s *scanner) str() ([]byte, error) {
	start := s.i
	s.i++ // opening quote
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '"':
			s.i++
			raw := s.src[start+1 : s.i-1]
			if len(raw) > s.lim.maxString {
				return nil, s.fail(fmt.Sprintf("string longer than %d bytes", s.lim.maxString))
			}
			s.dst = append(s.dst, s.src[start:s.i]...)
			return raw, nil
		case c == '\\':
			if s.i+1 >= len(s.src) {
				return nil, s.syntax()
			}
			switch s.src[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.src) || !isHex4(s.src[s.i+2:s.i+6]) {
					return nil, s.syntax()
				}
				s.i += 6
			default:
				return nil, s.syntax()
			}
		case c < 0x20:
			return nil, s.fail("control character in string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.src[s.i:])
			if r == utf8.RuneError && n == 1 {
				return nil, s.fail("invalid UTF-8 in string")
			}
			s.i += n
		}
	}
	return nil, s.syntax()
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *scanner) object(depth int) error {
	if depth > s.lim.maxDepth {
		return s.fail(fmt.Sprintf("nested deeper than %d levels", s.lim.maxDepth))
	}
	s.i++
	s.dst = append(s.dst, '{')
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == '}' {
		s.i++
		s.dst = append(s.dst, '}')
		return nil
	}
	for n := 1; ; n++ {
		if n > s.lim.maxKeys {
			return s.fail(fmt.Sprintf("more than %d keys", s.lim.maxKeys))
		}
		if s.i >= len(s.src) || s.src[s.i] != '"' {
			return s.syntax()
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.src) || s.src[s.i] != ':' {
			return s.syntax()
		}
		s.i++
		s.dst = append(s.dst, ':')
		s.ws()
		if err := s.value(depth); err != nil {
			return within(err, string(key))
		}
		s.ws()
		if s.i >= len(s.src) {
			return s.syntax()
		}
		switch s.src[s.i] {
		case ',':
			s.i++
			s.dst = append(s.dst, ',')
			s.ws()
		case '}':
			s.i++
			s.dst = append(s.dst, '}')
			return nil
		default:
			return s.syntax()
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > s.lim.maxDepth {
		return s.fail(fmt.Sprintf("nested deeper than %d levels", s.lim.maxDepth))
	}
	s.i++
	s.dst = append(s.dst, '[')
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == ']' {
		s.i++
		s.dst = append(s.dst, ']')
		return nil
	}
	for n := 0; ; n++ {
		if err := s.value(depth); err != nil {
			return within(err, fmt.Sprintf("[%d]", n))
		}
		s.ws()
		if s.i >= len(s.src) {
			return s.syntax()
		}
		switch s.src[s.i] {
		case ',':
			s.i++
			s.dst = append(s.dst, ',')
			s.ws()
		case ']':
			s.i++
			s.dst = append(s.dst, ']')
			return nil
		default:
			return s.syntax()
		}
	}
}

// fail reports a problem at the current value. The callers up the value's nesting add
// their key or index as the error passes (within), and the entry points render the path
// (pathOf): a scan that succeeds spends nothing on paths.
func (s *scanner) fail(msg string) error {
	return &pathError{Msg: msg}
}

// within adds seg, a key or an array index ("[n]"), to the path of err (a *pathError from
// fail), as the segment enclosing the ones already there.
func within(err error, seg string) error {
	pe := err.(*pathError)
	pe.segs = append(pe.segs, seg)
	return pe
}

// pathOf renders the collected segments of err, outermost first: keys joined with dots,
// indices directly after, a.b[0][1].c.
func pathOf(err error) error {
	pe, ok := err.(*pathError)
	if !ok || len(pe.segs) == 0 {
		return err
	}
	var b strings.Builder
	for i := len(pe.segs) - 1; i >= 0; i-- {
		seg := pe.segs[i]
		if !strings.HasPrefix(seg, "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	pe.Path, pe.segs = b.String(), nil
	return pe
}
