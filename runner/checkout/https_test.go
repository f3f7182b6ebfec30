package checkout

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// serveGit serves the repositories under root with git http-backend,
// answering 401 unless the request carries basic auth user:token.
func serveGit(t *testing.T, e *testEnv, root, user, token string) *httptest.Server {
	t.Helper()
	backend := &cgi.Handler{
		Path: filepath.Join(e.git("", "--exec-path"), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1", "HOME=" + e.home, "PATH=" + os.Getenv("PATH"),
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// withArgLog puts a git wrapper first on PATH that records every argument
// list Run passes to git, and returns the log's path.
func withArgLog(t *testing.T, e *testEnv) (*testEnv, string) {
	t.Helper()
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	log := filepath.Join(t.TempDir(), "args.log")
	writeScript(t, filepath.Join(bin, "git"), `printf '%s\n' "$*" >> "$GIT_ARG_LOG"
exec '`+realGit+`' "$@"
`)
	return e.with("PATH="+bin+string(filepath.ListSeparator)+os.Getenv("PATH"), "GIT_ARG_LOG="+log), log
}

func TestHTTPSToken(t *testing.T) {
	t.Parallel()
	const token = "ghs_s3cretT0ken"
	e := newTestEnv(t)
	src := e.newSource()
	head := e.commit(src, "data", "v2")
	root := filepath.Dir(src)
	encoded := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	repoURL := serveGit(t, e, root, "x-access-token", token).URL + "/repo.git"
	u, _ := url.Parse(repoURL)
	u.User = url.UserPassword("x-access-token", token)
	inURL := u.String()

	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"token", Spec{RepoURL: repoURL, Revision: head, Branch: "main", HTTPSToken: token}},
		{"userinfo", Spec{RepoURL: inURL, Revision: head, Branch: "main"}},
	} {
		le, argLog := withArgLog(t, e)
		dst := filepath.Join(t.TempDir(), "project")
		out, err := le.run(tc.spec, dst, Options{})
		if err != nil {
			t.Fatalf("%s: Run: %v\n%s", tc.name, err, out)
		}
		if sha, branch := e.head(dst); sha != head || branch != "main" {
			t.Errorf("%s: HEAD = %s on %q, want %s on main", tc.name, sha, branch, head)
		}
		if got := e.config(dst, "remote.origin.url"); got != repoURL {
			t.Errorf("%s: remote.origin.url = %q, want %q", tc.name, got, repoURL)
		}
		if got := e.config(dst, "remote.origin.promisor"); got != "true" {
			t.Errorf("%s: blobless clone over http: promisor = %q", tc.name, got)
		}
		config, err := os.ReadFile(filepath.Join(dst, ".git", "config"))
		if err != nil {
			t.Fatal(err)
		}
		args, err := os.ReadFile(argLog)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(args), "fetch --force") {
			t.Errorf("%s: git wrapper not used; log:\n%s", tc.name, args)
		}
		for what, text := range map[string]string{".git/config": string(config), "output": out, "git arguments": string(args)} {
			if strings.Contains(text, token) || strings.Contains(text, encoded) {
				t.Errorf("%s: token found in %s:\n%s", tc.name, what, text)
			}
		}
	}
}

func TestHTTPSCustomUser(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	head := e.git(src, "rev-parse", "HEAD")
	srv := serveGit(t, e, filepath.Dir(src), "oauth2", "glpat-123")
	dst := filepath.Join(t.TempDir(), "project")
	e.mustRun(Spec{RepoURL: srv.URL + "/repo.git", Branch: "main", HTTPSToken: "glpat-123", HTTPSUser: "oauth2"}, dst)
	if sha, _ := e.head(dst); sha != head {
		t.Errorf("HEAD = %s, want %s", sha, head)
	}
}

func TestHTTPSWrongToken(t *testing.T) {
	t.Parallel()
	const wrong = "wrong-t0ken"
	e := newTestEnv(t)
	src := e.newSource()
	srv := serveGit(t, e, filepath.Dir(src), "x-access-token", "right-token")
	for _, token := range []string{wrong, ""} {
		dst := filepath.Join(t.TempDir(), "project")
		out, err := e.run(Spec{RepoURL: srv.URL + "/repo.git", Branch: "main", HTTPSToken: token}, dst, Options{})
		if !errors.Is(err, ErrAuthentication) {
			t.Fatalf("token %q: err = %v, want ErrAuthentication", token, err)
		}
		msg := err.Error()
		t.Logf("token %q: %s", token, msg)
		hint := "the server rejected the HTTPS token for user x-access-token"
		if token == "" {
			hint = "no HTTPS token given"
		}
		if !strings.HasPrefix(msg, "fetch origin: authentication failed ("+hint+"): exit status 128: fatal: ") {
			t.Errorf("token %q: unclear error %q", token, msg)
		}
		if token != "" && (strings.Contains(msg, token) || strings.Contains(out, token)) {
			t.Errorf("token leaked: err %q, output %q", msg, out)
		}
	}
}
