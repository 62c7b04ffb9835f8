-- The WAL position applied last, per loader stream.
CREATE TABLE IF NOT EXISTS loader_checkpoint (
    stream  String,
    segment Int64,
    offset  Int64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY stream
