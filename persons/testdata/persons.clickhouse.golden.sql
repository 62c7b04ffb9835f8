-- identity_person
-- args: [7,"u1"]
SELECT argMax(person_id, version) AS pid
FROM person_identities
WHERE project_id = ? AND distinct_id = ?
GROUP BY distinct_id;

-- overrides_of
-- args: [7,3,5]
SELECT old_person_id, argMax(new_person_id, version) AS np
FROM person_overrides
WHERE project_id = ? AND old_person_id IN (?, ?)
GROUP BY old_person_id;

-- merged_into
-- args: [7,7,9,9]
SELECT old_person_id, np
FROM (
    SELECT old_person_id, argMax(new_person_id, version) AS np
    FROM person_overrides
    WHERE project_id = ? AND old_person_id IN (
        SELECT old_person_id FROM person_overrides WHERE project_id = ? AND new_person_id IN (?))
    GROUP BY old_person_id
)
WHERE np IN (?);

-- identities
-- args: [7,7,9,3,9,3]
SELECT distinct_id, pid, isu
FROM (
    SELECT distinct_id, argMax(person_id, version) AS pid, argMax(is_user, version) AS isu
    FROM person_identities
    WHERE project_id = ? AND distinct_id IN (
        SELECT distinct_id FROM person_identities WHERE project_id = ? AND person_id IN (?, ?))
    GROUP BY distinct_id
)
WHERE pid IN (?, ?);

-- profiles
-- args: [7,9,8]
SELECT person_id, argMax(created_at, version) AS c, argMax(properties, version) AS p
FROM persons
WHERE project_id = ? AND person_id IN (?, ?)
GROUP BY person_id;

-- event_stats
-- args: [7,9,3]
SELECT person_id, distinct_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
FROM events
WHERE project_id = ? AND person_id IN (?, ?)
GROUP BY person_id, distinct_id;

-- order_events
-- args: [7,9,3,"Order Completed","Order Refunded","Order Cancelled"]
SELECT event_id, event, ts, properties
FROM events
WHERE project_id = ? AND person_id IN (?, ?) AND event IN (?, ?, ?)
ORDER BY ts DESC, event_id DESC;

-- timeline
-- args: [7,9,3,51]
SELECT event_id, type, event, ts, distinct_id, anonymous_id, user_id, properties, context
FROM events
WHERE project_id = ? AND person_id IN (?, ?)
ORDER BY ts DESC, event_id DESC
LIMIT ?;

-- timeline
-- args: [7,9,3,1700000000000,1700000000000,"e-9",51]
SELECT event_id, type, event, ts, distinct_id, anonymous_id, user_id, properties, context
FROM events
WHERE project_id = ? AND person_id IN (?, ?)
  AND (ts < ? OR (ts = ? AND event_id < ?))
ORDER BY ts DESC, event_id DESC
LIMIT ?;

-- timeline
-- args: [7,9,3,"Order Completed","Order Refunded",1700000000000,1700000000000,"e-9",51]
SELECT event_id, type, event, ts, distinct_id, anonymous_id, user_id, properties, context
FROM events
WHERE project_id = ? AND person_id IN (?, ?)
  AND event IN (?, ?)
  AND (ts < ? OR (ts = ? AND event_id < ?))
ORDER BY ts DESC, event_id DESC
LIMIT ?;

-- list_persons
-- args: [7,4611686018427387904,7,21]
SELECT person_id
FROM persons
WHERE project_id = ? AND person_id < ?
  AND person_id NOT IN (SELECT old_person_id FROM person_overrides WHERE project_id = ?)
GROUP BY person_id
ORDER BY person_id DESC
LIMIT ?;

-- candidates
-- args: [7,"u\\_1\\%%",7,"Shanghai\\\"x",7,7,7,"u\\_1\\%%",7,"Shanghai\\\"x",4611686018427387904,100]
SELECT person_id
FROM (
    SELECT person_id
    FROM (
        SELECT person_id FROM person_identities WHERE project_id = ? AND distinct_id LIKE ?
        UNION ALL
        SELECT person_id FROM persons WHERE project_id = ? AND positionCaseInsensitiveUTF8(properties, ?) > 0
    ) AS m
    WHERE person_id NOT IN (SELECT old_person_id FROM person_overrides WHERE project_id = ?)
    UNION ALL
    SELECT np AS person_id
    FROM (
        SELECT old_person_id, argMax(new_person_id, version) AS np
        FROM person_overrides WHERE project_id = ? GROUP BY old_person_id
    ) AS o
    WHERE old_person_id IN (
        SELECT person_id FROM person_identities WHERE project_id = ? AND distinct_id LIKE ?
        UNION ALL
        SELECT person_id FROM persons WHERE project_id = ? AND positionCaseInsensitiveUTF8(properties, ?) > 0
    )
) AS c
WHERE person_id < ?
GROUP BY person_id
ORDER BY person_id DESC
LIMIT ?;

-- candidates
-- args: [7,"138%",7,"138",7,7,7,"138%",7,"138",4611686018427387904,100]
SELECT person_id
FROM (
    SELECT person_id
    FROM (
        SELECT person_id FROM person_identities WHERE project_id = ? AND distinct_id LIKE ?
        UNION ALL
        SELECT person_id FROM persons WHERE project_id = ? AND position(properties, ?) > 0
    ) AS m
    WHERE person_id NOT IN (SELECT old_person_id FROM person_overrides WHERE project_id = ?)
    UNION ALL
    SELECT np AS person_id
    FROM (
        SELECT old_person_id, argMax(new_person_id, version) AS np
        FROM person_overrides WHERE project_id = ? GROUP BY old_person_id
    ) AS o
    WHERE old_person_id IN (
        SELECT person_id FROM person_identities WHERE project_id = ? AND distinct_id LIKE ?
        UNION ALL
        SELECT person_id FROM persons WHERE project_id = ? AND position(properties, ?) > 0
    )
) AS c
WHERE person_id < ?
GROUP BY person_id
ORDER BY person_id DESC
LIMIT ?;

