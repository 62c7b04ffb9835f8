-- The WAL position of the last Apply that started inserting events, per loader stream.
-- An attempt after the checkpoint means an Apply did not finish: the next Apply of that
-- stream looks up which of its events are already stored.
CREATE TABLE IF NOT EXISTS loader_attempts (
    stream  String,
    segment Int64,
    offset  Int64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY stream
