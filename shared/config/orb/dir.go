package orb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// maxOrbBytes bounds one orb.yml; the largest public orbs are a few hundred KB.
const maxOrbBytes = 4 << 20

// Dir is a read-only Registry over a directory tree laid out as
// <namespace>/<orb>/<version>/orb.yml, the layout `circleci orb` tooling and
// the corpus registry use. It reads through an fs.FS so callers decide where
// the files come from.
type Dir struct {
	FS fs.FS
}

// NewDir returns a Registry reading fsys.
func NewDir(fsys fs.FS) *Dir { return &Dir{FS: fsys} }

// Fetch implements Registry.
func (d *Dir) Fetch(ctx context.Context, ref Ref) (Orb, error) {
	if err := ctx.Err(); err != nil {
		return Orb{}, err
	}
	for _, part := range []string{ref.Namespace, ref.Name} {
		if part == "" || strings.ContainsAny(part, `/\`) || part == "." || part == ".." {
			return Orb{}, fmt.Errorf("fetch orb %s: invalid name: %w", ref, ErrNotFound)
		}
	}
	base := ref.Namespace + "/" + ref.Name
	entries, err := fs.ReadDir(d.FS, base)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Orb{}, fmt.Errorf("fetch orb %s: the registry has no orb %s/%s: %w", ref, ref.Namespace, ref.Name, ErrNotFound)
		}
		return Orb{}, fmt.Errorf("fetch orb %s: %w", ref, err)
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() {
			versions = append(versions, e.Name())
		}
	}
	v, ok := Match(ref.Version, versions)
	if !ok {
		return Orb{}, fmt.Errorf("fetch orb %s: the registry has no version of %s/%s matching %q (it has %s): %w",
			ref, ref.Namespace, ref.Name, ref.Version, listOrNone(versions), ErrNotFound)
	}
	f, err := d.FS.Open(base + "/" + v + "/orb.yml")
	if err != nil {
		return Orb{}, fmt.Errorf("fetch orb %s: %w", ref, err)
	}
	defer f.Close()
	buf := make([]byte, 0, 64<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxOrbBytes {
			return Orb{}, fmt.Errorf("fetch orb %s: orb.yml is over %d bytes", ref, maxOrbBytes)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return Orb{}, fmt.Errorf("fetch orb %s: %w", ref, err)
		}
	}
	resolved := ref
	resolved.Version = v
	return Orb{Ref: resolved, Source: buf}, nil
}

func listOrNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}
