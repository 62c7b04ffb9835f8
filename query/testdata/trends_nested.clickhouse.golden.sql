-- series A breakdown values
-- args: ["page","path","page","path","page","path","page","path",7,1704038400000,1704643200000,"Page Viewed","page","path","page","path","page","path","page","path","/cart",7,7,"address","city"]
SELECT
  multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    person,
    ts,
    event,
    properties,
    context,
    person_properties
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
      ts,
      event,
      properties,
      context
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties,
        context
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) = ?
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
  WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
) AS s5
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series A
-- args: ["page","path","page","path","page","path","page","path","a","b","page","path","page","path","page","path","page","path",7,1704038400000,1704643200000,"Page Viewed","page","path","page","path","page","path","page","path","/cart",7,7,"address","city"]
SELECT
  bucket,
  bd,
  count() AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        if(override_person_id = 0, person_id, override_person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) = ?
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
    WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
  ) AS s5
) AS s6
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series A persons
-- args: [7,1704038400000,1704643200000,"Page Viewed","page","path","page","path","page","path","page","path","/cart",7,7,"address","city","page","path","page","path","page","path","page","path","a","b","page","path","page","path","page","path","page","path","a"]
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
      context,
      person_properties
    FROM (
      SELECT
        if(override_person_id = 0, person_id, override_person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) = ?
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
    WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
  ) AS s5
  WHERE CASE WHEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) ELSE '$other' END = ?
) AS s6
GROUP BY person
ORDER BY person;

-- series B breakdown values
-- args: ["page","path","page","path","page","path","page","path",7,1704038400000,1704643200000,"Order Completed","payment","amount","payment","amount",100,7,7,"address","city"]
SELECT
  multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    person,
    ts,
    event,
    properties,
    context,
    person_properties
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
      ts,
      event,
      properties,
      context
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties,
        context
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND match(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[-0-9]') AND visitParamExtractFloat(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?) > ?
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
  WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
) AS s5
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series B
-- args: ["page","path","page","path","page","path","page","path","a","b","page","path","page","path","page","path","page","path","payment","amount",7,1704038400000,1704643200000,"Order Completed","payment","amount","payment","amount",100,7,7,"address","city","payment","amount"]
SELECT
  bucket,
  bd,
  (sum(round(v * 10000)) / 10000) AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) ELSE '$other' END AS bd,
    person,
    visitParamExtractFloat(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?) AS v
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        if(override_person_id = 0, person_id, override_person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND match(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[-0-9]') AND visitParamExtractFloat(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?) > ?
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
    WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
  ) AS s5
  WHERE match(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[-0-9]')
) AS s6
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series B persons
-- args: [7,1704038400000,1704643200000,"Order Completed","payment","amount","payment","amount",100,7,7,"address","city","payment","amount","page","path","page","path","page","path","page","path","a","b","page","path","page","path","page","path","page","path","a"]
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
      context,
      person_properties
    FROM (
      SELECT
        if(override_person_id = 0, person_id, override_person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND match(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[-0-9]') AND visitParamExtractFloat(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?) > ?
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
    WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
  ) AS s5
  WHERE match(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[-0-9]') AND CASE WHEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) ELSE '$other' END = ?
) AS s6
GROUP BY person
ORDER BY person;

-- series C breakdown values
-- args: ["page","path","page","path","page","path","page","path",7,1704038400000,1704643200000,"Order Completed","a","b","c","d","a","b","c","d","a","b","c","d","a","b","c","d","x","1",7,7,"address","city"]
SELECT
  multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) AS bd,
  uniqExact(person) AS n
FROM (
  SELECT
    person,
    ts,
    event,
    properties,
    context,
    person_properties
  FROM (
    SELECT
      if(override_person_id = 0, person_id, override_person_id) AS person,
      ts,
      event,
      properties,
      context
    FROM (
      SELECT
        person_id,
        ts,
        event,
        properties,
        context
      FROM events
      WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?)) NOT IN (?, ?)
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
  WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
) AS s5
GROUP BY bd
ORDER BY n DESC, bd
LIMIT 10;

-- series C
-- args: ["page","path","page","path","page","path","page","path","a","b","page","path","page","path","page","path","page","path",7,1704038400000,1704643200000,"Order Completed","a","b","c","d","a","b","c","d","a","b","c","d","a","b","c","d","x","1",7,7,"address","city"]
SELECT
  bucket,
  bd,
  count() AS value
FROM (
  SELECT
    intDiv(ts + 28800000, 86400000) AS bucket,
    CASE WHEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) ELSE '$other' END AS bd,
    person
  FROM (
    SELECT
      person,
      ts,
      event,
      properties,
      context,
      person_properties
    FROM (
      SELECT
        if(override_person_id = 0, person_id, override_person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?)) NOT IN (?, ?)
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
    WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
  ) AS s5
) AS s6
GROUP BY bucket, bd
ORDER BY bucket, bd;

-- series C persons
-- args: [7,1704038400000,1704643200000,"Order Completed","a","b","c","d","a","b","c","d","a","b","c","d","a","b","c","d","x","1",7,7,"address","city","page","path","page","path","page","path","page","path","a","b","page","path","page","path","page","path","page","path","a"]
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
      context,
      person_properties
    FROM (
      SELECT
        if(override_person_id = 0, person_id, override_person_id) AS person,
        ts,
        event,
        properties,
        context
      FROM (
        SELECT
          person_id,
          ts,
          event,
          properties,
          context
        FROM events
        WHERE project_id = ? AND ts >= ? AND ts < ? AND event IN (?) AND multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(properties, ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?), '^[^{]([^{]|[{])*', ''), ?)) NOT IN (?, ?)
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
    WHERE visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(person_properties, ?), '^[^{]([^{]|[{])*', ''), ?) NOT IN ('', 'null')
  ) AS s5
  WHERE CASE WHEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) IN (?, ?) THEN multiIf(substring(visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), 1, 1) = '"', visitParamExtractString(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?), visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?) = 'null', '', visitParamExtractRaw(replaceRegexpOne(visitParamExtractRaw(context, ?), '^[^{]([^{]|[{])*', ''), ?)) ELSE '$other' END = ?
) AS s6
GROUP BY person
ORDER BY person;

