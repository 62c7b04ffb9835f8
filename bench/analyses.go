package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/demo"
	"github.com/jingyun/jingyun/internal/chtest"
	"github.com/jingyun/jingyun/loader"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store/clickhouse"
	"github.com/jingyun/jingyun/store/duckdb"
)

// Timing is the best and median of several runs of one query.
type Timing struct {
	Best, Median time.Duration
}

// AnalysisResult is the measurement on one demo shop.
type AnalysisResult struct {
	Events, Persons    int64
	LoadDuckDB         time.Duration // demo generation + loader into DuckDB + compaction
	LoadClickHouse     time.Duration // CSV export from DuckDB + INSERT + OPTIMIZE FINAL
	ClickHouseVersion  string
	FunnelDuckDB       Timing // Jingyun, DuckDB store
	FunnelClickHouse   Timing // Jingyun, ClickHouse store (same engine)
	FunnelNative       Timing // ClickHouse's windowFunnel on the same data
	RetentionDuckDB    Timing
	RetentionCH        Timing
	RetentionNative    Timing // ClickHouse's retention() on the same data
	FunnelSteps        []int64
	FunnelAgree        bool   // DuckDB and ClickHouse stores give the same funnel
	FunnelReference    string // how the engine compares with windowFunnel
	RetentionAgree     bool
	RetentionReference string
	Cohorts            int
}

