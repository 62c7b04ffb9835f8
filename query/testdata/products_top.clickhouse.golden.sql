-- order events
-- args: [7,1704038400000,1705248000000,"Order Completed","payment_method","payment_method","payment_method","payment_method","wechat_pay",7,7,"city","city","city","city","上海"]
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) = ?
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
  WHERE multiIf(substring(visitParamExtractRaw(person_properties, ?), 1, 1) = '"', visitParamExtractString(person_properties, ?), visitParamExtractRaw(person_properties, ?) = 'null', '', visitParamExtractRaw(person_properties, ?)) = ?
) AS s5;

