-- Distinct id -> person. The row with the largest version of a (project_id, distinct_id) wins.
CREATE TABLE IF NOT EXISTS person_identities (
    project_id  UInt32,
    distinct_id String,
    person_id   Int64,
    is_user     UInt8,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, distinct_id)
