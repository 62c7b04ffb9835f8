package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jingyun/jingyun/bench"
	"github.com/jingyun/jingyun/demo"
	"github.com/jingyun/jingyun/importer"
	"github.com/jingyun/jingyun/loader"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/query"
)

// Version is set at build time with -ldflags "-X github.com/jingyun/jingyun/app.Version=…".
var Version = "dev"

// usageError is a command-line mistake: the message and the verb's usage go to stderr and
// the exit code is 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// verb is one CLI command.
type verb struct {
	name    string
	summary string
	example string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func verbs() []verb {
	return []verb{
		{"serve", "run the server: collector, loader, query API", "jingyun serve --data ./data --addr 127.0.0.1:8080 --demo", runServe},
		{"demo", "create the demo shop project and fill it with events", "jingyun demo --data ./data --persons 20000 --days 60", runDemo},
		{"project create", "create a project; prints its id, write key and secret key as JSON", "jingyun project create 我的小店 --timezone Asia/Shanghai --currency CNY", runProjectCreate},
		{"project list", "list projects as JSON", "jingyun project list --data ./data", runProjectList},
		{"import", "import CSV or NDJSON events with a mapping file", "jingyun import --project 1 --mapping docs/examples/online_retail.json ../shared/datasets/online_retail_2010-12_to_2011-10.csv.gz", runImport},
		{"query", "run an analysis spec (trends, funnel, retention); prints the result as JSON", "jingyun query --project 1 spec.json    (or --server http://127.0.0.1:8080 --key sk_…)", runQuery},
		{"user create", "create a user (the first one owns every existing project); password on stdin", "printf '%s\\n' \"$PASSWORD\" | jingyun user create ops@example.com --password-stdin --owner-of 1", runUserCreate},
		{"user list", "list users and their project roles as JSON", "jingyun user list --data ./data", runUserList},
		{"person delete", "delete a person and all their data (PIPL/GDPR request)", "jingyun person delete --project 1 user-42", runPersonDelete},
		{"person show", "print a person's profile, orders and latest events as JSON", "jingyun person show --project 1 m100042    (or --server http://127.0.0.1:8080 --key sk_…)", runPersonShow},
		{"person search", "search persons by distinct id prefix or trait value; prints JSON", "jingyun person search --project 1 city=上海", runPersonSearch},
		{"person trends", "list the persons behind a point of a trends line; prints JSON", "jingyun person trends --project 1 --series A --time 2026-11-20 trends.json", runPersonTrends},
		{"person funnel", "list the persons who reached (or dropped before) a funnel step; prints JSON", "jingyun person funnel --project 1 --step 4 funnel.json", runPersonFunnel},
		{"person retention", "list the persons of a retention cohort (who returned in a period, or not); prints JSON", "jingyun person retention --project 1 --cohort 2026-11-02 --period 1 retention.json", runPersonRetention},
		{"definitions list", "list event names (volume, last seen, display name) or an event's property paths as JSON", "jingyun definitions list --project 1 --event \"Order Completed\"", runDefinitionsList},
		{"events tail", "print a running server's live event stream as NDJSON", "jingyun events tail --server http://127.0.0.1:8080 --key sk_… --project 1 --event \"Order Completed\"", runEventsTail},
		{"bench", "measure ingestion and analyses against ClickHouse; writes bench/RESULTS.md", "jingyun bench --out bench/RESULTS.md --sizes 1000000,10000000", runBench},
		{"version", "print the version", "jingyun version", func(ctx context.Context, env *cliEnv, args []string) error {
			fmt.Fprintln(env.stdout, Version)
			return nil
		}},
	}
}

// Main runs the command line and returns the process exit code: 0 ok, 1 failure, 2 usage.
func Main(args []string) int {
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, env, args)
}

func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, v := range verbs() {
		words := strings.Fields(v.name)
		if len(args) < len(words) || strings.Join(args[:len(words)], " ") != v.name {
			continue
		}
		err := v.run(ctx, env, args[len(words):])
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(env.stderr, "jingyun %s: %s\nRun 'jingyun %s --help' for usage.\n", v.name, ue.msg, v.name)
			return 2
		}
		fmt.Fprintf(env.stderr, "jingyun %s: %v\n", v.name, err)
		return 1
	}
	fmt.Fprintf(env.stderr, "jingyun: unknown command %q\n\n", strings.Join(args, " "))
	usage(env.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "jingyun (精运): self-hosted refined operations for social e-commerce.\n\nUsage: jingyun <command> [flags]\n\nCommands:")
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-16s %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w, "\nRun 'jingyun <command> --help' for a command's flags and an example.")
}

// flags is a verb's flag set with the common configuration flags.
type flags struct {
	*flag.FlagSet
	cfg        Config
	configFile string
	data, addr string
	store      string
	chURL      string
}

