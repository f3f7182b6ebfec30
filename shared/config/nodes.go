package config

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
	"github.com/caravan-ci/caravan/shared/config/yamltree"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// Helpers over resolved yaml.Node trees (no aliases, unique keys).

func isMap(n *yaml.Node) bool    { return n != nil && n.Kind == yaml.MappingNode }
func isSeq(n *yaml.Node) bool    { return n != nil && n.Kind == yaml.SequenceNode }
func isScalar(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode }
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// isString reports whether n is a scalar that YAML resolves to a string.
func isString(n *yaml.Node) bool { return isScalar(n) && n.ShortTag() == "!!str" }

// pair is one key/value of a mapping.
type pair struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// pairs lists a mapping's entries in order; nil for anything else.
func pairs(n *yaml.Node) []pair {
	if !isMap(n) {
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{Key: n.Content[i].Value, KeyN: n.Content[i], Value: n.Content[i+1]})
	}
	return out
}

// get returns the value under key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if !isMap(n) {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// has reports whether mapping n holds key.
func has(n *yaml.Node, key string) bool { return get(n, key) != nil }

// set replaces or appends key in mapping n.
func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, str(key), v)
}

// del removes key from mapping n.
func del(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	}
}

// singleKey returns the key and value of a one-entry mapping.
func singleKey(n *yaml.Node) (string, *yaml.Node, bool) {
	if !isMap(n) || len(n.Content) != 2 {
		return "", nil, false
	}
	return n.Content[0].Value, n.Content[1], true
}

func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = clone(ch)
		}
	}
	return &c
}

// str is a string scalar. Words YAML 1.1 reads as booleans (yes, no, on,
// off) are marked quoted so they stay strings when read back.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if _, isBool := expr.ParseBool(s); isBool {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// strAt is a string scalar carrying at's position.
func strAt(s string, at *yaml.Node) *yaml.Node {
	n := str(s)
	if at != nil {
		n.Line, n.Column = at.Line, at.Column
	}
	return n
}

func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func mapNode(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1].(*yaml.Node)
		m.Content = append(m.Content, str(kv[i].(string)), v)
	}
	return m
}

func seqNode(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// stringList reads a string or a list of scalars as strings.
func stringList(n *yaml.Node) ([]string, bool) {
	switch {
	case isNull(n):
		return nil, true
	case isScalar(n):
		return []string{n.Value}, true
	case isSeq(n):
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if !isScalar(c) {
				return nil, false
			}
			out = append(out, c.Value)
		}
		return out, true
	}
	return nil, false
}

func kindName(n *yaml.Node) string { return yamltree.KindName(n) }

// position helpers

func (c *compiler) at(n *yaml.Node) diag.Pos {
	if n == nil {
		return diag.Pos{File: c.file}
	}
	return diag.Pos{File: c.file, Line: n.Line, Col: n.Column}
}

// plainKeys lists the keys of a mapping.
func plainKeys(n *yaml.Node) []string {
	ps := pairs(n)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Key
	}
	return out
}

// walkStrings calls f on every string scalar (values and keys) under n.
func walkStrings(n *yaml.Node, f func(*yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		if n.ShortTag() == "!!str" {
			f(n)
		}
		return
	}
	for _, c := range n.Content {
		walkStrings(c, f)
	}
}

// unescape turns the \<< escape into << in every string under n.
func unescape(n *yaml.Node) {
	walkStrings(n, func(s *yaml.Node) {
		if strings.Contains(s.Value, `\<<`) {
			s.Value = strings.ReplaceAll(s.Value, `\<<`, "<<")
		}
	})
}
