package memblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/blob/internal/ctxio"
	"github.com/caravan-ci/caravan/shared/blob/internal/presign"
)

// DefaultMaxUpload is the largest presigned PUT body accepted by default.
const DefaultMaxUpload = 1 << 30

// Store is an in-memory blob.Store. The zero value is not usable; call New.
type Store struct {
	signer    *presign.Signer
	now       func() time.Time
	maxUpload int64

	mu      sync.RWMutex
	objects map[string]object
}

type object struct {
	data     []byte // never modified once stored
	modified time.Time
}

var _ blob.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for modification times and URL expiry.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithMaxUploadSize sets the largest body a presigned PUT may carry.
func WithMaxUploadSize(n int64) Option { return func(s *Store) { s.maxUpload = n } }

// New returns an empty Store with a random signing secret and no base URL.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, maxUpload: DefaultMaxUpload, objects: map[string]object{}}
	for _, o := range opts {
		o(s)
	}
	secret := make([]byte, presign.MinSecretLen)
	rand.Read(secret) // never fails
	signer, err := presign.NewSigner(secret, "", s.now)
	if err != nil {
		panic(err) // unreachable: the secret is long enough and there is no base url
	}
	s.signer = signer
	return s
}

// SetBaseURL sets the URL of the server root serving Handler at /blobs/.
func (s *Store) SetBaseURL(u string) error { return s.signer.SetBaseURL(u) }

// Handler serves presigned URLs; mount it at /blobs/.
func (s *Store) Handler() http.Handler {
	return &presign.Handler{Signer: s.signer, Open: s.open, Put: s.Put, MaxUpload: s.maxUpload}
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("put blob %q: %w", key, err)
	}
	data, err := io.ReadAll(ctxio.Reader(ctx, r))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("put blob %q: %w", key, err)
	}
	s.mu.Lock()
	s.objects[key] = object{data: data, modified: s.now()}
	s.mu.Unlock()
	return nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, _, err := s.open(ctx, key)
	if err != nil {
		return nil, err
	}
	return rc, nil
}

func (s *Store) open(ctx context.Context, key string) (io.ReadSeekCloser, time.Time, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, time.Time{}, fmt.Errorf("get blob %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("get blob %q: %w", key, err)
	}
	s.mu.RLock()
	o, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return nil, time.Time{}, fmt.Errorf("get blob %q: %w", key, blob.ErrNotFound)
	}
	return nopCloser{bytes.NewReader(o.data)}, o.modified, nil
}

// List implements blob.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list blobs %q: %w", prefix, err)
	}
	s.mu.RLock()
	out := []blob.Object{}
	for k, o := range s.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, blob.Object{Key: k, Size: int64(len(o.data)), Modified: o.modified})
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	s.mu.Lock()
	delete(s.objects, key)
	s.mu.Unlock()
	return nil
}

// Presign implements blob.Store; the URL is served by Handler.
func (s *Store) Presign(ctx context.Context, method, key string, ttl time.Duration) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("presign %s %q: %w", method, key, err)
	}
	return s.signer.URL(method, key, ttl)
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
