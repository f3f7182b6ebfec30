package testsplit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Glob returns the files matching any of patterns, sorted and without
// duplicates. See the package documentation for the pattern syntax.
// Relative patterns are resolved against dir ("" is the working directory)
// and give paths relative to it, spelled as the pattern spells its literal
// part ("./t/*.go" gives "./t/a.go"); absolute patterns give absolute paths.
// Only regular files (or symlinks to them) are returned. Missing or
// unreadable directories match nothing; a malformed pattern is an error.
func Glob(dir string, patterns []string) ([]string, error) {
	return globContext(context.Background(), dir, patterns)
}

func globContext(ctx context.Context, dir string, patterns []string) ([]string, error) {
	if dir == "" {
		dir = "."
	}
	g := &globber{ctx: ctx, seen: make(map[string]bool)}
	for _, p := range patterns {
		expanded, err := expandBraces(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		for _, e := range expanded {
			if err := g.pattern(dir, e); err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
		}
	}
	sort.Strings(g.out)
	return g.out, nil
}

// segment is one slash-separated element of a brace-free pattern.
type segment struct {
	text       string // a literal name, or a path.Match pattern
	literal    bool
	doubleStar bool // "**": any number of directories
}

type visit struct {
	dir string
	seg int
}

type globber struct {
	ctx     context.Context
	seen    map[string]bool // cleaned output paths already returned
	out     []string
	visited map[visit]bool // per pattern: states already walked
}

func (g *globber) pattern(dir, pat string) error {
	var segs []segment
	for _, s := range strings.Split(pat, "/") {
		switch {
		case s == "":
			// leading, trailing or doubled slash
		case s == "**":
			if len(segs) == 0 || !segs[len(segs)-1].doubleStar {
				segs = append(segs, segment{text: s, doubleStar: true})
			}
		case hasMeta(s):
			s = strings.ReplaceAll(s, "[!", "[^")
			if _, err := path.Match(s, ""); err != nil {
				return fmt.Errorf("segment %q: %w", s, err)
			}
			segs = append(segs, segment{text: s})
		default:
			segs = append(segs, segment{text: s, literal: true})
		}
	}
	if len(segs) == 0 {
		return nil
	}
	g.visited = make(map[visit]bool)
	if strings.HasPrefix(pat, "/") {
		return g.match("/", "/", segs, 0)
	}
	return g.match(dir, "", segs, 0)
}

// match walks fsDir (shown to the user as outDir) for segs[i:].
func (g *globber) match(fsDir, outDir string, segs []segment, i int) error {
	if g.visited[visit{fsDir, i}] {
		return nil
	}
	g.visited[visit{fsDir, i}] = true
	if err := g.ctx.Err(); err != nil {
		return err
	}
	s, last := segs[i], i == len(segs)-1
	if s.literal {
		// A plain lookup: no directory listing, which prunes the walk to
		// the pattern's literal prefix.
		fsPath, outPath := filepath.Join(fsDir, s.text), joinOut(outDir, s.text)
		info, err := os.Stat(fsPath)
		switch {
		case err != nil:
		case last && info.Mode().IsRegular():
			g.add(outPath)
		case !last && info.IsDir():
			return g.match(fsPath, outPath, segs, i+1)
		}
		return nil
	}
	if s.doubleStar && !last {
		if err := g.match(fsDir, outDir, segs, i+1); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(fsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("reading %s: %w", fsDir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(s.text, ".") {
			continue // hidden entries need an explicit leading dot
		}
		if !s.doubleStar {
			if ok, _ := path.Match(s.text, name); !ok {
				continue
			}
		}
		fsPath, outPath := filepath.Join(fsDir, name), joinOut(outDir, name)
		isDir, isFile := entryKind(e, fsPath, !s.doubleStar)
		switch {
		case isDir && s.doubleStar:
			err = g.match(fsPath, outPath, segs, i)
		case isDir && !last:
			err = g.match(fsPath, outPath, segs, i+1)
		case isFile && last:
			g.add(outPath)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// entryKind classifies a directory entry, resolving symlinks. Symlinked
// directories are followed only when follow is set: "**" does not follow
// them, so a link cycle cannot trap the walk.
func entryKind(e fs.DirEntry, fsPath string, follow bool) (isDir, isFile bool) {
	t := e.Type()
	if t&fs.ModeSymlink != 0 {
		info, err := os.Stat(fsPath)
		if err != nil {
			return false, false
		}
		return follow && info.IsDir(), info.Mode().IsRegular()
	}
	return t.IsDir(), t.IsRegular()
}

func joinOut(dir, name string) string {
	switch dir {
	case "":
		return name
	case "/":
		return "/" + name
	}
	return dir + "/" + name
}

func (g *globber) add(p string) {
	if k := path.Clean(p); !g.seen[k] {
		g.seen[k] = true
		g.out = append(g.out, p)
	}
}