var (
	benchEnd = time.Date(2026, 11, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	// benchFunnel is the 4-step purchase funnel with a 24 h window over the shop's 60 days.
	benchFunnel = query.Spec{Kind: query.KindFunnel, Window: "24h",
		DateRange: query.DateRange{From: "2026-09-03", To: "2026-11-01"},
		Steps:     []query.EventFilter{{Event: "Product Viewed"}, {Event: "Product Added"}, {Event: "Checkout Started"}, {Event: "Order Completed"}}}
	// benchRetention is weekly first-time retention of app launches, 8 weeks.
	benchRetention = query.Spec{Kind: query.KindRetention, Period: query.Week, FirstTime: true, Periods: 8,
		DateRange:   query.DateRange{From: "2026-09-03", To: "2026-11-01"},
		StartEvent:  &query.EventFilter{Event: "App Launched"},
		ReturnEvent: &query.EventFilter{Event: "App Launched"}}
)

func benchAnalyses(ctx context.Context, o *Options, size int) (*AnalysisResult, error) {
	dir, err := os.MkdirTemp("", "jingyun-bench-analyses-")
	if err != nil {
		return nil, fmt.Errorf("cannot create bench dir: %w", err)
	}
	defer os.RemoveAll(dir)
	res := &AnalysisResult{}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Now()
	// The demo writes about 23.8 events per person over these 60 days.
	duck, st, err := loadDemo(ctx, o, dir, demo.Options{ProjectID: 1, Seed: 1, Persons: max(1, size*10/238), Days: 60, End: benchEnd, TZ: loc, BatchSize: 100_000})
	if err != nil {
		return nil, err
	}
	defer duck.Close()
	res.LoadDuckDB = time.Since(start)
	res.Events, res.Persons = st.Events, int64(st.Persons)
	o.Log.Info("bench: demo loaded into duckdb", "events", st.Events, "took", res.LoadDuckDB.Round(time.Millisecond))
	if _, err := duck.DB().ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, fmt.Errorf("cannot checkpoint duckdb: %w", err)
	}

	srv, err := chtest.StartServer(o.ClickHouseServer)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	db := fmt.Sprintf("bench_%d", size)
	ch, err := clickhouse.Open(ctx, clickhouse.Config{URL: srv.URL, Database: db})
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	res.ClickHouseVersion, _ = chtest.ServerVersion(ctx, srv.URL)
	start = time.Now()
	if err := copyToClickHouse(ctx, duck, srv.URL, db, dir); err != nil {
		return nil, err
	}
	res.LoadClickHouse = time.Since(start)
	o.Log.Info("bench: same events loaded into clickhouse", "took", res.LoadClickHouse.Round(time.Millisecond))

	env := query.Env{Project: 1, Calendar: query.Calendar{TZ: loc}, Now: benchEnd}
	var fd, fc *analysis.Result
	run := func(name string, t *Timing, fn func() error) error {
		var ds []time.Duration
		for i := 0; i <= o.Runs; i++ {
			s := time.Now()
			if err := fn(); err != nil {
				return fmt.Errorf("cannot run %s: %w", name, err)
			}
			if i > 0 { // the first run warms caches
				ds = append(ds, time.Since(s))
			}
		}
		slices.Sort(ds)
		t.Best, t.Median = ds[0], ds[len(ds)/2]
		o.Log.Info("bench: timed", "query", name, "events", res.Events, "best", t.Best, "median", t.Median)
		return nil
	}
	funnel, retention := benchFunnel, benchRetention
	steps := []error{
		run("funnel duckdb", &res.FunnelDuckDB, func() (err error) { fd, err = analysis.Execute(ctx, duck, &funnel, env); return }),
		run("funnel clickhouse", &res.FunnelClickHouse, func() (err error) { fc, err = analysis.Execute(ctx, ch, &funnel, env); return }),
	}
	if err := firstErr(steps); err != nil {
		return nil, err
	}
	levels := map[int64]int64{}
	ref, err := query.FunnelReferenceSQL(&funnel, withDialect(env, query.ClickHouse))
	if err != nil {
		return nil, err
	}
	if err := run("funnel windowFunnel", &res.FunnelNative, func() error {
		clear(levels)
		return ch.Query(ctx, ref.SQL, ref.Args, func(r []any) error { levels[r[0].(int64)] = r[1].(int64); return nil })
	}); err != nil {
		return nil, err
	}
	for _, s := range fd.Funnel.Steps {
		res.FunnelSteps = append(res.FunnelSteps, s.Persons)
	}
	res.FunnelAgree = slices.Equal(res.FunnelSteps, stepsOf(fc))
	res.FunnelReference = compareFunnel(res.FunnelSteps, levels)

	var rd, rc *analysis.Result
	steps = []error{
		run("retention duckdb", &res.RetentionDuckDB, func() (err error) { rd, err = analysis.Execute(ctx, duck, &retention, env); return }),
		run("retention clickhouse", &res.RetentionCH, func() (err error) { rc, err = analysis.Execute(ctx, ch, &retention, env); return }),
	}
	if err := firstErr(steps); err != nil {
		return nil, err
	}
	rref, err := query.RetentionReferenceSQL(&retention, withDialect(env, query.ClickHouse))
	if err != nil {
		return nil, err
	}
	var refRows [][]int64
	var refStarts []string
	if err := run("retention retention()", &res.RetentionNative, func() error {
		refRows, refStarts = refRows[:0], refStarts[:0]
		return ch.Query(ctx, rref.SQL, rref.Args, func(r []any) error {
			refStarts = append(refStarts, r[0].(string))
			row := make([]int64, len(r)-1)
			for i := range row {
				row[i] = r[i+1].(int64)
			}
			refRows = append(refRows, row)
			return nil
		})
	}); err != nil {
		return nil, err
	}
	res.Cohorts = len(rd.Retention.Cohorts)
	res.RetentionAgree = cohortsEqual(rd.Retention.Cohorts, rc.Retention.Cohorts)
	res.RetentionReference = compareRetention(rd.Retention.Cohorts, refStarts, refRows)
	if !res.FunnelAgree || !res.RetentionAgree {
		return res, fmt.Errorf("cannot trust the run: the DuckDB and ClickHouse stores disagree (funnel %v, retention %v)", res.FunnelAgree, res.RetentionAgree)
	}
	return res, nil
}

