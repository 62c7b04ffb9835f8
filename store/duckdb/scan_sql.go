//go:build !duckdb_arrow

package duckdb

import (
	"context"
	"fmt"
)

const scanBatch = 8192

// ScanInt64 streams an all-integer result through database/sql. Builds with
// -tags duckdb_arrow use the faster Arrow path instead.
func (s *Store) ScanInt64(ctx context.Context, q string, args []any, fn func(cols [][]int64) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("cannot run scan: %w", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("cannot read columns: %w", err)
	}
	cols := make([][]int64, len(names))
	vals := make([]int64, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	flush := func() error {
		if len(cols[0]) == 0 {
			return nil
		}
		err := fn(cols)
		for c := range cols {
			cols[c] = cols[c][:0]
		}
		return err
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("cannot read row: %w", err)
		}
		for c, v := range vals {
			cols[c] = append(cols[c], v)
		}
		if len(cols[0]) == scanBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot run scan: %w", err)
	}
	return flush()
}
