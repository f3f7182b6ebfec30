// Package server wires the embedded topology — every service of Caravan in one process over the embedded
// adapters (SQLite store and queue, a blob directory, a local key file) and the local process executor — and
// serves it over HTTP. It is the one place that picks adapters; the services only see ports. `caravan server`
// is a thin main over Open and Run.
//
// Everything durable lives under Config.DataDir:
//
//	store.db       the SQLite store (WAL)         queue.db     the SQLite queue (WAL)
//	blobs/         blob objects                   master.key   data-key wrapping key (0600)
//	signing.key    HMAC key for task tokens, presigned and output URLs, continuation keys (0600)
//	admin.token    the first admin's API token (0600), so `make run` can show it again
//	runs/          per-task work directories and runner logs
//	git/           mirrors of remote repositories
package server
