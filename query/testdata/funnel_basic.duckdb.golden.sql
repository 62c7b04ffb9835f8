-- funnel stream
-- args: ["Product Viewed",1704643200000,"Product Added","$.\"price\"","$.\"price\"",9.5,"Order Completed","$.\"coupon\"","FREE",7,1704038400000,1704729600000,"Order Completed","Product Added","Product Viewed","$.\"scene\"","1007","1008",7]
SELECT
  person,
  ts,
  mask
FROM (
  SELECT
    person,
    ts,
    CAST(CASE WHEN event = ? AND ts < ? THEN 1 ELSE 0 END + CASE WHEN event = ? AND coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) > ? THEN 2 ELSE 0 END + CASE WHEN event = ? AND coalesce(json_extract_string(properties, ?), '') <> ? THEN 4 ELSE 0 END AS BIGINT) AS mask
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?, ?, ?) AND coalesce(json_extract_string(context, ?), '') IN (?, ?)
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
WHERE mask <> 0
ORDER BY person, ts;

