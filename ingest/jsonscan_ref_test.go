package ingest

// This file keeps the former scanner, which built error paths from a stack of keys, as
// the reference the current one must agree with.

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// refCompactValue is compactValue as it was when the scanner kept a stack of keys, the
// reference for FuzzCompactValueMatchesReference.
// It validates a JSON value against the limits and appends it, without
// insignificant whitespace, to dst. It is a single pass over the bytes, faster than
// encoding/json's refScanner plus json.Compact, and it reports the path of the first offence.
func refCompactValue(dst, src []byte, lim scanLimits) ([]byte, error) {
	s := refScanner{src: src, dst: dst, lim: lim}
	s.ws()
	if err := s.value(0); err != nil {
		return dst, err
	}
	s.ws()
	if s.i != len(s.src) {
		return dst, fmt.Errorf("unexpected data after the JSON value at byte %d", s.i)
	}
	return s.dst, nil
}

type refScanner struct {
	src []byte
	dst []byte
	i   int
	lim scanLimits
	// stack holds the keys (nil for array elements) down to the current value, idx the
	// indices of the array elements among them.
	stack [][]byte
	idx   []int
}

// refPathError names where in the value the problem is.
type refPathError struct {
	Path string
	Msg  string
}

func (e *refPathError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func (s *refScanner) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *refScanner) syntax() error {
	if s.i >= len(s.src) {
		return s.fail("unexpected end of JSON")
	}
	return s.fail(fmt.Sprintf("invalid JSON at byte %d", s.i))
}

func (s *refScanner) value(depth int) error {
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

func (s *refScanner) lit(w string) error {
	if len(s.src)-s.i < len(w) || string(s.src[s.i:s.i+len(w)]) != w {
		return s.syntax()
	}
	s.dst = append(s.dst, w...)
	s.i += len(w)
	return nil
}

func (s *refScanner) number() error {
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
func (s *refScanner) str() ([]byte, error) {
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

func (s *refScanner) object(depth int) error {
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
		s.stack = append(s.stack, key)
		if err := s.value(depth); err != nil {
			return err
		}
		s.stack = s.stack[:len(s.stack)-1]
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

func (s *refScanner) array(depth int) error {
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
		s.stack = append(s.stack, nil)
		s.idx = append(s.idx, n)
		if err := s.value(depth); err != nil {
			return err
		}
		s.stack, s.idx = s.stack[:len(s.stack)-1], s.idx[:len(s.idx)-1]
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

// fail builds the path of the current position (only on error, to keep the scan cheap).
func (s *refScanner) fail(msg string) error {
	var b strings.Builder
	k := 0
	for _, seg := range s.stack {
		if seg == nil {
			fmt.Fprintf(&b, "[%d]", s.idx[k])
			k++
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(seg)
	}
	return &refPathError{Path: b.String(), Msg: msg}
}
