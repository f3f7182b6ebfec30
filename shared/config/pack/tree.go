package pack

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/config/yamltree"
)

// walker reads a directory tree into one YAML map, keeping the budgets.
type walker struct {
	fsys    fs.FS
	root    string
	orb     bool // read only the orb section directories
	entries int
	bytes   int
	nodes   int
	// origin maps the nodes that start a file's region of the packed tree
	// (a file's root, its top two levels of keys and values, and the keys
	// and maps made for directory entries) to the file or directory path.
	origin map[*yaml.Node]string
}

func newWalker(fsys fs.FS, root string, orb bool) *walker {
	return &walker{fsys: fsys, root: root, orb: orb, origin: map[*yaml.Node]string{}}
}

func (w *walker) walk() (*yaml.Node, error) {
	info, err := fs.Stat(w.fsys, w.root)
	if err != nil {
		return nil, diag.Errorf(diag.Pos{File: w.root}, "cannot read directory: %v", unwrapPath(err))
	}
	if !info.IsDir() {
		return nil, diag.Errorf(diag.Pos{File: w.root}, "not a directory")
	}
	return w.dir(w.root, "", 0)
}

// mapBuilder accumulates a map, indexing its keys.
type mapBuilder struct {
	node *yaml.Node
	idx  map[string]int         // key -> index of the key in node.Content
	subs map[string]*mapBuilder // builders for values merged one level deep
}

func newMap(n *yaml.Node) *mapBuilder {
	b := &mapBuilder{node: n, idx: map[string]int{}, subs: map[string]*mapBuilder{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		b.idx[n.Content[i].Value] = i
	}
	return b
}

// dir packs directory p, whose keys are shown under the dotted prefix.
func (w *walker) dir(p, prefix string, depth int) (*yaml.Node, error) {
	if depth > maxDirDepth {
		return nil, diag.Errorf(diag.Pos{File: p}, "directories nest deeper than %d levels", maxDirDepth)
	}
	ents, err := w.readDir(p)
	if err != nil {
		return nil, err
	}
	out := newMap(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	w.origin[out.node] = p
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		child := path.Join(p, name)
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			info, err := fs.Stat(w.fsys, child)
			if err != nil || !info.Mode().IsRegular() {
				continue // dangling, or a link to a directory
			}
			typ = 0
		}
		key := stripExt(name)
		switch {
		case typ.IsDir():
			if w.orb && !orbSections[name] {
				continue
			}
			sub, err := w.dir(child, join(prefix, key), depth+1)
			if err != nil {
				return nil, err
			}
			if err := w.put(out, prefix, w.keyNode(key, child), sub); err != nil {
				return nil, err
			}
		case typ.IsRegular():
			if !isYAML(name) {
				continue
			}
			content, err := w.file(child)
			if err != nil {
				return nil, err
			}
			if depth == 0 || strings.HasPrefix(name, "@") {
				if err := w.mergeFile(out, prefix, child, content); err != nil {
					return nil, err
				}
				continue
			}
			if content.Kind != yaml.MappingNode {
				if !isNull(content) {
					return nil, diag.Errorf(pos(child, content), "expected a map, got %s: a packed file must hold a map", yamltree.KindName(content))
				}
				content = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: content.Line, Column: content.Column}
				w.origin[content] = child
			}
			if err := w.put(out, prefix, w.keyNode(key, child), content); err != nil {
				return nil, err
			}
		}
	}
	return out.node, nil
}

