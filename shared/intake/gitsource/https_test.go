package gitsource

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHTTPSEndToEnd serves the fixture with git http-backend behind TLS and
// a check of the Basic credentials, as a forge would.
func TestHTTPSEndToEnd(t *testing.T) {
	f := newFixture(t)
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	root := filepath.Dir(f.dir) // serves /work/…
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1"},
	}
	var requests, rejected atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		user, pass, ok := r.BasicAuth()
		if !ok || user != "x-access-token" || pass != "tok-123" {
			rejected.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_SSL_CAINFO", ca)
	// No credential helper of the machine running the tests may answer for us.
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")

	url := srv.URL + "/work"
	cache := t.TempDir()
	s := &Source{CacheDir: cache}
	ctx := testContext(t)

	t.Run("no token", func(t *testing.T) {
		_, err := s.Resolve(ctx, url, "main")
		if err == nil || !strings.Contains(err.Error(), "Authentication failed") &&
			!strings.Contains(err.Error(), "could not read Username") {
			t.Errorf("Resolve without a token = %v, want an authentication failure", err)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		if _, err := s.ResolveAuth(ctx, url, "main", Auth{HTTPSToken: "nope"}); err == nil {
			t.Error("Resolve with a wrong token succeeded")
		}
	})
	t.Run("token", func(t *testing.T) {
		auth := Auth{HTTPSToken: "tok-123"}
		c, err := s.ResolveAuth(ctx, url, "", auth)
		if err != nil {
			t.Fatal(err)
		}
		if c.SHA != f.second || c.Branch != "main" {
			t.Errorf("Resolve(\"\") = %s on %q, want %s on main", c.SHA, c.Branch, f.second)
		}
		b, err := s.ReadFileAuth(ctx, url, c.SHA, ".circleci/config.yml", auth)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(testdata(t, "config-v2.yml")) {
			t.Errorf("ReadFile = %q", b)
		}
		// The tag is reachable by refspec even over the v0 protocol of a bare CGI backend.
		if c, err := s.ResolveAuth(ctx, url, "v1.0", auth); err != nil || c.SHA != f.first {
			t.Errorf("Resolve(v1.0) = %v, %v; want %s", c.SHA, err, f.first)
		}
	})
	if rejected.Load() == 0 || requests.Load() == rejected.Load() {
		t.Errorf("requests %d, rejected %d: the server never both refused and served", requests.Load(), rejected.Load())
	}

	// The token is never written into the mirror.
	sum := sha256.Sum256([]byte(url))
	mirror := filepath.Join(cache, hex.EncodeToString(sum[:]))
	err = filepath.WalkDir(mirror, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "tok-123") {
			return errors.New(p + " contains the token")
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}
