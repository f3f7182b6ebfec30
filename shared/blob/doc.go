// Package blob is the blob storage port: a flat namespace of byte objects
// named by slash-separated keys, plus presigned URLs so that a process holding
// no credentials (the runner inside a job) can move bytes straight to and from
// storage over plain HTTP.
//
// Store is the port every adapter implements; blobtest is its conformance
// suite. Adapters are named by provider: fileblob (a local directory, the
// embedded default) and memblob (in memory, for tests); cloud adapters (S3,
// GCS) follow the same contract.
//
// The port imports the standard library only.
package blob
