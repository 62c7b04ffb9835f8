package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the report as bench/RESULTS.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Benchmark results\n\nWritten by `jingyun bench` on %s. Reproduce: `make bench` (or `%s`).\n\n", r.Started.Format("2006-01-02 15:04 MST"), r.Command)
	fmt.Fprintf(&b, "## Machine\n\n| | |\n|---|---|\n| CPU | %s |\n| cores | %d |\n| memory | %.1f GiB |\n| kernel | %s |\n| Go | %s (%s) |\n\n", m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.Go, m.OS)
	fmt.Fprintf(&b, "Client and server share these cores in every measurement.\n\n")
	if in := r.Ingest; in != nil {
		fmt.Fprintf(&b, "## Ingestion over HTTP, durable\n\n")
		fmt.Fprintf(&b, "A `jingyun serve` process with fsync on (a 200 means the batch is fsync'd in the WAL); %d clients on loopback each POST `/v1/batch` with %d mini-program events (%.0f bytes per event of JSON) for %.0f s. The loader moves the WAL into DuckDB at the same time.\n\n",
			in.Clients, in.BatchEvents, in.BytesPerEvent, in.Seconds)
		fmt.Fprintf(&b, "| figure | value | bar |\n|---|---|---|\n")
		fmt.Fprintf(&b, "| acknowledged events/s | **%.0f** | ≥ 100,000 (%s) |\n", in.EventsPerSecond, pass(in.EventsPerSecond >= 100_000))
		fmt.Fprintf(&b, "| ack latency p50 / p99 / max | %s / %s / %s | |\n", ms(in.P50), ms(in.P99), ms(in.Max))
		fmt.Fprintf(&b, "| requests (refused with 429/503) | %d (%d) | |\n", in.Requests, in.Refused)
		fmt.Fprintf(&b, "| server peak RSS | %.0f MiB | |\n", in.PeakRSSMiB)
		fmt.Fprintf(&b, "| loader catch-up after the load stopped | %s | |\n", in.CatchUp.Round(time.Millisecond))
		fmt.Fprintf(&b, "| events loaded = acknowledged | %d = %d | |\n\n", in.Stored, in.Events)
	}
	if len(r.Analyses) > 0 {
		fmt.Fprintf(&b, "## Funnel and retention, DuckDB against ClickHouse\n\n")
		fmt.Fprintf(&b, "Demo shops (seed 1, 60 days to 2026-11-01, Asia/Shanghai), loaded into DuckDB through the loader (then compacted into time order, as `jingyun demo` does) and copied row for row into ClickHouse %s (Debian's clickhouse-server, then `OPTIMIZE FINAL`). ", r.Analyses[0].ClickHouseVersion)
		fmt.Fprintf(&b, "Funnel: Product Viewed → Product Added → Checkout Started → Order Completed, 24 h window, 59 days. Retention: App Launched, weekly, first time, 8 periods. ")
		fmt.Fprintf(&b, "Jingyun runs the same engine on both stores (SQL streams rows in person order, Go scans them once); the peer is ClickHouse's own `windowFunnel` / `retention()` on the same table. Best of several runs after a warm-up (median in brackets). Ratio = Jingyun on DuckDB ÷ ClickHouse native; the bar is ≤ 1.0 at 10M.\n\n")
		fmt.Fprintf(&b, "| events | persons | query | Jingyun · DuckDB | Jingyun · ClickHouse | ClickHouse native | ratio | stores agree | vs native function |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, a := range r.Analyses {
			fmt.Fprintf(&b, "| %s | %s | funnel | %s | %s | %s | **%.2f** | %s | %s |\n", count(a.Events), count(a.Persons), t(a.FunnelDuckDB), t(a.FunnelClickHouse), t(a.FunnelNative),
				ratio(a.FunnelDuckDB, a.FunnelNative), yes(a.FunnelAgree), a.FunnelReference)
			fmt.Fprintf(&b, "| %s | %s | retention | %s | %s | %s | **%.2f** | %s | %s |\n", count(a.Events), count(a.Persons), t(a.RetentionDuckDB), t(a.RetentionCH), t(a.RetentionNative),
				ratio(a.RetentionDuckDB, a.RetentionNative), yes(a.RetentionAgree), a.RetentionReference)
		}
		fmt.Fprintf(&b, "\n| events | load into DuckDB (generate + loader + compaction) | copy into ClickHouse | funnel persons per step |\n|---|---|---|---|\n")
		for _, a := range r.Analyses {
			fmt.Fprintf(&b, "| %s | %s (%.0f events/s) | %s | %v |\n", count(a.Events), a.LoadDuckDB.Round(time.Millisecond),
				float64(a.Events)/a.LoadDuckDB.Seconds(), a.LoadClickHouse.Round(time.Millisecond), a.FunnelSteps)
		}
		b.WriteString("\n")
	}
	if ov := r.Overview; ov != nil {
		fmt.Fprintf(&b, "## Console overview, server time\n\n")
		fmt.Fprintf(&b, "The default demo shop (`jingyun serve --demo`: %s events, %s persons, 60 days). Every query the overview page sends for its range (console/overview-specs.json, written from console/src/overviewSpecs.ts), run %d at a time as a browser sends them, without the result cache (a first visit; later visits within the same data generation are served from the cache). The peer is the same page on the ClickHouse %s store, loaded with the same events. Best of several runs after a warm-up (median in brackets). The bar: the page's queries answer in under 1 s on the default demo.\n\n",
			count(ov.Events), count(ov.Persons), OverviewConcurrency, ov.ClickHouseVer)
		fmt.Fprintf(&b, "| range | queries | Jingyun · DuckDB | Jingyun · ClickHouse | ratio | bar < 1 s | slowest query, last run (DuckDB) |\n|---|---|---|---|---|---|---|\n")
		for _, d := range overviewRanges {
			fmt.Fprintf(&b, "| %d days | %d | %s | %s | **%.2f** | %s | %s |\n", d, ov.Queries[d], t(ov.DuckDB[d]), t(ov.ClickHouse[d]),
				ratio(ov.DuckDB[d], ov.ClickHouse[d]), pass(ov.DuckDB[d].Best < time.Second), ov.Slowest[d])
		}
		fmt.Fprintf(&b, "\nBoth stores give the same results for every query: %s.\n\n", yes(ov.Agree))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func pass(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func t(x Timing) string { return fmt.Sprintf("%s (%s)", ms(x.Best), ms(x.Median)) }

func ratio(a, b Timing) float64 {
	if b.Best == 0 {
		return 0
	}
	return float64(a.Best) / float64(b.Best)
}

func count(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// MergeMarkdown returns fresh (a report of a run that skipped sections) with the sections
// of old (the previous results file) that fresh lacks appended, each marked as kept from
// the earlier run, so that `--skip` refreshes some figures without dropping the others.
func MergeMarkdown(fresh, old string) string {
	sections := func(s string) (heads []string, body map[string]string) {
		body = map[string]string{}
		parts := strings.Split("\n"+s, "\n## ")
		for _, p := range parts[1:] {
			head, _, _ := strings.Cut(p, "\n")
			heads = append(heads, head)
			body[head] = "## " + strings.TrimRight(p, "\n") + "\n"
		}
		return heads, body
	}
	_, have := sections(fresh)
	heads, prev := sections(old)
	when := ""
	if i := strings.Index(old, "Written by `jingyun bench` on "); i >= 0 {
		rest := old[i+len("Written by `jingyun bench` on "):]
		if j := strings.Index(rest, "."); j > 0 {
			when = " of " + rest[:j]
		}
	}
	out := strings.TrimRight(fresh, "\n") + "\n"
	for _, h := range heads {
		if _, ok := have[h]; ok || h == "Machine" {
			continue
		}
		body := prev[h]
		if !strings.Contains(body, "_Kept from") {
			head, rest, _ := strings.Cut(body, "\n")
			body = head + "\n\n_Kept from the run" + when + " (this run skipped the section)._\n" + rest
		}
		out += "\n" + body
	}
	return out
}
