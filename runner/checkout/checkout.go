package checkout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Spec says what to check out and with which credentials.
type Spec struct {
	RepoURL    string // https://…, ssh://…, git@host:org/repo.git, file://…, or a local repository path
	Revision   string // commit SHA to check out (may be empty: then the branch or tag head)
	Branch     string // CIRCLE_BRANCH
	Tag        string // CIRCLE_TAG
	Method     string // "blobless" (default) or "full"
	Depth      int    // optional shallow depth (0 = none)
	SSHKey     string // private key (PEM/OpenSSH) for ssh URLs — a secret
	KnownHosts string // known_hosts lines to trust; empty → StrictHostKeyChecking=accept-new
	HTTPSToken string // token for https URLs — a secret
	HTTPSUser  string // basic-auth user for the token, default "x-access-token" (GitHub App); GitLab uses "oauth2"
}

// Options are the runner-side settings of a checkout.
type Options struct {
	Stdout, Stderr io.Writer // git's output; nil discards it
	Env            []string  // base environment for git (secrets removed); nil means os.Environ()
	TempDir        string    // runner-private directory for key files, never inside the checkout; "" means os.TempDir()
}

var revisionRE = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)

func (s Spec) validate() error {
	switch {
	case s.RepoURL == "":
		return errors.New("checkout: repository url is empty")
	case strings.HasPrefix(s.RepoURL, "-"):
		return fmt.Errorf("checkout: invalid repository url %q", s.RepoURL)
	case s.Method != "" && s.Method != "blobless" && s.Method != "full":
		return fmt.Errorf("checkout: unknown method %q (want blobless or full)", s.Method)
	case s.Depth < 0:
		return fmt.Errorf("checkout: negative depth %d", s.Depth)
	case s.Branch != "" && s.Tag != "":
		return fmt.Errorf("checkout: branch %q and tag %q are mutually exclusive", s.Branch, s.Tag)
	case s.Revision != "" && !revisionRE.MatchString(s.Revision):
		return fmt.Errorf("checkout: revision %q is not a commit sha", s.Revision)
	}
	return nil
}

// Run checks out spec into dir: it clones when dir is missing or empty,
// fetches when dir is a git repository, and fails otherwise.
func Run(ctx context.Context, spec Spec, dir string, opts Options) (err error) {
	if err := spec.validate(); err != nil {
		return err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("checkout: %w", err)
	}
	g := &git{dir: dir, stdout: io.Discard, stderr: io.Discard}
	var mu sync.Mutex
	if opts.Stdout != nil {
		g.stdout = lockedWriter{&mu, opts.Stdout}
	}
	if opts.Stderr != nil {
		g.stderr = lockedWriter{&mu, opts.Stderr}
	}
	remoteURL, cleanup, err := setupTransport(g, spec, opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := cleanup(); cerr != nil && err == nil {
			err = fmt.Errorf("checkout: remove ssh key: %w", cerr)
		}
	}()

	existing, err := prepareDir(ctx, g)
	if err != nil {
		return err
	}
	if err := initRepo(ctx, g, existing, remoteURL); err != nil {
		return err
	}
	if err := checkRefNames(ctx, g, spec); err != nil {
		return err
	}
	target, err := fetch(ctx, g, spec)
	if err != nil {
		return err
	}
	return checkoutTarget(ctx, g, spec, target)
}

// prepareDir reports whether g.dir is an existing repository, creating the
// directory when it is missing.
func prepareDir(ctx context.Context, g *git) (bool, error) {
	entries, err := os.ReadDir(g.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(g.dir, 0o755); err != nil {
			return false, fmt.Errorf("checkout: create directory: %w", err)
		}
		return false, nil
	case err != nil:
		return false, fmt.Errorf("checkout: read directory: %w", err)
	case len(entries) == 0:
		return false, nil
	}
	notRepo := fmt.Errorf("checkout: directory %q exists and is not a git repository", g.dir)
	if _, err := os.Lstat(filepath.Join(g.dir, ".git")); err != nil {
		return false, notRepo
	}
	// .git must make dir itself the top level, not some enclosing repository.
	top, err := g.output(ctx, "git rev-parse", "rev-parse", "--show-toplevel")
	if err != nil {
		return false, fmt.Errorf("%w: %w", notRepo, err)
	}
	want, err1 := filepath.EvalSymlinks(g.dir)
	got, err2 := filepath.EvalSymlinks(top)
	if err1 != nil || err2 != nil || want != got {
		return false, notRepo
	}
	return true, nil
}

// initRepo creates the repository when needed, points origin at remoteURL
// and disables automatic gc.
func initRepo(ctx context.Context, g *git, existing bool, remoteURL string) error {
	if !existing {
		if err := g.run(ctx, "git init", "-c", "init.defaultBranch=main", "init", "--quiet"); err != nil {
			return err
		}
	}
	has, err := g.ok(ctx, "config", "--get", "remote.origin.url")
	if err != nil {
		return err
	}
	if has {
		err = g.run(ctx, "set origin url", "remote", "set-url", "origin", remoteURL)
	} else {
		err = g.run(ctx, "add origin", "remote", "add", "origin", remoteURL)
	}
	if err != nil {
		return err
	}
	return g.run(ctx, "disable gc", "config", "gc.auto", "0")
}

