// Package localapi is a task server for one machine: it implements the runner protocol ([taskapi.Backend]) over a
// directory, for `caravan local execute` and for the runner's own tests. It keeps what a real server keeps, on disk:
// output as per-step files appended at the offsets the runner sends (so a retried chunk is never written twice),
// caches, workspace layers, artifacts and test results in a [fileblob] store with HMAC-signed URLs it serves
// itself, and the JUnit results of each job run, which give later runs their timings and their failed tests. The
// blob side is [taskblobs], shared with the real server, so both keep the same layout.
//
// Layout of the directory:
//
//	blobs/caches/<base64url key>                     immutable caches
//	blobs/workspaces/<workspace id>/<job id>/<step>  one layer per persist_to_workspace step
//	blobs/artifacts/<job id>/<node>/<path>
//	blobs/tests/<job id>/<node>/<path>               uploaded JUnit files
//	blobs/results/<job id>/<node>.json               parsed test cases of a finished task
//	output/<task id>/<step>.log                      step output
package localapi
