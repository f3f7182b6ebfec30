package fileblob_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/fileblob"
	"github.com/google/go-cmp/cmp"
)

// TestLayout checks the files behind keys, and that Delete prunes the
// directories it empties.
func TestLayout(t *testing.T) {
	t.Parallel()
	s := newServed(t)
	ctx := context.Background()
	for _, key := range []string{"logs/job", "logs/job/out.txt", "conf.d/x"} {
		if err := s.Put(ctx, key, strings.NewReader(key)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"objects/conf.d.d.d/x", "objects/logs.d/job", "objects/logs.d/job.d/out.txt"}
	if diff := cmp.Diff(want, files(t, s.root)); diff != "" {
		t.Errorf("files after puts (-want +got):\n%s", diff)
	}
	for _, key := range []string{"logs/job/out.txt", "conf.d/x"} {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"objects/logs.d/job"}, files(t, s.root)); diff != "" {
		t.Errorf("files after deletes (-want +got):\n%s", diff)
	}
	for _, dir := range []string{"objects/logs.d/job.d", "objects/conf.d.d.d"} {
		if _, err := os.Stat(filepath.Join(s.root, dir)); !os.IsNotExist(err) {
			t.Errorf("%s after deleting its last object: %v, want it removed", dir, err)
		}
	}
}

// files lists the regular files below root, slash-separated, sorted.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExpiryWithClock(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(1_700_000_000)
	s := newServed(t, fileblob.WithClock(func() time.Time { return time.Unix(now.Load(), 0) }))
	if err := s.Put(context.Background(), "k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	u, err := s.Presign(context.Background(), "GET", "k", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := send(t, "GET", u, nil); code != http.StatusOK {
		t.Errorf("GET before expiry = %d, want 200", code)
	}
	now.Add(3600)
	if code, _ := send(t, "GET", u, nil); code != http.StatusForbidden {
		t.Errorf("GET at expiry = %d, want 403", code)
	}
}

func TestSweepStaleTemp(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"objects", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	stale, fresh := filepath.Join(root, "tmp", "put-stale"), filepath.Join(root, "tmp", "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	s, err := fileblob.New(root, "", secret)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff([]string{"tmp/put-fresh"}, files(t, root)); diff != "" {
		t.Errorf("files after New (-want +got):\n%s", diff)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		url string
		ok  bool
	}{
		{"file://" + filepath.ToSlash(dir) + "/a", true},
		{"file://localhost" + filepath.ToSlash(dir) + "/b?base_url=http%3A%2F%2F127.0.0.1%3A8080", true},
		{"file://" + filepath.ToSlash(dir) + "/c?base_url=ftp%3A%2F%2Fx", false},
		{"file://" + filepath.ToSlash(dir) + "/d?bucket=x", false},
		{"file://remote/x", false},
		{"s3://bucket/x", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		s, err := fileblob.Open(u, secret)
		if err == nil {
			s.Close()
		}
		if (err == nil) != tt.ok {
			t.Errorf("Open(%q) error = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
	if _, err := fileblob.New(dir, "", secret[:16]); err == nil {
		t.Error("New with a 16-byte secret: no error")
	}
}

// TestPutRacesPrune has Deletes prune a directory while Puts into it are
// between creating it and renaming into it.
func TestPutRacesPrune(t *testing.T) {
	t.Parallel()
	s := newServed(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, key := range []string{"p/q/x", "p/q/y", "p/z"} {
		wg.Go(func() {
			for range 200 {
				if err := s.Put(ctx, key, strings.NewReader(key)); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Errorf("Delete: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := files(t, s.root); len(got) != 0 {
		t.Errorf("files after all deletes: %q, want none", got)
	}
	entries, err := os.ReadDir(filepath.Join(s.root, "objects"))
	if err != nil || len(entries) != 0 {
		t.Errorf("objects/ holds %v (err %v), want every directory pruned", entries, err)
	}
}
