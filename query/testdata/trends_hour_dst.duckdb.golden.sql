-- series A
-- args: ["$.\"revenue\"",7,1729897200000,1730073600000,"Order Completed","$.\"coupon\"",7,"$.\"revenue\""]
SELECT
  bucket,
  (sum(round(v * 10000)) / 10000) AS value
FROM (
  SELECT
    ((ts + CASE WHEN ts < 1729990800000 THEN 3600000 ELSE 0 END) // 3600000) AS bucket,
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (json_extract_string(properties, ?) IS NOT NULL)
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
GROUP BY bucket
ORDER BY bucket;

-- series A persons
-- args: [7,1729897200000,1730073600000,"Order Completed","$.\"coupon\"",7,"$.\"revenue\""]
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (json_extract_string(properties, ?) IS NOT NULL)
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
GROUP BY person
ORDER BY person;

-- series A previous period
-- args: ["$.\"revenue\"",7,1729724400000,1729897200000,"Order Completed","$.\"coupon\"",7,"$.\"revenue\""]
SELECT
  bucket,
  (sum(round(v * 10000)) / 10000) AS value
FROM (
  SELECT
    ((ts + 3600000) // 3600000) AS bucket,
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (json_extract_string(properties, ?) IS NOT NULL)
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
GROUP BY bucket
ORDER BY bucket;

