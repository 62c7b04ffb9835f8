// Package crosscheck holds the cross-store reference tests on the real datasets in
// ../shared/datasets: the Taobao UserBehavior files, the demo shop and the UCI Online
// Retail file are loaded through the product's own loader into a DuckDB store and a
// ClickHouse store, and the analyses (funnels, retention, monthly revenue) are checked three
// ways: the two stores give identical results, the results equal ClickHouse's own
// windowFunnel and retention functions, and the Online Retail figures equal a plain
// computation over the CSV in the test.
//
// The package has no code of its own: it is tests only, and it must not be imported. The
// tests need a ClickHouse server (internal/chtest starts one; with CI=true a missing server
// fails the tests) and skip, saying why, only when the datasets folder is absent.
package crosscheck
