// Package junit reads JUnit XML test reports, the format that
// `store_test_results` uploads and that test splitting by timings relies on.
//
// Parse flattens a report into one Case per <testcase>, whatever the nesting
// of <testsuites> and <testsuite> elements, with the `file` attribute of a
// test case inherited from its enclosing suites when the case has none.
// It streams the input with an xml.Decoder, so report size only matters for
// the number of cases returned, and it reports malformed input as an error
// rather than panicking.
//
// Reports from the common producers are covered by tests on real samples in
// testdata/: go-junit-report v2 (classname is the Go package path, no file
// attribute) and pytest in both the xunit2 (default, no file attribute) and
// xunit1 (with file) families.
//
// Timings folds cases into per-key durations, keyed by file, classname or
// test name, which is what a timings-based split weighs items with.
package junit
