package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/blob/internal/presign"
)

const (
	// DefaultMaxUpload is the largest presigned PUT body accepted by
	// default: 5 GiB, the largest single PUT S3 accepts.
	DefaultMaxUpload = 5 << 30
	// staleTemp is the age after which New removes leftover uploads of a
	// crashed process.
	staleTemp = 24 * time.Hour
)

// Store is a blob.Store over a local directory. It is safe for concurrent
// use, also by several processes sharing the directory and secret.
type Store struct {
	root   *os.Root
	fsys   fs.FS
	signer *presign.Signer
	cfg    config
}

var _ blob.Store = (*Store)(nil)

type config struct {
	now       func() time.Time
	maxUpload int64
	log       *slog.Logger
}

// Option configures a Store.
type Option func(*config)

// WithClock sets the clock presigned URLs expire by (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxUploadSize sets the largest body a presigned PUT may carry
// (default DefaultMaxUpload); a larger one is refused with 413.
func WithMaxUploadSize(n int64) Option { return func(c *config) { c.maxUpload = n } }

// WithLogger sets where Handler reports server-side failures (default:
// nowhere; clients still get a 500).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// New opens (creating it if needed) a store rooted at the directory root.
// Presigned URLs are signed with secret (at least 32 bytes; every process
// sharing root must use the same one) and point at baseURL, the root of the
// server that mounts Handler at /blobs/; baseURL may be "" and set later with
// SetBaseURL. Close the Store when done.
func New(root, baseURL string, secret []byte, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now, maxUpload: DefaultMaxUpload}
	for _, o := range opts {
		o(&cfg)
	}
	if root == "" {
		return nil, errors.New("open file blob store: empty root")
	}
	if cfg.maxUpload <= 0 {
		return nil, fmt.Errorf("open file blob store %q: max upload size %d, want > 0", root, cfg.maxUpload)
	}
	signer, err := presign.NewSigner(secret, baseURL, cfg.now)
	if err != nil {
		return nil, fmt.Errorf("open file blob store %q: %w", root, err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open file blob store %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open file blob store %q: %w", root, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open file blob store %q: %w", root, err)
	}
	for _, d := range []string{objectsDir, tmpDir} {
		if err := r.MkdirAll(d, 0o700); err != nil {
			r.Close()
			return nil, fmt.Errorf("open file blob store %q: %w", root, err)
		}
	}
	s := &Store{root: r, fsys: r.FS(), signer: signer, cfg: cfg}
	s.sweepTemp()
	return s, nil
}

// Close releases the root directory. The Store must not be used afterwards.
func (s *Store) Close() error { return s.root.Close() }

// SetBaseURL sets the URL of the server root serving Handler at /blobs/,
// for servers that learn their address after creating the store.
func (s *Store) SetBaseURL(u string) error { return s.signer.SetBaseURL(u) }

// Handler serves presigned URLs; mount it at /blobs/ of the server whose
// root is the base URL:
//
//	GET, HEAD  the object, with Content-Length and Range support; 404 if none
//	PUT        the body becomes the object atomically; 413 over the max size
//	other      405
//
// A URL with a bad or expired signature, or used with the wrong method, is
// refused with 403.
func (s *Store) Handler() http.Handler {
	return &presign.Handler{
		Signer: s.signer,
		Open: func(ctx context.Context, key string) (io.ReadSeekCloser, time.Time, error) {
			f, fi, err := s.open(ctx, key)
			if err != nil {
				return nil, time.Time{}, err
			}
			return f, fi.ModTime(), nil
		},
		Put:       s.Put,
		MaxUpload: s.cfg.maxUpload,
		Log:       s.cfg.log,
	}
}

// Presign implements blob.Store; the URL is served by Handler.
func (s *Store) Presign(ctx context.Context, method, key string, ttl time.Duration) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("presign %s %q: %w", method, key, err)
	}
	return s.signer.URL(method, key, ttl)
}

// Delete implements blob.Store. It also removes the directories the object
// leaves empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	file, dir, err := objectPath(key)
	if err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	if err := s.root.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %q: %w", key, err)
	}
	// Best effort: Remove fails on a directory that is not empty, which is
	// where pruning must stop; a Put racing with us re-creates what it needs.
	for d := dir; d != objectsDir; d = path.Dir(d) {
		if s.root.Remove(d) != nil {
			break
		}
	}
	return nil
}

// sweepTemp removes uploads left in tmp/ by a process that crashed.
func (s *Store) sweepTemp() {
	entries, err := fs.ReadDir(s.fsys, tmpDir)
	if err != nil {
		s.logf("sweep temporary files", err)
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < staleTemp {
			continue
		}
		if err := s.root.Remove(path.Join(tmpDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.logf("sweep temporary files", err)
		}
	}
}

func (s *Store) logf(op string, err error) {
	if s.cfg.log != nil {
		s.cfg.log.Warn(op+" failed", "component", "fileblob", "error", err.Error())
	}
}
