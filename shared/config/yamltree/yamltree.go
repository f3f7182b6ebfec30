package yamltree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// Limits bound what Parse accepts.
type Limits struct {
	MaxBytes int // size of the source
	MaxNodes int // nodes after alias expansion
	MaxDepth int // nesting depth
}

// DefaultLimits are generous for any real config: the largest config in the
// corpus is under 40 KB and CircleCI itself refuses configs over a few MB.
var DefaultLimits = Limits{MaxBytes: 4 << 20, MaxNodes: 2_000_000, MaxDepth: 256}

// Parse decodes src (named file in errors) into one resolved tree. An empty
// document gives a null scalar node. The result contains no alias nodes and
// no merge keys; mapping keys are unique.
func Parse(file string, src []byte, lim Limits) (*yaml.Node, error) {
	if lim.MaxBytes > 0 && len(src) > lim.MaxBytes {
		return nil, diag.Errorf(diag.Pos{File: file}, "config is %d bytes, over the limit of %d bytes", len(src), lim.MaxBytes)
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, diag.Errorf(diag.Pos{File: file}, "config contains a NUL byte: not a text file")
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := decodeSafely(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Null(1, 1), nil
		}
		return nil, yamlError(file, src, err)
	}
	var extra yaml.Node
	if err := decodeSafely(dec, &extra); err == nil {
		return nil, diag.Errorf(diag.Pos{File: file, Line: extra.Line, Col: extra.Column}, "config holds more than one YAML document")
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, src, err)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return Null(1, 1), nil
		}
		root = doc.Content[0]
	}
	if lim.MaxNodes > 0 {
		// Measure first, so an alias bomb is refused without being expanded.
		sz := &sizer{limit: lim.MaxNodes, memo: map[*yaml.Node]int{}}
		if sz.size(root) > lim.MaxNodes {
			at := sz.culprit(root)
			what := "this value"
			if at == root {
				what = "config"
			}
			return nil, diag.Errorf(diag.Pos{File: file, Line: at.Line, Col: at.Column},
				"%s expands to more than %d YAML nodes (aliases nested too deep?)", what, lim.MaxNodes)
		}
	}
	r := &resolver{file: file, lim: lim, active: map[*yaml.Node]bool{}}
	return r.resolve(root, 0)
}

// sizer counts the nodes a tree expands to once aliases are followed,
// computing each node's size once: linear in the source, whatever the
// aliases multiply it to. Sizes saturate just past limit.
type sizer struct {
	limit int
	memo  map[*yaml.Node]int
}

func (s *sizer) size(n *yaml.Node) int {
	if v, ok := s.memo[n]; ok {
		return v
	}
	s.memo[n] = 1 // an alias cycle counts once here; resolve reports it
	total := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		total += s.size(n.Alias)
	}
	for _, c := range n.Content {
		total += s.size(c)
		if total > s.limit {
			total = s.limit + 1
		}
	}
	total = min(total, s.limit+1)
	s.memo[n] = total
	return total
}

// culprit walks down from n (whose size is over the limit) to the first
// deepest node that is alone over the limit. An anchor comes before its
// aliases, so this is a value written in the source, not an alias.
func (s *sizer) culprit(n *yaml.Node) *yaml.Node {
	for {
		var next *yaml.Node
		for _, c := range n.Content {
			if s.memo[c] > s.limit {
				next = c
				break
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
}

// Null returns a null scalar at line:col.
func Null(line, col int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "", Line: line, Column: col}
}

// decodeSafely turns a panic inside the YAML library into an error: input
// must never crash the engine.
func decodeSafely(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("invalid YAML: %v", p)
		}
	}()
	return dec.Decode(n)
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

var unknownAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// yamlError converts a yaml.v3 syntax error into a positioned error.
func yamlError(file string, src []byte, err error) error {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return diag.Errorf(diag.Pos{File: file, Line: line}, "invalid YAML: %s", m[2])
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	pos := diag.Pos{File: file}
	if m := unknownAnchorRE.FindStringSubmatch(err.Error()); m != nil {
		// yaml.v3 gives no position here: point at the first use of the alias.
		if i := aliasIndex(src, m[1]); i >= 0 {
			pos.Line = bytes.Count(src[:i], []byte("\n")) + 1
			pos.Col = i - bytes.LastIndexByte(src[:i], '\n')
		}
	}
	return diag.Errorf(pos, "invalid YAML: %s", msg)
}

// aliasIndex finds the first "*name" in src not followed by more of a name.
func aliasIndex(src []byte, name string) int {
	needle := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(src[off:], needle)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(needle)
		if end == len(src) || bytes.IndexByte([]byte(" \t\r\n,]}"), src[end]) >= 0 {
			return i
		}
		off = end
	}
}

