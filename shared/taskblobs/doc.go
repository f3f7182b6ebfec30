// Package taskblobs is the blob side of the task protocol, shared by every task server (the real one and the
// local one): it answers a runner's [taskapi.BlobRequest] with presigned URLs of a [blob.Store], and turns the
// JUnit files a task uploaded into test results.
//
// The key layout is fixed: the API reads it too.
//
//	<CachePrefix><base64url(key)>                immutable caches (CachePrefix is e.g. "caches/<project id>/")
//	workspaces/<workspace id>/<job id>/<%04d>    one layer per persist_to_workspace step
//	artifacts/<job id>/<node>/<path>             store_artifacts
//	tests/<job id>/<node>/<path>                 uploaded JUnit files (store_test_results)
//	results/<job id>/<node>.json                 parsed test cases of a finished task (JSON array of junit.Case)
//
// Paths a runner names (artifact destinations, test result names) must be clean and relative; anything else is
// taskapi.ErrInvalid, so no request can reach outside its job's prefix.
package taskblobs
