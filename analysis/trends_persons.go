package analysis

import (
	"context"
	"fmt"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// PointPersons selects the persons behind one point of a trends line: series Series (its
// letter, "A"), the interval labelled Time (as the result labels its points; "" for the
// whole date range), with Breakdown set the line of that value (or query.Other), with
// Compare the previous period's line.
type PointPersons struct {
	Series    string  `json:"series"`
	Time      string  `json:"time,omitempty"`
	Breakdown *string `json:"breakdown,omitempty"`
	Compare   bool    `json:"compare,omitempty"`
}

// TrendsPersons runs a trends spec like Execute and returns the persons of sel: those with
// an event of the series in the interval (with a numeric value of the series' property when
// its math reads one), ascending by person id after merges. For math dau their number is
// the point's value; for other maths, the persons whose events make it. Spec and selection
// errors are *query.Error naming the field (series, time, breakdown, compare, or the
// spec's own, such as kind).
func TrendsPersons(ctx context.Context, st store.EventStore, spec *query.Spec, env query.Env, sel PointPersons) ([]int64, error) {
	p, err := compileKind(st, spec, env, query.KindTrends, "this lists the persons of trends points; funnels and retention have their own")
	if err != nil {
		return nil, err
	}
	i := -1
	for j := range p.Spec.Series {
		if letter(j) == sel.Series {
			i = j
		}
	}
	switch {
	case sel.Series == "":
		return nil, &query.Error{Code: "missing_field", Field: "series", Message: "is required: the series' letter (A, B, …)"}
	case i < 0:
		return nil, &query.Error{Code: "invalid_value", Field: "series", Message: fmt.Sprintf("%q is not a series of the spec (A…%s); a formula has no persons of its own", sel.Series, letter(len(p.Spec.Series)-1))}
	case sel.Compare && !p.Spec.Compare:
		return nil, &query.Error{Code: "invalid_value", Field: "compare", Message: "the spec has no previous period (compare)"}
	case sel.Breakdown != nil && p.BreakdownLimit() == 0:
		return nil, &query.Error{Code: "invalid_value", Field: "breakdown", Message: "the spec has no breakdown"}
	}
	r, buckets := p.Range, p.Buckets
	if sel.Compare {
		r, buckets = p.CompareRange, p.CompareBkts
	}
	if sel.Time != "" {
		cal := p.Calendar()
		found := false
		for b := buckets.First; b <= buckets.Last; b++ {
			if cal.BucketLabel(p.Interval, b) == sel.Time {
				r = query.TimeRange{From: max(r.From, cal.BucketFirst(p.Interval, b)), To: min(r.To, cal.BucketFirst(p.Interval, b+1))}
				found = true
				break
			}
		}
		if !found {
			return nil, &query.Error{Code: "invalid_value", Field: "time", Message: fmt.Sprintf("%q is not a point of the line (%s … %s)", sel.Time,
				cal.BucketLabel(p.Interval, buckets.First), cal.BucketLabel(p.Interval, buckets.Last))}
		}
	}
	var values []string
	if sel.Breakdown != nil {
		// The lines' values are the top values over the main range, as Execute picks them.
		if values, err = topValues(ctx, st, p.TrendsBreakdownSQL(i, p.Range)); err != nil {
			return nil, err
		}
		known := *sel.Breakdown == query.Other
		for _, v := range values {
			known = known || v == *sel.Breakdown
		}
		if !known {
			return nil, &query.Error{Code: "invalid_value", Field: "breakdown", Message: fmt.Sprintf("%q is not a breakdown value of the series' lines", *sel.Breakdown)}
		}
	}
	c := p.TrendsPersonsSQL(i, r, values, sel.Breakdown)
	ids := []int64{}
	err = st.ScanInt64(ctx, c.SQL, c.Args, func(cols [][]int64) error {
		if len(cols) != 1 {
			return fmt.Errorf("persons stream has %d columns, want 1", len(cols))
		}
		ids = append(ids, cols[0]...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list trends persons: %w", err)
	}
	return ids, nil
}
