package gitsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// withMirror runs fn on the bare mirror of rawURL, created if need be, holding
// the mirror's locks and with auth's credentials in git's environment.
func (s *Source) withMirror(ctx context.Context, rawURL string, auth Auth, fn func(repoCtx) error) error {
	if err := checkURL(rawURL); err != nil {
		return err
	}
	if s.CacheDir == "" {
		return fmt.Errorf("%w: Source.CacheDir is not set, so URLs cannot be mirrored", ErrInvalid)
	}
	env, cleanup, err := auth.env(rawURL)
	defer cleanup()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.CacheDir, 0o755); err != nil {
		return fmt.Errorf("create cache directory: %w", err)
	}
	sum := sha256.Sum256([]byte(rawURL))
	dir := filepath.Join(s.CacheDir, hex.EncodeToString(sum[:]))
	unlock, err := s.lock(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	rc := repoCtx{where: []string{"--git-dir", dir}, env: env}
	if err := s.initMirror(ctx, dir, rawURL); err != nil {
		return err
	}
	return fn(rc)
}

// initMirror creates the bare mirror of rawURL at dir unless it exists. It
// builds it beside dir and renames it into place, so a crash leaves no half
// repository behind.
func (s *Source) initMirror(ctx context.Context, dir, rawURL string) error {
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(s.CacheDir, ".init-*")
	if err != nil {
		return fmt.Errorf("create mirror: %w", err)
	}
	defer os.RemoveAll(tmp)
	rc := repoCtx{where: []string{"--git-dir", tmp}}
	if _, err := s.run(ctx, repoCtx{}, "init", "--quiet", "--bare", tmp); err != nil {
		return fmt.Errorf("create mirror: %w", err)
	}
	if _, err := s.run(ctx, rc, "config", "remote.origin.url", rawURL); err != nil {
		return fmt.Errorf("create mirror: %w", err)
	}
	_ = os.RemoveAll(dir) // a leftover without HEAD
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("create mirror: %w", err)
	}
	s.log().Info("gitsource: created mirror", "dir", dir)
	return nil
}

// resolveRemote resolves ref against the remote, fetching what it names.
func (s *Source) resolveRemote(ctx context.Context, rc repoCtx, ref string) (Commit, error) {
	if isFullSHA(ref) {
		if err := s.ensureCommit(ctx, rc, ref); err != nil {
			return Commit{}, err
		}
		return s.commitInfo(ctx, rc, ref)
	}
	remote, headTarget, err := s.lsRemote(ctx, rc, ref)
	if err != nil {
		return Commit{}, err
	}
	if ref == "" {
		if headTarget == "" {
			return Commit{}, fmt.Errorf("%w: the remote has no default branch (HEAD)", ErrUnknownRef)
		}
		ref = headTarget
		remote[ref] = true // listed as HEAD
	}
	for _, cand := range refCandidates(ref, false) {
		if !remote[cand.full] {
			continue
		}
		local := cand.full
		if cand.branch != "" {
			local = "refs/remotes/origin/" + cand.branch // never a checked-out branch name
		}
		if err := s.fetch(ctx, rc, true, "+"+cand.full+":"+local); err != nil {
			return Commit{}, err
		}
		c, err := s.commitInfo(ctx, rc, local)
		if err != nil {
			return Commit{}, err
		}
		c.Branch, c.Tag = cand.branch, cand.tag
		return c, nil
	}
	if isAbbrevSHA(ref) {
		if err := s.ensureCommit(ctx, rc, ref); err != nil {
			return Commit{}, err
		}
		return s.commitInfo(ctx, rc, ref)
	}
	return Commit{}, fmt.Errorf("%w: the remote has no branch or tag named %q", ErrUnknownRef, ref)
}

// lsRemote lists the remote refs ref may name (HEAD when ref is empty) and
// the branch the remote's HEAD points at.
func (s *Source) lsRemote(ctx context.Context, rc repoCtx, ref string) (refs map[string]bool, head string, err error) {
	args := []string{"ls-remote", "--symref", "origin"}
	if ref == "" {
		args = append(args, "HEAD")
	} else {
		for _, c := range refCandidates(ref, false) {
			args = append(args, c.full)
		}
	}
	out, err := s.run(ctx, rc, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list remote refs: %w", err)
	}
	refs = map[string]bool{}
	for line := range strings.SplitSeq(string(out), "\n") {
		left, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if target, isSym := strings.CutPrefix(left, "ref: "); isSym {
			if name == "HEAD" {
				head = target
			}
			continue
		}
		refs[name] = true
	}
	return refs, head, nil
}

// ensureCommit makes sure commit id (full or abbreviated) is in the mirror:
// a full id is fetched alone and shallowly, an abbreviated one by fetching
// every branch and tag in full.
func (s *Source) ensureCommit(ctx context.Context, rc repoCtx, id string) error {
	if _, err := s.revParse(ctx, rc, id); err == nil {
		return nil
	} else if !errors.Is(err, ErrUnknownRef) {
		return err
	}
	if isFullSHA(id) {
		err := s.fetch(ctx, rc, true, id)
		if err != nil && stderrHas(err, "not our ref", "unadvertised object", "couldn't find remote ref",
			"no such remote ref", "Server does not allow request for unadvertised object") {
			return fmt.Errorf("%w: the remote has no commit %s (or will not serve it by id): %w", ErrUnknownRef, id, err)
		}
		return err
	}
	if err := s.fetchAll(ctx, rc); err != nil {
		return err
	}
	if _, err := s.revParse(ctx, rc, id); err != nil {
		return fmt.Errorf("the remote's branches and tags do not contain %s: %w", id, err)
	}
	return nil
}

// fetch fetches refspecs from origin, at depth 1 if shallow.
func (s *Source) fetch(ctx context.Context, rc repoCtx, shallow bool, refspecs ...string) error {
	args := []string{"fetch", "--quiet", "--no-tags", "--no-write-fetch-head"}
	if shallow {
		args = append(args, "--depth", "1")
	}
	args = append(append(args, "origin"), refspecs...)
	if _, err := s.run(ctx, rc, args...); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	s.log().Debug("gitsource: fetched", "refspecs", refspecs, "shallow", shallow)
	return nil
}

// fetchAll fetches every branch and tag with full history.
func (s *Source) fetchAll(ctx context.Context, rc repoCtx) error {
	args := []string{"fetch", "--quiet", "--no-tags", "--no-write-fetch-head"}
	out, err := s.run(ctx, rc, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(out)) == "true" {
		args = append(args, "--unshallow")
	}
	args = append(args, "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
	if _, err := s.run(ctx, rc, args...); err != nil {
		return fmt.Errorf("fetch all branches and tags: %w", err)
	}
	return nil
}
