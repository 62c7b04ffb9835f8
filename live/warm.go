package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/store"
)

// Warm fills a project's ring from the event store with the latest events (by received
// time) whose event time is within Config.MaxAge, once per project and process, so that the first subscriber after a restart sees
// recent events too. It does nothing when the hub already received events of the project
// (its ring is current) or was warmed before; concurrent calls for one project read the
// store once. Persons are as they are now, merges applied (through person_overrides, as
// the summary and the analyses read them); traits are not in the store's events table, so
// warmed identify events have none.
func (h *Hub) Warm(ctx context.Context, st store.EventStore, projectID uint32) error {
	h.mu.Lock()
	p := h.projects[projectID]
	if h.closed || h.warmed[projectID] || (p != nil && p.seq > 0) {
		h.mu.Unlock()
		return nil
	}
	h.warmed[projectID] = true
	h.mu.Unlock()

	var rows []store.Row
	d := dialectOf(st.Name())
	err := st.Query(ctx, fmt.Sprintf(`SELECT event_id, type, event, ts, received_at, %s AS person, anonymous_id, user_id, properties, context
FROM (
  SELECT event_id, type, event, ts, received_at, person_id, anonymous_id, user_id, properties, context
  FROM events
  WHERE project_id = ? AND ts >= ?
  ORDER BY received_at DESC, ts DESC, event_id DESC
  LIMIT %d
) AS s1
%s (
  SELECT old_person_id AS person_id, %s AS override_person_id
  FROM person_overrides
  WHERE project_id = ?%s
) AS s2 USING (person_id)
ORDER BY received_at DESC, ts DESC, event_id DESC`, d.personOf, h.cfg.Ring, d.join, d.override, d.groupBy),
		[]any{int64(projectID), h.cutoff(), int64(projectID)}, func(row []any) error {
			var r store.Row
			r.ProjectID = projectID
			r.ID, _ = row[0].(string)
			t, _ := row[1].(string)
			r.Type = event.Type(t)
			r.Name, _ = row[2].(string)
			var errs [3]error
			r.Time, errs[0] = store.Int64(row[3])
			r.ReceivedAt, errs[1] = store.Int64(row[4])
			r.PersonID, errs[2] = store.Int64(row[5])
			if err := firstErr(errs[:]...); err != nil {
				return err
			}
			r.AnonymousID, _ = row[6].(string)
			r.UserID, _ = row[7].(string)
			props, _ := row[8].(string)
			cx, _ := row[9].(string)
			r.Properties, r.Context = json.RawMessage(props), json.RawMessage(cx)
			rows = append(rows, r)
			return nil
		})
	if err != nil {
		h.mu.Lock()
		delete(h.warmed, projectID)
		h.mu.Unlock()
		return fmt.Errorf("cannot read the latest events: %w", err)
	}
	slices.Reverse(rows) // oldest first, as they were loaded
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	p = h.projects[projectID]
	if p == nil {
		p = &project{subs: map[*Subscription]struct{}{}}
		h.projects[projectID] = p
	}
	if p.seq > 0 {
		return nil // events arrived meanwhile: the ring is current
	}
	for i := range rows {
		p.ring = append(p.ring, newEvent(&rows[i], uint64(i+1)))
	}
	p.seq = uint64(len(rows))
	return nil
}
