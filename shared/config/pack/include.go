package pack

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// includeRE is the CLI's include statement; note the closing parenthesis is
// optional there too.
var includeRE = regexp.MustCompile(`<<[\s]*include\(([-\w/.]+)\)?[\s]*>>`)

// includes replaces include statements in the strings (keys and values) of
// n, which was read from file (updated from w.origin on the way down).
func (w *walker) includes(n *yaml.Node, file string) error {
	if f, ok := w.origin[n]; ok {
		file = f
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return w.include(n, file)
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if err := w.includes(c, file); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		changed := false
		for i, c := range n.Content {
			old := c.Value
			if err := w.includes(c, file); err != nil {
				return err
			}
			changed = changed || (i%2 == 0 && c.Value != old)
		}
		if changed {
			seen := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if prev, dup := seen[k.Value]; dup {
					return diag.Errorf(pos(file, k), "an included key repeats the key at %s", pos(file, prev))
				}
				seen[k.Value] = k
			}
		}
	}
	return nil
}

// include expands an include statement in scalar n.
func (w *walker) include(n *yaml.Node, file string) error {
	if n.Value == "" || !strings.Contains(n.Value, "<<") {
		return nil
	}
	m := includeRE.FindAllStringSubmatch(n.Value, 2)
	switch {
	case len(m) == 0:
		return nil
	case len(m) > 1:
		return diag.Errorf(pos(file, n), "multiple include statements: '%s'", n.Value)
	case m[0][0] != n.Value:
		return diag.Errorf(pos(file, n), "entire string must be include statement: '%s'", n.Value)
	}
	rel := m[0][1]
	if strings.HasPrefix(rel, "/") {
		return diag.Errorf(pos(file, n), "include path %q is absolute: it must be relative to the orb directory %s", rel, w.root)
	}
	clean := path.Clean(rel)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return diag.Errorf(pos(file, n), "include path %q leaves the orb directory %s", rel, w.root)
	}
	target := path.Join(w.root, clean)
	src, err := w.read(target)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return diag.Errorf(pos(file, n), "could not open %s for inclusion", target)
		}
		return diag.Errorf(pos(file, n), "could not open %s for inclusion: %v", target, err)
	}
	if !utf8.Valid(src) || bytes.IndexByte(src, 0) >= 0 {
		return diag.Errorf(pos(file, n), "could not include %s: not a UTF-8 text file", target)
	}
	n.Value = strings.ReplaceAll(string(src), "<<", `\<<`)
	n.Tag, n.Style = "!!str", 0
	return nil
}

// unwrapPath drops the *fs.PathError wrapper, whose path the caller's
// message already gives.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func pos(file string, n *yaml.Node) diag.Pos {
	return diag.Pos{File: file, Line: n.Line, Col: n.Column}
}

// stripExt is the CLI's entry name: the base name without its last extension.
func stripExt(name string) string {
	return strings.TrimSuffix(name, path.Ext(name))
}

func isYAML(name string) bool {
	for _, ext := range []string{".yml", ".yaml"} {
		if len(name) > len(ext) && strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func sameScalar(a, b *yaml.Node) bool {
	return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && a.Tag == b.Tag && a.Value == b.Value
}

// checkTags decodes every explicitly tagged node of file (without its
// children), so a value its tag cannot hold ("!!binary 0", "!!int x") is an
// error here, as it is for the CLI, instead of invalid YAML in the output.
func checkTags(file string, n *yaml.Node) error {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		stack = append(stack, n.Content...)
		if n.Style&yaml.TaggedStyle == 0 {
			continue
		}
		shallow := *n
		shallow.Content = nil
		if err := decodeShallow(&shallow); err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			if i := strings.LastIndex(msg, ": "); strings.HasPrefix(msg, "unmarshal errors:") && i >= 0 {
				msg = msg[i+2:]
			}
			return diag.Errorf(pos(file, n), "invalid %s value: %s", n.Tag, msg)
		}
	}
	return nil
}

func decodeShallow(n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	var v any
	return n.Decode(&v)
}

func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}
