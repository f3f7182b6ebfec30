package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

var (
	// ErrNotFound is returned (wrapped) by Get for a key that holds no object.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidKey is returned (wrapped) by every method given a key that
	// ValidKey rejects. The adapter touches nothing in that case.
	ErrInvalidKey = errors.New("blob: invalid key")
)

// MaxPresignTTL is the longest lifetime a presigned URL may have. It is the
// limit of S3 and GCS V4 signatures, so every adapter can honour it.
const MaxPresignTTL = 7 * 24 * time.Hour

// Object describes a stored object, as List returns it.
type Object struct {
	Key      string    // the full key
	Size     int64     // in bytes
	Modified time.Time // when the current content was stored
}

// Store is the blob port: objects named by keys (see ValidKey).
//
// Keys are a flat namespace: "a" and "a/b" are two unrelated objects that may
// both exist; there are no directories to create or remove.
//
// Concurrency: every method is safe for concurrent use by many goroutines and,
// for adapters backed by shared storage, by many processes. Put is atomic: a
// concurrent Get, List or presigned GET sees either the previous object (or
// none) or the whole new one, never a prefix; of concurrent Puts of one key,
// one complete value wins. There is no read-your-writes guarantee across
// processes beyond what the backing service gives (S3 and GCS are strongly
// consistent).
//
// Idempotency: Put of the same bytes and Delete may be repeated freely;
// deleting a missing key is not an error. Queues are at-least-once, so
// callers rely on this.
//
// Errors: an invalid key yields ErrInvalidKey, a missing object (Get) yields
// ErrNotFound; both are wrapped with the operation and key, so test them with
// errors.Is. Any other error is a storage failure the caller may retry.
//
// Context: ctx bounds the call. Put stops reading r and stores nothing when
// ctx ends before the object is committed, returning an error that wraps
// ctx.Err(). Whether the reader Get returns still reads after ctx ends
// depends on the adapter (a cloud adapter's body is tied to ctx, a file is
// not), so read it within ctx, and always Close it.
type Store interface {
	// Put stores the bytes read from r until io.EOF under key, replacing any
	// previous object. If reading r fails or ctx ends, nothing is stored and
	// the previous object, if any, is left as it was.
	Put(ctx context.Context, key string, r io.Reader) error

	// Get opens the object at key for reading. It returns an error wrapping
	// ErrNotFound when there is none. The caller must Close the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// List returns every object whose key starts with prefix (a plain string
	// prefix, not necessarily ending in "/"; "" lists everything), sorted by
	// key in byte order. A prefix that no valid key can start with yields an
	// empty list, not an error.
	List(ctx context.Context, prefix string) ([]Object, error)

	// Delete removes the object at key. Deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error

	// Presign returns a URL that any HTTP client may use, without
	// credentials, for one kind of request on key until ttl has passed:
	// method "GET" downloads the object (404 if missing), "PUT" uploads the
	// request body as the object, atomically like Put. Any other method, a
	// ttl outside (0, MaxPresignTTL] or an invalid key is an error.
	//
	// The URL is refused with 403 once expired, when used with another
	// method, or when any part of it (key, expiry, signature) is altered.
	// Presigning does not require the object to exist.
	Presign(ctx context.Context, method, key string, ttl time.Duration) (string, error)
}
