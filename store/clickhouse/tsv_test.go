package clickhouse

import (
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestUnescapeTSV(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, err := unescapeTSV(nil, []byte(in))
		if err != nil {
			t.Fatalf("unescapeTSV(%q): %v", in, err)
		}
		if string(got) != want {
			t.Fatalf("unescapeTSV(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("plain 中文", "plain 中文")
	f(`a\tb\nc\\d\'e\0f\rg\bh\fi`, "a\tb\nc\\d'e\x00f\rg\bh\fi")
	f(`\xFF\x41`, "\xffA")
	f(`\q`, "q")

	for _, bad := range []string{`a\`, `\x4`, `\xZZ`} {
		if _, err := unescapeTSV(nil, []byte(bad)); err == nil {
			t.Fatalf("unescapeTSV(%q): no error", bad)
		}
	}
}

func TestTSVReader(t *testing.T) {
	r := newTSVReader(strings.NewReader("a\tb\n\\N\t\n" + strings.Repeat("x", 300<<10) + "\ty\n"))
	var got [][]string
	for {
		fs, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var row []string
		for _, f := range fs {
			if f == nil {
				row = append(row, "NULL")
			} else {
				row = append(row, string(f))
			}
		}
		got = append(got, row)
	}
	want := [][]string{{"a", "b"}, {"NULL", ""}, {strings.Repeat("x", 300<<10), "y"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows differ: got %d rows", len(got))
	}

	// Output ending without a newline is an error message appended in mid-stream.
	r = newTSVReader(strings.NewReader("1\nCode: 241, e.displayText() = DB::Exception: Memory limit"))
	if _, err := r.next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.next(); err == nil || !strings.Contains(err.Error(), "Code: 241") {
		t.Fatalf("err = %v, want the server's message", err)
	}
}

func TestParseValue(t *testing.T) {
	f := func(typ, field string, want any) {
		t.Helper()
		k, _ := columnKind(typ)
		var fb []byte
		if field != `\N` {
			fb = []byte(field)
		}
		got, err := parseValue(k, fb)
		if err != nil {
			t.Fatalf("parseValue(%s, %q): %v", typ, field, err)
		}
		if w, ok := want.(float64); ok && math.IsNaN(w) {
			if g, ok := got.(float64); !ok || !math.IsNaN(g) {
				t.Fatalf("parseValue(%s, %q) = %#v, want NaN", typ, field, got)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseValue(%s, %q) = %#v, want %#v", typ, field, got, want)
		}
	}
	f("Int64", "-42", int64(-42))
	f("UInt8", "200", int64(200))
	f("UInt64", "18446744073709551615", int64(-1))
	f("Nullable(Int32)", `\N`, nil)
	f("LowCardinality(Nullable(String))", "x", "x")
	f("Float64", "1.5", 1.5)
	f("Float32", "-inf", math.Inf(-1))
	f("Float64", "nan", math.NaN())
	f("Decimal(18, 2)", "1.25", 1.25)
	f("Bool", "true", true)
	f("String", "", "")
	f("DateTime", "2023-11-14 22:13:20", "2023-11-14 22:13:20")
	f("Array(UInt8)", "[1,2]", "[1,2]")
	f("Nullable(Nothing)", `\N`, nil)
}
