// Package tests holds Caravan's cross-process suites: they build the real binaries and drive them as a user
// would.
package tests
