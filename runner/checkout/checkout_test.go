package checkout

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCloneLocal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, method string
		fileURL      bool
	}{
		{"path/blobless", "", false},
		{"path/full", "full", false},
		{"file/blobless", "blobless", true},
		{"file/full", "full", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			src := e.newSource()
			e.commit(src, "data", "v1")
			head := e.commit(src, "data", "v2")
			url := src
			if tc.fileURL {
				url = "file://" + src
			}
			dst := filepath.Join(t.TempDir(), "project")
			e.mustRun(Spec{RepoURL: url, Revision: head, Branch: "main", Method: tc.method}, dst)

			sha, branch := e.head(dst)
			if sha != head || branch != "main" {
				t.Errorf("HEAD = %s on %q, want %s on main", sha, branch, head)
			}
			if got := e.git(dst, "rev-parse", "--abbrev-ref", "main@{upstream}"); got != "origin/main" {
				t.Errorf("upstream = %q, want origin/main", got)
			}
			if got := e.config(dst, "gc.auto"); got != "0" {
				t.Errorf("gc.auto = %q, want 0", got)
			}
			if got := e.config(dst, "remote.origin.url"); got != url {
				t.Errorf("remote.origin.url = %q, want %q", got, url)
			}
			if got, _ := os.ReadFile(filepath.Join(dst, "data")); string(got) != "v2\n" {
				t.Errorf("data = %q, want v2", got)
			}
			promisor := e.config(dst, "remote.origin.promisor")
			missing := strings.Contains(e.git(dst, "rev-list", "--objects", "--missing=print", "--all"), "?")
			switch {
			case tc.method == "full" && (promisor != "" || missing):
				t.Errorf("full clone: promisor = %q, missing blobs = %v; want neither", promisor, missing)
			case tc.fileURL && tc.method != "full" && (promisor != "true" || !missing):
				t.Errorf("blobless clone: promisor = %q, missing blobs = %v; want true, true", promisor, missing)
			}
		})
	}
}

func TestRevisionBehindBranch(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{0, 1} {
		e := newTestEnv(t)
		src := e.newSource()
		old := e.commit(src, "data", "old")
		tip := e.commit(src, "data", "new")
		dst := filepath.Join(t.TempDir(), "project")
		e.mustRun(Spec{RepoURL: "file://" + src, Revision: old, Branch: "main", Depth: depth}, dst)

		if sha, branch := e.head(dst); sha != old || branch != "main" {
			t.Errorf("depth %d: HEAD = %s on %q, want %s on main", depth, sha, branch, old)
		}
		if got := e.git(dst, "rev-parse", "origin/main"); got != tip {
			t.Errorf("depth %d: origin/main = %s, want %s", depth, got, tip)
		}
		if got, _ := os.ReadFile(filepath.Join(dst, "data")); string(got) != "old\n" {
			t.Errorf("depth %d: data = %q, want old", depth, got)
		}
		wantShallow := map[int]string{0: "false", 1: "true"}[depth]
		if got := e.git(dst, "rev-parse", "--is-shallow-repository"); got != wantShallow {
			t.Errorf("depth %d: shallow = %s, want %s", depth, got, wantShallow)
		}
	}
}

func TestDepth(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	e.commit(src, "data", "1")
	tip := e.commit(src, "data", "2")
	dst := filepath.Join(t.TempDir(), "project")
	e.mustRun(Spec{RepoURL: "file://" + src, Branch: "main", Depth: 1, Method: "full"}, dst)
	if sha, branch := e.head(dst); sha != tip || branch != "main" {
		t.Errorf("HEAD = %s on %q, want %s on main", sha, branch, tip)
	}
	if got := e.git(dst, "rev-list", "--count", "HEAD"); got != "1" {
		t.Errorf("history has %s commits, want 1", got)
	}
}

func TestTag(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	tagged := e.commit(src, "data", "release")
	e.git(src, "tag", "-a", "-m", "release", "v1.0.0")
	later := e.commit(src, "data", "later")

	for _, rev := range []string{"", tagged} {
		dst := filepath.Join(t.TempDir(), "project")
		e.mustRun(Spec{RepoURL: src, Tag: "v1.0.0", Revision: rev}, dst)
		if sha, branch := e.head(dst); sha != tagged || branch != "" {
			t.Errorf("revision %q: HEAD = %s on %q, want detached at %s", rev, sha, branch, tagged)
		}
		if got := e.git(dst, "describe", "--exact-match"); got != "v1.0.0" {
			t.Errorf("revision %q: describe = %q, want v1.0.0", rev, got)
		}
	}

	_, err := e.run(Spec{RepoURL: src, Tag: "v1.0.0", Revision: later}, filepath.Join(t.TempDir(), "p"), Options{})
	if err == nil || !strings.Contains(err.Error(), `tag "v1.0.0" points at `+tagged+", not at revision "+later) {
		t.Errorf("tag/revision mismatch: err = %v", err)
	}
}

