-- retention stream
-- args: ["$pageview",1704297600000,"$pageview",7,1704038400000,1704470400000,"$pageview","os","os","os","os","os","",7]
SELECT
  person,
  bucket,
  toInt64(max(s) + 2 * max(r)) AS flags
FROM (
  SELECT
    person,
    toInt64(intDiv(ts + 28800000, 86400000)) AS bucket,
    CASE WHEN event = ? AND ts < ? THEN 1 ELSE 0 END AS s,
    CASE WHEN event = ? THEN 1 ELSE 0 END AS r
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
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND visitParamExtractRaw(context, ?) NOT IN ('', 'null') AND multiIf(substring(visitParamExtractRaw(context, ?), 1, 1) = '"', visitParamExtractString(context, ?), visitParamExtractRaw(context, ?) = 'null', '', visitParamExtractRaw(context, ?)) = ?
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
GROUP BY person, bucket
HAVING max(s) + max(r) > 0
ORDER BY person, bucket;

-- reference: retention
-- args: ["Asia/Shanghai","$pageview","$pageview",1704038400000,7,1704038400000,1704470400000,"$pageview","os","os","os","os","os","",7,"Asia/Shanghai","Asia/Shanghai",7,1704038400000,1704297600000,"$pageview","os","os","os","os","os","",7,"$pageview"]
SELECT
  cohort,
  sum(arrayElement(ret, 1)) AS size,
  sum(arrayElement(ret, 2)) AS r0,
  sum(arrayElement(ret, 3)) AS r1,
  sum(arrayElement(ret, 4)) AS r2
FROM (
  SELECT
    person,
    cohort_num,
    cohort,
    retention(copy = 1 AND is_start = 1 AND b = cohort_num, copy = 2 AND is_return = 1 AND b = cohort_num, copy = 2 AND is_return = 1 AND b = cohort_num + 1, copy = 2 AND is_return = 1 AND b = cohort_num + 2) AS ret
  FROM (
    SELECT
      person,
      toRelativeDayNum(toDateTime(intDiv(ts, 1000)), ?) AS b,
      event = ? AS is_start,
      event = ? AND ts >= ? AS is_return,
      arrayJoin(array(1, 2)) AS copy
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND visitParamExtractRaw(context, ?) NOT IN ('', 'null') AND multiIf(substring(visitParamExtractRaw(context, ?), 1, 1) = '"', visitParamExtractString(context, ?), visitParamExtractRaw(context, ?) = 'null', '', visitParamExtractRaw(context, ?)) = ?
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
  ALL INNER JOIN (
    SELECT
      person,
      toRelativeDayNum(toDateTime(intDiv(ts, 1000)), ?) AS cohort_num,
      toString(toDate(toDateTime(intDiv(ts, 1000)), ?)) AS cohort
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
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND visitParamExtractRaw(context, ?) NOT IN ('', 'null') AND multiIf(substring(visitParamExtractRaw(context, ?), 1, 1) = '"', visitParamExtractString(context, ?), visitParamExtractRaw(context, ?) = 'null', '', visitParamExtractRaw(context, ?)) = ?
      ) AS s5
      ANY LEFT JOIN (
        SELECT
          old_person_id AS person_id,
          argMax(new_person_id, version) AS override_person_id
        FROM person_overrides
        WHERE project_id = ?
        GROUP BY old_person_id
      ) AS s6 USING (person_id)
    ) AS s7
    WHERE event = ?
    GROUP BY person, cohort_num, cohort
  ) AS s8 USING (person)
  GROUP BY person, cohort_num, cohort
) AS s9
GROUP BY cohort
HAVING size > 0
ORDER BY cohort;

