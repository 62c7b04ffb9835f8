package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/console"
	"github.com/jingyun/jingyun/demo"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/clickhouse"
)

// OverviewConcurrency is how many of the overview's queries run at once: a browser opens at
// most six HTTP/1.1 connections to one server, so that is as parallel as the page gets.
const OverviewConcurrency = 6

// OverviewResult is the server time of the console's overview page on the default demo
// shop: every query the page sends (console/overview-specs.json), run as the page runs
// them, without the result cache (a first visit).
type OverviewResult struct {
	Events, Persons int64
	Queries         map[int]int // range in days → queries the page sends
	DuckDB          map[int]Timing
	ClickHouse      map[int]Timing
	Slowest         map[int]string // range → the slowest query on DuckDB and its time
	Agree           bool           // both stores gave the same results for every query
	ClickHouseVer   string
}

// overviewRanges are the overview's range choices, in days.
var overviewRanges = []int{7, 30}

func benchOverview(ctx context.Context, o *Options) (*OverviewResult, error) {
	var byDays map[string][]json.RawMessage
	if err := json.Unmarshal(console.OverviewSpecs(), &byDays); err != nil {
		return nil, fmt.Errorf("cannot read the overview's specs: %w", err)
	}
	specs := map[int][]*query.Spec{}
	for _, d := range overviewRanges {
		for i, raw := range byDays[fmt.Sprint(d)] {
			s, err := query.Decode(bytes.NewReader(raw))
			if err != nil {
				return nil, fmt.Errorf("cannot decode overview spec %d of %d days: %w", i, d, err)
			}
			specs[d] = append(specs[d], s)
		}
		if len(specs[d]) == 0 {
			return nil, fmt.Errorf("cannot find the overview's %d-day specs", d)
		}
	}

	dir, err := os.MkdirTemp("", "jingyun-bench-overview-")
	if err != nil {
		return nil, fmt.Errorf("cannot create bench dir: %w", err)
	}
	defer os.RemoveAll(dir)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// The default demo shop, as `jingyun serve --demo` loads it, ending at benchEnd.
	duck, st, err := loadDemo(ctx, o, dir, demo.Options{ProjectID: 1, Seed: 1, End: benchEnd, TZ: loc, BatchSize: 100_000})
	if err != nil {
		return nil, err
	}
	defer duck.Close()
	res := &OverviewResult{Events: st.Events, Persons: int64(st.Persons), Queries: map[int]int{},
		DuckDB: map[int]Timing{}, ClickHouse: map[int]Timing{}, Slowest: map[int]string{}, Agree: true}
	o.Log.Info("bench: overview demo loaded", "events", st.Events)

	srv, err := chtest.StartServer(o.ClickHouseServer)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	ch, err := clickhouse.Open(ctx, clickhouse.Config{URL: srv.URL, Database: "bench_overview"})
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	res.ClickHouseVer, _ = chtest.ServerVersion(ctx, srv.URL)
	if err := copyToClickHouse(ctx, duck, srv.URL, "bench_overview", dir); err != nil {
		return nil, err
	}

	env := query.Env{Project: 1, Calendar: query.Calendar{TZ: loc}, Now: benchEnd}
	for _, d := range overviewRanges {
		list := specs[d]
		res.Queries[d] = len(list)
		var duckOut, chOut []*analysis.Result
		var slow []time.Duration
		for _, side := range []struct {
			name string
			st   store.EventStore
			t    *Timing
			out  *[]*analysis.Result
		}{{"duckdb", duck, new(Timing), &duckOut}, {"clickhouse", ch, new(Timing), &chOut}} {
			var ds []time.Duration
			for i := 0; i <= o.Runs; i++ {
				start := time.Now()
				out, each, err := runPage(ctx, side.st, list, env)
				if err != nil {
					return nil, fmt.Errorf("cannot run the %d-day overview on %s: %w", d, side.name, err)
				}
				if i > 0 { // the first run warms caches
					ds = append(ds, time.Since(start))
				}
				*side.out = out
				if side.name == "duckdb" {
					slow = each
				}
			}
			slices.Sort(ds)
			side.t.Best, side.t.Median = ds[0], ds[len(ds)/2]
			if side.name == "duckdb" {
				res.DuckDB[d] = *side.t
			} else {
				res.ClickHouse[d] = *side.t
			}
			o.Log.Info("bench: overview timed", "days", d, "store", side.name, "best", side.t.Best, "median", side.t.Median)
		}
		worst := 0
		for i := range slow {
			if slow[i] > slow[worst] {
				worst = i
			}
		}
		res.Slowest[d] = fmt.Sprintf("#%d %s (%s)", worst, describeSpec(list[worst]), ms(slow[worst]))
		for i := range duckOut {
			a, _ := json.Marshal(duckOut[i])
			b, _ := json.Marshal(chOut[i])
			if !bytes.Equal(a, b) {
				res.Agree = false
				o.Log.Warn("bench: the stores disagree on an overview query", "days", d, "query", i)
			}
		}
	}
	if !res.Agree {
		return res, fmt.Errorf("cannot trust the overview run: DuckDB and ClickHouse disagree")
	}
	return res, nil
}

// runPage runs specs OverviewConcurrency at a time, as the page's requests arrive, and
// returns their results in order with each one's own duration.
func runPage(ctx context.Context, st store.EventStore, specs []*query.Spec, env query.Env) ([]*analysis.Result, []time.Duration, error) {
	out := make([]*analysis.Result, len(specs))
	took := make([]time.Duration, len(specs))
	errs := make([]error, len(specs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < OverviewConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := time.Now()
				out[i], errs[i] = analysis.Execute(ctx, st, specs[i], env)
				took[i] = time.Since(s)
			}
		}()
	}
	for i := range specs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, took, firstErr(errs)
}

func describeSpec(s *query.Spec) string {
	switch s.Kind {
	case query.KindFunnel:
		d := fmt.Sprintf("funnel of %d steps, %s", len(s.Steps), s.DateRange.From)
		if s.Breakdown != nil {
			d += " by " + s.Breakdown.Property
		}
		return d
	case query.KindRetention:
		return fmt.Sprintf("retention, %d periods", s.Periods)
	}
	return fmt.Sprintf("trends of %d series", len(s.Series))
}
