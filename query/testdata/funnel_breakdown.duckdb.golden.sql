-- breakdown values
-- args: ["$.\"city\"",7,1711324800000,1712098800000,"$pageview",7,7,"$.\"vip\"","true","$.\"path\"","/goods/"]
SELECT
  coalesce(json_extract_string(person_properties, ?), '') AS bd,
  count(DISTINCT person) AS n
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
  LEFT JOIN (
    SELECT
      person_id AS person,
      properties AS person_properties
    FROM persons
    WHERE project_id = ?
  ) AS s4 USING (person)
  WHERE coalesce(json_extract_string(person_properties, ?), '') = ?
) AS s5
WHERE contains(coalesce(json_extract_string(properties, ?), ''), ?)
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 3;

-- funnel stream
-- args: ["$pageview","$.\"path\"","/goods/",1712098800000,"$pageview","$.\"path\"","/cart","$.\"city\"","a","$.\"city\"","b",7,1711324800000,1712100600000,"$pageview",7,7,"$.\"vip\"","true"]
SELECT
  person,
  ts,
  mask,
  bd
FROM (
  SELECT
    person,
    ts,
    CAST(CASE WHEN event = ? AND contains(coalesce(json_extract_string(properties, ?), ''), ?) AND ts < ? THEN 1 ELSE 0 END + CASE WHEN event = ? AND coalesce(json_extract_string(properties, ?), '') = ? THEN 2 ELSE 0 END AS BIGINT) AS mask,
    CAST(CASE WHEN coalesce(json_extract_string(person_properties, ?), '') = ? THEN 1 WHEN coalesce(json_extract_string(person_properties, ?), '') = ? THEN 2 ELSE 3 END AS BIGINT) AS bd
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
    LEFT JOIN (
      SELECT
        person_id AS person,
        properties AS person_properties
      FROM persons
      WHERE project_id = ?
    ) AS s4 USING (person)
    WHERE coalesce(json_extract_string(person_properties, ?), '') = ?
  ) AS s5
) AS s6
WHERE mask <> 0
ORDER BY person, ts;

