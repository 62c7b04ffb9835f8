package importer

import (
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	f := func(in string, want int64, wantErr string) {
		t.Helper()
		got, err := parseMoney(in)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("parseMoney(%q): want error %q, got %d, %v", in, wantErr, got, err)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("parseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	f("2.55", 25500, "")
	f("0.001", 10, "")
	f("12", 120000, "")
	f("+12.3", 123000, "")
	f("-1.25", -12500, "")
	f(".5", 5000, "")
	f("5.", 50000, "")
	f("1.2345", 12345, "")
	f("1.234500", 12345, "")
	f("38970.00", 389700000, "")
	f("1.23456", 0, "more than 4 decimal places")
	f("", 0, "not a decimal")
	f(".", 0, "not a decimal")
	f("1e3", 0, "not a decimal")
	f("1,5", 0, "not a decimal")
	f("--1", 0, "not a decimal")
	f("NaN", 0, "not a decimal")
	f("90000000000", 0, "out of range")
	f("123456789012345678901", 0, "out of range")
}

func TestAppendMoney(t *testing.T) {
	f := func(units int64, want string) {
		t.Helper()
		if got := string(appendMoney(nil, units)); got != want {
			t.Fatalf("appendMoney(%d) = %q; want %q", units, got, want)
		}
	}
	f(0, "0.00")
	f(123400, "12.34")
	f(123000, "12.30")
	f(10, "0.001")
	f(12345, "1.2345")
	f(-12500, "-1.25")
	f(-10, "-0.001")
	f(1106206_0000, "1106206.00")
}

func TestCanonicalNumbers(t *testing.T) {
	f := func(fn func(string) (string, error), in, want string) {
		t.Helper()
		got, err := fn(in)
		if want == "ERR" {
			if err == nil {
				t.Fatalf("%q: want an error, got %q", in, got)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("%q = %q, %v; want %q", in, got, err, want)
		}
	}
	f(canonicalDecimal, "+007.50", "7.50")
	f(canonicalDecimal, ".5", "0.5")
	f(canonicalDecimal, "-0.00", "0.00")
	f(canonicalDecimal, "-0", "0")
	f(canonicalDecimal, "-12.000001", "-12.000001")
	f(canonicalDecimal, "123456789012345678901234567890.5", "123456789012345678901234567890.5")
	f(canonicalDecimal, "1e5", "ERR")
	f(canonicalDecimal, "", "ERR")
	f(canonicalInteger, "17850.0", "17850")
	f(canonicalInteger, "0017850", "17850")
	f(canonicalInteger, "17850.5", "ERR")
	f(canonicalInteger, "98765432109876543210", "98765432109876543210")
	f(canonicalInteger, "abc", "ERR")
}

func TestParseInt(t *testing.T) {
	f := func(in string, want int64, ok bool) {
		t.Helper()
		got, err := parseInt(in)
		if (err == nil) != ok || got != want {
			t.Fatalf("parseInt(%q) = %d, %v; want %d, ok=%v", in, got, err, want, ok)
		}
	}
	f("6", 6, true)
	f("-6", -6, true)
	f("6.00", 6, true)
	f("6.5", 0, false)
	f("", 0, false)
	f("1234567890123456", 0, false)
}

func TestMessageID(t *testing.T) {
	a := messageID("ns", "order", "Order Completed", "536365")
	if !uuidRE.MatchString(a) {
		t.Fatalf("id %q is not a version 8 UUID", a)
	}
	if b := messageID("ns", "order", "Order Completed", "536365"); a != b {
		t.Fatalf("ids differ for the same parts: %q %q", a, b)
	}
	// The separator keeps ("ab","c") and ("a","bc") apart.
	if messageID("ab", "c") == messageID("a", "bc") {
		t.Fatal("ids collide across part boundaries")
	}
}

func TestAppendString(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(appendString(nil, in)); got != want {
			t.Fatalf("appendString(%q) = %s; want %s", in, got, want)
		}
	}
	f(`plain`, `"plain"`)
	f(`a"b\c`, `"a\"b\\c"`)
	f("tab\tnl\ncr\r\x01", `"tab\tnl\ncr\r\u0001"`)
	f("精运 ünï", `"精运 ünï"`)
}