type resolver struct {
	file   string
	lim    Limits
	nodes  int
	active map[*yaml.Node]bool // aliases being expanded, to catch cycles
}

func (r *resolver) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: r.file, Line: n.Line, Col: n.Column}
}

func (r *resolver) count(n *yaml.Node) error {
	r.nodes++
	if r.lim.MaxNodes > 0 && r.nodes > r.lim.MaxNodes {
		return diag.Errorf(r.pos(n), "config expands to more than %d YAML nodes (aliases nested too deep?)", r.lim.MaxNodes)
	}
	return nil
}

// resolve returns a copy of n with aliases expanded and merges applied.
func (r *resolver) resolve(n *yaml.Node, depth int) (*yaml.Node, error) {
	if r.lim.MaxDepth > 0 && depth > r.lim.MaxDepth {
		return nil, diag.Errorf(r.pos(n), "config nests deeper than %d levels", r.lim.MaxDepth)
	}
	if err := r.count(n); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, diag.Errorf(r.pos(n), "unknown anchor %q", n.Value)
		}
		if r.active[n.Alias] {
			return nil, diag.Errorf(r.pos(n), "alias *%s refers to itself", n.Value)
		}
		r.active[n.Alias] = true
		defer delete(r.active, n.Alias)
		return r.resolve(n.Alias, depth+1)
	case yaml.ScalarNode:
		c := *n
		c.Anchor, c.Alias, c.Content = "", nil, nil
		c.HeadComment, c.LineComment, c.FootComment = "", "", ""
		if c.Tag == "!!merge" {
			c.Tag = "!!str"
		}
		return &c, nil
	case yaml.SequenceNode:
		c := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: n.Style &^ yaml.FlowStyle, Line: n.Line, Column: n.Column}
		c.Content = make([]*yaml.Node, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := r.resolve(item, depth+1)
			if err != nil {
				return nil, err
			}
			c.Content = append(c.Content, v)
		}
		return c, nil
	case yaml.MappingNode:
		return r.mapping(n, depth)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return Null(n.Line, n.Column), nil
		}
		return r.resolve(n.Content[0], depth+1)
	}
	return nil, diag.Errorf(r.pos(n), "unsupported YAML node")
}

// isMergeKey reports whether k is the plain "<<" merge key.
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || (k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 && k.Tag == ""))
}

// mapping resolves a mapping: explicit keys win over merged ones whatever
// their order, a later explicit duplicate replaces an earlier one in place,
// and among merged sources the first to supply a key wins (as SnakeYAML,
// which CircleCI uses, does).
func (r *resolver) mapping(n *yaml.Node, depth int) (*yaml.Node, error) {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	index := map[string]int{} // key -> index of its value in out.Content
	explicit := map[string]bool{}
	add := func(k, v *yaml.Node, preferred bool) {
		key := k.Value
		if i, ok := index[key]; ok {
			if preferred {
				out.Content[i-1], out.Content[i] = k, v
				explicit[key] = true
			}
			return
		}
		out.Content = append(out.Content, k, v)
		index[key] = len(out.Content) - 1
		if preferred {
			explicit[key] = true
		}
	}
	var mergeSource func(src *yaml.Node, at *yaml.Node) error
	mergeSource = func(src *yaml.Node, at *yaml.Node) error {
		switch src.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(src.Content); i += 2 {
				add(src.Content[i], src.Content[i+1], false)
			}
			return nil
		case yaml.SequenceNode:
			for _, item := range src.Content {
				if item.Kind != yaml.MappingNode {
					return diag.Errorf(r.pos(item), "merge key << takes a map or a list of maps, not a list holding %s", KindName(item))
				}
				if err := mergeSource(item, item); err != nil {
					return err
				}
			}
			return nil
		case yaml.ScalarNode:
			if src.Tag == "!!null" {
				return nil
			}
		}
		return diag.Errorf(r.pos(at), "merge key << takes a map or a list of maps, not %s", KindName(src))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			rv, err := r.resolve(v, depth+1)
			if err != nil {
				return nil, err
			}
			if err := mergeSource(rv, v); err != nil {
				return nil, err
			}
			continue
		}
		rk, err := r.resolve(k, depth+1)
		if err != nil {
			return nil, err
		}
		if rk.Kind != yaml.ScalarNode {
			return nil, diag.Errorf(r.pos(k), "mapping keys must be scalars, not %s", KindName(rk))
		}
		rv, err := r.resolve(v, depth+1)
		if err != nil {
			return nil, err
		}
		add(rk, rv, true)
	}
	return out, nil
}

// KindName describes what a node holds, for error messages: "a map",
// "a list", "null", "an integer", "a number", "a boolean" or "a string".
func KindName(n *yaml.Node) string {
	switch {
	case n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a map"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "an unknown node"
	}
	switch n.ShortTag() {
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	}
	return "a string"
}
