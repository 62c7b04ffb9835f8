-- series A
-- args: ["age",7,1705248000000,1712764800000,"Share Opened","track",7,7,"age"]
SELECT
  bucket,
  quantileExact(0.9)(v) AS value
FROM (
  SELECT
    CASE WHEN ts < 1706716800000 THEN 24288 WHEN ts < 1709222400000 THEN 24289 WHEN ts < 1711900800000 THEN 24290 ELSE 24291 END AS bucket,
    person,
    visitParamExtractFloat(person_properties, ?) AS v
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      person_properties
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND type = ?
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
    ANY LEFT JOIN (
      SELECT
        person_id AS person,
        argMax(properties, version) AS person_properties
      FROM persons
      WHERE project_id = ?
      GROUP BY person_id
    ) AS s4 USING (person)
  ) AS s5
  WHERE match(visitParamExtractRaw(person_properties, ?), '^[-0-9]')
) AS s6
GROUP BY bucket
ORDER BY bucket;

-- series A persons
-- args: [7,1705248000000,1712764800000,"Share Opened","track",7,7,"age"]
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND type = ?
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
    ANY LEFT JOIN (
      SELECT
        person_id AS person,
        argMax(properties, version) AS person_properties
      FROM persons
      WHERE project_id = ?
      GROUP BY person_id
    ) AS s4 USING (person)
  ) AS s5
  WHERE match(visitParamExtractRaw(person_properties, ?), '^[-0-9]')
) AS s6
GROUP BY person
ORDER BY person;

