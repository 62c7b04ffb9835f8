package analysis

import (
	"context"
	"fmt"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// TrendsResult is a trends analysis: one line per series (and breakdown value), then the
// formula's lines, then, with compare, the same again for the previous period.
type TrendsResult struct {
	Interval query.Interval `json:"interval"`
	Series   []TrendsSeries `json:"series"`
}

// TrendsSeries is one line. Series is the letter ("A", "B", …) or "formula". Breakdown is
// the breakdown value (query.Other for the rest), absent without a breakdown. Compare marks
// the previous period, whose points are labelled with their own dates. Intervals without
// events are 0, whatever the math.
type TrendsSeries struct {
	Series    string     `json:"series"`
	Event     string     `json:"event,omitempty"`
	Math      query.Math `json:"math,omitempty"`
	Breakdown *string    `json:"breakdown,omitempty"`
	Compare   bool       `json:"compare,omitempty"`
	Points    []Point    `json:"points"`
}

// Point is the value of one interval; Time is its start in the project's calendar:
// "2024-01-31" for days, weeks (the Monday) and months (the 1st), "2024-01-31T13:00" for
// hours.
type Point struct {
	Time  string  `json:"time"`
	Value float64 `json:"value"`
}

// line is the values of one series and breakdown value over the buckets of a period.
type line struct {
	bd     string
	values []float64
}

func runTrends(ctx context.Context, st store.EventStore, p *query.Plan) (*TrendsResult, error) {
	res := &TrendsResult{Interval: p.Interval}
	periods := []struct {
		r       query.TimeRange
		buckets query.BucketRange
		compare bool
	}{{p.Range, p.Buckets, false}}
	if p.Spec.Compare {
		periods = append(periods, struct {
			r       query.TimeRange
			buckets query.BucketRange
			compare bool
		}{p.CompareRange, p.CompareBkts, true})
	}
	hasBD := p.BreakdownLimit() > 0
	values := make([][]string, len(p.Spec.Series))
	if hasBD {
		for i := range p.Spec.Series {
			v, err := topValues(ctx, st, p.TrendsBreakdownSQL(i, p.Range))
			if err != nil {
				return nil, err
			}
			values[i] = v
		}
	}
	for _, per := range periods {
		lines := make([][]line, len(p.Spec.Series))
		for i, se := range p.Spec.Series {
			ls, err := seriesLines(ctx, st, p, i, per.r, per.buckets, values[i])
			if err != nil {
				return nil, err
			}
			lines[i] = ls
			for _, l := range ls {
				s := TrendsSeries{Series: letter(i), Event: se.Event, Math: se.Math, Compare: per.compare, Points: points(p, per.buckets, l.values)}
				if hasBD {
					s.Breakdown = ptr(l.bd)
				}
				res.Series = append(res.Series, s)
			}
		}
		if p.Formula != nil {
			for _, l := range formulaLines(p.Formula, lines, per.buckets.Len()) {
				s := TrendsSeries{Series: "formula", Compare: per.compare, Points: points(p, per.buckets, l.values)}
				if hasBD {
					s.Breakdown = ptr(l.bd)
				}
				res.Series = append(res.Series, s)
			}
		}
	}
	return res, nil
}

func letter(i int) string { return string(rune('A' + i)) }

func ptr(s string) *string { return &s }

func points(p *query.Plan, b query.BucketRange, values []float64) []Point {
	out := make([]Point, len(values))
	cal := p.Calendar()
	for j, v := range values {
		out[j] = Point{Time: cal.BucketLabel(p.Interval, b.First+int64(j)), Value: v}
	}
	return out
}

// seriesLines runs series i over r: one line without a breakdown, else one per top value
// (in their order) and one for Other when it has events.
func seriesLines(ctx context.Context, st store.EventStore, p *query.Plan, i int, r query.TimeRange, b query.BucketRange, values []string) ([]line, error) {
	hasBD := p.BreakdownLimit() > 0
	byBD := map[string][]float64{}
	get := func(bd string) []float64 {
		v := byBD[bd]
		if v == nil {
			v = make([]float64, b.Len())
			byBD[bd] = v
		}
		return v
	}
	c := p.TrendsSQL(i, r, values)
	err := st.Query(ctx, c.SQL, c.Args, func(row []any) error {
		bucket, err := toInt(row[0])
		if err != nil {
			return err
		}
		bd, vcol := "", 1
		if hasBD {
			s, ok := row[1].(string)
			if !ok {
				return fmt.Errorf("breakdown value is %T, not a string", row[1])
			}
			bd, vcol = s, 2
		}
		v, err := toFloat(row[vcol])
		if err != nil {
			return err
		}
		if bucket < b.First || bucket > b.Last {
			return fmt.Errorf("bucket %d outside %d..%d", bucket, b.First, b.Last)
		}
		get(bd)[bucket-b.First] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot run trends series %s: %w", letter(i), err)
	}
	if !hasBD {
		return []line{{values: get("")}}, nil
	}
	var out []line
	for _, v := range values {
		out = append(out, line{v, get(v)})
	}
	if o, ok := byBD[query.Other]; ok {
		out = append(out, line{query.Other, o})
	}
	return out, nil
}

// formulaLines applies the formula per bucket and breakdown value; a series without the
// value counts as 0.
func formulaLines(f *query.Formula, lines [][]line, n int) []line {
	var order []string
	seen := map[string]bool{}
	for _, ls := range lines {
		for _, l := range ls {
			if !seen[l.bd] {
				seen[l.bd] = true
				order = append(order, l.bd)
			}
		}
	}
	var out []line
	vals := make([]float64, len(lines))
	for _, bd := range order {
		res := make([]float64, n)
		for j := range res {
			for i, ls := range lines {
				vals[i] = 0
				for _, l := range ls {
					if l.bd == bd {
						vals[i] = l.values[j]
					}
				}
			}
			res[j] = f.Eval(vals)
		}
		out = append(out, line{bd, res})
	}
	return out
}