// loadDemo fills a DuckDB store in dir with a demo shop through the loader and compacts it,
// as `jingyun demo` and `jingyun serve --demo` do. The caller closes the store.
func loadDemo(ctx context.Context, o *Options, dir string, opts demo.Options) (*duckdb.Store, demo.Stats, error) {
	duck, err := duckdb.Open(filepath.Join(dir, "events.duckdb"))
	if err != nil {
		return nil, demo.Stats{}, err
	}
	l, err := loader.New(ctx, duck, loader.Config{}, o.Log)
	if err == nil {
		pipe := loader.NewPipeline(ctx, l.Sink(), 1)
		var st demo.Stats
		st, err = demo.Generate(ctx, opts, pipe)
		if cerr := pipe.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			if err = l.Compact(ctx); err == nil {
				return duck, st, nil
			}
		}
	}
	duck.Close()
	return nil, demo.Stats{}, err
}

func withDialect(env query.Env, d query.Dialect) query.Env {
	env.Dialect = d
	return env
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func stepsOf(r *analysis.Result) []int64 {
	var out []int64
	for _, s := range r.Funnel.Steps {
		out = append(out, s.Persons)
	}
	return out
}

// compareFunnel checks the engine's persons per step against windowFunnel's levels.
func compareFunnel(steps []int64, levels map[int64]int64) string {
	var diffs []string
	for k := range steps {
		var ref int64
		for lvl, n := range levels {
			if lvl >= int64(k+1) {
				ref += n
			}
		}
		if ref != steps[k] {
			diffs = append(diffs, fmt.Sprintf("step %d: %d vs windowFunnel %d", k+1, steps[k], ref))
		}
	}
	if len(diffs) == 0 {
		return "equal"
	}
	return fmt.Sprintf("differs (%v): windowFunnel compares whole seconds and leaves same-second order undefined", diffs)
}

func cohortsEqual(a, b []analysis.Cohort) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Start != b[i].Start || a[i].Size != b[i].Size || !slices.Equal(a[i].Retained, b[i].Retained) {
			return false
		}
	}
	return true
}

// compareRetention checks the engine's table against retention(): rows (start, size, r0…rN).
func compareRetention(cs []analysis.Cohort, starts []string, rows [][]int64) string {
	ref := map[string][]int64{}
	for i, s := range starts {
		ref[s] = rows[i]
	}
	for _, c := range cs {
		r, ok := ref[c.Start]
		if c.Size == 0 && !ok {
			continue
		}
		if !ok || r[0] != c.Size || !slices.Equal(r[1:], c.Retained) {
			return fmt.Sprintf("differs at cohort %s: engine %d %v, retention() %v", c.Start, c.Size, c.Retained, r)
		}
	}
	return "equal"
}

// copyToClickHouse loads the DuckDB events and overrides into ClickHouse through CSV.
func copyToClickHouse(ctx context.Context, duck *duckdb.Store, chURL, db, dir string) error {
	tables := []struct{ name, cols, sel string }{
		{"events", "project_id, event_id, type, event, ts, received_at, person_id, distinct_id, anonymous_id, user_id, properties, context",
			"SELECT project_id, event_id, type, event, ts, received_at, person_id, distinct_id, anonymous_id, user_id, properties, context FROM events"},
		{"person_overrides", "project_id, old_person_id, new_person_id, version",
			"SELECT project_id, old_person_id, new_person_id, 1 FROM person_overrides"},
	}
	for _, t := range tables {
		path := filepath.Join(dir, t.name+".csv")
		if _, err := duck.DB().ExecContext(ctx, fmt.Sprintf("COPY (%s) TO '%s' (FORMAT csv, HEADER false)", t.sel, path)); err != nil {
			return fmt.Errorf("cannot export %s: %w", t.name, err)
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("cannot open %s export: %w", t.name, err)
		}
		q := url.Values{"database": {db}, "query": {fmt.Sprintf("INSERT INTO %s (%s) FORMAT CSV", t.name, t.cols)}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, chURL+"/?"+q.Encode(), f)
		resp, err := http.DefaultClient.Do(req)
		f.Close()
		if err != nil {
			return fmt.Errorf("cannot insert %s: %w", t.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("cannot insert %s: clickhouse answered %s", t.name, resp.Status)
		}
		os.Remove(path)
	}
	q := url.Values{"database": {db}, "query": {"OPTIMIZE TABLE events FINAL"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, chURL+"/?"+q.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot optimize events: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cannot optimize events: clickhouse answered %s", resp.Status)
	}
	return nil
}
