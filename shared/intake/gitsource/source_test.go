package gitsource

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// resolveCases are the refs every kind of repository resolves alike.
func resolveCases(f fixture) []struct {
	ref  string
	want Commit
} {
	branch := func(c Commit, b string) Commit { c.Branch = b; return c }
	tag := func(c Commit, tg string) Commit { c.Tag = tg; return c }
	return []struct {
		ref  string
		want Commit
	}{
		{"", branch(f.secondCommit(), "main")},
		{"HEAD", branch(f.secondCommit(), "main")},
		{"main", branch(f.secondCommit(), "main")},
		{"refs/heads/main", branch(f.secondCommit(), "main")},
		{"feature", branch(f.featureCommit(), "feature")},
		{"v1.0", tag(f.firstCommit(), "v1.0")},
		{"refs/tags/light", tag(f.firstCommit(), "light")},
		{f.first, f.firstCommit()},
		{f.first[:7], f.firstCommit()},
		{strings.ToUpper(f.feature[:10]), f.featureCommit()},
	}
}

// repoKinds lists the ways a test can name the fixture: a working tree, a
// bare repository, and a file:// URL read through a mirror.
func repoKinds(t *testing.T, f fixture) map[string]string {
	return map[string]string{"worktree": f.dir, "bare": f.bareClone(t), "url": f.url()}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	for kind, repo := range repoKinds(t, f) {
		s := &Source{CacheDir: t.TempDir()}
		for _, tt := range resolveCases(f) {
			t.Run(kind+"/"+tt.ref, func(t *testing.T) {
				got, err := s.Resolve(testContext(t), repo, tt.ref)
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Resolve(%q) (-want +got):\n%s", tt.ref, diff)
				}
			})
		}
	}
}

func TestReadFile(t *testing.T) {
	f := newFixture(t)
	config, configV2, guide := testdata(t, "config.yml"), testdata(t, "config-v2.yml"), testdata(t, "guide.md")
	const unknown = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, sha, path string
		want            []byte
		is              error
		msg             string
	}{
		{"tip", f.second, ".circleci/config.yml", configV2, nil, ""},
		{"older commit", f.first, ".circleci/config.yml", config, nil, ""},
		{"other branch", f.feature, "docs/guide.md", guide, nil, ""},
		{"abbreviated", f.first[:8], ".circleci/config.yml", config, nil, ""},
		{"cleaned path", f.first, "./.circleci//config.yml", config, nil, ""},
		{"missing file", f.first, "docs/guide.md", nil, ErrNotFound, "no docs/guide.md in commit " + f.first},
		{"missing dir", f.second, "nope/config.yml", nil, ErrNotFound, "no nope/config.yml"},
		{"directory", f.second, ".circleci", nil, ErrNotFound, ".circleci is a directory"},
		{"symlink", f.first, "link.yml", nil, ErrNotFound, "link.yml is a symbolic link"},
		{"unknown commit", unknown, ".circleci/config.yml", nil, ErrUnknownRef, unknown},
		{"escape", f.first, "../etc/passwd", nil, ErrInvalid, "escapes"},
		{"option", f.first, "-p", nil, ErrInvalid, "starts with '-'"},
		{"absolute", f.first, "/etc/passwd", nil, ErrInvalid, "is absolute"},
		{"not an id", "main", "README.md", nil, ErrInvalid, "is not a commit id"},
	}
	for kind, repo := range repoKinds(t, f) {
		s := &Source{CacheDir: t.TempDir()}
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				got, err := s.ReadFile(testContext(t), repo, tt.sha, tt.path)
				if tt.is == nil {
					if err != nil {
						t.Fatalf("ReadFile: %v", err)
					}
					if !bytes.Equal(got, tt.want) {
						t.Errorf("ReadFile = %q, want %q", got, tt.want)
					}
					return
				}
				if !errors.Is(err, tt.is) {
					t.Fatalf("ReadFile = %v, want an error wrapping %v", err, tt.is)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error %q does not mention %q", err, tt.msg)
				}
			})
		}
	}
}

func TestResolveErrors(t *testing.T) {
	f := newFixture(t)
	plain := filepath.Join(f.dir, "docs-not-a-repo")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, repo, ref string
		is              error
		msg             string
	}{
		{"unknown branch", f.dir, "nope", ErrUnknownRef, `no branch, tag or commit named "nope"`},
		{"unknown branch via url", f.url(), "nope", ErrUnknownRef, `the remote has no branch or tag named "nope"`},
		{"unknown full ref", f.dir, "refs/heads/nope", ErrUnknownRef, ""},
		{"unknown sha", f.dir, "0123456789abcdef0123456789abcdef01234567", ErrUnknownRef, "no such commit"},
		{"unknown sha via url", f.url(), "0123456789abcdef0123456789abcdef01234567", ErrUnknownRef, "the remote has no commit"},
		{"unknown abbreviated via url", f.url(), "0123abc", ErrUnknownRef, "do not contain 0123abc"},
		{"option ref", f.dir, "--upload-pack=evil", ErrInvalid, "starts with '-'"},
		{"dotdot ref", f.dir, "main..feature", ErrInvalid, "contains '..'"},
		{"reflog ref", f.dir, "main@{1}", ErrInvalid, "reflog"},
		{"revision syntax", f.dir, "main~1", ErrInvalid, "contains '~'"},
		{"space", f.dir, "a b", ErrInvalid, "contains ' '"},
		{"password url", "https://user:hunter2@example.com/r.git", "", ErrInvalid, "embeds a password"},
		{"ext transport", "ext::sh -c touch% /tmp/pwned", "", ErrInvalid, "repository URL"},
		{"option host", "ssh://-oProxyCommand=evil/r", "", ErrInvalid, "no usable host"},
		{"scp option host", "-oProxyCommand=evil:r", "", ErrInvalid, ""},
		{"bad scheme", "ftp://example.com/r.git", "", ErrInvalid, `scheme "ftp"`},
		{"not a repo", plain, "", nil, "is not a git repository"},
		{"missing path", filepath.Join(f.dir, "missing"), "", nil, "is not a git repository"},
	}
	s := &Source{CacheDir: t.TempDir()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Resolve(testContext(t), tt.repo, tt.ref)
			if err == nil {
				t.Fatal("Resolve succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			if password := "hunter2"; strings.Contains(err.Error(), password) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestNoCacheDir(t *testing.T) {
	f := newFixture(t)
	_, err := (&Source{}).Resolve(testContext(t), f.url(), "main")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "CacheDir") {
		t.Errorf("Resolve without CacheDir = %v, want an ErrInvalid naming CacheDir", err)
	}
	// Local paths need no cache.
	if _, err := (&Source{}).Resolve(testContext(t), f.dir, "main"); err != nil {
		t.Errorf("Resolve of a local path without CacheDir: %v", err)
	}
}
