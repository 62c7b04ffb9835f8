package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/meta"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/resultcache"
)

// Answer is an analysis result as the query and insight endpoints send it.
type Answer struct {
	// Result is the analysis.Result as JSON.
	Result json.RawMessage `json:"result"`
	// ComputedAt is when the result was computed (RFC 3339, UTC): earlier than now when
	// it came from the cache.
	ComputedAt string `json:"computed_at"`
	// Cached reports whether the result came from the cache.
	Cached bool `json:"cached"`
	// TookMs is how long this request took; ComputeMs how long the computation took.
	TookMs    int64 `json:"took_ms"`
	ComputeMs int64 `json:"compute_ms"`
}

// QueryCached runs a validated spec for a project through the result cache: a result
// computed at the project's current data generation, for the same range in the project's
// calendar, is served again; refresh computes anew. Spec errors are *query.Error.
func (a *App) QueryCached(ctx context.Context, p *meta.Project, spec *query.Spec, refresh bool) (*Answer, error) {
	start := time.Now()
	key, err := resultcache.KeyFor(p.ID, query.Calendar{TZ: p.Location()}, spec, start)
	if err != nil {
		return nil, err
	}
	// Read the generation before computing: data written meanwhile makes the entry stale.
	gen := a.Loader.Generation(p.ID)
	e, cached, err := a.Results.Do(ctx, key, gen, refresh, func(ctx context.Context) (json.RawMessage, error) {
		res, err := a.RunQuery(ctx, p, spec)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("cannot encode result: %w", err)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return &Answer{Result: e.Value, ComputedAt: e.ComputedAt.UTC().Format(time.RFC3339), Cached: cached,
		TookMs: time.Since(start).Milliseconds(), ComputeMs: e.Took.Milliseconds()}, nil
}

// refreshParam reads the optional ?refresh= of a request: 1/true forces recomputation.
func refreshParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("refresh"); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, apierr.Field("invalid_value", "refresh", fmt.Sprintf("must be 1 or 0, not %q", v))
	}
}
