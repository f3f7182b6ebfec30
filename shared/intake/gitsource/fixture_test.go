package gitsource

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixture is a repository made for a test:
//
//	first   (main~1; tags v1.0 annotated, light) Initial commit: .circleci/config.yml, README.md, link.yml -> config
//	second  (main, HEAD) Use the Go orb: .circleci/config.yml from config-v2.yml
//	feature (branch feature, from first) Add the guide: docs/guide.md
type fixture struct {
	dir                    string // the working tree
	first, second, feature string // commit ids
}

func (f fixture) commit(sha, subject, body string) Commit {
	return Commit{SHA: sha, Subject: subject, Body: body, Author: "Ada Lovelace", AuthorEmail: "ada@example.com"}
}

func (f fixture) firstCommit() Commit {
	return f.commit(f.first, "Initial commit", "Adds the CircleCI config.")
}

func (f fixture) secondCommit() Commit {
	return f.commit(f.second, "Use the Go orb", "Switches the build to circleci/go.\nSecond line.")
}

func (f fixture) featureCommit() Commit {
	return f.commit(f.feature, "Add the guide", "")
}

// gitT runs git in dir with a clean configuration and returns its trimmed output.
func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Charles Babbage", "GIT_COMMITTER_EMAIL=charles@example.com",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	f := fixture{dir: filepath.Join(t.TempDir(), "work")}
	gitT(t, ".", "init", "--quiet", "-b", "main", f.dir)
	writeFile(t, f.dir, ".circleci/config.yml", testdata(t, "config.yml"))
	writeFile(t, f.dir, "README.md", []byte("# Example\n"))
	if err := os.Symlink(".circleci/config.yml", filepath.Join(f.dir, "link.yml")); err != nil {
		t.Fatal(err)
	}
	gitT(t, f.dir, "add", "-A")
	gitT(t, f.dir, "commit", "--quiet", "-m", "Initial commit", "-m", "Adds the CircleCI config.")
	f.first = gitT(t, f.dir, "rev-parse", "HEAD")
	gitT(t, f.dir, "tag", "-a", "v1.0", "-m", "Release 1.0")
	gitT(t, f.dir, "tag", "light")

	gitT(t, f.dir, "checkout", "--quiet", "-b", "feature")
	writeFile(t, f.dir, "docs/guide.md", testdata(t, "guide.md"))
	gitT(t, f.dir, "add", "-A")
	gitT(t, f.dir, "commit", "--quiet", "-m", "Add the guide")
	f.feature = gitT(t, f.dir, "rev-parse", "HEAD")

	gitT(t, f.dir, "checkout", "--quiet", "main")
	writeFile(t, f.dir, ".circleci/config.yml", testdata(t, "config-v2.yml"))
	gitT(t, f.dir, "commit", "--quiet", "-a", "-m", "Use the Go orb\n\nSwitches the build to circleci/go.\nSecond line.\n")
	f.second = gitT(t, f.dir, "rev-parse", "HEAD")
	return f
}

// bareClone makes a bare copy of the fixture and returns its path.
func (f fixture) bareClone(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bare.git")
	gitT(t, ".", "clone", "--quiet", "--bare", f.dir, dir)
	return dir
}

func (f fixture) url() string { return "file://" + filepath.ToSlash(f.dir) }

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
