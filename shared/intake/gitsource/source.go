package gitsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds a call when Source.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// maxFileSize bounds what ReadFile returns: configs are small, and the whole
// file is held in memory.
const maxFileSize = 32 << 20

var (
	// ErrNotFound is wrapped when a commit has no regular file at a path.
	ErrNotFound = errors.New("file not found")
	// ErrUnknownRef is wrapped when a ref or commit id names nothing in the repository.
	ErrUnknownRef = errors.New("unknown ref")
)

// Source reads repositories with git. Use it through a pointer; its zero
// value reads local repositories, and CacheDir must be set for URLs.
type Source struct {
	CacheDir string        // where URL mirrors live
	Timeout  time.Duration // per call; DefaultTimeout when zero
	Log      *slog.Logger  // nil discards

	mu    sync.Mutex
	locks map[string]chan struct{} // per mirror directory, a one-slot semaphore
}

// Commit is a resolved revision.
type Commit struct {
	SHA         string
	Subject     string // git's %s: the first paragraph of the message on one line
	Body        string // git's %b, without the trailing newline
	Author      string // author name
	AuthorEmail string
	Branch      string // the branch the ref named or the default branch "" resolved to
	Tag         string // the tag the ref named
}

// Resolve finds the commit ref names in repo, a local path or a URL. ref is a
// branch, a tag, a full or abbreviated commit id, or "" (or "HEAD") for the
// repository's HEAD: the default branch for a URL.
func (s *Source) Resolve(ctx context.Context, repo, ref string) (Commit, error) {
	return s.ResolveAuth(ctx, repo, ref, Auth{})
}

// ResolveAuth is Resolve with credentials for a URL.
func (s *Source) ResolveAuth(ctx context.Context, repo, ref string, auth Auth) (Commit, error) {
	c, err := s.resolve(ctx, repo, ref, auth)
	if err != nil {
		return Commit{}, fmt.Errorf("gitsource: resolve %q in %s: %w", ref, redact(repo), err)
	}
	return c, nil
}

// ReadFile returns the file at path (relative to the repository root) in
// commit sha of repo. It wraps ErrNotFound when the commit has no regular
// file there, and ErrUnknownRef when the commit does not exist.
func (s *Source) ReadFile(ctx context.Context, repo, sha, path string) ([]byte, error) {
	return s.ReadFileAuth(ctx, repo, sha, path, Auth{})
}

// ReadFileAuth is ReadFile with credentials for a URL.
func (s *Source) ReadFileAuth(ctx context.Context, repo, sha, path string, auth Auth) ([]byte, error) {
	b, err := s.readFile(ctx, repo, sha, path, auth)
	if err != nil {
		return nil, fmt.Errorf("gitsource: read %s at %s in %s: %w", path, sha, redact(repo), err)
	}
	return b, nil
}

func (s *Source) resolve(ctx context.Context, repo, ref string, auth Auth) (Commit, error) {
	if err := checkRef(ref); err != nil {
		return Commit{}, err
	}
	if ref == "HEAD" {
		ref = ""
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if !isRemote(repo) {
		rc, err := localRepo(ctx, s, repo)
		if err != nil {
			return Commit{}, err
		}
		return s.resolveLocal(ctx, rc, ref)
	}
	var c Commit
	err := s.withMirror(ctx, repo, auth, func(rc repoCtx) error {
		var err error
		c, err = s.resolveRemote(ctx, rc, ref)
		return err
	})
	return c, err
}

func (s *Source) readFile(ctx context.Context, repo, sha, path string, auth Auth) ([]byte, error) {
	if !isAbbrevSHA(sha) {
		return nil, fmt.Errorf("%w: %q is not a commit id", ErrInvalid, sha)
	}
	clean, err := checkPath(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if !isRemote(repo) {
		rc, err := localRepo(ctx, s, repo)
		if err != nil {
			return nil, err
		}
		return s.readBlob(ctx, rc, sha, clean)
	}
	var b []byte
	err = s.withMirror(ctx, repo, auth, func(rc repoCtx) error {
		if err := s.ensureCommit(ctx, rc, sha); err != nil {
			return err
		}
		var err error
		b, err = s.readBlob(ctx, rc, sha, clean)
		return err
	})
	return b, err
}

// commitInfo reads the metadata of commit-ish rev.
func (s *Source) commitInfo(ctx context.Context, rc repoCtx, rev string) (Commit, error) {
	sha, err := s.revParse(ctx, rc, rev)
	if err != nil {
		return Commit{}, err
	}
	out, err := s.run(ctx, rc, "log", "-1", "--no-walk", "--format=%H%x00%an%x00%ae%x00%s%x00%b", sha, "--")
	if err != nil {
		return Commit{}, fmt.Errorf("read commit %s: %w", sha, err)
	}
	f := strings.SplitN(string(out), "\x00", 5)
	if len(f) != 5 {
		return Commit{}, fmt.Errorf("read commit %s: unexpected git log output %q", sha, out)
	}
	return Commit{SHA: f[0], Author: f[1], AuthorEmail: f[2], Subject: f[3], Body: strings.TrimRight(f[4], "\n")}, nil
}

// revParse returns the full id of the commit rev names, or an error wrapping ErrUnknownRef.
func (s *Source) revParse(ctx context.Context, rc repoCtx, rev string) (string, error) {
	out, err := s.run(ctx, rc, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		if exitCode(err) == 1 || stderrHas(err, "ambiguous") {
			return "", fmt.Errorf("%w: %s: no such commit", ErrUnknownRef, rev)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *Source) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

func (s *Source) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}
