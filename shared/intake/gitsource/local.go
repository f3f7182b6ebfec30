package gitsource

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// localRepo checks that dir is itself a repository (a working tree or a bare
// one, not merely inside one) and returns how to run git in it.
func localRepo(ctx context.Context, s *Source, dir string) (repoCtx, error) {
	if strings.ContainsAny(dir, "\x00\n") || dir == "" {
		return repoCtx{}, fmt.Errorf("%w: repository path %q", ErrInvalid, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return repoCtx{}, fmt.Errorf("repository path %q: %w", dir, err)
	}
	// Git may look in abs and no higher: a plain directory inside some other
	// checkout is not a repository.
	rc := repoCtx{where: []string{"-C", abs}, env: []string{"GIT_CEILING_DIRECTORIES=" + filepath.Dir(abs)}}
	if _, err := s.run(ctx, rc, "rev-parse", "--git-dir"); err != nil {
		return repoCtx{}, fmt.Errorf("%s is not a git repository: %w", abs, err)
	}
	return rc, nil
}

// resolveLocal resolves ref in a local repository.
func (s *Source) resolveLocal(ctx context.Context, rc repoCtx, ref string) (Commit, error) {
	if ref == "" {
		c, err := s.commitInfo(ctx, rc, "HEAD")
		if err != nil {
			return Commit{}, err
		}
		// Exit status 1: HEAD is detached, so there is no branch to report.
		if out, err := s.run(ctx, rc, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
			c.Branch = strings.TrimSpace(string(out))
		} else if exitCode(err) != 1 {
			return Commit{}, err
		}
		return c, nil
	}
	for _, cand := range refCandidates(ref, true) {
		if _, err := s.run(ctx, rc, "show-ref", "--verify", "--quiet", cand.full); err != nil {
			if exitCode(err) == 1 {
				continue
			}
			return Commit{}, err
		}
		c, err := s.commitInfo(ctx, rc, cand.full)
		if err != nil {
			return Commit{}, err
		}
		c.Branch, c.Tag = cand.branch, cand.tag
		return c, nil
	}
	if isAbbrevSHA(ref) {
		return s.commitInfo(ctx, rc, ref)
	}
	return Commit{}, fmt.Errorf("%w: no branch, tag or commit named %q", ErrUnknownRef, ref)
}

// refCandidate is one full ref a short ref may name.
type refCandidate struct{ full, branch, tag string }

// refCandidates lists the refs ref may name, in order of preference: itself
// if it is a full ref, else a branch, a tag and, in a local clone, a
// remote-tracking branch.
func refCandidates(ref string, local bool) []refCandidate {
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return []refCandidate{{full: ref, branch: b}}
	}
	if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return []refCandidate{{full: ref, tag: t}}
	}
	if strings.HasPrefix(ref, "refs/") {
		return []refCandidate{{full: ref}}
	}
	c := []refCandidate{{full: "refs/heads/" + ref, branch: ref}, {full: "refs/tags/" + ref, tag: ref}}
	if local {
		c = append(c, refCandidate{full: "refs/remotes/origin/" + ref, branch: ref})
	}
	return c
}

// readBlob returns the regular file at path in commit sha.
func (s *Source) readBlob(ctx context.Context, rc repoCtx, sha, path string) ([]byte, error) {
	full, err := s.revParse(ctx, rc, sha)
	if err != nil {
		return nil, err
	}
	// ls-tree tells a missing path (no output) from a failing git, and says what the path is.
	out, err := s.run(ctx, rc, "ls-tree", "-z", "--full-tree", full, "--", path)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	var mode, typ, object string
	for entry := range bytes.SplitSeq(out, []byte{0}) {
		meta, name, ok := bytes.Cut(entry, []byte{'\t'})
		if !ok || string(name) != path {
			continue
		}
		if f := strings.Fields(string(meta)); len(f) == 3 {
			mode, typ, object = f[0], f[1], f[2]
		}
	}
	switch {
	case object == "":
		return nil, fmt.Errorf("%w: no %s in commit %s", ErrNotFound, path, full)
	case typ == "tree":
		return nil, fmt.Errorf("%w: %s is a directory in commit %s", ErrNotFound, path, full)
	case typ == "commit":
		return nil, fmt.Errorf("%w: %s is a submodule in commit %s", ErrNotFound, path, full)
	case mode == "120000":
		return nil, fmt.Errorf("%w: %s is a symbolic link in commit %s", ErrNotFound, path, full)
	case typ != "blob":
		return nil, fmt.Errorf("%s in commit %s is a %s", path, full, typ)
	}
	size, err := s.run(ctx, rc, "cat-file", "-s", object)
	if err != nil {
		return nil, fmt.Errorf("size of %s: %w", path, err)
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(string(size)), 10, 64); err != nil || n > maxFileSize {
		return nil, fmt.Errorf("%s is %s bytes, more than the %d allowed", path, strings.TrimSpace(string(size)), maxFileSize)
	}
	b, err := s.run(ctx, rc, "cat-file", "blob", object)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
