package pack

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// chunkNodes is the size of the largest subtree handed to the yaml.v3
// encoder at once. Its emitter keeps every event of a document until the
// document ends (about 1.5 KB per node), so a big tree is written a piece at
// a time instead: each small subtree as its own document, indented into
// place.
var chunkNodes = 2000 // a variable so tests can exercise every path

// encode writes n as YAML with a 2-space indent.
func encode(n *yaml.Node) ([]byte, error) {
	e := &encoder{size: map[*yaml.Node]int{}}
	e.measure(n)
	if err := e.write(n, ""); err != nil {
		return nil, fmt.Errorf("cannot write packed YAML: %w", err)
	}
	return e.buf.Bytes(), nil
}

type encoder struct {
	buf  bytes.Buffer
	size map[*yaml.Node]int // node counts of the maps and lists
}

func (e *encoder) measure(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += e.measure(k)
	}
	if len(n.Content) > 0 {
		e.size[n] = c
	}
	return c
}

// write emits n, every line prefixed by indent.
func (e *encoder) write(n *yaml.Node, indent string) error {
	if e.size[n] <= chunkNodes || n.Style&yaml.TaggedStyle != 0 {
		return e.small(n, indent)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			pair := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, v}}
			if e.size[v] <= chunkNodes || v.Style&yaml.TaggedStyle != 0 {
				if err := e.small(pair, indent); err != nil {
					return err
				}
				continue
			}
			head, err := render(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, {Kind: yaml.MappingNode, Tag: "!!map"}}})
			if err != nil {
				return err
			}
			key, ok := strings.CutSuffix(head, " {}\n")
			if !ok || strings.Contains(key, "\n") {
				if err := e.small(pair, indent); err != nil { // a complex key: keep the pair whole
					return err
				}
				continue
			}
			e.buf.WriteString(indent + key + "\n")
			if err := e.write(v, indent+"  "); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if e.size[item] <= chunkNodes || item.Style&yaml.TaggedStyle != 0 {
				if err := e.small(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}}, indent); err != nil {
					return err
				}
				continue
			}
			e.buf.WriteString(indent + "-\n")
			if err := e.write(item, indent+"  "); err != nil {
				return err
			}
		}
	default:
		return e.small(n, indent)
	}
	return nil
}

// small encodes n as one document and appends it, indented.
func (e *encoder) small(n *yaml.Node, indent string) error {
	text, err := render(n)
	if err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		if line != "" && line != "\n" {
			e.buf.WriteString(indent)
		}
		e.buf.WriteString(line)
	}
	return nil
}

// render is yaml.v3's encoding of n, with a panic turned into an error.
func render(n *yaml.Node) (text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			text, err = "", fmt.Errorf("%v", p)
		}
	}()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// sortKeys sorts every map in n by key, as the CLI's output is sorted.
func sortKeys(n *yaml.Node) {
	type pair struct{ k, v *yaml.Node }
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n.Kind {
		case yaml.MappingNode:
			pairs := make([]pair, 0, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
			}
			sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].k.Value < pairs[j].k.Value })
			for i, p := range pairs {
				n.Content[2*i], n.Content[2*i+1] = p.k, p.v
				stack = append(stack, p.v)
			}
		case yaml.SequenceNode:
			stack = append(stack, n.Content...)
		}
	}
}
