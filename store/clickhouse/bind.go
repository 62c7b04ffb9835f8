package clickhouse

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bind replaces the "?" placeholders of sql with ClickHouse literals of args, in order. A
// "?" inside a quoted string ('…'), a quoted identifier ("…" or `…`) or a comment (-- … or
// /* … */) is left alone; every other "?" is a placeholder, so ClickHouse's ternary
// operator "c ? a : b" cannot be used in bound statements (write if(c, a, b)). The number of
// placeholders must equal len(args).
//
// Values: nil is NULL; bool is 1 or 0 (18.16 has no boolean literals); Go integers are
// decimal literals (negative ones in parentheses, so "x-?" never becomes a comment);
// float32/float64 keep a decimal point or exponent so they stay Float64 (NaN and ±Inf as
// nan, inf, -inf); string and []byte are quoted with backslash escapes; time.Time is
// toDateTime(unix seconds), truncated to the second because 18.16 has no DateTime64 (bind
// t.UnixMilli() to compare with the millisecond ts columns); []string, []int64, []int,
// []uint32 and []float64 are array literals, and empty ones are typed
// (emptyArrayString(), emptyArrayInt64(), …) because [] alone has type Array(Nothing).
func Bind(sql string, args []any) (string, error) {
	var b strings.Builder
	b.Grow(len(sql) + 16*len(args))
	n := 0
	err := scanSQL(sql, func(chunk string, placeholder bool) error {
		if !placeholder {
			b.WriteString(chunk)
			return nil
		}
		if n >= len(args) {
			return fmt.Errorf("more placeholders than the %d arguments", len(args))
		}
		if err := appendLiteral(&b, args[n]); err != nil {
			return fmt.Errorf("argument %d: %w", n+1, err)
		}
		n++
		return nil
	})
	if err != nil {
		return "", err
	}
	if n != len(args) {
		return "", fmt.Errorf("%d placeholders for %d arguments", n, len(args))
	}
	return b.String(), nil
}

// scanSQL splits sql into text chunks and placeholders, skipping quoted strings,
// identifiers and comments. It also rejects a FORMAT clause, because the store chooses the
// output format itself.
func scanSQL(sql string, emit func(chunk string, placeholder bool) error) error {
	start := 0
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j, err := skipQuoted(sql, i)
			if err != nil {
				return err
			}
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
			} else {
				i += j + 1
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return errors.New("unterminated comment")
			}
			i += 2 + j + 2
		case c == '?':
			if err := emit(sql[start:i], false); err != nil {
				return err
			}
			if err := emit("?", true); err != nil {
				return err
			}
			i++
			start = i
		case isIdentStart(c):
			j := i + 1
			for j < len(sql) && isIdentPart(sql[j]) {
				j++
			}
			if strings.EqualFold(sql[i:j], "format") && !followedByParen(sql[j:]) && (i == 0 || sql[i-1] != '.') {
				return errors.New("statement must not have a FORMAT clause (the store chooses the format)")
			}
			i = j
		default:
			i++
		}
	}
	return emit(sql[start:], false)
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

func followedByParen(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	return strings.HasPrefix(s, "(")
}

// skipQuoted returns the index just after the quoted token starting at sql[i]. ClickHouse
// accepts both a backslash escape and a doubled quote inside quotes.
func skipQuoted(sql string, i int) (int, error) {
	q := sql[i]
	j := i + 1
	for j < len(sql) {
		switch sql[j] {
		case '\\':
			j += 2
			continue
		case q:
			if j+1 < len(sql) && sql[j+1] == q {
				j += 2
				continue
			}
			return j + 1, nil
		}
		j++
	}
	return 0, fmt.Errorf("unterminated quoted text starting at byte %d", i)
}

func appendLiteral(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("NULL")
	case bool:
		if x {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	case int:
		appendInt(b, int64(x))
	case int8:
		appendInt(b, int64(x))
	case int16:
		appendInt(b, int64(x))
	case int32:
		appendInt(b, int64(x))
	case int64:
		appendInt(b, x)
	case uint:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint8:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint16:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float32:
		appendFloat(b, float64(x))
	case float64:
		appendFloat(b, x)
	case string:
		appendString(b, x)
	case []byte:
		appendString(b, string(x))
	case time.Time:
		sec := x.Unix()
		if sec < 0 || sec > math.MaxUint32 {
			return fmt.Errorf("time %s is outside the DateTime range", x.UTC().Format(time.RFC3339))
		}
		b.WriteString("toDateTime(")
		b.WriteString(strconv.FormatInt(sec, 10))
		b.WriteString(")")
	case []string:
		if len(x) == 0 {
			b.WriteString("emptyArrayString()")
			return nil
		}
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(b, s)
		}
		b.WriteByte(']')
	case []int64:
		appendIntArray(b, x)
	case []int:
		appendIntArray(b, x)
	case []uint32:
		if len(x) == 0 {
			b.WriteString("emptyArrayUInt32()")
			return nil
		}
		b.WriteByte('[')
		for i, n := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatUint(uint64(n), 10))
		}
		b.WriteByte(']')
	case []float64:
		if len(x) == 0 {
			b.WriteString("emptyArrayFloat64()")
			return nil
		}
		b.WriteByte('[')
		for i, f := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendFloat(b, f)
		}
		b.WriteByte(']')
	default:
		return fmt.Errorf("cannot bind a value of type %T", v)
	}
	return nil
}

func appendIntArray[T int | int64](b *strings.Builder, x []T) {
	if len(x) == 0 {
		b.WriteString("emptyArrayInt64()")
		return
	}
	// Elements are cast so that the array is Array(Int64) whatever its values, like a
	// column of the same Go type.
	b.WriteString("CAST([")
	for i, n := range x {
		if i > 0 {
			b.WriteByte(',')
		}
		appendInt(b, int64(n))
	}
	b.WriteString("] AS Array(Int64))")
}

func appendInt(b *strings.Builder, n int64) {
	if n < 0 {
		b.WriteByte('(')
		b.WriteString(strconv.FormatInt(n, 10))
		b.WriteByte(')')
		return
	}
	b.WriteString(strconv.FormatInt(n, 10))
}

func appendFloat(b *strings.Builder, f float64) {
	switch {
	case math.IsNaN(f):
		b.WriteString("nan")
		return
	case math.IsInf(f, 1):
		b.WriteString("inf")
		return
	case math.IsInf(f, -1):
		b.WriteString("(-inf)")
		return
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	if f < 0 || (f == 0 && math.Signbit(f)) {
		b.WriteByte('(')
		b.WriteString(s)
		b.WriteByte(')')
		return
	}
	b.WriteString(s)
}

// appendString writes s as a single-quoted ClickHouse string literal. Quotes, backslashes
// and control characters are escaped; valid UTF-8 is kept as it is, and bytes that are not
// valid UTF-8 are written as \xHH so that the statement text stays valid UTF-8.
func appendString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				fmt.Fprintf(b, `\x%02X`, c)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(b, `\x%02X`, c)
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('\'')
}
