package persons

import (
	"context"
	"fmt"
)

// MaxSummaries is the most persons Summaries reads at once.
const MaxSummaries = 500

// Summaries returns the summaries of current persons by id (as analyses give them: after
// merges), in the order of ids, with the identifiers and events of the persons merged into
// each. An id of a person without identifiers, traits or events (deleted since) gives a
// summary with only PersonID and DistinctID "person:<id>" set.
func (r *Reader) Summaries(ctx context.Context, project uint32, ids []int64) ([]Summary, error) {
	if len(ids) > MaxSummaries {
		return nil, fmt.Errorf("cannot read person summaries: %d ids, at most %d", len(ids), MaxSummaries)
	}
	out := make([]Summary, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	merged, err := r.merged(ctx, project, ids)
	if err != nil {
		return nil, fmt.Errorf("cannot read person summaries: %w", err)
	}
	ps := make([]person, len(ids))
	for i, id := range ids {
		ps[i] = person{id: id, olds: merged[id]}
	}
	d, err := r.details(ctx, project, ps)
	if err != nil {
		return nil, fmt.Errorf("cannot read person summaries: %w", err)
	}
	for _, p := range ps {
		out = append(out, summarise(p.id, d.identities[p.id], d.profiles[p.id], d))
	}
	return out, nil
}
