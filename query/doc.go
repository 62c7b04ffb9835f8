// Package query owns the analysis specs (trends, funnel, retention) and their compiler: a
// typed, JSON-serialisable Spec is validated, resolved against a project Calendar and a
// dialect, planned into a small SQL syntax tree and printed as SQL text with "?" placeholders
// and bound arguments, for DuckDB or ClickHouse (18.16 and current). It must not import a
// database driver or a store implementation, and it never runs SQL: the analysis package
// runs what this package prints.
//
// # Passes
//
// Compile works in passes, like PostHog's HogQL: Decode and Validate check the spec and
// name the JSON field at fault; resolve turns property names, operators and values into
// typed predicates and the date range into UTC milliseconds; plan builds the select trees
// for one analysis; the printer only prints them. The base printer prints everything both
// dialects share; a dialect overrides a handful of hooks (JSON property access, integer
// division, unique counts, quantiles, the override join).
//
// # Properties
//
// A property name is "event", "distinct_id" or "type" (columns of the event), or
// "properties.PATH" (or a bare "PATH"), "context.PATH" or "person.PATH" (a trait of the
// event's person, after person_overrides). PATH is one key or up to MaxPathKeys keys joined
// by dots, each key an object inside the one before: "context.page.path" reads
// {"page":{"path":"/cart"}} of the context. So a top-level key that itself contains a dot
// ("page.path": …) cannot be addressed; nor can an empty key. When a value on the way is
// missing, null or not an object (a string, a number, an array), the property is not set.
// Paths into arrays are not supported: "products.price" over an array of products reads
// nothing, because neither ClickHouse 18.16 nor a single value per event can say which
// element is meant (package definitions lists such paths but marks them not queryable).
//
// ClickHouse 18.16 has no JSONExtract, only visitParamExtract*, which reads the first
// "KEY": anywhere in the text; a nested path nests them, one level at a time, after
// emptying a text that is not an object. For the same reason keys must not contain '"',
// '\' or control characters, keys are matched as written (not \u-escaped) and a key that
// also occurs inside a nested object before the one meant is ambiguous on ClickHouse
// ({"x":{"path":1},"path":2} gives 1 for "path" there, 2 on DuckDB).
//
// The text of a property is the content of a JSON string, the JSON text of a number or a
// boolean, and "" when the path is missing or null. String operators (eq, neq, in, not_in,
// contains, not_contains with string values) compare that text, case-sensitively; numbers
// compared as text are equal only in their shortest form ("1.5", not "1.50"). Numeric
// operators (gt, gte, lt, lte, and eq/neq with a number value) and numeric math (sum, avg,
// …) see only JSON numbers; other values do not match and are not aggregated. neq, not_in
// and not_contains match events where the property is not set; is_set means present and
// not null.
//
// Every printed condition is two-valued (never NULL), so NOT (…) means what it says on
// both dialects.
//
// # ClickHouse
//
// The ClickHouse SQL runs on 18.16 and on current releases (checked against chDB 26.7):
// ANY LEFT JOIN … USING with every subquery aliased, uniqExact, quantileExact, intDiv,
// visitParamExtract* (nested for nested paths) and replaceRegexpOne with keys as bound
// arguments (the store binds them client-side into the constants these functions need). The ClickHouse store keeps persons and
// person_overrides as ReplacingMergeTree(version), so the ClickHouse plan reads them with
// argMax(…, version) grouped by key; DuckDB reads them as they are.
//
// # Time
//
// Timestamps are ts, Int64 milliseconds UTC. Hours, days, weeks (Monday start) and months
// are the project's calendar: the compiler computes the UTC offsets of the calendar's time
// zone over the queried range from Go's time zone database and prints them as a CASE over
// ts, so both dialects bucket identically, DST included, without their own zone data.
// Months are printed as a CASE over the UTC instants of local month starts.
package query
