-- series A breakdown values
-- args: ["$.\"page\".\"path\"",7,1704038400000,1704643200000,"Page Viewed","$.\"page\".\"path\"","/cart",7,7,"$.\"address\".\"city\""]
SELECT
  coalesce(json_extract_string(context, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    person,
    ts,
    event,
    properties,
    context,
    person_properties
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties,
      context
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties,
        context
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(context, ?), '') = ?
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  LEFT JOIN (
    SELECT
      person_id AS person,
      properties AS person_properties
    FROM persons
    WHERE project_id = ?
  ) AS s4 USING (person)
  WHERE json_extract_string(person_properties, ?) IS NOT NULL
) AS s5
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series A
-- args: ["$.\"page\".\"path\"","a","b","$.\"page\".\"path\"",7,1704038400000,1704643200000,"Page Viewed","$.\"page\".\"path\"","/cart",7,7,"$.\"address\".\"city\""]
SELECT
  bucket,
  bd,
  count(*) AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(context, ?), '') IN (?, ?) THEN coalesce(json_extract_string(context, ?), '') ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        coalesce(override_person_id, person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(context, ?), '') = ?
      ) AS s1
      LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          new_person_id AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
      ) AS s2 USING (person_id)
    ) AS s3
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE json_extract_string(person_properties, ?) IS NOT NULL
  ) AS s5
) AS s6
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series A persons
-- args: [7,1704038400000,1704643200000,"Page Viewed","$.\"page\".\"path\"","/cart",7,7,"$.\"address\".\"city\"","$.\"page\".\"path\"","a","b","$.\"page\".\"path\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        coalesce(override_person_id, person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(context, ?), '') = ?
      ) AS s1
      LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          new_person_id AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
      ) AS s2 USING (person_id)
    ) AS s3
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE json_extract_string(person_properties, ?) IS NOT NULL
  ) AS s5
  WHERE CASE WHEN coalesce(json_extract_string(context, ?), '') IN (?, ?) THEN coalesce(json_extract_string(context, ?), '') ELSE '$other' END = ?
) AS s6
GROUP BY person
ORDER BY person;

-- series B breakdown values
-- args: ["$.\"page\".\"path\"",7,1704038400000,1704643200000,"Order Completed","$.\"payment\".\"amount\"","$.\"payment\".\"amount\"",100,7,7,"$.\"address\".\"city\""]
SELECT
  coalesce(json_extract_string(context, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    person,
    ts,
    event,
    properties,
    context,
    person_properties
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties,
      context
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties,
        context
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) > ?
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  LEFT JOIN (
    SELECT
      person_id AS person,
      properties AS person_properties
    FROM persons
    WHERE project_id = ?
  ) AS s4 USING (person)
  WHERE json_extract_string(person_properties, ?) IS NOT NULL
) AS s5
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series B
-- args: ["$.\"page\".\"path\"","a","b","$.\"page\".\"path\"","$.\"payment\".\"amount\"",7,1704038400000,1704643200000,"Order Completed","$.\"payment\".\"amount\"","$.\"payment\".\"amount\"",100,7,7,"$.\"address\".\"city\"","$.\"payment\".\"amount\""]
SELECT
  bucket,
  bd,
  (sum(round(v * 10000)) / 10000) AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(context, ?), '') IN (?, ?) THEN coalesce(json_extract_string(context, ?), '') ELSE '$other' END AS bd,
    person,
    TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) AS v
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        coalesce(override_person_id, person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) > ?
      ) AS s1
      LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          new_person_id AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
      ) AS s2 USING (person_id)
    ) AS s3
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE json_extract_string(person_properties, ?) IS NOT NULL
  ) AS s5
  WHERE coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false)
) AS s6
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series B persons
-- args: [7,1704038400000,1704643200000,"Order Completed","$.\"payment\".\"amount\"","$.\"payment\".\"amount\"",100,7,7,"$.\"address\".\"city\"","$.\"payment\".\"amount\"","$.\"page\".\"path\"","a","b","$.\"page\".\"path\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        coalesce(override_person_id, person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) > ?
      ) AS s1
      LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          new_person_id AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
      ) AS s2 USING (person_id)
    ) AS s3
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE json_extract_string(person_properties, ?) IS NOT NULL
  ) AS s5
  WHERE coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND CASE WHEN coalesce(json_extract_string(context, ?), '') IN (?, ?) THEN coalesce(json_extract_string(context, ?), '') ELSE '$other' END = ?
) AS s6
GROUP BY person
ORDER BY person;

-- series C breakdown values
-- args: ["$.\"page\".\"path\"",7,1704038400000,1704643200000,"Order Completed","$.\"a\".\"b\".\"c\".\"d\"","x","1",7,7,"$.\"address\".\"city\""]
SELECT
  coalesce(json_extract_string(context, ?), '') AS bd,
  count(DISTINCT person) AS n
FROM (
  SELECT
    person,
    ts,
    event,
    properties,
    context,
    person_properties
  FROM (
    SELECT
      coalesce(override_person_id, person_id) AS person,
      ts,
      event,
      properties,
      context
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties,
        context
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(properties, ?), '') NOT IN (?, ?)
    ) AS s1
    LEFT JOIN (
      SELECT
        old_person_id AS person_id,
        new_person_id AS override_person_id
      FROM person_overrides
      WHERE project_id = ?
    ) AS s2 USING (person_id)
  ) AS s3
  LEFT JOIN (
    SELECT
      person_id AS person,
      properties AS person_properties
    FROM persons
    WHERE project_id = ?
  ) AS s4 USING (person)
  WHERE json_extract_string(person_properties, ?) IS NOT NULL
) AS s5
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series C
-- args: ["$.\"page\".\"path\"","a","b","$.\"page\".\"path\"",7,1704038400000,1704643200000,"Order Completed","$.\"a\".\"b\".\"c\".\"d\"","x","1",7,7,"$.\"address\".\"city\""]
SELECT
  bucket,
  bd,
  count(*) AS value
FROM (
  SELECT
    ((ts + 28800000) // 86400000) AS bucket,
    CASE WHEN coalesce(json_extract_string(context, ?), '') IN (?, ?) THEN coalesce(json_extract_string(context, ?), '') ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        coalesce(override_person_id, person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(properties, ?), '') NOT IN (?, ?)
      ) AS s1
      LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          new_person_id AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
      ) AS s2 USING (person_id)
    ) AS s3
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE json_extract_string(person_properties, ?) IS NOT NULL
  ) AS s5
) AS s6
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series C persons
-- args: [7,1704038400000,1704643200000,"Order Completed","$.\"a\".\"b\".\"c\".\"d\"","x","1",7,7,"$.\"address\".\"city\"","$.\"page\".\"path\"","a","b","$.\"page\".\"path\"","a"]
SELECT
  person
FROM (
  SELECT
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        coalesce(override_person_id, person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(properties, ?), '') NOT IN (?, ?)
      ) AS s1
      LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          new_person_id AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
      ) AS s2 USING (person_id)
    ) AS s3
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE json_extract_string(person_properties, ?) IS NOT NULL
  ) AS s5
  WHERE CASE WHEN coalesce(json_extract_string(context, ?), '') IN (?, ?) THEN coalesce(json_extract_string(context, ?), '') ELSE '$other' END = ?
) AS s6
GROUP BY person
ORDER BY person;

