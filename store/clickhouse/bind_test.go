package clickhouse

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestBind(t *testing.T) {
	f := func(sql string, args []any, want string) {
		t.Helper()
		got, err := Bind(sql, args)
		if err != nil {
			t.Fatalf("Bind(%q): %v", sql, err)
		}
		if got != want {
			t.Fatalf("Bind(%q)\n got: %s\nwant: %s", sql, got, want)
		}
	}
	f("SELECT 1", nil, "SELECT 1")
	f("SELECT ?", []any{1}, "SELECT 1")
	f("SELECT ?, ?", []any{int64(-5), uint64(math.MaxUint64)}, "SELECT (-5), 18446744073709551615")
	f("SELECT x-?", []any{-1}, "SELECT x-(-1)")
	f("SELECT ?", []any{int64(math.MinInt64)}, "SELECT (-9223372036854775808)")
	f("SELECT ?, ?, ?", []any{int8(-1), uint32(7), uint8(255)}, "SELECT (-1), 7, 255")
	f("SELECT ?", []any{nil}, "SELECT NULL")
	f("SELECT ?, ?", []any{true, false}, "SELECT 1, 0")
	f("SELECT ?, ?, ?, ?", []any{1.5, 2.0, 1e21, float32(0.25)}, "SELECT 1.5, 2.0, 1e+21, 0.25")
	f("SELECT ?, ?, ?, ?", []any{math.NaN(), math.Inf(1), math.Inf(-1), -0.5}, "SELECT nan, inf, (-inf), (-0.5)")
	f("SELECT ?", []any{"plain"}, "SELECT 'plain'")
	f("SELECT ?", []any{"it's a \\ \t\n\r\x00 ? 中文"}, `SELECT 'it\'s a \\ \t\n\r\0 ? 中文'`)
	f("SELECT ?", []any{"\x01\x7f\xff"}, `SELECT '\x01\x7F\xFF'`)
	f("SELECT ?", []any{[]byte("b'")}, `SELECT 'b\''`)
	f("SELECT ?", []any{time.Unix(1700000000, 999).UTC()}, "SELECT toDateTime(1700000000)")
	f("SELECT ?, ?", []any{[]string{}, []string{"a", "b'?"}}, `SELECT emptyArrayString(), ['a','b\'?']`)
	f("SELECT ?, ?", []any{[]int64{}, []int64{1, -2}}, "SELECT emptyArrayInt64(), CAST([1,(-2)] AS Array(Int64))")
	f("SELECT ?, ?", []any{[]int{3}, []uint32{4, 5}}, "SELECT CAST([3] AS Array(Int64)), [4,5]")
	f("SELECT ?, ?", []any{[]float64{}, []float64{1, -1.5}}, "SELECT emptyArrayFloat64(), [1.0,(-1.5)]")

	// A "?" inside quotes or comments is not a placeholder.
	f("SELECT '?', ?", []any{1}, "SELECT '?', 1")
	f(`SELECT 'it''s ?', ?`, []any{1}, `SELECT 'it''s ?', 1`)
	f(`SELECT 'a\'?', ?`, []any{1}, `SELECT 'a\'?', 1`)
	f(`SELECT 'a\\', ?`, []any{1}, `SELECT 'a\\', 1`)
	f("SELECT \"a?b\", `c?d`, ?", []any{1}, "SELECT \"a?b\", `c?d`, 1")
	f("SELECT 1 -- what?\n, ?", []any{2}, "SELECT 1 -- what?\n, 2")
	f("SELECT /* ? */ ?", []any{2}, "SELECT /* ? */ 2")
	f("SELECT 1 -- ?", nil, "SELECT 1 -- ?")
	// format() the function and a column t.format are not FORMAT clauses.
	f("SELECT format('{}', ?), formatDateTime(now(), '%F'), t.format FROM t", []any{"x"},
		"SELECT format('{}', 'x'), formatDateTime(now(), '%F'), t.format FROM t")
}

func TestBindErrors(t *testing.T) {
	f := func(sql string, args []any, wantErr string) {
		t.Helper()
		_, err := Bind(sql, args)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Bind(%q) error = %v, want %q", sql, err, wantErr)
		}
	}
	f("SELECT ?", nil, "more placeholders")
	f("SELECT ?", []any{1, 2}, "1 placeholders for 2 arguments")
	f("SELECT '?", []any{1}, "unterminated quoted text")
	f("SELECT 1 /* ?", []any{1}, "unterminated comment")
	f("SELECT ?", []any{struct{}{}}, "cannot bind a value of type struct {}")
	f("SELECT ?", []any{time.Unix(-1, 0)}, "outside the DateTime range")
	f("SELECT 1 FORMAT JSON", nil, "FORMAT clause")
	f("SELECT 1 format TSV", nil, "FORMAT clause")
}
