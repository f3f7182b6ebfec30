// Package memblob is an in-memory blob.Store for tests. Objects live in a
// map guarded by a mutex, so a Store is seen only by its own process; use
// fileblob, or a cloud adapter, wherever more than one process shares blobs.
//
// Presigned URLs work as in fileblob: mount Handler at /blobs/ on an HTTP
// server (httptest.NewServer in tests) and give its URL to SetBaseURL. The
// signing secret is random per Store.
package memblob