// checkRefNames rejects branch and tag names git would not accept (and so
// anything that could pass for an option).
func checkRefNames(ctx context.Context, g *git, spec Spec) error {
	for _, ref := range []struct{ kind, name, prefix string }{
		{"branch", spec.Branch, "refs/heads/"}, {"tag", spec.Tag, "refs/tags/"},
	} {
		if ref.name == "" {
			continue
		}
		ok, err := g.ok(ctx, "check-ref-format", ref.prefix+ref.name)
		if err != nil {
			return err
		}
		if !ok || strings.HasPrefix(ref.name, "-") {
			return fmt.Errorf("checkout: invalid %s name %q", ref.kind, ref.name)
		}
	}
	return nil
}

func fetchArgs(spec Spec, refspecs ...string) []string {
	args := []string{"fetch", "--force", "--no-recurse-submodules"}
	if spec.Method != "full" {
		args = append(args, "--filter=blob:none")
	}
	if spec.Depth > 0 {
		args = append(args, "--depth="+strconv.Itoa(spec.Depth))
	}
	return append(append(args, "origin"), refspecs...)
}

// fetch fetches the branch or tag and the revision, and returns the commit
// to check out.
func fetch(ctx context.Context, g *git, spec Spec) (string, error) {
	switch {
	case spec.Tag != "":
		ref := "refs/tags/" + spec.Tag
		if err := g.run(ctx, "fetch origin", fetchArgs(spec, "+"+ref+":"+ref)...); err != nil {
			return "", err
		}
	case spec.Branch != "":
		ref := "+refs/heads/" + spec.Branch + ":refs/remotes/origin/" + spec.Branch
		if err := g.run(ctx, "fetch origin", fetchArgs(spec, ref)...); err != nil {
			// A branch deleted since the push still has its revision to build.
			if spec.Revision == "" || !strings.Contains(err.Error(), "couldn't find remote ref") {
				return "", err
			}
			fmt.Fprintf(g.stderr, "warning: branch %q not found on origin; checking out %s\n", spec.Branch, spec.Revision)
		}
	case spec.Revision == "":
		if err := g.run(ctx, "fetch origin", fetchArgs(spec, "HEAD")...); err != nil {
			return "", err
		}
		return g.output(ctx, "resolve origin HEAD", "rev-parse", "--verify", "FETCH_HEAD^{commit}")
	}
	if spec.Revision != "" {
		// rev-list --missing=print, unlike cat-file, does not fetch a
		// missing object from a promisor remote behind our back.
		have, err := g.ok(ctx, "rev-list", "--missing=print", "-n", "1", spec.Revision)
		if err != nil {
			return "", err
		}
		if !have {
			if err := g.run(ctx, "fetch revision "+spec.Revision, fetchArgs(spec, spec.Revision)...); err != nil {
				return "", err
			}
		}
	}
	switch {
	case spec.Tag != "":
		commit, err := g.output(ctx, "resolve tag "+spec.Tag, "rev-parse", "--verify", "refs/tags/"+spec.Tag+"^{commit}")
		if err != nil || spec.Revision == "" {
			return commit, err
		}
		rev, err := g.output(ctx, "resolve revision "+spec.Revision, "rev-parse", "--verify", spec.Revision+"^{commit}")
		if err != nil {
			return "", err
		}
		if rev != commit {
			return "", fmt.Errorf("checkout: tag %q points at %s, not at revision %s", spec.Tag, commit, spec.Revision)
		}
		return commit, nil
	case spec.Revision != "":
		return g.output(ctx, "resolve revision "+spec.Revision, "rev-parse", "--verify", spec.Revision+"^{commit}")
	default:
		return g.output(ctx, "resolve branch "+spec.Branch, "rev-parse", "--verify", "refs/remotes/origin/"+spec.Branch+"^{commit}")
	}
}

// checkoutTarget moves HEAD and the working tree to target: onto a local
// branch when spec has a Branch, detached otherwise.
func checkoutTarget(ctx context.Context, g *git, spec Spec, target string) error {
	co := []string{"-c", "advice.detachedHead=false", "checkout", "--force", "--no-recurse-submodules"}
	if spec.Branch == "" {
		return g.run(ctx, "checkout "+target, append(co, "--detach", target)...)
	}
	if err := g.run(ctx, "checkout "+spec.Branch, append(co, "-B", spec.Branch, target)...); err != nil {
		return err
	}
	upstream := "refs/remotes/origin/" + spec.Branch
	has, err := g.ok(ctx, "rev-parse", "--verify", "--quiet", upstream)
	if err != nil || !has {
		return err
	}
	return g.run(ctx, "set upstream", "branch", "--quiet", "--set-upstream-to=origin/"+spec.Branch, spec.Branch)
}