func TestDetachedRevisionAndDefaultHead(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	first := e.git(src, "rev-parse", "HEAD")
	tip := e.commit(src, "data", "2")

	dst := filepath.Join(t.TempDir(), "rev")
	e.mustRun(Spec{RepoURL: src, Revision: first}, dst)
	if sha, branch := e.head(dst); sha != first || branch != "" {
		t.Errorf("revision only: HEAD = %s on %q, want detached at %s", sha, branch, first)
	}

	dst = filepath.Join(t.TempDir(), "head")
	e.mustRun(Spec{RepoURL: src}, dst)
	if sha, branch := e.head(dst); sha != tip || branch != "" {
		t.Errorf("nothing given: HEAD = %s on %q, want detached at %s", sha, branch, tip)
	}
}

func TestFetchIntoExistingClone(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	first := e.commit(src, "data", "1")
	dst := t.TempDir() // exists and is empty: cloned into
	e.mustRun(Spec{RepoURL: "file://" + src, Revision: first, Branch: "main"}, dst)

	second := e.commit(src, "data", "2")
	// Local changes to tracked files are discarded; untracked files stay.
	if err := os.WriteFile(filepath.Join(dst, "data"), []byte("dirty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "build.out"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun(Spec{RepoURL: "file://" + src, Revision: second, Branch: "main"}, dst)

	if sha, branch := e.head(dst); sha != second || branch != "main" {
		t.Errorf("HEAD = %s on %q, want %s on main\n%s", sha, branch, second, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "data")); string(got) != "2\n" {
		t.Errorf("data = %q, want 2", got)
	}
	if _, err := os.Stat(filepath.Join(dst, "build.out")); err != nil {
		t.Errorf("untracked file removed: %v", err)
	}
	if !strings.Contains(out, "-> origin/main") { // fetch writes this to stderr
		t.Errorf("fetch output not passed through:\n%s", out)
	}
}

func TestMissingBranchWithRevision(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	rev := e.git(src, "rev-parse", "HEAD")
	dst := filepath.Join(t.TempDir(), "project")
	out := e.mustRun(Spec{RepoURL: src, Revision: rev, Branch: "deleted"}, dst)
	if sha, branch := e.head(dst); sha != rev || branch != "deleted" {
		t.Errorf("HEAD = %s on %q, want %s on deleted", sha, branch, rev)
	}
	if !strings.Contains(out, `branch "deleted" not found on origin`) {
		t.Errorf("no warning in output:\n%s", out)
	}
	_, err := e.run(Spec{RepoURL: src, Branch: "deleted"}, filepath.Join(t.TempDir(), "p"), Options{})
	if err == nil || !strings.Contains(err.Error(), "fetch origin: exit status 128: fatal: couldn't find remote ref refs/heads/deleted") {
		t.Errorf("missing branch without revision: err = %v", err)
	}
}

func TestNotARepository(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()

	dst := t.TempDir()
	if err := os.WriteFile(filepath.Join(dst, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A subdirectory of another repository is not a repository of its own.
	sub := filepath.Join(src, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{dst, sub} {
		_, err := e.run(Spec{RepoURL: src, Branch: "main"}, dir, Options{})
		want := `checkout: directory "` + dir + `" exists and is not a git repository`
		if err == nil || err.Error() != want {
			t.Errorf("Run into %s: err = %v, want %s", dir, err, want)
		}
	}
}

func TestInvalidSpec(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{}, "repository url is empty"},
		{Spec{RepoURL: "--upload-pack=touch /tmp/x"}, "invalid repository url"},
		{Spec{RepoURL: src, Method: "shallow"}, `unknown method "shallow"`},
		{Spec{RepoURL: src, Depth: -1}, "negative depth"},
		{Spec{RepoURL: src, Branch: "main", Tag: "v1"}, "mutually exclusive"},
		{Spec{RepoURL: src, Revision: "HEAD~1"}, "not a commit sha"},
		{Spec{RepoURL: src, Branch: "bad..name"}, `invalid branch name "bad..name"`},
		{Spec{RepoURL: src, Tag: "-x"}, `invalid tag name "-x"`},
	} {
		_, err := e.run(tc.spec, filepath.Join(t.TempDir(), "p"), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v): err = %v, want %q", tc.spec, err, tc.want)
		}
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	src := e.newSource()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, Spec{RepoURL: src, Branch: "main"}, filepath.Join(t.TempDir(), "p"), Options{Env: e.env})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
