-- Person profiles. A change inserts a new row with a larger version; read with FINAL or
-- argMax(..., version) grouped by (project_id, person_id).
CREATE TABLE IF NOT EXISTS persons (
    project_id UInt32,
    person_id  Int64,
    created_at Int64,
    properties String,
    version    UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, person_id)
