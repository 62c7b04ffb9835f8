//go:build duckdb_arrow

package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// ScanInt64 streams an all-integer result as Arrow record batches, converting each column
// to int64. This is the fast path (built with -tags duckdb_arrow, as the Makefile does).
func (s *Store) ScanInt64(ctx context.Context, q string, args []any, fn func(cols [][]int64) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cannot get duckdb connection: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return fmt.Errorf("cannot open arrow interface: %w", err)
		}
		rdr, err := ar.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("cannot run scan: %w", err)
		}
		defer rdr.Release()
		var cols [][]int64
		for rdr.Next() {
			rec := rdr.RecordBatch()
			n := int(rec.NumRows())
			if cols == nil {
				cols = make([][]int64, rec.NumCols())
			}
			for c := range cols {
				cols[c] = cols[c][:0]
				if err := appendInts(&cols[c], rec.Column(c), n); err != nil {
					return err
				}
			}
			if err := fn(cols); err != nil {
				return err
			}
		}
		if err := rdr.Err(); err != nil {
			return fmt.Errorf("cannot run scan: %w", err)
		}
		return nil
	})
}

func appendInts(dst *[]int64, col arrow.Array, n int) error {
	if col.NullN() > 0 {
		return fmt.Errorf("cannot scan column: %d NULLs in an integer scan", col.NullN())
	}
	d := *dst
	switch a := col.(type) {
	case *array.Int64:
		d = append(d, a.Int64Values()[:n]...)
	case *array.Int32:
		for _, v := range a.Int32Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Int16:
		for _, v := range a.Int16Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Int8:
		for _, v := range a.Int8Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Uint64:
		for _, v := range a.Uint64Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Uint32:
		for _, v := range a.Uint32Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Uint16:
		for _, v := range a.Uint16Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Uint8:
		for _, v := range a.Uint8Values()[:n] {
			d = append(d, int64(v))
		}
	case *array.Boolean:
		for i := 0; i < n; i++ {
			if a.Value(i) {
				d = append(d, 1)
			} else {
				d = append(d, 0)
			}
		}
	default:
		return fmt.Errorf("cannot scan column of type %s as int64", col.DataType())
	}
	*dst = d
	return nil
}