// mergeFile merges the top-level keys of file (an @-file or a root file)
// into the directory map out.
func (w *walker) mergeFile(out *mapBuilder, prefix, file string, content *yaml.Node) error {
	if isNull(content) {
		return nil
	}
	if content.Kind != yaml.MappingNode {
		return diag.Errorf(pos(file, content), "expected a map, got %s: %s is merged into its directory's map", yamltree.KindName(content), path.Base(file))
	}
	for i := 0; i+1 < len(content.Content); i += 2 {
		if err := w.put(out, prefix, content.Content[i], content.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// put adds k: v to b. If b has k already, two maps (or a map and null) are
// united one level deep; equal scalars are kept once; anything else is a
// conflict.
func (w *walker) put(b *mapBuilder, prefix string, k, v *yaml.Node) error {
	i, ok := b.idx[k.Value]
	if !ok {
		b.idx[k.Value] = len(b.node.Content)
		b.node.Content = append(b.node.Content, k, v)
		return nil
	}
	old := b.node.Content[i+1]
	switch {
	case isNull(v):
		return nil
	case isNull(old):
		b.node.Content[i+1] = v
		return nil
	case old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
		sub := b.subs[k.Value]
		if sub == nil || sub.node != old {
			sub = newMap(old)
			b.subs[k.Value] = sub
		}
		name := join(prefix, k.Value)
		for j := 0; j+1 < len(v.Content); j += 2 {
			k2, v2 := v.Content[j], v.Content[j+1]
			if at, dup := sub.idx[k2.Value]; dup {
				if sameScalar(old.Content[at+1], v2) {
					continue
				}
				return w.conflict(join(name, k2.Value), k2, old.Content[at])
			}
			sub.idx[k2.Value] = len(old.Content)
			old.Content = append(old.Content, k2, v2)
		}
		return nil
	case sameScalar(old, v):
		return nil
	}
	return w.conflict(join(prefix, k.Value), k, b.node.Content[i])
}

func (w *walker) conflict(name string, k, prev *yaml.Node) error {
	return diag.Errorf(w.pos(k), "%s is defined twice: here and at %s; the CLI would silently keep one of them", name, w.pos(prev))
}

// keyNode makes the key for a directory entry, remembering where it came from.
func (w *walker) keyNode(name, from string) *yaml.Node {
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
	w.origin[k] = from
	return k
}

func (w *walker) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: w.origin[n], Line: n.Line, Col: n.Column}
}

// readDir lists directory p in name order, stopping at the entry budget.
func (w *walker) readDir(p string) ([]fs.DirEntry, error) {
	f, err := w.fsys.Open(p)
	if err != nil {
		return nil, diag.Errorf(diag.Pos{File: p}, "cannot read directory: %v", unwrapPath(err))
	}
	defer f.Close()
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, diag.Errorf(diag.Pos{File: p}, "cannot read directory: not a directory")
	}
	var all []fs.DirEntry
	for {
		batch, err := d.ReadDir(256)
		all = append(all, batch...)
		w.entries += len(batch)
		if w.entries > maxEntries {
			return nil, diag.Errorf(diag.Pos{File: p}, "the tree has more than %d files and directories", maxEntries)
		}
		if errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			return nil, diag.Errorf(diag.Pos{File: p}, "cannot read directory: %v", unwrapPath(err))
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name() < all[j].Name() })
	return all, nil
}

// file reads and parses the YAML file p.
func (w *walker) file(p string) (*yaml.Node, error) {
	src, err := w.read(p)
	if err != nil {
		return nil, diag.Errorf(diag.Pos{File: p}, "cannot read file: %v", err)
	}
	n, err := yamltree.Parse(p, src, yamltree.Limits{MaxBytes: maxFileBytes, MaxNodes: maxNodes - w.nodes, MaxDepth: maxYAMLDepth})
	if err != nil {
		return nil, err
	}
	w.nodes += countNodes(n)
	if err := checkTags(p, n); err != nil {
		return nil, err
	}
	w.origin[n] = p
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			w.origin[k], w.origin[v] = p, p
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					w.origin[v.Content[j]], w.origin[v.Content[j+1]] = p, p
				}
			}
		}
	}
	return n, nil
}

// read returns the bytes of file p within the size budgets.
func (w *walker) read(p string) ([]byte, error) {
	f, err := w.fsys.Open(p)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, errors.New("is a directory")
	}
	src, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if len(src) > maxFileBytes {
		return nil, errors.New("file is larger than the limit of 4 MiB")
	}
	w.bytes += len(src)
	if w.bytes > maxTotalBytes {
		return nil, errors.New("the files read add up to more than the limit of 16 MiB")
	}
	return src, nil
}
