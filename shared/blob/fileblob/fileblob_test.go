package fileblob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/blob/blobtest"
	"github.com/caravan-ci/caravan/shared/blob/fileblob"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// served is a Store in a temporary directory with its Handler served.
type served struct {
	*fileblob.Store
	root string
	srv  *httptest.Server
	done chan struct{} // receives after each request the handler finished
}

func newServed(t *testing.T, opts ...fileblob.Option) *served {
	t.Helper()
	root := t.TempDir()
	s, err := fileblob.New(root, "", secret, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	sv := &served{Store: s, root: root, done: make(chan struct{}, 100)}
	mux := http.NewServeMux()
	h := s.Handler()
	mux.HandleFunc("/blobs/", func(w http.ResponseWriter, r *http.Request) {
		defer func() { sv.done <- struct{}{} }()
		h.ServeHTTP(w, r)
	})
	sv.srv = httptest.NewServer(mux)
	t.Cleanup(sv.srv.Close)
	if err := s.SetBaseURL(sv.srv.URL); err != nil {
		t.Fatalf("SetBaseURL: %v", err)
	}
	return sv
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newServed(t).Store })
}

// TestSymlinkEscape plants links in the root that lead outside it: no key
// may read or write through them.
func TestSymlinkEscape(t *testing.T) {
	t.Parallel()
	s := newServed(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	objects := filepath.Join(s.root, "objects")
	links := map[string]string{
		"evil.d":      outside,                          // a directory segment
		"leak":        filepath.Join(outside, "secret"), // an object
		"rel.d":       "../../" + filepath.Base(outside),
		"inside-link": "../tmp",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(objects, name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, key := range []string{"evil/secret", "leak", "rel/secret", "inside-link"} {
		rc, err := s.Get(ctx, key)
		if err == nil {
			data, _ := io.ReadAll(rc)
			rc.Close()
			t.Errorf("Get(%q) read %q through a planted symlink, want an error", key, data)
		}
	}
	for _, key := range []string{"evil/new", "rel/new"} {
		if err := s.Put(ctx, key, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) through a planted symlink: no error", key)
		}
	}
	entries, err := os.ReadDir(outside)
	if err != nil || len(entries) != 1 {
		t.Errorf("outside directory holds %v (err %v), want only the secret", entries, err)
	}
	objs, err := s.List(ctx, "")
	if err != nil || len(objs) != 0 {
		t.Errorf("List = %+v, %v; want nothing (symlinks are not objects)", objs, err)
	}
	code, body := send(t, "GET", presign(t, s, "GET", "evil/secret"), nil)
	if code == http.StatusOK {
		t.Errorf("presigned GET through a planted symlink: 200 %q", body)
	}
}

// TestInterruptedUpload cuts a presigned PUT off halfway: no object and no
// temporary file may remain.
func TestInterruptedUpload(t *testing.T) {
	t.Parallel()
	s := newServed(t)
	u, err := url.Parse(presign(t, s, "PUT", "cut/off"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", u.RequestURI(), u.Host, 1<<20)
	conn.Write(bytes.Repeat([]byte("x"), 100<<10))
	conn.Close()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler still running 10s after the client hung up")
	}
	if _, err := s.Get(context.Background(), "cut/off"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after an interrupted upload error = %v, want ErrNotFound", err)
	}
	assertNoTemp(t, s.root)
}

func TestUploadTooLarge(t *testing.T) {
	t.Parallel()
	s := newServed(t, fileblob.WithMaxUploadSize(1000))
	// Declared too large, and streamed without a length.
	if code, _ := send(t, "PUT", presign(t, s, "PUT", "big"), bytes.NewReader(make([]byte, 1001))); code != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT of 1001 bytes: status %d, want 413", code)
	}
	chunked := io.MultiReader(strings.NewReader(strings.Repeat("y", 600)), strings.NewReader(strings.Repeat("y", 600)))
	if code, _ := send(t, "PUT", presign(t, s, "PUT", "big"), struct{ io.Reader }{chunked}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked PUT of 1200 bytes: status %d, want 413", code)
	}
	if _, err := s.Get(context.Background(), "big"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after refused uploads error = %v, want ErrNotFound", err)
	}
	assertNoTemp(t, s.root)
	if code, _ := send(t, "PUT", presign(t, s, "PUT", "big"), bytes.NewReader(make([]byte, 1000))); code != http.StatusOK {
		t.Errorf("PUT of exactly the limit: status %d, want 200", code)
	}
}

func presign(t *testing.T, s *served, method, key string) string {
	t.Helper()
	u, err := s.Presign(context.Background(), method, key, time.Minute)
	if err != nil {
		t.Fatalf("Presign: %v", err)
	}
	return u
}

func send(t *testing.T, method, u string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func assertNoTemp(t *testing.T, root string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil || len(entries) != 0 {
		t.Errorf("tmp/ holds %v (err %v), want nothing", entries, err)
	}
}