func newFlags(env *cliEnv, name, example string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), cfg: DefaultConfig()}
	f.SetOutput(env.stderr)
	f.StringVar(&f.configFile, "config", "", "JSON config file (flags override it, and the environment)")
	f.StringVar(&f.data, "data", "", "data directory (env JINGYUN_DATA, default ./data)")
	f.StringVar(&f.store, "store", "", "event store: duckdb or clickhouse (env JINGYUN_STORE)")
	f.StringVar(&f.chURL, "clickhouse-url", "", "ClickHouse HTTP URL with --store clickhouse (env JINGYUN_CLICKHOUSE_URL)")
	f.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage of jingyun %s:\n", name)
		f.PrintDefaults()
		fmt.Fprintf(env.stderr, "\nExample:\n  %s\n", example)
	}
	return f
}

// parse parses flags anywhere among the arguments and returns the positional ones, with
// the configuration resolved: defaults < file < environment < flags.
func (f *flags) parse(env *cliEnv, args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if f.configFile != "" {
		if err := f.cfg.LoadFile(f.configFile); err != nil {
			return nil, err
		}
	}
	if err := f.cfg.LoadEnv(env.getenv); err != nil {
		return nil, err
	}
	if f.data != "" {
		f.cfg.DataDir = f.data
	}
	if f.addr != "" {
		f.cfg.Addr = f.addr
	}
	if f.store != "" {
		f.cfg.Store = f.store
	}
	if f.chURL != "" {
		f.cfg.ClickHouse.URL = f.chURL
	}
	return pos, nil
}

func newLogger(env *cliEnv, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: l}))
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "serve", "jingyun serve --data ./data --addr 127.0.0.1:8080 --demo")
	f.StringVar(&f.addr, "addr", "", "listen address host:port (env JINGYUN_ADDR, default 127.0.0.1:8080)")
	withDemo := f.Bool("demo", false, "create and fill the demo shop if the data dir has no project yet")
	persons := f.Int("demo-persons", 0, "persons in the demo shop (default 40000, ≈1M events)")
	days := f.Int("demo-days", 0, "days of history in the demo shop (default 60)")
	noSync := f.Bool("unsafe-no-fsync", false, "skip fsync in the WAL (benchmarks only: acknowledged events may be lost)")
	if _, err := f.parse(env, args); err != nil {
		return err
	}
	if *withDemo {
		f.cfg.Demo.Enabled = true
	}
	if *persons > 0 {
		f.cfg.Demo.Persons = *persons
	}
	if *days > 0 {
		f.cfg.Demo.Days = *days
	}
	if *noSync {
		f.cfg.WAL.NoSync = true
	}
	log := newLogger(env, f.cfg.LogLevel)
	a, err := Open(ctx, f.cfg, log, true)
	if err != nil {
		return err
	}
	defer a.Close()
	if f.cfg.Demo.Enabled {
		ps, err := a.Meta.Projects(ctx)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			go func() {
				if _, err := a.CreateDemo(ctx, f.cfg.Demo, env.stderr); err != nil {
					log.Error("cannot create the demo shop", "err", err)
				}
			}()
		}
	}
	return a.Serve(ctx, nil)
}

// DemoResult is what `jingyun demo` prints.
type DemoResult struct {
	Project   *meta.Project `json:"project"`
	SecretKey string        `json:"secret_key"`
	Stats     demo.Stats    `json:"stats"`
	TookMs    int64         `json:"took_ms"`
}

