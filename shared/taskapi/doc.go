// Package taskapi is the protocol between a runner and the server that gave it a task.
//
// A runner is started with three things only: the server's URL, a task id and a short-lived task token. It claims
// the task (POST /api/runner/v1/tasks/{id}/claim) and receives the whole [Task]: the job's steps and executor, the
// pipeline values behind the built-in CIRCLE_* variables, the project and context variables (marked secret), the
// checkout credentials and SSH keys. Secrets therefore live only in the claim response: never in the runner's
// command line, its host environment, a queue message or a Nomad job spec.
//
// Every other call is keyed by the task id and authenticated with the token (Authorization: Bearer):
//
//	POST /tasks/{id}/claim              claim the task (idempotent for the same runner id)          → Task
//	POST /tasks/{id}/steps              a step started or ended (idempotent by step index and phase)
//	PUT  /tasks/{id}/steps/{n}/output   a chunk of step n's output at ?offset= (idempotent by offset)
//	POST /tasks/{id}/blobs              presigned URLs for caches, workspace layers, artifacts, test results
//	GET  /tasks/{id}/timings?by=        test timings of earlier runs, for circleci tests split
//	GET  /tasks/{id}/failed-tests       the tests that failed in the attempt this one reruns
//	POST /tasks/{id}/heartbeat          liveness; answers whether the task was cancelled, and a fresh token
//	POST /tasks/{id}/complete           the task's final status (idempotent)
//
// Output is sent as raw bytes, not JSON, so a step that prints fast costs no encoding. Blobs never pass through
// this API: the runner asks for a presigned URL and moves the bytes straight to blob storage.
//
// Both sides import this package: the runner uses [Client]; a server implements [Backend] and mounts
// [Handler]. Errors cross the wire as a status code and {"message": "..."}; [Client] turns them back into the
// sentinels below, so errors.Is works on both sides.
package taskapi
