package persons

import (
	"strings"
)

// stmt is one SQL statement with its bound arguments.
type stmt struct {
	name string
	sql  string
	args []any
}

// dialect prints the statements of this package for one store. The ClickHouse versions
// read the versioned tables (ReplacingMergeTree) with argMax(…, version) grouped by the
// table's key, filtering on key columns only before the grouping: FINAL would do for key
// filters, but with a filter on another column (person_id of person_identities) older
// releases may apply it before the replacing merge and return a superseded row.
type dialect struct{ ch bool }

func (d dialect) name() string {
	if d.ch {
		return "clickhouse"
	}
	return "duckdb"
}

// in returns "(?, ?, …)" for n values; callers never pass n = 0.
func in(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func cat(parts ...[]any) []any {
	var out []any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// identityPerson finds the person a distinct id was stored with (before overrides).
func (d dialect) identityPerson(project uint32, distinctID string) stmt {
	if d.ch {
		return stmt{"identity_person", `SELECT argMax(person_id, version) AS pid
FROM person_identities
WHERE project_id = ? AND distinct_id = ?
GROUP BY distinct_id`, []any{int64(project), distinctID}}
	}
	return stmt{"identity_person", `SELECT person_id AS pid
FROM person_identities
WHERE project_id = ? AND distinct_id = ?
LIMIT 1`, []any{int64(project), distinctID}}
}

// overridesOf maps old person ids to the persons they were merged into.
func (d dialect) overridesOf(project uint32, olds []int64) stmt {
	if d.ch {
		return stmt{"overrides_of", `SELECT old_person_id, argMax(new_person_id, version) AS np
FROM person_overrides
WHERE project_id = ? AND old_person_id IN ` + in(len(olds)) + `
GROUP BY old_person_id`, cat([]any{int64(project)}, int64Args(olds))}
	}
	return stmt{"overrides_of", `SELECT old_person_id, new_person_id AS np
FROM person_overrides
WHERE project_id = ? AND old_person_id IN ` + in(len(olds)), cat([]any{int64(project)}, int64Args(olds))}
}

// mergedInto lists (old, survivor) for the persons merged into the given survivors.
func (d dialect) mergedInto(project uint32, persons []int64) stmt {
	if d.ch {
		return stmt{"merged_into", `SELECT old_person_id, np
FROM (
    SELECT old_person_id, argMax(new_person_id, version) AS np
    FROM person_overrides
    WHERE project_id = ? AND old_person_id IN (
        SELECT old_person_id FROM person_overrides WHERE project_id = ? AND new_person_id IN ` + in(len(persons)) + `)
    GROUP BY old_person_id
)
WHERE np IN ` + in(len(persons)), cat([]any{int64(project), int64(project)}, int64Args(persons), int64Args(persons))}
	}
	return stmt{"merged_into", `SELECT old_person_id, new_person_id AS np
FROM person_overrides
WHERE project_id = ? AND new_person_id IN ` + in(len(persons)), cat([]any{int64(project)}, int64Args(persons))}
}

// identities lists the distinct ids currently mapped to any of the person ids (survivors
// and the old ids merged into them).
func (d dialect) identities(project uint32, ids []int64) stmt {
	if d.ch {
		return stmt{"identities", `SELECT distinct_id, pid, isu
FROM (
    SELECT distinct_id, argMax(person_id, version) AS pid, argMax(is_user, version) AS isu
    FROM person_identities
    WHERE project_id = ? AND distinct_id IN (
        SELECT distinct_id FROM person_identities WHERE project_id = ? AND person_id IN ` + in(len(ids)) + `)
    GROUP BY distinct_id
)
WHERE pid IN ` + in(len(ids)), cat([]any{int64(project), int64(project)}, int64Args(ids), int64Args(ids))}
	}
	return stmt{"identities", `SELECT distinct_id, person_id AS pid, CAST(is_user AS INTEGER) AS isu
FROM person_identities
WHERE project_id = ? AND person_id IN ` + in(len(ids)), cat([]any{int64(project)}, int64Args(ids))}
}

// profiles reads the latest created_at and traits of persons.
func (d dialect) profiles(project uint32, persons []int64) stmt {
	if d.ch {
		return stmt{"profiles", `SELECT person_id, argMax(created_at, version) AS c, argMax(properties, version) AS p
FROM persons
WHERE project_id = ? AND person_id IN ` + in(len(persons)) + `
GROUP BY person_id`, cat([]any{int64(project)}, int64Args(persons))}
	}
	return stmt{"profiles", `SELECT person_id, created_at AS c, properties AS p
FROM persons
WHERE project_id = ? AND person_id IN ` + in(len(persons)), cat([]any{int64(project)}, int64Args(persons))}
}

// eventStats counts events and their time range per stored person id and distinct id.
func (d dialect) eventStats(project uint32, ids []int64) stmt {
	return stmt{"event_stats", `SELECT person_id, distinct_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
FROM events
WHERE project_id = ? AND person_id IN ` + in(len(ids)) + `
GROUP BY person_id, distinct_id`, cat([]any{int64(project)}, int64Args(ids))}
}

// orderEvents reads the order events of persons, newest first.
func (d dialect) orderEvents(project uint32, ids []int64) stmt {
	return stmt{"order_events", `SELECT event_id, event, ts, properties
FROM events
WHERE project_id = ? AND person_id IN ` + in(len(ids)) + ` AND event IN (?, ?, ?)
ORDER BY ts DESC, event_id DESC`, cat([]any{int64(project)}, int64Args(ids), []any{EventOrderCompleted, EventOrderRefunded, EventOrderCancelled})}
}

// timeline reads a page of events of persons, newest first, strictly before a cursor when
// one is given; it asks for limit rows (the caller asks for one more than it shows).
func (d dialect) timeline(project uint32, ids []int64, before *Cursor, limit int, events []string) stmt {
	args := cat([]any{int64(project)}, int64Args(ids))
	cond := ""
	if len(events) > 0 {
		cond += "\n  AND event IN " + in(len(events))
		for _, e := range events {
			args = append(args, e)
		}
	}
	if before != nil {
		cond += "\n  AND (ts < ? OR (ts = ? AND event_id < ?))"
		args = append(args, before.TS, before.TS, before.EventID)
	}
	args = append(args, int64(limit))
	return stmt{"timeline", `SELECT event_id, type, event, ts, distinct_id, anonymous_id, user_id, properties, context
FROM events
WHERE project_id = ? AND person_id IN ` + in(len(ids)) + cond + `
ORDER BY ts DESC, event_id DESC
LIMIT ?`, args}
}

// listPersons pages through all current persons (not merged into another), newest id
// first, below a person id.
func (d dialect) listPersons(project uint32, below int64, limit int) stmt {
	return stmt{"list_persons", `SELECT person_id
FROM persons
WHERE project_id = ? AND person_id < ?
  AND person_id NOT IN (SELECT old_person_id FROM person_overrides WHERE project_id = ?)
GROUP BY person_id
ORDER BY person_id DESC
LIMIT ?`, []any{int64(project), below, int64(project), int64(limit)}}
}

// candidates pages through the current persons that may match a search, newest id first,
// below a person id: persons with a distinct id equal to or starting with idPrefix, or whose
// stored traits contain traitText (case-insensitive, or case-sensitive when caseless says
// the text has no letter case: faster), mapped through overrides. It is a superset: the
// caller checks each candidate's current identities and traits.
func (d dialect) candidates(project uint32, idPrefix, traitText string, caseless bool, below int64, limit int) stmt {
	p := int64(project)
	if d.ch {
		trait := "positionCaseInsensitiveUTF8(properties, ?) > 0"
		if caseless {
			trait = "position(properties, ?) > 0"
		}
		matched := `SELECT person_id FROM person_identities WHERE project_id = ? AND distinct_id LIKE ?
        UNION ALL
        SELECT person_id FROM persons WHERE project_id = ? AND ` + trait
		margs := []any{p, likePrefix(idPrefix), p, traitText}
		return stmt{"candidates", `SELECT person_id
FROM (
    SELECT person_id
    FROM (
        ` + matched + `
    ) AS m
    WHERE person_id NOT IN (SELECT old_person_id FROM person_overrides WHERE project_id = ?)
    UNION ALL
    SELECT np AS person_id
    FROM (
        SELECT old_person_id, argMax(new_person_id, version) AS np
        FROM person_overrides WHERE project_id = ? GROUP BY old_person_id
    ) AS o
    WHERE old_person_id IN (
        ` + matched + `
    )
) AS c
WHERE person_id < ?
GROUP BY person_id
ORDER BY person_id DESC
LIMIT ?`, cat(margs, []any{p, p}, margs, []any{below, int64(limit)})}
	}
	trait, text := "strpos(lower(properties), ?) > 0", strings.ToLower(traitText)
	if caseless {
		trait, text = "contains(properties, ?)", traitText
	}
	return stmt{"candidates", `WITH m AS MATERIALIZED (
    SELECT person_id FROM person_identities WHERE project_id = ? AND distinct_id LIKE ? ESCAPE '\'
    UNION ALL
    SELECT person_id FROM persons WHERE project_id = ? AND ` + trait + `
)
SELECT person_id
FROM (
    SELECT person_id FROM m
    WHERE person_id NOT IN (SELECT old_person_id FROM person_overrides WHERE project_id = ?)
    UNION ALL
    SELECT new_person_id AS person_id FROM person_overrides
    WHERE project_id = ? AND old_person_id IN (SELECT person_id FROM m)
) AS c
WHERE person_id < ?
GROUP BY person_id
ORDER BY person_id DESC
LIMIT ?`, []any{p, likePrefix(idPrefix), p, text, p, p, below, int64(limit)}}
}

// likePrefix returns a LIKE pattern matching strings that start with s: the wildcards
// and the escape character in s are escaped with a backslash (ClickHouse's escape, and
// DuckDB's with ESCAPE '\').
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
