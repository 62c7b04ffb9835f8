-- series A breakdown values
-- args: ["category","category","category","category",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    if(override_person_id = 0, person_id, override_person_id) AS person,
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
  ANY LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      argMax(new_person_id, version) AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
    GROUP BY old_person_id
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series A
-- args: ["category","category","category","category","a","b","category","category","category","category",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  bucket,
  bd,
  count() AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series A persons
-- args: [7,1704038400000,1705248000000,"Order Completed",7,"category","category","category","category","a","b","category","category","category","category","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

-- series B breakdown values
-- args: ["category","category","category","category",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    if(override_person_id = 0, person_id, override_person_id) AS person,
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
  ANY LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      argMax(new_person_id, version) AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
    GROUP BY old_person_id
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series B
-- args: ["category","category","category","category","a","b","category","category","category","category",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  bucket,
  bd,
  uniqExact(person) AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series B persons
-- args: [7,1704038400000,1705248000000,"Order Completed",7,"category","category","category","category","a","b","category","category","category","category","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

-- series C breakdown values
-- args: ["category","category","category","category",7,1704038400000,1705248000000,"Order Completed","test",7]
SELECT
  multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    if(override_person_id = 0, person_id, override_person_id) AS person,
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
    WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (position(distinct_id, ?) > 0)
  ) AS s1
  ANY LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      argMax(new_person_id, version) AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
    GROUP BY old_person_id
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series C
-- args: ["category","category","category","category","a","b","category","category","category","category","revenue",7,1704038400000,1705248000000,"Order Completed","test",7,"revenue"]
SELECT
  bucket,
  bd,
  quantileExact(0.5)(v) AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END AS bd,
    person,
    visitParamExtractFloat(properties, ?) AS v
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (position(distinct_id, ?) > 0)
    ) AS s1
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE match(visitParamExtractRaw(properties, ?), '^[-0-9]')
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series C persons
-- args: [7,1704038400000,1705248000000,"Order Completed","test",7,"revenue","category","category","category","category","a","b","category","category","category","category","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (position(distinct_id, ?) > 0)
    ) AS s1
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE match(visitParamExtractRaw(properties, ?), '^[-0-9]') AND CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

-- series D breakdown values
-- args: ["category","category","category","category",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    if(override_person_id = 0, person_id, override_person_id) AS person,
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
  ANY LEFT JOIN (
    SELECT
      old_person_id AS person_id,
      argMax(new_person_id, version) AS override_person_id
    FROM person_overrides
    WHERE project_id = ?
    GROUP BY old_person_id
  ) AS s2 USING (person_id)
) AS s3
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series D
-- args: ["category","category","category","category","a","b","category","category","category","category",7,1704038400000,1705248000000,"Order Completed",7]
SELECT
  bucket,
  bd,
  count() / uniqExact(person) AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
) AS s4
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series D persons
-- args: [7,1704038400000,1705248000000,"Order Completed",7,"category","category","category","category","a","b","category","category","category","category","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
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
    ANY LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        argMax(new_person_id, version) AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
      GROUP BY old_person_id
    ) AS s2 USING (person_id)
  ) AS s3
  WHERE CASE WHEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) ELSE '$other' END = ?
) AS s4
GROUP BY person
ORDER BY person;

