-- retention stream
-- args: [1710720000000,"Signed Up",1713135600000,"Order Completed","$.\"revenue\"","$.\"revenue\"",100,1710720000000,7,1715554800000,"Order Completed","Signed Up",1710720000000,"Signed Up",7]
SELECT
  person,
  bucket,
  CAST(max(s) + 2 * max(r) AS BIGINT) AS flags
FROM (
  SELECT
    person,
    CAST(CASE WHEN ts < ? THEN -1 ELSE ((((ts + CASE WHEN ts < 1711846800000 THEN 0 ELSE 3600000 END) // 86400000) + 3) // 7) END AS BIGINT) AS bucket,
    CASE WHEN event = ? AND ts < ? THEN 1 ELSE 0 END AS s,
    CASE WHEN event = ? AND coalesce(json_type(properties, ?) IN ('UBIGINT', 'BIGINT', 'DOUBLE'), false) AND TRY_CAST(json_extract_string(properties, ?) AS DOUBLE) >= ? AND ts >= ? THEN 1 ELSE 0 END AS r
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
      WHERE project_id = ? AND ts < ? AND event IN (?, ?) AND (ts >= ? OR event = ?)
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
GROUP BY person, bucket
HAVING max(s) + max(r) > 0
ORDER BY person, bucket;