// CreateDemo creates the demo shop project, saves its keys to demo-credentials.json in the
// data dir (mode 0600) and fills it through the loader, logging progress.
func (a *App) CreateDemo(ctx context.Context, dc DemoConfig, progress io.Writer) (*DemoResult, error) {
	p, sk, err := a.Meta.CreateProject(ctx, meta.NewProject{Name: "精运演示小店 Demo Shop", Timezone: "Asia/Shanghai", Currency: "CNY"})
	if err != nil {
		return nil, err
	}
	res := &DemoResult{Project: p, SecretKey: sk}
	cred, _ := json.MarshalIndent(map[string]any{"project_id": p.ID, "write_key": p.WriteKey, "secret_key": sk}, "", "  ")
	if err := os.WriteFile(filepath.Join(a.Cfg.DataDir, "demo-credentials.json"), cred, 0o600); err != nil {
		return nil, fmt.Errorf("cannot save demo credentials: %w", err)
	}
	a.Log.Info("demo shop created", "project", p.ID, "write_key", p.WriteKey, "secret_key", sk,
		"persons", dc.Persons, "days", dc.Days)
	start := time.Now()
	last := time.Now()
	// Generation and loading overlap: the next batch is built while DuckDB writes this one.
	pipe := loader.NewPipeline(ctx, a.Loader.Sink(), 1)
	stats, err := demo.Generate(ctx, demo.Options{ProjectID: p.ID, Seed: dc.Seed, Persons: dc.Persons, Days: dc.Days, BatchSize: 100_000,
		TZ: p.Location(), Progress: func(n int64) {
			if time.Since(last) > 2*time.Second {
				last = time.Now()
				a.Log.Info("loading demo shop", "events", n, "elapsed", time.Since(start).Round(time.Second))
			}
		}}, pipe)
	if cerr := pipe.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("cannot fill the demo shop: %w", err)
	}
	// The shop is generated person by person; stored in time order, time-range queries
	// read a fraction of it (store.Compactor).
	cstart := time.Now()
	if err := a.Loader.Compact(ctx); err != nil {
		return nil, err
	}
	res.Stats, res.TookMs = stats, time.Since(start).Milliseconds()
	a.Log.Info("demo shop loaded", "events", stats.Events, "took", time.Since(start).Round(time.Millisecond),
		"compact", time.Since(cstart).Round(time.Millisecond))
	return res, nil
}

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "demo", "jingyun demo --data ./data --persons 20000 --days 60 --seed 1")
	persons := f.Int("persons", 0, "persons (default 40000, ≈1M events over 60 days)")
	days := f.Int("days", 0, "days of history ending today (default 60)")
	seed := f.Int64("seed", 1, "random seed: the same seed and sizes give the same shop")
	if _, err := f.parse(env, args); err != nil {
		return err
	}
	dc := f.cfg.Demo
	if *persons > 0 {
		dc.Persons = *persons
	}
	if *days > 0 {
		dc.Days = *days
	}
	dc.Seed = *seed
	a, err := Open(ctx, f.cfg, newLogger(env, f.cfg.LogLevel), false)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.CreateDemo(ctx, dc, env.stderr)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, res)
}

func runProjectCreate(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "project create", "jingyun project create 我的小店 --timezone Asia/Shanghai --currency CNY")
	tz := f.String("timezone", "Asia/Shanghai", "IANA time zone of the project's calendar")
	cur := f.String("currency", "CNY", "ISO 4217 currency code")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"give exactly one project NAME"}
	}
	n := meta.NewProject{Name: pos[0], Timezone: *tz, Currency: *cur}
	if err := n.Validate(); err != nil {
		return &usageError{err.Error()}
	}
	m, err := openMeta(f.cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	p, sk, err := m.CreateProject(ctx, n)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, map[string]any{"id": p.ID, "name": p.Name, "timezone": p.Timezone, "currency": p.Currency,
		"write_key": p.WriteKey, "secret_key": sk})
}

func openMeta(cfg Config) (*meta.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create data dir %q: %w", cfg.DataDir, err)
	}
	return meta.Open(cfg.metaPath())
}

func runProjectList(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "project list", "jingyun project list --data ./data")
	if _, err := f.parse(env, args); err != nil {
		return err
	}
	m, err := openMeta(f.cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	ps, err := m.Projects(ctx)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []meta.Project{}
	}
	return printJSON(env.stdout, ps)
}

func projectFlag(f *flags) *uint {
	return f.Uint("project", 0, "project id")
}

func (f *flags) project(ctx context.Context, a *App, id *uint) (*meta.Project, error) {
	if *id == 0 {
		return nil, &usageError{"--project is required"}
	}
	p, err := a.Meta.Project(ctx, uint32(*id))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("cannot find project %d", *id)
	}
	return p, err
}

func runImport(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "import", "jingyun import --data ./data --project 1 --mapping docs/examples/online_retail.json ../shared/datasets/online_retail_2010-12_to_2011-10.csv.gz")
	pid := projectFlag(f)
	mapping := f.String("mapping", "", "mapping file (JSON; see docs/import.md)")
	skipBad := f.Bool("skip-bad", false, "import the good rows of a file with bad rows (default: import nothing and list the bad rows)")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if *mapping == "" || len(pos) == 0 {
		return &usageError{"give --mapping FILE and at least one input file"}
	}
	a, err := Open(ctx, f.cfg, newLogger(env, f.cfg.LogLevel), false)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := f.project(ctx, a, pid)
	if err != nil {
		return err
	}
	var reports []*importer.Report
	failed := false
	for _, path := range pos {
		start := time.Now()
		rep, err := importer.Run(ctx, importer.Options{Path: path, MappingPath: *mapping, ProjectID: p.ID, SkipBad: *skipBad,
			Progress: func(rows int) {}}, a.Loader.Sink())
		if rep != nil {
			reports = append(reports, rep)
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "jingyun import: %s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Fprintf(env.stderr, "imported %s in %s\n", path, time.Since(start).Round(time.Millisecond))
	}
	if len(reports) > 0 {
		// Files of history are often ordered by user, not time; stored in time order,
		// time-range queries read a fraction of them (store.Compactor).
		start := time.Now()
		if err := a.Loader.Compact(ctx); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "compacted the events in %s\n", time.Since(start).Round(time.Millisecond))
	}
	printJSON(env.stdout, reports)
	if failed {
		return errors.New("some files were not imported (see the report above)")
	}
	return nil
}

