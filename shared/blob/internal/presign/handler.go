package presign

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
)

// Handler serves presigned URLs over a store. Mount it at PathPrefix.
//
//	GET, HEAD  a GET URL: the object (Range supported), 404 if missing
//	PUT        a PUT URL: the body becomes the object atomically; 413 over
//	           MaxUpload, nothing stored
//	other      405
//
// Any URL that fails Signer.Verify is refused with 403.
type Handler struct {
	Signer *Signer
	// Open opens the object at key; an error wrapping blob.ErrNotFound
	// means there is none.
	Open func(ctx context.Context, key string) (io.ReadSeekCloser, time.Time, error)
	// Put stores r under key atomically, storing nothing on error.
	Put func(ctx context.Context, key string, r io.Reader) error
	// MaxUpload is the largest PUT body accepted, in bytes.
	MaxUpload int64
	// Log receives server-side failures; nil discards them.
	Log *slog.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var signed string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		signed = http.MethodGet
	case http.MethodPut:
		signed = http.MethodPut
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if blob.ValidKey(key) != nil {
		http.Error(w, "forbidden: invalid key", http.StatusForbidden)
		return
	}
	if err := h.Signer.Verify(signed, key, r.URL.Query()); err != nil {
		http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
		return
	}
	if signed == http.MethodGet {
		h.get(w, r, key)
		return
	}
	h.put(w, r, key)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, key string) {
	c, mod, err := h.Open(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, "serve blob", key, err)
		return
	}
	defer c.Close()
	// Never let a browser render stored bytes as a page of this origin.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", mod, c)
}

func (h *Handler) put(w http.ResponseWriter, r *http.Request, key string) {
	if r.ContentLength > h.MaxUpload {
		tooLarge(w, h.MaxUpload)
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.MaxUpload)
	err := h.Put(r.Context(), key, body)
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.As(err, &tooBig):
		tooLarge(w, h.MaxUpload)
	case r.Context().Err() != nil, errors.Is(err, io.ErrUnexpectedEOF):
		// The client went away mid-upload; nobody reads this answer.
		http.Error(w, "upload interrupted", http.StatusBadRequest)
	default:
		h.fail(w, "store blob", key, err)
	}
}

func tooLarge(w http.ResponseWriter, limit int64) {
	http.Error(w, "object larger than "+strconv.FormatInt(limit, 10)+" bytes", http.StatusRequestEntityTooLarge)
}

func (h *Handler) fail(w http.ResponseWriter, op, key string, err error) {
	if h.Log != nil {
		h.Log.Error(op+" failed", "key", key, "error", err.Error())
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}
