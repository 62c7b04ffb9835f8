package clickhouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jingyun/jingyun/store"
)

// Apply writes a batch: identities, overrides, person profiles, events and finally the
// checkpoint. Repeating a batch, whole or after a failure part way, stores each event once
// and leaves the same profiles (see "Idempotent Apply" in the package comment). A batch
// without a stream (bulk writers: import, demo) has no position to record: it is written
// without the repeat check, as on DuckDB.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	if b == nil {
		return errors.New("cannot apply batch: nil batch")
	}
	for i := range b.Events {
		if b.Events[i].ID == "" {
			return fmt.Errorf("cannot apply batch: event %d has no id", i)
		}
	}
	if len(b.Identities) > 0 {
		if err := s.insertIdentities(ctx, b.Identities); err != nil {
			return fmt.Errorf("cannot apply batch: cannot insert identities: %w", err)
		}
	}
	if len(b.Overrides) > 0 {
		if err := s.insertOverrides(ctx, b.Overrides); err != nil {
			return fmt.Errorf("cannot apply batch: cannot insert overrides: %w", err)
		}
	}
	if len(b.Persons) > 0 || len(b.Overrides) > 0 {
		if err := s.applyPersons(ctx, b.Persons, b.Overrides); err != nil {
			return fmt.Errorf("cannot apply batch: cannot update persons: %w", err)
		}
	}
	if len(b.Events) > 0 && b.Stream == "" {
		if err := s.insertEvents(ctx, b.Events, false); err != nil {
			return fmt.Errorf("cannot apply batch: cannot insert events: %w", err)
		}
		return nil
	}
	if len(b.Events) > 0 {
		replay, err := s.mayBeReplay(ctx, b.Stream, b.Position)
		if err != nil {
			return fmt.Errorf("cannot apply batch: %w", err)
		}
		// The attempt is recorded before the first event is sent, so an Apply that dies
		// while inserting always leaves the mark that makes its repetition look up ids.
		if err := s.writePosition(ctx, "loader_attempts", b.Stream, b.Position); err != nil {
			return fmt.Errorf("cannot apply batch: cannot record attempt: %w", err)
		}
		if err := s.insertEvents(ctx, b.Events, replay); err != nil {
			return fmt.Errorf("cannot apply batch: cannot insert events: %w", err)
		}
	}
	if b.Stream == "" {
		return nil
	}
	if err := s.writePosition(ctx, "loader_checkpoint", b.Stream, b.Position); err != nil {
		return fmt.Errorf("cannot apply batch: cannot write checkpoint: %w", err)
	}
	return nil
}

// writePosition records a WAL position of a stream in loader_checkpoint or loader_attempts.
func (s *Store) writePosition(ctx context.Context, table, stream string, p store.Position) error {
	v := s.nextVersion()
	return s.c.insert(ctx, table, "stream, segment, offset, version", func(w *rowBinaryWriter) error {
		w.String(stream)
		w.Int64(p.Segment)
		w.Int64(p.Offset)
		w.UInt64(v)
		return w.Err()
	})
}

