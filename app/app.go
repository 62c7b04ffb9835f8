package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/importjob"
	"github.com/jingyun/jingyun/ingest"
	"github.com/jingyun/jingyun/live"
	"github.com/jingyun/jingyun/loader"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/resultcache"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/wal"
)

// App is a running Jingyun: stores, WAL, loader, collector and HTTP API. Open starts the
// parts in order; Close stops them in reverse order.
type App struct {
	Cfg       Config
	Log       *slog.Logger
	Meta      *meta.Store
	Events    store.EventStore
	WAL       *wal.WAL
	Loader    *loader.Loader
	Collector *ingest.Collector
	// Live fans every batch the loader writes out to the live event streams.
	Live *live.Hub
	// Results caches analysis results per data generation (see QueryCached).
	Results *resultcache.Cache

	// imports runs the imports uploaded over HTTP; the first Handler starts it.
	imports *importjob.Runner

	closers []closer
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	loadErr chan error
}

type closer struct {
	name string
	fn   func() error
}

// Open validates cfg and opens every part, logging each step. With withWAL false (offline
// verbs such as import and query) the WAL, loader goroutine and collector are not started.
func Open(ctx context.Context, cfg Config, log *slog.Logger, withWAL bool) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	a := &App{Cfg: cfg, Log: log, loadErr: make(chan error, 1), Results: resultcache.New(resultcache.Options{
		MaxEntries: cfg.Cache.MaxEntries, MaxBytes: cfg.Cache.MaxBytes, MaxAge: time.Duration(cfg.Cache.MaxAgeSeconds) * time.Second})}
	step := func(name string, fn func() error) error {
		start := time.Now()
		if err := fn(); err != nil {
			return err
		}
		log.Info("started", "part", name, "took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	fail := func(err error) (*App, error) {
		a.Close()
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create data dir %q: %w", cfg.DataDir, err)
	}
	if err := step("metadata store", func() error {
		m, err := meta.Open(cfg.metaPath())
		if err != nil {
			return err
		}
		a.Meta = m
		a.closers = append(a.closers, closer{"metadata store", m.Close})
		return nil
	}); err != nil {
		return fail(err)
	}
	if err := step("event store ("+cfg.Store+")", func() error {
		st, err := openEventStore(ctx, &cfg)
		if err != nil {
			return err
		}
		a.Events = st
		a.closers = append(a.closers, closer{"event store", st.Close})
		return nil
	}); err != nil {
		return fail(err)
	}
	if withWAL {
		if err := step("wal", func() error {
			w, err := wal.Open(wal.Options{Dir: cfg.walDir(), SegmentSize: cfg.WAL.SegmentBytes, NoSync: cfg.WAL.NoSync})
			if err != nil {
				return err
			}
			if r, ok := w.Repair(); ok {
				log.Warn("repaired torn wal tail", "repair", r.String())
			}
			a.WAL = w
			a.closers = append(a.closers, closer{"wal", w.Close})
			return nil
		}); err != nil {
			return fail(err)
		}
	}
	if err := step("loader", func() error {
		l, err := loader.New(ctx, a.Events, loader.Config{}, log)
		if err != nil {
			return err
		}
		a.Loader = l
		// The hub closes after the loader stops (closers run in reverse), ending the streams.
		a.Live = live.New(live.Config{})
		l.Observe(a.Live.Publish)
		a.closers = append(a.closers, closer{"live hub", a.Live.Close})
		return nil
	}); err != nil {
		return fail(err)
	}
	if withWAL {
		lctx, cancel := context.WithCancel(context.Background())
		a.cancel = cancel
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.Loader.RunWAL(lctx, a.WAL); err != nil {
				log.Error("loader stopped", "err", err)
				a.loadErr <- err
			}
		}()
		// The loader must stop (and apply what it read) before the WAL and stores close.
		a.closers = append(a.closers, closer{"loader", func() error { cancel(); a.wg.Wait(); return nil }})
		a.Collector = ingest.New(ingest.Config{Limits: cfg.Ingest.Limits, RateLimit: cfg.Ingest.RateLimit, Backpressure: a.backpressure},
			a.Meta, a.WAL, log)
	}
	return a, nil
}

// backpressure refuses new events while the loader is far behind the WAL.
func (a *App) backpressure() *apierr.Error {
	if a.Cfg.WAL.MaxBacklogBytes > 0 && a.WAL.Stats().DiskBytes > a.Cfg.WAL.MaxBacklogBytes {
		return &apierr.Error{Status: http.StatusServiceUnavailable, Code: "overloaded", RetryAfter: 5,
			Message: "the loader is behind; retry later"}
	}
	return nil
}

// Close stops every part in reverse order of start and logs how long each took.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		c := a.closers[i]
		start := time.Now()
		if err := c.fn(); err != nil {
			errs = append(errs, fmt.Errorf("cannot stop %s: %w", c.name, err))
		}
		a.Log.Info("stopped", "part", c.name, "took", time.Since(start).Round(time.Millisecond))
	}
	a.closers = nil
	return errors.Join(errs...)
}

// Serve runs the HTTP server until ctx ends or the loader fails, then shuts it down
// gracefully (in-flight requests finish, so acknowledged events are all in the WAL).
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", a.Cfg.Addr, err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	// Live streams never finish on their own: end them when the server shuts down.
	srv.RegisterOnShutdown(func() { a.Live.Close() })
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("serving", "url", "http://"+ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("cannot serve http: %w", err)
	case err := <-a.loadErr:
		srv.Close()
		return err
	}
	start := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	a.Log.Info("stopped", "part", "http", "took", time.Since(start).Round(time.Millisecond))
	return err
}
