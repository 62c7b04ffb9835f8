-- retention stream
-- args: [1710720000000,"Signed Up",1713135600000,"Order Completed","revenue","revenue",100,1710720000000,7,1715554800000,"Order Completed","Signed Up",1710720000000,"Signed Up",7]
SELECT
  person,
  bucket,
  toInt64(max(s) + 2 * max(r)) AS flags
FROM (
  SELECT
    person,
    toInt64(CASE WHEN ts < ? THEN -1 ELSE intDiv(intDiv(ts + CASE WHEN ts < 1711846800000 THEN 0 ELSE 3600000 END, 86400000) + 3, 7) END) AS bucket,
    CASE WHEN event = ? AND ts < ? THEN 1 ELSE 0 END AS s,
    CASE WHEN event = ? AND match(visitParamExtractRaw(properties, ?), '^[-0-9]') AND visitParamExtractFloat(properties, ?) >= ? AND ts >= ? THEN 1 ELSE 0 END AS r
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
      WHERE project_id = ? AND ts < ? AND event IN (?, ?) AND (ts >= ? OR event = ?)
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
-- args: ["Europe/London","Signed Up","Order Completed","revenue","revenue",100,1710720000000,7,1715554800000,"Order Completed","Signed Up",7,"Europe/London","Europe/London",7,1715554800000,"Order Completed","Signed Up",7,"Signed Up",1710720000000,1713135600000]
SELECT
  cohort,
  sum(arrayElement(ret, 1)) AS size,
  sum(arrayElement(ret, 2)) AS r0,
  sum(arrayElement(ret, 3)) AS r1,
  sum(arrayElement(ret, 4)) AS r2,
  sum(arrayElement(ret, 5)) AS r3,
  sum(arrayElement(ret, 6)) AS r4
FROM (
  SELECT
    person,
    cohort_num,
    cohort,
    retention(copy = 1 AND is_start = 1 AND b = cohort_num, copy = 2 AND is_return = 1 AND b = cohort_num, copy = 2 AND is_return = 1 AND b = cohort_num + 1, copy = 2 AND is_return = 1 AND b = cohort_num + 2, copy = 2 AND is_return = 1 AND b = cohort_num + 3, copy = 2 AND is_return = 1 AND b = cohort_num + 4) AS ret
  FROM (
    SELECT
      person,
      toRelativeWeekNum(toDateTime(intDiv(ts, 1000)), ?) AS b,
      event = ? AS is_start,
      event = ? AND match(visitParamExtractRaw(properties, ?), '^[-0-9]') AND visitParamExtractFloat(properties, ?) >= ? AND ts >= ? AS is_return,
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
        WHERE project_id = ? AND ts < ? AND event IN (?, ?)
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
      toRelativeWeekNum(toDateTime(intDiv(min(ts), 1000)), ?) AS cohort_num,
      toString(toMonday(toDateTime(intDiv(min(ts), 1000)), ?)) AS cohort
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
        WHERE project_id = ? AND ts < ? AND event IN (?, ?)
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
    GROUP BY person
    HAVING min(ts) >= ? AND min(ts) < ?
  ) AS s8 USING (person)
  GROUP BY person, cohort_num, cohort
) AS s9
GROUP BY cohort
HAVING size > 0
ORDER BY cohort;

