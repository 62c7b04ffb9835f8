-- Merged persons: old_person_id -> new_person_id. The row with the largest version of a
-- (project_id, old_person_id) wins; read with FINAL or argMax.
CREATE TABLE IF NOT EXISTS person_overrides (
    project_id    UInt32,
    old_person_id Int64,
    new_person_id Int64,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, old_person_id)
