-- funnel stream
-- args: ["Product Viewed",1704643200000,"Product Added","price","price",9.5,"Order Completed","coupon","coupon","coupon","coupon","FREE",7,1704038400000,1704729600000,"Order Completed","Product Added","Product Viewed","scene","scene","scene","scene","1007","1008",7]
SELECT
  person,
  ts,
  mask
FROM (
  SELECT
    person,
    ts,
    toInt64(CASE WHEN event = ? AND ts < ? THEN 1 ELSE 0 END + CASE WHEN event = ? AND match(visitParamExtractRaw(properties, ?), '^[-0-9]') AND visitParamExtractFloat(properties, ?) > ? THEN 2 ELSE 0 END + CASE WHEN event = ? AND multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) <> ? THEN 4 ELSE 0 END) AS mask
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?, ?, ?) AND multiIf(substring(visitParamExtractRaw(context, ?), 1, 1) = '"', visitParamExtractString(context, ?), visitParamExtractRaw(context, ?) = 'null', '', visitParamExtractRaw(context, ?)) IN (?, ?)
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
) AS s4
WHERE mask <> 0
ORDER BY person, ts;

-- reference: windowFunnel
-- args: ["Product Viewed",1704643200000,"Product Added","price","price",9.5,"Order Completed","coupon","coupon","coupon","coupon","FREE",7,1704038400000,1704729600000,"Order Completed","Product Added","Product Viewed","scene","scene","scene","scene","1007","1008",7]
SELECT
  level,
  count() AS persons
FROM (
  SELECT
    person,
    windowFunnel(86400)(toDateTime(intDiv(ts, 1000)), event = ? AND ts < ?, event = ? AND match(visitParamExtractRaw(properties, ?), '^[-0-9]') AND visitParamExtractFloat(properties, ?) > ?, event = ? AND multiIf(substring(visitParamExtractRaw(properties, ?), 1, 1) = '"', visitParamExtractString(properties, ?), visitParamExtractRaw(properties, ?) = 'null', '', visitParamExtractRaw(properties, ?)) <> ?) AS level
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?, ?, ?) AND multiIf(substring(visitParamExtractRaw(context, ?), 1, 1) = '"', visitParamExtractString(context, ?), visitParamExtractRaw(context, ?) = 'null', '', visitParamExtractRaw(context, ?)) IN (?, ?)
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
  GROUP BY person
) AS s4
GROUP BY level
ORDER BY level;

