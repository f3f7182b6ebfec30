// Package presign holds what the embedded blob adapters (fileblob, memblob)
// share to serve presigned URLs: a Signer that makes and checks HMAC-SHA256
// signed URLs, and a Handler that serves them over a store.
//
// A URL has the form
//
//	<base>/blobs/<key>?method=<GET|PUT>&expires=<unix seconds>&sig=<hex>
//
// where sig is HMAC-SHA256, under the store's secret, of
// "caravan-blob-v1\n" + method + "\n" + key + "\n" + expires. Keys hold no
// control characters (blob.ValidKey), so the newline-separated message is
// unambiguous. The base URL is not signed: a server may learn its address
// late, or be reached under several names.
package presign
