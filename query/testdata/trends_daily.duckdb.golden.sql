-- series A breakdown values
-- args: ["$.\"category\"",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  coalesce(json_extract_string(properties, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    coalesce(override_person_id, person_id) AS person,
    ts,
    event,
    properties
  FROM (
    SELECT
      person_id,
      ts,
      event,
      properties
    FROM events
    WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
  ) AS s1
  LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      new_person_id AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series A
-- args: ["$.\"category\"","a","b","$.\"category\"",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  bucket,
  bd,
  count(*) AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series A persons
-- args: [7,1704038400000,1705248000000,"Order Completed",7,"$.\"category\"","a","b","$.\"category\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

-- series B breakdown values
-- args: ["$.\"category\"",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  coalesce(json_extract_string(properties, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    coalesce(override_person_id, person_id) AS person,
    ts,
    event,
    properties
  FROM (
    SELECT
      person_id,
      ts,
      event,
      properties
    FROM events
    WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
  ) AS s1
  LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      new_person_id AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series B
-- args: ["$.\"category\"","a","b","$.\"category\"",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  bucket,
  bd,
  count(DISTINCT person) AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series B persons
-- args: [7,1704038400000,1705248000000,"Order Completed",7,"$.\"category\"","a","b","$.\"category\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

-- series C breakdown values
-- args: ["$.\"category\"",7,1704038400000,1705248000000,"Order Completed","test",7]
SELECT
  coalesce(json_extract_string(properties, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    coalesce(override_person_id, person_id) AS person,
    ts,
    event,
    properties
  FROM (
    SELECT
      person_id,
      ts,
      event,
      properties
    FROM events
    WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (contains(distinct_id, ?))
  ) AS s1
  LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      new_person_id AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series C
-- args: ["$.\"category\"","a","b","$.\"category\"","$.\"revenue\"",7,1704038400000,1705248000000,"Order Completed","test",7,"$.\"revenue\""]
SELECT
  bucket,
  bd,
  list_sort(list(v))[CAST(floor(0.5 * count(v)) AS BIGINT) + 1] AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END AS bd,
    person,
    TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) AS v
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (contains(distinct_id, ?))
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false)
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series C persons
-- args: [7,1704038400000,1705248000000,"Order Completed","test",7,"$.\"revenue\"","$.\"category\"","a","b","$.\"category\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (contains(distinct_id, ?))
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

-- series D breakdown values
-- args: ["$.\"category\"",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  coalesce(json_extract_string(properties, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    coalesce(override_person_id, person_id) AS person,
    ts,
    event,
    properties
  FROM (
    SELECT
      person_id,
      ts,
      event,
      properties
    FROM events
    WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
  ) AS s1
  LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      new_person_id AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series D
-- args: ["$.\"category\"","a","b","$.\"category\"",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  bucket,
  bd,
  count(*) / count(DISTINCT person) AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series D persons
-- args: [7,1704038400000,1705248000000,"Order Completed",7,"$.\"category\"","a","b","$.\"category\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE CASE WHEN coalesce(json_extract_string(properties, ?), '') IN (?, ?) THEN coalesce(json_extract_string(properties, ?), '') ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

