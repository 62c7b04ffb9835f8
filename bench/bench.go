// Package bench measures Jingyun against its bars and its peers in one run and writes
// bench/RESULTS.md: HTTP ingestion with the durability guarantee on (a real `jingyun serve`
// process, fsync on), and the 4-step funnel and weekly retention over demo shops of 1M and
// 10M events on DuckDB, on ClickHouse 18.16 loaded with the same events, and ClickHouse's own
// windowFunnel and retention functions as the peer; and the server time of the console's
// overview page on the default demo shop, DuckDB against the ClickHouse store. It owns no domain logic: it drives the
// packages and processes the product ships.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Options configure a run. Zero values take the defaults.
type Options struct {
	// Binary is the jingyun executable to start for the ingestion test (default: this one).
	Binary string
	// Sizes are the demo sizes, in events, for the analyses (default 1M and 10M).
	Sizes []int
	// IngestSeconds is how long the ingestion load runs (default 20).
	IngestSeconds int
	// IngestClients is the number of concurrent HTTP clients (default 8).
	IngestClients int
	// BatchEvents is the events per /v1/batch request (default 500).
	BatchEvents int
	// Runs is how many timed runs each query gets after one warm-up; the best is reported
	// together with the median (default 5).
	Runs int
	// ClickHouseServer is the clickhouse-server binary ("" finds the Debian package's).
	ClickHouseServer string
	// Skip names sections to leave out: "ingest", "analyses", "overview".
	Skip []string
	Log  *slog.Logger
}

func (o *Options) defaults() {
	if o.Binary == "" {
		o.Binary, _ = os.Executable()
	}
	if len(o.Sizes) == 0 {
		o.Sizes = []int{1_000_000, 10_000_000}
	}
	if o.IngestSeconds <= 0 {
		o.IngestSeconds = 20
	}
	if o.IngestClients <= 0 {
		o.IngestClients = 8
	}
	if o.BatchEvents <= 0 {
		o.BatchEvents = 500
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

func (o *Options) skip(section string) bool {
	for _, s := range o.Skip {
		if s == section {
			return true
		}
	}
	return false
}

// Report is everything a run measured.
type Report struct {
	Started  time.Time
	Machine  Machine
	Ingest   *IngestResult
	Analyses []AnalysisResult
	Overview *OverviewResult
	Command  string
}

// Run measures every section and returns the report; a failing section stops the run.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	r := &Report{Started: time.Now().UTC(), Machine: describeMachine(), Command: strings.Join(os.Args, " ")}
	if !o.skip("ingest") {
		o.Log.Info("bench: ingestion over HTTP", "seconds", o.IngestSeconds, "clients", o.IngestClients, "batch", o.BatchEvents)
		res, err := benchIngest(ctx, &o)
		if err != nil {
			return nil, err
		}
		r.Ingest = res
	}
	if !o.skip("analyses") {
		for _, n := range o.Sizes {
			o.Log.Info("bench: analyses", "events", n)
			res, err := benchAnalyses(ctx, &o, n)
			if err != nil {
				return nil, err
			}
			r.Analyses = append(r.Analyses, *res)
		}
	}
	if !o.skip("overview") {
		o.Log.Info("bench: the console's overview on the default demo shop")
		res, err := benchOverview(ctx, &o)
		if err != nil {
			return nil, err
		}
		r.Overview = res
	}
	return r, nil
}

// Machine describes where a run happened.
type Machine struct {
	CPU, Kernel, Go, OS string
	Cores               int
	MemoryGiB           float64
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.CPU = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%f", &kb)
		m.MemoryGiB = kb / (1 << 20)
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	return m
}
