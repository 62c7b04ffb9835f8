package analysis_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/duckdb"
)

const datasets = "../../shared/datasets"

// taobaoRow is one line of the Taobao UserBehavior sample.
type taobaoRow struct {
	user     int64
	category int64
	behavior string // pv, cart, fav, buy
	ts       int64  // ms
}

func loadTaobao(t *testing.T) []taobaoRow {
	t.Helper()
	if _, err := os.Stat(datasets); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("shared datasets folder %s is absent", datasets)
	}
	f, err := os.Open(filepath.Join(datasets, "taobao_userbehavior_sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 5
	var rows []taobaoRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var v [4]int64
		for i, c := range []int{0, 2, 4} {
			if v[i], err = strconv.ParseInt(rec[c], 10, 64); err != nil {
				t.Fatalf("line %d: %v", len(rows)+1, err)
			}
		}
		rows = append(rows, taobaoRow{user: v[0], category: v[1], behavior: rec[3], ts: v[2] * 1000})
	}
	if len(rows) < 100000 {
		t.Fatalf("read %d rows, want the whole sample", len(rows))
	}
	return rows
}

// refFunnel is an independent reading of the DESIGN §4 definition: per person, for every
// step-1 event inside [from, to), take for each next step the earliest unused event that
// matches it at or after the previous step's time and within the window of the start;
// the person's level is the best over all starts. Steps are behaviors; a step filter on
// the category, when not zero, applies to every step.
func refFunnel(rows []taobaoRow, steps []string, category, window, from, to int64) []int64 {
	byUser := map[int64][]taobaoRow{}
	for _, r := range rows {
		if category != 0 && r.category != category {
			continue
		}
		byUser[r.user] = append(byUser[r.user], r)
	}
	reached := make([]int64, len(steps))
	for _, evs := range byUser {
		slices.SortStableFunc(evs, func(a, b taobaoRow) int { return int(a.ts - b.ts) })
		best := 0
		used := make([]bool, len(evs))
		for i, s := range evs {
			if s.behavior != steps[0] || s.ts < from || s.ts >= to {
				continue
			}
			clear(used)
			used[i] = true
			level, prev := 1, s.ts
			for level < len(steps) {
				next := -1
				for j, e := range evs {
					if !used[j] && e.behavior == steps[level] && e.ts >= prev && e.ts-s.ts <= window {
						next = j
						break
					}
				}
				if next < 0 {
					break
				}
				used[next] = true
				level, prev = level+1, evs[next].ts
			}
			best = max(best, level)
		}
		for k := 0; k < best; k++ {
			reached[k]++
		}
	}
	return reached
}

// TestTaobaoReference loads the real Taobao UserBehavior sample into DuckDB and checks the
// funnel engine's persons per step against refFunnel, and hourly trends against counts
// made in Go.
func TestTaobaoReference(t *testing.T) {
	rows := loadTaobao(t)
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const project = 9
	b := &store.Batch{Stream: "taobao"}
	for i, r := range rows {
		b.Events = append(b.Events, store.Row{
			Event: event.Event{
				ProjectID: project, ID: strconv.Itoa(i), Type: event.TypeTrack, Name: r.behavior,
				Time: r.ts, ReceivedAt: r.ts, UserID: strconv.FormatInt(r.user, 10),
				Properties: []byte(fmt.Sprintf(`{"category_id":%d}`, r.category)),
			},
			PersonID: r.user,
		})
	}
	ctx := context.Background()
	if err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	env := query.Env{Project: project, Calendar: query.Calendar{TZ: shanghai}, Now: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	// The most frequent category, for a filtered funnel.
	counts := map[int64]int{}
	for _, r := range rows {
		counts[r.category]++
	}
	var topCat int64
	for c, n := range counts {
		if n > counts[topCat] || (n == counts[topCat] && c < topCat) {
			topCat = c
		}
	}

	f := func(steps []string, window, from, to string, category int64) {
		t.Helper()
		spec := &query.Spec{Kind: query.KindFunnel, DateRange: query.DateRange{From: from, To: to}, Window: window}
		for _, s := range steps {
			spec.Steps = append(spec.Steps, query.EventFilter{Event: s})
		}
		if category != 0 {
			spec.Filters = []query.Filter{{Property: "category_id", Operator: query.OpEq, Value: category}}
		}
		res, err := analysis.Execute(ctx, st, spec, env)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := query.ParseWindow(window)
		want := refFunnel(rows, steps, category, w.Milliseconds(), at(from), at(to))
		got := make([]int64, len(steps))
		for i, s := range res.Funnel.Steps {
			got[i] = s.Persons
		}
		if !slices.Equal(got, want) {
			t.Errorf("funnel %v window %s %s..%s category %d: engine %v, reference %v", steps, window, from, to, category, got, want)
		}
		if want[len(want)-1] == 0 {
			t.Errorf("funnel %v: nobody converts, the case checks little", steps)
		}
		t.Logf("funnel %v window %s category %d: %v", steps, window, category, got)
	}
	all0, all1 := "2017-11-26T00:00:00Z", "2017-11-26T04:00:00Z"
	f([]string{"pv", "cart", "buy"}, "1h", all0, all1, 0)
	f([]string{"pv", "buy"}, "10m", "2017-11-26T01:30:00Z", "2017-11-26T02:30:00Z", 0)
	f([]string{"pv", "pv", "cart"}, "30m", all0, all1, 0)
	f([]string{"pv", "fav"}, "5m", all0, all1, 0)
	f([]string{"cart", "buy"}, "2h", all0, all1, 0)
	f([]string{"pv", "cart"}, "1h", all0, all1, topCat)

	// Hourly trends in Asia/Shanghai: events and unique persons per behavior.
	spec := &query.Spec{Kind: query.KindTrends, DateRange: query.DateRange{From: "2017-11-26T09:00:00+08:00", To: "2017-11-26T11:30:00+08:00"}, Interval: query.Hour,
		Series: []query.Series{{Event: "pv"}, {Event: "buy", Math: query.MathDAU}}}
	res, err := analysis.Execute(ctx, st, spec, env)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		hour string
		s    int
	}
	total := map[key]float64{}
	persons := map[key]map[int64]bool{}
	for _, r := range rows {
		lt := time.UnixMilli(r.ts).In(shanghai)
		if lt.Before(time.Date(2017, 11, 26, 9, 0, 0, 0, shanghai)) || !lt.Before(time.Date(2017, 11, 26, 11, 30, 0, 0, shanghai)) {
			continue
		}
		h := lt.Format("2006-01-02T15") + ":00"
		switch r.behavior {
		case "pv":
			total[key{h, 0}]++
		case "buy":
			k := key{h, 1}
			if persons[k] == nil {
				persons[k] = map[int64]bool{}
			}
			persons[k][r.user] = true
		}
	}
	for si, s := range res.Trends.Series {
		if len(s.Points) != 3 {
			t.Fatalf("series %s has %d points, want 3 hours", s.Series, len(s.Points))
		}
		for _, p := range s.Points {
			want := total[key{p.Time, si}]
			if si == 1 {
				want = float64(len(persons[key{p.Time, si}]))
			}
			if p.Value != want || want == 0 {
				t.Errorf("series %s at %s: %v, want %v (non-zero)", s.Series, p.Time, p.Value, want)
			}
		}
	}
}
