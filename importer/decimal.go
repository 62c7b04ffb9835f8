package importer

import (
	"errors"
	"strings"
)

// Money is exact: amounts are int64 counts of 1/10000 of the currency unit, so that every
// price with up to four decimal places (the Online Retail file has prices of 0.001) adds
// and multiplies without rounding. They are written as JSON numbers with at least two and
// at most four decimal places: 12.34, 12.30, 0.001.
const (
	moneyScale = 10000
	moneyMax   = 900_000_000_000_000 // |amount| limit in units: 9e10 currency units
)

var (
	errDecimal   = errors.New("not a decimal number")
	errPrecision = errors.New("more than 4 decimal places")
	errTooLarge  = errors.New("out of range")
	errFraction  = errors.New("not an integer")
)

// splitDecimal checks s against [+-]?digits[.digits] (either side may be empty, not both)
// and returns its parts.
func splitDecimal(s string) (neg bool, intPart, frac string, err error) {
	if s == "" {
		return false, "", "", errDecimal
	}
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, _ = strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return false, "", "", errDecimal
	}
	for _, part := range [2]string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false, "", "", errDecimal
			}
		}
	}
	return neg, intPart, frac, nil
}

// canonicalDecimal returns s as a JSON number literal without changing its value or its
// stated precision: "+007.50" → "7.50", ".5" → "0.5", "-0" → "0".
func canonicalDecimal(s string) (string, error) {
	neg, ip, frac, err := splitDecimal(s)
	if err != nil {
		return "", err
	}
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		ip = "0"
	}
	if ip == "0" && strings.Trim(frac, "0") == "" {
		neg = false
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(ip)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String(), nil
}

// canonicalInteger returns the digits of an integral decimal ("17850.0" → "17850"), of any
// length, for identifiers exported through a float column.
func canonicalInteger(s string) (string, error) {
	neg, ip, frac, err := splitDecimal(s)
	if err != nil {
		return "", err
	}
	if strings.Trim(frac, "0") != "" {
		return "", errFraction
	}
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		return "0", nil
	}
	if neg {
		return "-" + ip, nil
	}
	return ip, nil
}

// parseInt parses an integral decimal ("6", "-6", "6.0") into an int64 with |v| < 1e15.
func parseInt(s string) (int64, error) {
	neg, ip, frac, err := splitDecimal(s)
	if err != nil {
		return 0, err
	}
	if strings.Trim(frac, "0") != "" {
		return 0, errFraction
	}
	ip = strings.TrimLeft(ip, "0")
	if len(ip) > 15 {
		return 0, errTooLarge
	}
	var v int64
	for i := 0; i < len(ip); i++ {
		v = v*10 + int64(ip[i]-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}

// parseScaled parses a decimal into an integer count of 10^-places units; digits beyond
// places must be zeros. |v| must stay below limit.
func parseScaled(s string, places int, limit int64) (int64, error) {
	neg, ip, frac, err := splitDecimal(s)
	if err != nil {
		return 0, err
	}
	if len(frac) > places {
		if strings.Trim(frac[places:], "0") != "" {
			return 0, errPrecision
		}
		frac = frac[:places]
	}
	ip = strings.TrimLeft(ip, "0")
	if len(ip) > 18-places {
		return 0, errTooLarge
	}
	var v int64
	for i := 0; i < len(ip); i++ {
		v = v*10 + int64(ip[i]-'0')
	}
	for i := 0; i < places; i++ {
		v *= 10
		if i < len(frac) {
			v += int64(frac[i] - '0')
		}
	}
	if v >= limit {
		return 0, errTooLarge
	}
	if neg {
		v = -v
	}
	return v, nil
}

// parseMoney parses a price into units of 1/10000.
func parseMoney(s string) (int64, error) {
	return parseScaled(s, 4, moneyMax)
}

// mulMoney returns qty × price, or false when it leaves the money range.
func mulMoney(qty, price int64) (int64, bool) {
	if qty == 0 || price == 0 {
		return 0, true
	}
	aq, ap := abs64(qty), abs64(price)
	if aq > moneyMax/ap {
		return 0, false
	}
	return qty * price, true
}

// addMoney returns a + b, or false when it leaves the money range.
func addMoney(a, b int64) (int64, bool) {
	s := a + b
	if abs64(a) >= moneyMax || abs64(b) >= moneyMax || abs64(s) >= moneyMax {
		return 0, false
	}
	return s, true
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// appendMoney appends an amount in units of 1/10000 as a decimal with two to four places.
func appendMoney(dst []byte, v int64) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	whole, frac := v/moneyScale, v%moneyScale
	dst = appendUint(dst, uint64(whole))
	var d [4]byte
	for i := 3; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 4
	for n > 2 && d[n-1] == '0' {
		n--
	}
	dst = append(dst, '.')
	return append(dst, d[:n]...)
}

func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}
