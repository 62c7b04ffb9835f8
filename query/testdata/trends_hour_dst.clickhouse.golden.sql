-- series A
-- args: ["revenue",7,1729897200000,1730073600000,"Order Completed","coupon",7,"revenue"]
SELECT
  bucket,
  (sum(round(v * 10000)) / 10000) AS value
FROM (
  SELECT
    intDiv(ts + CASE WHEN ts < 1729990800000 THEN 3600000 ELSE 0 END, 3600000) AS bucket,
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (visitParamExtractRaw(properties, ?) NOT IN ('', 'null'))
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
GROUP BY bucket
ORDER BY bucket;

-- series A persons
-- args: [7,1729897200000,1730073600000,"Order Completed","coupon",7,"revenue"]
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (visitParamExtractRaw(properties, ?) NOT IN ('', 'null'))
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
GROUP BY person
ORDER BY person;

-- series A previous period
-- args: ["revenue",7,1729724400000,1729897200000,"Order Completed","coupon",7,"revenue"]
SELECT
  bucket,
  (sum(round(v * 10000)) / 10000) AS value
FROM (
  SELECT
    intDiv(ts + 3600000, 3600000) AS bucket,
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND NOT (visitParamExtractRaw(properties, ?) NOT IN ('', 'null'))
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
GROUP BY bucket
ORDER BY bucket;

