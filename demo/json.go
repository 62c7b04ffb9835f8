package demo

import "strconv"

// Money is an amount of yuan in fen (分, cents). Events carry it as a JSON number with
// exactly two decimals (59.90), never as a float that could print 59.900000001.
type Money int64

// Yuan returns the amount for y yuan and f fen.
func Yuan(y, f int64) Money { return Money(y*100 + f) }

// String formats m with two decimals, e.g. "59.90".
func (m Money) String() string { return string(appendMoney(nil, m)) }

// appendMoney appends m as a JSON number with two decimals.
func appendMoney(b []byte, m Money) []byte {
	if m < 0 {
		b = append(b, '-')
		m = -m
	}
	b = strconv.AppendInt(b, int64(m/100), 10)
	c := int(m % 100)
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	return append(appendEscaped(b, s), '"')
}

// appendEscaped appends the JSON escaping of s without quotes. The generator only writes its
// own text, so the escaping branch is rarely taken; it is there so that any text stays valid
// JSON.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}

const hexDigits = "0123456789abcdef"

// appendKey appends `,"k":` (or `"k":` right after an opening brace).
func appendKey(b []byte, k string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func appendStrField(b []byte, k, v string) []byte { return appendString(appendKey(b, k), v) }

func appendIntField(b []byte, k string, v int64) []byte {
	return strconv.AppendInt(appendKey(b, k), v, 10)
}

func appendMoneyField(b []byte, k string, v Money) []byte { return appendMoney(appendKey(b, k), v) }

func appendBoolField(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, k), v)
}

// appendHex appends x as 16 lower-case hex digits.
func appendHex(b []byte, x uint64) []byte {
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[(x>>uint(i))&15])
	}
	return b
}
