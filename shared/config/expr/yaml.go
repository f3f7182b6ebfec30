package expr

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseBool parses YAML 1.1 booleans as CircleCI accepts them: true/false,
// yes/no, on/off and y/n in any case.
func ParseBool(s string) (b bool, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

// yaml11Bools are the plain scalars YAML 1.1 reads as booleans but yaml.v3
// (YAML 1.2) reads as strings. y and n are left out, as CircleCI's YAML
// reader does, so that matrix axes like [x, y, z] stay strings.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

// ScalarValue converts a YAML scalar node into a Value using its resolved
// tag: !!null is nil, !!bool a bool (any spelling ParseBool accepts), !!int
// an int64 (0x, 0o, 0b, leading-zero octal and _ separators as yaml.v3
// reads them; beyond int64 a float64), !!float a float64 (.inf, .nan) and
// anything else a string. A plain (unquoted, untagged) yes/no/on/off is a
// bool, as in YAML 1.1. Aliases are followed and documents unwrapped;
// mappings, sequences and nil give nil.
func ScalarValue(n *yaml.Node) Value {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil
	}
	s := n.Value
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		if b, ok := ParseBool(s); ok {
			return b
		}
	case "!!int":
		if i, ok := parseInt(s); ok {
			return i
		}
		if f, ok := parseFloat(s); ok {
			return f
		}
	case "!!float":
		if f, ok := parseFloat(s); ok {
			return f
		}
	case "!!str":
		const explicit = yaml.TaggedStyle | yaml.DoubleQuotedStyle |
			yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
		if n.Style&explicit == 0 {
			if b, ok := yaml11Bools[s]; ok {
				return b
			}
		}
	}
	return s
}

// parseInt reads an integer as yaml.v3 does. Integers too big for int64
// come back as float64.
func parseInt(s string) (Value, bool) {
	t := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(t, 0, 64); err == nil {
		return i, true
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(t, "+"), 0, 64); err == nil {
		return float64(u), true
	}
	return nil, false
}

func parseFloat(s string) (float64, bool) {
	switch strings.ToLower(s) {
	case ".inf", "+.inf":
		return math.Inf(1), true
	case "-.inf":
		return math.Inf(-1), true
	case ".nan":
		return math.NaN(), true
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// deref follows aliases and unwraps documents, giving up on chains longer
// than MaxDepth.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil; i++ {
		if i > MaxDepth {
			return nil
		}
		switch {
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		case n.Kind == yaml.DocumentNode:
			return nil
		default:
			return n
		}
	}
	return nil
}