// mayBeReplay reports whether some events of a batch at position p of stream may already
// be stored: when the checkpoint is at or after p (the batch, or a later one, was applied)
// or when an attempt was recorded after the checkpoint (an Apply did not finish).
func (s *Store) mayBeReplay(ctx context.Context, stream string, p store.Position) (bool, error) {
	const sql = `SELECT 'checkpoint', argMax(segment, version), argMax(offset, version), count() FROM loader_checkpoint WHERE stream = ?
UNION ALL
SELECT 'attempt', argMax(segment, version), argMax(offset, version), count() FROM loader_attempts WHERE stream = ?`
	var cp, att store.Position
	var haveCP, haveAtt bool
	err := s.queryBound(ctx, sql, []any{stream, stream}, func(row []any) error {
		pos := store.Position{Segment: row[1].(int64), Offset: row[2].(int64)}
		found := row[3].(int64) > 0
		if row[0].(string) == "checkpoint" {
			cp, haveCP = pos, found
		} else {
			att, haveAtt = pos, found
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("cannot read loader positions: %w", err)
	}
	if haveCP && !cp.Less(p) {
		return true, nil
	}
	if haveAtt && (!haveCP || cp.Less(att)) {
		return true, nil
	}
	return false, nil
}

func (s *Store) insertIdentities(ctx context.Context, ids []store.Identity) error {
	return s.c.insert(ctx, "person_identities", "project_id, distinct_id, person_id, is_user, version", func(w *rowBinaryWriter) error {
		for _, id := range ids {
			w.UInt32(id.ProjectID)
			w.String(id.DistinctID)
			w.Int64(id.PersonID)
			var u uint8
			if id.IsUser {
				u = 1
			}
			w.UInt8(u)
			// One version per row: a later fact about the same distinct id in the same
			// batch must win.
			w.UInt64(s.nextVersion())
		}
		return w.Err()
	})
}

func (s *Store) insertOverrides(ctx context.Context, os []store.Override) error {
	for _, o := range os {
		if o.OldPersonID == o.NewPersonID {
			return fmt.Errorf("override of person %d into itself", o.OldPersonID)
		}
	}
	return s.c.insert(ctx, "person_overrides", "project_id, old_person_id, new_person_id, version", func(w *rowBinaryWriter) error {
		for _, o := range os {
			w.UInt32(o.ProjectID)
			w.Int64(o.OldPersonID)
			w.Int64(o.NewPersonID)
			w.UInt64(s.nextVersion())
		}
		return w.Err()
	})
}

// personKey identifies a person across projects.
type personKey struct {
	project uint32
	person  int64
}

// personState is a person's profile while a batch is applied.
type personState struct {
	createdAt int64
	traits    map[string]json.RawMessage
	stored    bool // a row exists in the table
	dirty     bool // must be written
}

// applyPersons reads the current profiles of the persons the batch touches, applies the
// trait updates in order and then the merges in order, and writes a new version of every
// changed profile. Merges copy the old person's traits into the new person where the new
// one has no value (the new person wins) and keep the earlier created_at.
func (s *Store) applyPersons(ctx context.Context, updates []store.PersonUpdate, merges []store.Override) error {
	keys := map[personKey]bool{}
	for _, u := range updates {
		keys[personKey{u.ProjectID, u.PersonID}] = true
	}
	for _, o := range merges {
		keys[personKey{o.ProjectID, o.OldPersonID}] = true
		keys[personKey{o.ProjectID, o.NewPersonID}] = true
	}
	state, err := s.loadPersons(ctx, keys)
	if err != nil {
		return err
	}
	get := func(k personKey, createdAt int64) *personState {
		p := state[k]
		if p == nil {
			p = &personState{createdAt: createdAt, traits: map[string]json.RawMessage{}}
			state[k] = p
		}
		return p
	}
	for _, u := range updates {
		p := get(personKey{u.ProjectID, u.PersonID}, u.CreatedAt)
		if !p.stored && p.createdAt == 0 {
			p.createdAt = u.CreatedAt
		}
		for k, v := range u.Set {
			p.traits[k] = v
		}
		for k, v := range u.SetOnce {
			if _, ok := p.traits[k]; !ok {
				p.traits[k] = v
			}
		}
		for _, k := range u.Unset {
			delete(p.traits, k)
		}
		p.dirty = true
	}
	for _, o := range merges {
		old := state[personKey{o.ProjectID, o.OldPersonID}]
		if old == nil {
			continue
		}
		p := get(personKey{o.ProjectID, o.NewPersonID}, old.createdAt)
		for k, v := range old.traits {
			if _, ok := p.traits[k]; !ok {
				p.traits[k] = v
			}
		}
		if old.createdAt != 0 && (p.createdAt == 0 || old.createdAt < p.createdAt) {
			p.createdAt = old.createdAt
		}
		p.dirty = true
	}
	type row struct {
		k     personKey
		p     *personState
		props []byte
	}
	var rows []row
	for k, p := range state {
		if !p.dirty {
			continue
		}
		props, err := json.Marshal(p.traits)
		if err != nil {
			return fmt.Errorf("cannot encode traits of person %d: %w", k.person, err)
		}
		rows = append(rows, row{k, p, props})
	}
	if len(rows) == 0 {
		return nil
	}
	return s.c.insert(ctx, "persons", "project_id, person_id, created_at, properties, version", func(w *rowBinaryWriter) error {
		for _, r := range rows {
			w.UInt32(r.k.project)
			w.Int64(r.k.person)
			w.Int64(r.p.createdAt)
			w.Bytes(r.props)
			w.UInt64(s.nextVersion())
		}
		return w.Err()
	})
}

// loadPersons reads the latest stored profile of each key. The keys travel as external
// data, so a batch touching many persons does not make a huge SQL text.
func (s *Store) loadPersons(ctx context.Context, keys map[personKey]bool) (map[personKey]*personState, error) {
	state := make(map[personKey]*personState, len(keys))
	if len(keys) == 0 {
		return state, nil
	}
	const sql = `SELECT project_id, person_id, argMax(created_at, version), argMax(properties, version)
FROM persons
WHERE project_id IN (SELECT project_id FROM batch_persons)
  AND (project_id, person_id) IN (SELECT project_id, person_id FROM batch_persons)
GROUP BY project_id, person_id`
	ext := []externalTable{{
		Name:      "batch_persons",
		Structure: "project_id UInt32, person_id Int64",
		Write: func(w *rowBinaryWriter) error {
			for k := range keys {
				w.UInt32(k.project)
				w.Int64(k.person)
			}
			return w.Err()
		},
	}}
	err := s.queryTSV(ctx, sql, nil, ext, func(row []any) error {
		k := personKey{uint32(row[0].(int64)), row[1].(int64)}
		p := &personState{createdAt: row[2].(int64), traits: map[string]json.RawMessage{}, stored: true}
		if props := row[3].(string); props != "" {
			if err := json.Unmarshal([]byte(props), &p.traits); err != nil {
				return fmt.Errorf("cannot decode traits of person %d: %w", k.person, err)
			}
			if p.traits == nil { // the stored JSON was null
				p.traits = map[string]json.RawMessage{}
			}
		}
		state[k] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read persons: %w", err)
	}
	return state, nil
}

// eventKey identifies an event across projects.
type eventKey struct {
	project uint32
	id      string
}

// insertEvents inserts the events of a batch, keeping the first of duplicates within the
// batch. With lookup, events already stored are skipped.
func (s *Store) insertEvents(ctx context.Context, rows []store.Row, lookup bool) error {
	seen := make(map[eventKey]bool, len(rows))
	keep := make([]int, 0, len(rows))
	for i := range rows {
		k := eventKey{rows[i].ProjectID, rows[i].ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		keep = append(keep, i)
	}
	if lookup {
		existing, err := s.existingEvents(ctx, rows, keep)
		if err != nil {
			return err
		}
		kept := keep[:0]
		for _, i := range keep {
			if !existing[eventKey{rows[i].ProjectID, rows[i].ID}] {
				kept = append(kept, i)
			}
		}
		keep = kept
	}
	if len(keep) == 0 {
		return nil
	}
	const cols = "project_id, event_id, type, event, ts, received_at, person_id, distinct_id, anonymous_id, user_id, properties, context"
	return s.c.insert(ctx, "events", cols, func(w *rowBinaryWriter) error {
		for _, i := range keep {
			r := &rows[i]
			w.UInt32(r.ProjectID)
			w.String(r.ID)
			w.String(string(r.Type))
			w.String(r.Name)
			w.Int64(r.Time)
			w.Int64(r.ReceivedAt)
			w.Int64(r.PersonID)
			w.String(r.DistinctID())
			w.String(r.AnonymousID)
			w.String(r.UserID)
			w.Bytes(jsonObject(r.Properties))
			w.Bytes(jsonObject(r.Context))
			if w.Err() != nil {
				return w.Err()
			}
		}
		return w.Err()
	})
}

var emptyObject = []byte("{}")

// jsonObject returns raw, or "{}" for an empty value, as the schema wants.
func jsonObject(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return emptyObject
	}
	return raw
}

// existingEvents returns which of the events rows[keep] are already stored. The lookup is
// limited to the batch's projects and ts range (partitions by month prune the rest) but
// not to its persons: a repeated batch may resolve an event to another person than the
// first attempt did (a merge applied in between), and it must still be found. It reads the
// event_id column of the batch's months, which is why it runs only for possible replays.
func (s *Store) existingEvents(ctx context.Context, rows []store.Row, keep []int) (map[eventKey]bool, error) {
	if len(keep) == 0 {
		return nil, nil
	}
	minTS, maxTS := rows[keep[0]].Time, rows[keep[0]].Time
	for _, i := range keep {
		minTS = min(minTS, rows[i].Time)
		maxTS = max(maxTS, rows[i].Time)
	}
	sql := `SELECT project_id, event_id FROM events
WHERE ts >= ` + strconv.FormatInt(minTS, 10) + ` AND ts <= ` + strconv.FormatInt(maxTS, 10) + `
  AND project_id IN (SELECT project_id FROM batch_events)
  AND (project_id, event_id) IN (SELECT project_id, event_id FROM batch_events)`
	ext := []externalTable{{
		Name:      "batch_events",
		Structure: "project_id UInt32, event_id String",
		Write: func(w *rowBinaryWriter) error {
			for _, i := range keep {
				w.UInt32(rows[i].ProjectID)
				w.String(rows[i].ID)
			}
			return w.Err()
		},
	}}
	existing := map[eventKey]bool{}
	err := s.queryTSV(ctx, sql, nil, ext, func(row []any) error {
		existing[eventKey{uint32(row[0].(int64)), row[1].(string)}] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot look up stored event ids: %w", err)
	}
	return existing, nil
}
