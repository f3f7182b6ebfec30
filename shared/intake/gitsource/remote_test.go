package gitsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMirrorLayout(t *testing.T) {
	f := newFixture(t)
	cache := t.TempDir()
	s := &Source{CacheDir: cache}
	if _, err := s.Resolve(testContext(t), f.url(), "main"); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(f.url()))
	dir := filepath.Join(cache, hex.EncodeToString(sum[:]))
	if got := gitT(t, ".", "--git-dir", dir, "rev-parse", "--is-bare-repository"); got != "true" {
		t.Errorf("mirror %s is not bare: %s", dir, got)
	}
	if got := gitT(t, ".", "--git-dir", dir, "config", "remote.origin.url"); got != f.url() {
		t.Errorf("mirror origin = %q, want %q", got, f.url())
	}
	if got := gitT(t, ".", "--git-dir", dir, "rev-parse", "--is-shallow-repository"); got != "true" {
		t.Errorf("a branch fetch should be shallow, is-shallow = %s", got)
	}
	if _, err := os.Stat(dir + ".lock"); err != nil {
		t.Errorf("no lock file beside the mirror: %v", err)
	}
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".init-") {
			t.Errorf("leftover temporary directory %s", e.Name())
		}
	}
}

func TestMirrorFollowsRemote(t *testing.T) {
	f := newFixture(t)
	s := &Source{CacheDir: t.TempDir()}
	ctx := testContext(t)
	if c, err := s.Resolve(ctx, f.url(), "main"); err != nil || c.SHA != f.second {
		t.Fatalf("Resolve(main) = %v, %v; want %s", c.SHA, err, f.second)
	}
	writeFile(t, f.dir, "README.md", []byte("changed\n"))
	gitT(t, f.dir, "commit", "--quiet", "-a", "-m", "Third")
	third := gitT(t, f.dir, "rev-parse", "HEAD")
	c, err := s.Resolve(ctx, f.url(), "main")
	if err != nil || c.SHA != third || c.Subject != "Third" {
		t.Fatalf("after a new commit Resolve(main) = %+v, %v; want %s", c, err, third)
	}
	b, err := s.ReadFile(ctx, f.url(), third, "README.md")
	if err != nil || string(b) != "changed\n" {
		t.Errorf("ReadFile(README.md) = %q, %v", b, err)
	}
	// A force-pushed branch is followed too.
	gitT(t, f.dir, "reset", "--quiet", "--hard", f.first)
	if c, err := s.Resolve(ctx, f.url(), "main"); err != nil || c.SHA != f.first {
		t.Errorf("after a force push Resolve(main) = %v, %v; want %s", c.SHA, err, f.first)
	}
}

func TestAbbreviatedInFreshMirror(t *testing.T) {
	f := newFixture(t)
	s := &Source{CacheDir: t.TempDir()}
	// first is no branch tip: finding it by prefix needs the full history.
	c, err := s.Resolve(testContext(t), f.url(), f.first[:7])
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA != f.first || c.Branch != "" || c.Tag != "" {
		t.Errorf("Resolve(%s) = %+v, want commit %s with no branch or tag", f.first[:7], c, f.first)
	}
}

func TestConcurrentMirrorUse(t *testing.T) {
	f := newFixture(t)
	cache := t.TempDir()
	// Two Sources on one cache stand for two processes: only the lock file orders them.
	sources := []*Source{{CacheDir: cache}, {CacheDir: cache}}
	refs := []string{"main", "feature", "v1.0", f.first, ""}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			s := sources[i%2]
			ref := refs[i%len(refs)]
			c, err := s.Resolve(testContext(t), f.url(), ref)
			if err != nil {
				errs <- err
				return
			}
			if _, err := s.ReadFile(testContext(t), f.url(), c.SHA, ".circleci/config.yml"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLockWaitEndsWithContext(t *testing.T) {
	cache := t.TempDir()
	dir := filepath.Join(cache, "m")
	holder := &Source{CacheDir: cache}
	unlock, err := holder.lock(testContext(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for name, s := range map[string]*Source{"same source": holder, "other source": {CacheDir: cache}} {
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		_, err := s.lock(ctx, dir)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: lock while held = %v, want a deadline error", name, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	f := newFixture(t)
	s := &Source{CacheDir: t.TempDir(), Timeout: time.Nanosecond}
	_, err := s.Resolve(t.Context(), f.url(), "main")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Resolve with a 1ns timeout = %v, want a deadline error", err)
	}
}
