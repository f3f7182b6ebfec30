// Package tasktoken mints and verifies the short-lived tokens a runner presents to the task API.
//
// A token names one task and an expiry and carries an HMAC-SHA256 of both under a server key. Verifying needs
// nothing but the key, so any server instance accepts a token another minted, and no token is stored. The
// runner gets its first token from the executor that started it and a fresh one with every heartbeat, so a
// token leaked from a finished task stops working within its TTL.
//
// Format (opaque to runners): base64url(task id) "." expiry in Unix milliseconds "." base64url(mac).
package tasktoken
