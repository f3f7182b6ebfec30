package pack

import (
	"io/fs"
	"path"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// Input bounds; see the package documentation.
const (
	maxFileBytes  = 4 << 20
	maxTotalBytes = 16 << 20
	maxEntries    = 10_000
	maxDirDepth   = 64
	maxYAMLDepth  = 256
	maxNodes      = 2_000_000
)

// orbSections are the directories Orb reads, at any depth.
var orbSections = map[string]bool{"commands": true, "jobs": true, "executors": true, "examples": true}

// orbKeys are the top-level keys of the CLI's orb schema, in its output order.
var orbKeys = []string{"version", "description", "display", "orbs", "commands", "executors", "jobs", "examples"}

// includeSections are the top-level keys whose strings Orb expands includes in.
var includeSections = map[string]bool{"commands": true, "executors": true, "jobs": true}

// Orb packs an orb source tree rooted at fsys "." (or the given dir): @orb.yml plus commands/, jobs/, executors/, examples/
// (each file NAME.yml becomes key NAME under that section), and applies <<include(path)>> rules. Returns the packed YAML.
func Orb(fsys fs.FS, dir string) ([]byte, error) {
	dir, err := cleanDir(dir)
	if err != nil {
		return nil, err
	}
	orbFile := path.Join(dir, "@orb.yml")
	if info, err := fs.Stat(fsys, orbFile); err != nil || info.IsDir() {
		return nil, diag.Errorf(diag.Pos{File: dir}, "@orb.yml file not found, are you sure this is the Orb root?")
	}
	w := newWalker(fsys, dir, true)
	tree, err := w.walk()
	if err != nil {
		return nil, err
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, key := range orbKeys {
		for i := 0; i+1 < len(tree.Content); i += 2 {
			k, v := tree.Content[i], tree.Content[i+1]
			if k.Value != key {
				continue
			}
			if includeSections[key] {
				if err := w.includes(v, w.origin[v]); err != nil {
					return nil, err
				}
			}
			sortKeys(v)
			out.Content = append(out.Content, k, v)
		}
	}
	return encode(out)
}

// Config packs a .circleci tree: the FS tree becomes a YAML tree where a directory is a map keyed by its entries, a file
// NAME.yml/NAME.yaml becomes key NAME holding its content, and a file whose name starts with @ is merged into its parent
// map. Nested orb source folders (e.g. orbs/hugo/@orb.yml ...) work by that same rule. Returns the packed YAML.
func Config(fsys fs.FS, dir string) ([]byte, error) {
	dir, err := cleanDir(dir)
	if err != nil {
		return nil, err
	}
	tree, err := newWalker(fsys, dir, false).walk()
	if err != nil {
		return nil, err
	}
	sortKeys(tree)
	return encode(tree)
}

// cleanDir checks dir is a valid fs.FS path; "" means ".".
func cleanDir(dir string) (string, error) {
	if dir == "" {
		return ".", nil
	}
	if !fs.ValidPath(dir) {
		return "", diag.Errorf(diag.Pos{File: dir}, "invalid directory %q: want an unrooted, slash-separated path without . or .. elements", dir)
	}
	return dir, nil
}
