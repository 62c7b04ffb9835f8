-- order events
-- args: [7,1704038400000,1705248000000,"Order Completed","$.\"payment_method\"","wechat_pay",7,7,"$.\"city\"","上海"]
SELECT
  person,
  ts,
  properties
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND coalesce(json_extract_string(properties, ?), '') = ?
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
) AS s5;