func runQuery(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "query", `jingyun query --project 1 funnel.json
  echo '{"kind":"retention","start_event":{"event":"Order Completed"},"return_event":{"event":"Order Completed"},"period":"week","periods":4,"first_time":true,"date_range":{"from":"-60d"}}' | jingyun query --server http://127.0.0.1:8080 --key sk_… --project 1 -`)
	pid := projectFlag(f)
	server := f.String("server", "", "ask a running server at this URL instead of opening the data dir (which a running server locks)")
	key := f.String("key", "", "the project's secret key, with --server (env JINGYUN_SECRET_KEY)")
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"give one spec file, or - for standard input"}
	}
	if *pid == 0 {
		return &usageError{"--project is required"}
	}
	body, err := readInput(env, pos[0])
	if err != nil {
		return fmt.Errorf("cannot read spec: %w", err)
	}
	if *server != "" {
		k, err := secretKey(env, *key, "--server needs --key (or JINGYUN_SECRET_KEY)")
		if err != nil {
			return err
		}
		return queryServer(ctx, env, *server, *pid, k, body)
	}
	spec, err := query.Decode(bytes.NewReader(body))
	if err != nil {
		return err
	}
	a, err := Open(ctx, f.cfg, newLogger(env, "warn"), false)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := f.project(ctx, a, pid)
	if err != nil {
		return err
	}
	res, err := a.RunQuery(ctx, p, spec)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, res)
}

func queryServer(ctx context.Context, env *cliEnv, server string, project uint, key string, body []byte) error {
	url := strings.TrimRight(server, "/") + "/api/v1/projects/" + strconv.FormatUint(uint64(project), 10) + "/query"
	out, err := cliCall(ctx, http.MethodPost, url, key, body)
	if err != nil {
		return err
	}
	var v struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("cannot decode answer: %w", err)
	}
	return printIndented(env.stdout, v.Result)
}

func runPersonDelete(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "person delete", "jingyun person delete --data ./data --project 1 user-42")
	pid := projectFlag(f)
	pos, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"give one distinct id (user id or anonymous id) of the person"}
	}
	a, err := Open(ctx, f.cfg, newLogger(env, "warn"), false)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := f.project(ctx, a, pid)
	if err != nil {
		return err
	}
	rep, ok, err := a.Loader.DeletePerson(ctx, p.ID, pos[0])
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cannot find a person with distinct id %q in project %d", pos[0], p.ID)
	}
	return printJSON(env.stdout, map[string]any{"deleted": rep})
}

func runBench(ctx context.Context, env *cliEnv, args []string) error {
	f := newFlags(env, "bench", "jingyun bench --out bench/RESULTS.md --sizes 1000000,10000000 --ingest-seconds 20")
	out := f.String("out", "bench/RESULTS.md", "the results file to write")
	sizes := f.String("sizes", "1000000,10000000", "demo sizes in events for the analyses, comma-separated")
	secs := f.Int("ingest-seconds", 20, "how long the ingestion load runs")
	clients := f.Int("clients", 8, "concurrent HTTP clients")
	batch := f.Int("batch", 500, "events per /v1/batch request")
	runs := f.Int("runs", 5, "timed runs per query (after one warm-up)")
	skip := f.String("skip", "", "sections to leave out: ingest, analyses, overview")
	if _, err := f.parse(env, args); err != nil {
		return err
	}
	o := bench.Options{IngestSeconds: *secs, IngestClients: *clients, BatchEvents: *batch, Runs: *runs,
		Log: newLogger(env, f.cfg.LogLevel)}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return &usageError{fmt.Sprintf("--sizes: %q is not a positive number of events", s)}
		}
		o.Sizes = append(o.Sizes, n)
	}
	if *skip != "" {
		o.Skip = strings.Split(*skip, ",")
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(*out), err)
	}
	var b strings.Builder
	if err := rep.WriteMarkdown(&b); err != nil {
		return fmt.Errorf("cannot write results: %w", err)
	}
	text := b.String()
	if old, err := os.ReadFile(*out); err == nil && len(o.Skip) > 0 {
		text = bench.MergeMarkdown(text, string(old)) // keep the sections this run skipped
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		return fmt.Errorf("cannot write results: %w", err)
	}
	_, err = io.WriteString(env.stdout, text)
	return err
}
