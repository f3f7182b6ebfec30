// Package audit is Caravan's audit log: one JSON object per event in blob storage, in CircleCI's audit log
// record format (id, action, actor, target, payload, occurred_at, metadata, version, scope, organization,
// success, request).
//
// Record writes an event under audit/YYYY/MM/DD/HH/<occurred unix nano>-<id>.json (UTC), so keys sort in time
// order and List reads a time range back with a few prefix listings. The key depends only on the event, so
// recording the same event again (a retried request, an at-least-once queue) overwrites the same object.
// Record never stores secret values: payload and metadata keys named value, secret, token, password or
// private_key (any case, at any depth) are replaced with "[redacted]".
//
// Middleware records one event per mutating HTTP request (POST, PUT, PATCH, DELETE) after its handler ran.
package audit
