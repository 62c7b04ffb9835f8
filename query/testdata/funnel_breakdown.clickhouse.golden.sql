-- breakdown values
-- args: ["city","city","city","city",7,1711324800000,1712098800000,"$pageview",7,7,"vip","vip","vip","vip","true","path","path","path","path","/goods/"]
SELECT
  multiIf(substring(visitParamExtractRaw(person_properties, ?), 1, 1) = '"', visitParamExtractString(person_properties, ?), visitParamExtractRaw(person_properties, ?) = 'null', '', visitParamExtractRaw(person_properties, ?)) AS bd,
  uniqExact(person) AS n
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
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
) AS s5
WHERE position(multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)), ?) > 0
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 3;

-- funnel stream
-- args: ["$pageview","path","path","path","path","/goods/",1712098800000,"$pageview","path","path","path","path","/cart","city","city","city","city","a","city","city","city","city","b",7,1711324800000,1712100600000,"$pageview",7,7,"vip","vip","vip","vip","true"]
SELECT
  person,
  ts,
  mask,
  bd
FROM (
  SELECT
    person,
    ts,
    toInt64(CASE WHEN event = ? AND position(multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)), ?) > 0 AND ts < ? THEN 1 ELSE 0 END + CASE WHEN event = ? AND multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) = ? THEN 2 ELSE 0 END) AS mask,
    toInt64(CASE WHEN multiIf(substring(visitParamExtractRaw(person_properties, ?), 1, 1) = '"', visitParamExtractString(person_properties, ?), visitParamExtractRaw(person_properties, ?) = 'null', '', visitParamExtractRaw(person_properties, ?)) = ? THEN 1 WHEN multiIf(substring(visitParamExtractRaw(person_properties, ?), 1, 1) = '"', visitParamExtractString(person_properties, ?), visitParamExtractRaw(person_properties, ?) = 'null', '', visitParamExtractRaw(person_properties, ?)) = ? THEN 2 ELSE 3 END) AS bd
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
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
  ) AS s5
) AS s6
WHERE mask <> 0
ORDER BY person, ts;

-- reference: windowFunnel
-- args: ["$pageview","path","path","path","path","/goods/",1712098800000,"$pageview","path","path","path","path","/cart",7,1711324800000,1712100600000,"$pageview",7,7,"vip","vip","vip","vip","true"]
SELECT
  level,
  count() AS persons
FROM (
  SELECT
    person,
    windowFunnel(1800)(toDateTime(intDiv(ts, 1000)), event = ? AND position(multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)), ?) > 0 AND ts < ?, event = ? AND multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) = ?) AS level
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?)
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
  ) AS s5
  GROUP BY person
) AS s6
GROUP BY level
ORDER BY level;

