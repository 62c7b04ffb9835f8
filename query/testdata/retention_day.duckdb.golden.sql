-- retention stream
-- args: ["$pageview",1704297600000,"$pageview",7,1704038400000,1704470400000,"$pageview","$.\"os\"","$.\"os\"","",7]
SELECT
  person,
  bucket,
  CAST(max(s) + 2 * max(r) AS BIGINT) AS flags
FROM (
  SELECT
    person,
    CAST(((ts + 28800000) // 86400000) AS BIGINT) AS bucket,
    CASE WHEN event = ? AND ts < ? THEN 1 ELSE 0 END AS s,
    CASE WHEN event = ? THEN 1 ELSE 0 END AS r
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND json_extract_string(context, ?) IS NOT NULL AND coalesce(json_extract_string(context, ?), '') = ?
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

