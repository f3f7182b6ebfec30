// Package localexec runs a compiled workflow on this machine with no server: it orders the jobs by their
// requires, runs every task (one per parallel node) through the real runner against a [localapi] task server,
// and shows progress as it goes. Caches, workspaces, artifacts, test results and test timings live under one
// directory, so a second run restores the first run's caches and splits tests by its timings.
//
// This is `caravan local execute`: the way to try a config before pushing it.
package localexec
