-- series A
-- args: ["$.\"age\"",7,1705248000000,1712764800000,"Share Opened","track",7,7,"$.\"age\""]
SELECT
  bucket,
  list_sort(list(v))[CAST(floor(0.9 * count(v)) AS BIGINT) + 1] AS value
FROM (
  SELECT
    CASE WHEN ts < 1706716800000 THEN 24288 WHEN ts < 1709222400000 THEN 24289 WHEN ts < 1711900800000 THEN 24290 ELSE 24291 END AS bucket,
    person,
    TRY_CAST(json_extract_string(person_properties, ?) AS DOUBLE) AS v
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      person_properties
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND type = ?
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
  ) AS s5
  WHERE coalesce(json_type(person_properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false)
) AS s6
GROUP BY bucket
ORDER BY bucket;

-- series A persons
-- args: [7,1705248000000,1712764800000,"Share Opened","track",7,7,"$.\"age\""]
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
      person_properties
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND type = ?
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
  ) AS s5
  WHERE coalesce(json_type(person_properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false)
) AS s6
GROUP BY person
ORDER BY person;

