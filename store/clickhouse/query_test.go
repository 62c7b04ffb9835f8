package clickhouse

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/store"
)

func TestQueryHostileStrings(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	hostile := []string{
		"",
		"plain",
		"it's",
		"''",
		`\`,
		`\'`,
		`a\\'b`,
		"tab\there",
		"new\nline\r\n",
		"nul\x00byte",
		"?",
		"'?'",
		"-- ?",
		"/* ? */",
		`"?"`,
		"`?`",
		"中文 🚀 ü",
		"\x01\x1f\x7f",
		"\xff\xfe not utf-8",
		"\\N",
		"'; DROP TABLE events; --",
	}
	for _, h := range hostile {
		var got []any
		// Quoted "?" around the placeholders must stay text.
		err := s.Query(ctx, "SELECT ?, length(?), '?', concat('it''s ?', ?) -- trailing ?", []any{h, h, h}, func(row []any) error {
			got = append([]any(nil), row...)
			return nil
		})
		if err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		want := []any{h, int64(len(h)), "?", "it's ?" + h}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %q, want %q", h, got, want)
		}
	}
	// Arrays of hostile strings, and has() on them.
	var got []any
	err := s.Query(ctx, "SELECT length(?), has(?, ?), has(?, 'x'), ?", []any{hostile, hostile, "'?'", hostile, []string{}}, func(row []any) error {
		got = append([]any(nil), row...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{int64(len(hostile)), int64(1), int64(0), "[]"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("arrays: got %v, want %v", got, want)
	}
}

func TestQueryTypes(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	ts := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	var got []any
	err := s.Query(ctx, `SELECT ?, ?, ?, ?, ?, ?, toUInt64(18446744073709551615), toNullable(7), NULL,
    toDecimal64(12.34, 2), [1, 2], toDate('2024-02-29'), ?, toString(?), toInt64(?) + 1, has(?, toInt64(-2)),
    inf, nan, CAST('b' AS Enum8('a' = 1, 'b' = 2)), tuple(1, 'x')`,
		[]any{int64(-1), 2.5, "s", true, nil, uint32(4), ts, ts, math.MaxInt32, []int64{1, -2}},
		func(row []any) error {
			got = append([]any(nil), row...)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(-1), 2.5, "s", int64(1), nil, int64(4), int64(-1), int64(7), nil,
		12.34, "[1,2]", "2024-02-29", "2023-11-14 22:13:20", "2023-11-14 22:13:20", int64(math.MaxInt32) + 1, int64(1),
		math.Inf(1), "nan", "b", "(1,'x')"}
	if len(got) != len(want) {
		t.Fatalf("got %d columns, want %d", len(got), len(want))
	}
	for i := range want {
		if f, ok := got[i].(float64); ok && math.IsNaN(f) && want[i] == "nan" {
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("column %d: got %#v, want %#v", i+1, got[i], want[i])
		}
	}

	// Many rows, and the row slice is reused.
	var n, sum int64
	err = s.Query(ctx, "SELECT number, toString(number) FROM system.numbers LIMIT ?", []any{100000}, func(row []any) error {
		n++
		sum += row[0].(int64)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 100000 || sum != 99999*100000/2 {
		t.Fatalf("n=%d sum=%d", n, sum)
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	f := func(sql string, args []any, wantErr string) {
		t.Helper()
		err := s.Query(ctx, sql, args, func([]any) error { return nil })
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Query(%q): err = %v, want %q", sql, err, wantErr)
		}
	}
	f("SELECT no_such_column", nil, "no_such_column")
	f("SELECT ?", nil, "cannot bind query")
	f("SELECT 1 FORMAT JSON", nil, "FORMAT clause")
	// Statements are read-only.
	f("DROP TABLE events", nil, "readonly")
	f("INSERT INTO events (event_id) VALUES ('x')", nil, "readonly")
	f("CREATE TABLE x (a Int8) ENGINE = Memory", nil, "readonly")
	f("ALTER TABLE events DELETE WHERE 1", nil, "readonly")
	// An error after rows were sent is reported, not taken for the end of the rows.
	f("SELECT number, throwIf(number = 200000) FROM system.numbers LIMIT 300000", nil, "Code: ")

	// An error of fn stops the query and is returned as is.
	stop := errors.New("stop")
	err := s.Query(ctx, "SELECT number FROM system.numbers LIMIT 1000000", nil, func([]any) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want stop", err)
	}
}

func TestScanInt64(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	const n = 200_000
	var rows, batches int64
	var sumA, sumB, sumC int64
	err := s.ScanInt64(ctx, `SELECT toInt64(number) AS a, toUInt8(number % 256) AS b, toInt32(-number) AS c
FROM system.numbers LIMIT ?`, []any{n}, func(cols [][]int64) error {
		if len(cols) != 3 || len(cols[0]) != len(cols[1]) || len(cols[1]) != len(cols[2]) {
			t.Fatalf("bad batch shape")
		}
		batches++
		rows += int64(len(cols[0]))
		for i := range cols[0] {
			sumA += cols[0][i]
			sumB += cols[1][i]
			sumC += cols[2][i]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantB := int64(0)
	for i := int64(0); i < n; i++ {
		wantB += i % 256
	}
	if rows != n || sumA != n*(n-1)/2 || sumB != wantB || sumC != -sumA {
		t.Fatalf("rows=%d sums=%d,%d,%d", rows, sumA, sumB, sumC)
	}
	if batches < 2 {
		t.Fatalf("%d batches, want several", batches)
	}

	// Events through the store, in person order.
	var evs []store.Row
	for i := 0; i < 10; i++ {
		evs = append(evs, ev(1, string(rune('a'+i)), int64(i%3), "x", int64(1000*i)))
	}
	if err := s.Apply(ctx, &store.Batch{Stream: "wal", Events: evs}); err != nil {
		t.Fatal(err)
	}
	var got [][]int64
	err = s.ScanInt64(ctx, "SELECT person_id, ts, toDateTime(intDiv(ts, 1000)) FROM events WHERE project_id = ? AND ts >= ? ORDER BY person_id, ts", []any{1, 2000},
		func(cols [][]int64) error {
			for i := range cols[0] {
				got = append(got, []int64{cols[0][i], cols[1][i], cols[2][i]})
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{0, 3000, 3}, {0, 6000, 6}, {0, 9000, 9}, {1, 4000, 4}, {1, 7000, 7}, {2, 2000, 2}, {2, 5000, 5}, {2, 8000, 8}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	// No rows: fn is not called.
	err = s.ScanInt64(ctx, "SELECT toInt64(1) WHERE 0", nil, func([][]int64) error {
		t.Fatal("fn called for an empty result")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	f := func(sql, wantErr string) {
		t.Helper()
		err := s.ScanInt64(ctx, sql, nil, func([][]int64) error { return nil })
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("ScanInt64(%q): err = %v, want %q", sql, err, wantErr)
		}
	}
	f("SELECT 'x' AS s", `column "s" has type String`)
	f("SELECT toNullable(1) AS n", "not an integer type")
	f("SELECT 1.5 AS f", "not an integer type")
	f("SELECT no_such", "no_such")
	f("DROP TABLE events", "readonly")
	f("SELECT toInt64(number), throwIf(number = 200000) FROM system.numbers LIMIT 300000", "Code: ")
}

// BenchmarkScanInt64 measures the fast path on 10M rows of three Int64 columns, the shape
// of a (person, ts, step) funnel scan, generated by the server (no table read).
func BenchmarkScanInt64(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	const n = 10_000_000
	b.SetBytes(n * 3 * 8)
	for i := 0; i < b.N; i++ {
		var rows, sum int64
		err := s.ScanInt64(ctx, "SELECT toInt64(intDiv(number, 20)), toInt64(number * 1000), toInt64(number % 4) FROM system.numbers LIMIT ?",
			[]any{n}, func(cols [][]int64) error {
				rows += int64(len(cols[0]))
				for _, v := range cols[2] {
					sum += v
				}
				return nil
			})
		if err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
	}
}

// BenchmarkQuery1M measures the text path on the same rows, for comparison.
func BenchmarkQuery1M(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	const n = 1_000_000
	b.SetBytes(n * 3 * 8)
	for i := 0; i < b.N; i++ {
		var rows int64
		err := s.Query(ctx, "SELECT toInt64(intDiv(number, 20)), toInt64(number * 1000), toInt64(number % 4) FROM system.numbers LIMIT ?",
			[]any{n}, func(row []any) error {
				rows++
				return nil
			})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanInt64Table reads 10M stored (person_id, ts, step) rows in primary key order,
// the funnel engine's scan.
func BenchmarkScanInt64Table(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	const n = 10_000_000
	u := chtest.Start(b)
	setup := []string{
		"CREATE TABLE " + s.cfg.Database + ".scan (person_id Int64, ts Int64, step Int64) ENGINE = MergeTree() ORDER BY (person_id, ts)",
		"INSERT INTO " + s.cfg.Database + ".scan SELECT intDiv(number, 20), 1700000000000 + number * 1000, number % 4 FROM system.numbers LIMIT 10000000",
		"OPTIMIZE TABLE " + s.cfg.Database + ".scan FINAL",
	}
	for _, q := range setup {
		if err := chtest.Exec(ctx, u, q); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(n * 3 * 8)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var rows int64
		err := s.ScanInt64(ctx, "SELECT person_id, ts, step FROM scan", nil, func(cols [][]int64) error {
			rows += int64(len(cols[0]))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
	}
}
