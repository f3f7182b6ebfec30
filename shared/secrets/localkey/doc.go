// Package localkey is the embedded secrets.KeyService: data keys are wrapped with AES-256-GCM under a 32-byte
// master key kept in a local file.
//
// Open reads the master key file, which holds either the 32 raw bytes or 64 hex characters (surrounding
// white space ignored). A missing file is created with a fresh random key written in hex, with mode 0600:
// the key is written to a temporary file in the same directory, synced, then linked into place, which fails
// rather than replaces a key file another process created meanwhile (that key is used instead). A file of
// any other size, or one accessible by group or others, is an error naming the file: an existing key file is
// never overwritten, since the secrets sealed under it would be lost.
//
// A wrapped key is 65 bytes: a format version byte, a 4-byte id of the master key (from its SHA-256), a
// 12-byte nonce and the sealed data key with its 16-byte tag; the version and id are authenticated as
// associated data. A key wrapped under another master key fails with an error naming both ids and wrapping
// secrets.ErrDecrypt.
package localkey
