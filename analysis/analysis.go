// Package analysis runs analysis specs (trends, funnel, retention) against an event store
// and returns JSON-serialisable results. It owns the analysis engines: the funnel and
// retention are computed in Go over one ordered integer scan (store.EventStore.ScanInt64)
// of the rows the query package prints, so every store gives the same numbers by
// construction; trends aggregate in SQL. It prints no SQL itself (package query does) and
// knows no store implementation: the store's Name picks the dialect.
package analysis

import (
	"context"
	"fmt"
	"time"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// Result is the outcome of one analysis; exactly one of Trends, Funnel and Retention is
// set, matching Kind.
type Result struct {
	Kind      query.Kind       `json:"kind"`
	From      time.Time        `json:"from"` // the resolved range, in the project's zone
	To        time.Time        `json:"to"`   // exclusive
	Trends    *TrendsResult    `json:"trends,omitempty"`
	Funnel    *FunnelResult    `json:"funnel,omitempty"`
	Retention *RetentionResult `json:"retention,omitempty"`
	Products  *ProductsResult  `json:"products,omitempty"`
}

// Run runs spec for project against st in the project's calendar, resolving relative date
// ranges at the current time. Spec errors are *query.Error (a 400 for HTTP callers);
// other errors are the store's.
func Run(ctx context.Context, st store.EventStore, project uint32, cal query.Calendar, spec query.Spec) (*Result, error) {
	return Execute(ctx, st, &spec, query.Env{Project: project, Calendar: cal, Now: time.Now()})
}

// Execute runs spec against st in env; env.Dialect is taken from st.Name(). It is Run with
// an explicit clock, for tests and scheduled reports.
func Execute(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env) (*Result, error) {
	env.Dialect = query.Dialect(st.Name())
	p, err := query.Compile(spec, env)
	if err != nil {
		return nil, err
	}
	loc := env.Calendar.TZ
	res := &Result{Kind: p.Kind, From: time.UnixMilli(p.Range.From).In(loc), To: time.UnixMilli(p.Range.To).In(loc)}
	switch p.Kind {
	case query.KindTrends:
		res.Trends, err = runTrends(ctx, st, p)
	case query.KindFunnel:
		res.Funnel, err = runFunnel(ctx, st, p)
	case query.KindRetention:
		res.Retention, err = runRetention(ctx, st, p)
	case query.KindProducts:
		res.Products, err = runProducts(ctx, st, p)
	default:
		err = fmt.Errorf("cannot run analysis: unknown kind %q", p.Kind)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// topValues runs a breakdown values statement: rows (bd, n).
func topValues(ctx context.Context, st store.EventStore, c query.Compiled) ([]string, error) {
	var out []string
	err := st.Query(ctx, c.SQL, c.Args, func(row []any) error {
		s, ok := row[0].(string)
		if !ok {
			return fmt.Errorf("breakdown value is %T, not a string", row[0])
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read breakdown values: %w", err)
	}
	return out, nil
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("value is %T, not a number", v)
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	}
	return 0, fmt.Errorf("value is %T, not an integer", v)
}
