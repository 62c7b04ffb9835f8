package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/jingyun/jingyun/store"
)

// DeletePerson removes the events, identities, overrides and profile of a person and of the
// persons merged into it, in one project, and waits until ClickHouse has finished the
// deletions. The report counts what existed before: events, distinct ids whose current
// mapping was one of the persons, persons with a profile, and merges into or of them.
// Identity and override rows that once pointed at the persons but were superseded are
// removed too, without being counted, so no trace links an id to a deleted person.
//
// Events of the person inserted by a concurrent Apply may survive; the loader must stop
// routing events to a person before deleting it.
func (s *Store) DeletePerson(ctx context.Context, project uint32, person int64) (store.DeleteReport, error) {
	var rep store.DeleteReport
	fail := func(err error) (store.DeleteReport, error) {
		return store.DeleteReport{}, fmt.Errorf("cannot delete person %d of project %d: %w", person, project, err)
	}

	// The persons merged into person: old ids whose latest override points at it. The
	// candidates are old ids with any row pointing at it; argMax over all their rows then
	// drops those whose latest override points elsewhere.
	persons := []int64{person}
	err := s.queryBound(ctx, `SELECT old_person_id FROM (
    SELECT old_person_id, argMax(new_person_id, version) AS np
    FROM person_overrides
    WHERE project_id = ? AND old_person_id IN (
        SELECT old_person_id FROM person_overrides WHERE project_id = ? AND new_person_id = ?)
    GROUP BY old_person_id
) WHERE np = ?`, []any{project, project, person, person}, func(row []any) error {
		persons = append(persons, row[0].(int64))
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("cannot read merged persons: %w", err))
	}

	err = s.queryBound(ctx, "SELECT count() FROM events WHERE project_id = ? AND person_id IN (SELECT arrayJoin(?))",
		[]any{project, persons}, func(row []any) error {
			rep.Events = row[0].(int64)
			return nil
		})
	if err != nil {
		return fail(fmt.Errorf("cannot count events: %w", err))
	}
	err = s.queryBound(ctx, "SELECT uniqExact(person_id) FROM persons WHERE project_id = ? AND person_id IN (SELECT arrayJoin(?))",
		[]any{project, persons}, func(row []any) error {
			rep.Persons = row[0].(int64)
			return nil
		})
	if err != nil {
		return fail(fmt.Errorf("cannot count persons: %w", err))
	}
	var distinctIDs []string
	err = s.queryBound(ctx, `SELECT distinct_id FROM (
    SELECT distinct_id, argMax(person_id, version) AS pid FROM person_identities
    WHERE project_id = ? AND distinct_id IN (
        SELECT distinct_id FROM person_identities WHERE project_id = ? AND person_id IN (SELECT arrayJoin(?)))
    GROUP BY distinct_id
) WHERE pid IN (SELECT arrayJoin(?))`, []any{project, project, persons, persons}, func(row []any) error {
		distinctIDs = append(distinctIDs, row[0].(string))
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("cannot read identities: %w", err))
	}
	rep.Identities = int64(len(distinctIDs))
	var identityRows, overrideRows int64
	err = s.queryBound(ctx, "SELECT count() FROM person_identities WHERE project_id = ? AND person_id IN (SELECT arrayJoin(?))",
		[]any{project, persons}, func(row []any) error {
			identityRows = row[0].(int64)
			return nil
		})
	if err != nil {
		return fail(fmt.Errorf("cannot count identities: %w", err))
	}
	err = s.queryBound(ctx, `SELECT uniqExactIf(old_person_id, old_person_id IN (SELECT arrayJoin(?))), count()
FROM person_overrides
WHERE project_id = ? AND (old_person_id IN (SELECT arrayJoin(?)) OR new_person_id IN (SELECT arrayJoin(?)))`,
		[]any{persons, project, persons, persons}, func(row []any) error {
			rep.Overrides, overrideRows = row[0].(int64), row[1].(int64)
			return nil
		})
	if err != nil {
		return fail(fmt.Errorf("cannot count overrides: %w", err))
	}

	rows := map[string]int64{
		"events":            rep.Events,
		"persons":           rep.Persons,
		"person_identities": rep.Identities + identityRows,
		"person_overrides":  overrideRows,
	}
	stmts, err := deleteStatements(project, persons, distinctIDs)
	if err != nil {
		return fail(err)
	}
	var tables []string
	for _, st := range stmts {
		if rows[st.table] == 0 {
			continue
		}
		if err := s.c.exec(ctx, st.sql, nil); err != nil {
			return fail(fmt.Errorf("cannot delete from %s: %w", st.table, err))
		}
		tables = append(tables, st.table)
	}
	if err := s.waitMutations(ctx, tables); err != nil {
		return fail(err)
	}
	return rep, nil
}

// deleteStatement is one ALTER TABLE … DELETE of DeletePerson.
type deleteStatement struct {
	table string
	sql   string
}

// deleteStatements returns the mutations that delete persons (a person and those merged
// into it) and the distinct ids currently mapped to them from every table of a project.
// The sets are bound as arrays and tested with has(): 18.16 does not evaluate an IN
// subquery in a mutation (the mutation completes and deletes nothing), and a mutation
// reads whole parts anyway, so an index would not help.
func deleteStatements(project uint32, persons []int64, distinctIDs []string) ([]deleteStatement, error) {
	specs := []struct {
		table, where string
		args         []any
	}{
		{"events", "project_id = ? AND has(?, person_id)", []any{project, persons}},
		{"persons", "project_id = ? AND has(?, person_id)", []any{project, persons}},
		{"person_identities", "project_id = ? AND (has(?, person_id) OR has(?, distinct_id))", []any{project, persons, distinctIDs}},
		{"person_overrides", "project_id = ? AND (has(?, old_person_id) OR has(?, new_person_id))", []any{project, persons, persons}},
	}
	out := make([]deleteStatement, 0, len(specs))
	for _, sp := range specs {
		where, err := Bind(sp.where, sp.args)
		if err != nil {
			return nil, fmt.Errorf("cannot bind deletion from %s: %w", sp.table, err)
		}
		out = append(out, deleteStatement{sp.table, "ALTER TABLE " + sp.table + " DELETE WHERE " + where})
	}
	return out, nil
}

// queryBound binds args into sql and runs it as an internal read.
func (s *Store) queryBound(ctx context.Context, sql string, args []any, fn func(row []any) error) error {
	bound, err := Bind(sql, args)
	if err != nil {
		return err
	}
	return s.queryTSV(ctx, bound, nil, nil, fn)
}

// waitMutations polls system.mutations until no mutation of the tables is pending.
func (s *Store) waitMutations(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	delay := 5 * time.Millisecond
	for {
		var pending int64
		err := s.queryBound(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND has(?, table) AND is_done = 0",
			[]any{s.cfg.Database, tables}, func(row []any) error {
				pending = row[0].(int64)
				return nil
			})
		if err != nil {
			return fmt.Errorf("cannot read mutation status: %w", err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot wait for deletions to finish: %w", ctx.Err())
		case <-time.After(delay):
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}
