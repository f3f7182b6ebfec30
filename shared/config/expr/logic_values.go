package expr

import (
	"regexp"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"gopkg.in/yaml.v3"
)

func (l *logic) equal(key, arg *yaml.Node, depth int) bool {
	items, ok := l.list(key, arg, depth+1)
	if !ok {
		return false
	}
	for i := 1; i < len(items); i++ {
		eq, ok := l.nodeEqual(items[0], items[i], depth+1)
		if !ok {
			return false
		}
		if !eq {
			return false
		}
	}
	return true
}

// nodeEqual compares two YAML values structurally: scalars with Equal,
// lists item by item and maps as unordered key/value sets.
func (l *logic) nodeEqual(a, b *yaml.Node, depth int) (eq, ok bool) {
	if a, ok = l.visit(a, depth); !ok {
		return false, false
	}
	if b, ok = l.visit(b, depth); !ok {
		return false, false
	}
	ak, bk := kindOf(a), kindOf(b)
	switch {
	case ak != bk:
		return false, true
	case ak == yaml.ScalarNode:
		return Equal(ScalarValue(a), ScalarValue(b)), true
	case len(a.Content) != len(b.Content):
		return false, true
	case ak == yaml.SequenceNode:
		for i := range a.Content {
			if eq, ok := l.nodeEqual(a.Content[i], b.Content[i], depth+1); !eq || !ok {
				return false, ok
			}
		}
		return true, true
	}
	for i := 0; i+1 < len(a.Content); i += 2 {
		found := false
		for j := 0; j+1 < len(b.Content) && !found; j += 2 {
			keq, ok := l.nodeEqual(a.Content[i], b.Content[j], depth+1)
			if !ok {
				return false, false
			}
			if keq {
				veq, ok := l.nodeEqual(a.Content[i+1], b.Content[j+1], depth+1)
				if !ok {
					return false, false
				}
				found = veq
				if !veq {
					return false, true
				}
			}
		}
		if !found {
			return false, true
		}
	}
	return true, true
}

// kindOf is n's kind, with null scalars and missing nodes as scalars.
func kindOf(n *yaml.Node) yaml.Kind {
	if n == nil || n.Kind == 0 || n.Kind == yaml.DocumentNode {
		return yaml.ScalarNode
	}
	return n.Kind
}

var matchKeys = []string{"pattern", "value"}

func (l *logic) matches(key, arg *yaml.Node, depth int) bool {
	n, ok := l.visit(arg, depth+1)
	if !ok || isNull(n) {
		return false
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(arg, "matches takes a map with pattern and value")
		return false
	}
	var pattern, value *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch k.Value {
		case "pattern":
			pattern = n.Content[i+1]
		case "value":
			value = n.Content[i+1]
		default:
			l.errorf(k, "unknown matches key %q%s; want pattern and value", k.Value, diag.DidYouMean(k.Value, matchKeys))
			return false
		}
	}
	if pattern == nil || value == nil {
		missing := "pattern"
		if pattern != nil {
			missing = "value"
		}
		l.errorf(arg, "matches needs a %s", missing)
		return false
	}
	re := l.pattern(pattern, depth+2)
	v, ok := l.visit(value, depth+2)
	if !ok || re == nil {
		return false
	}
	if kindOf(v) != yaml.ScalarNode {
		l.errorf(value, "matches value must be a single value, not a list or map")
		return false
	}
	// Match the text as written: a branch named "no" is not false here.
	return !isNull(v) && re.MatchString(v.Value)
}

// pattern compiles a matches pattern for a full match, or reports why it
// cannot.
func (l *logic) pattern(at *yaml.Node, depth int) *regexp.Regexp {
	n, ok := l.visit(at, depth)
	switch {
	case !ok:
		return nil
	case isNull(n) || kindOf(n) != yaml.ScalarNode:
		l.errorf(at, "matches pattern must be a string")
		return nil
	case len(n.Value) > MaxLen:
		l.errorf(at, "matches pattern is longer than %d bytes", MaxLen)
		return nil
	}
	p := n.Value
	// Compiling the bare pattern first proves its parentheses balance, so
	// wrapping it cannot change its meaning.
	if _, err := regexp.Compile(p); err != nil {
		l.errorf(at, "invalid matches pattern: %v", err)
		return nil
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		l.errorf(at, "invalid matches pattern: %v", err)
		return nil
	}
	return re
}
