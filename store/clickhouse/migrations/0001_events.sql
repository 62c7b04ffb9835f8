-- Events, one row per event. Ordered for per-person scans (funnels, retention, paths read
-- a person's events in time order); partitioned by UTC month of the event time.
CREATE TABLE IF NOT EXISTS events (
    project_id   UInt32,
    event_id     String,
    type         String,
    event        String,
    ts           Int64,
    received_at  Int64,
    person_id    Int64,
    distinct_id  String,
    anonymous_id String,
    user_id      String,
    properties   String,
    context      String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000), 'UTC'))
ORDER BY (project_id, person_id, ts)
