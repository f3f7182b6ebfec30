package expr

import (
	"strings"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"gopkg.in/yaml.v3"
)

// logicKeys are the operators a logic statement map may use.
var logicKeys = []string{"and", "or", "not", "equal", "matches"}

// maxWork bounds the nodes one EvalLogic call visits, so that aliases
// cannot make it run for exponential time.
const maxWork = 100000

// EvalLogic evaluates a CircleCI logic statement held in a YAML node that
// is already interpolated. file is used for error positions. Every part of
// the statement is checked, so all its errors are reported (as a
// diag.List) even where and/or would short-circuit.
func EvalLogic(file string, n *yaml.Node) (bool, error) {
	l := &logic{file: file}
	b := l.stmt(n, 0)
	if err := l.errs.Err(); err != nil {
		return false, err
	}
	return b, nil
}

type logic struct {
	file string
	errs diag.List
	work int
}

func (l *logic) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: l.file, Line: n.Line, Col: n.Column}
}

func (l *logic) errorf(n *yaml.Node, format string, args ...any) {
	l.errs.Add(l.pos(n), format, args...)
}

// visit follows aliases and documents from n, counting the work and the
// depth; ok is false after reporting that a limit was passed.
func (l *logic) visit(n *yaml.Node, depth int) (*yaml.Node, bool) {
	at := n
	for i := 0; n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode); i++ {
		if i > MaxDepth {
			l.errorf(at, "alias chain is longer than %d", MaxDepth)
			return nil, false
		}
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) == 1 {
			n = n.Content[0]
		} else {
			n = nil
		}
	}
	l.work++
	switch {
	case depth > MaxDepth:
		l.errorf(at, "logic statement nests deeper than %d levels", MaxDepth)
		return nil, false
	case l.work > maxWork:
		if l.work == maxWork+1 {
			l.errorf(at, "logic statement is too large (over %d nodes, counting aliases)", maxWork)
		}
		return nil, false
	}
	return n, true
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// stmt evaluates one statement, recording errors and returning false
// after one.
func (l *logic) stmt(at *yaml.Node, depth int) bool {
	if at == nil {
		return false
	}
	n, ok := l.visit(at, depth)
	switch {
	case !ok:
		return false
	case isNull(n):
		return false
	case n.Kind == yaml.ScalarNode:
		return Truthy(ScalarValue(n))
	case n.Kind == yaml.SequenceNode:
		l.errorf(at, "a logic statement cannot be a list (combine statements with and: or or:)")
		return false
	case n.Kind != yaml.MappingNode:
		l.errorf(at, "invalid logic statement")
		return false
	}
	if len(n.Content) != 2 {
		keys := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
		if len(keys) == 0 {
			l.errorf(at, "empty logic statement: want one of %s", strings.Join(logicKeys, ", "))
		} else {
			l.errorf(at, "a logic statement must have exactly one key, found %d (%s)", len(keys), strings.Join(keys, ", "))
		}
		return false
	}
	key, arg := n.Content[0], n.Content[1]
	switch key.Value {
	case "and", "or":
		return l.andOr(key, arg, depth)
	case "not":
		return l.not(key, arg, depth)
	case "equal":
		return l.equal(key, arg, depth)
	case "matches":
		return l.matches(key, arg, depth)
	}
	l.errorf(key, "unknown logic operator %q%s; want one of %s", key.Value,
		diag.DidYouMean(key.Value, logicKeys), strings.Join(logicKeys, ", "))
	return false
}

// list returns the items of a non-empty list argument; ok is false when
// the argument is null (the statement is false) or after an error.
func (l *logic) list(key, arg *yaml.Node, depth int) ([]*yaml.Node, bool) {
	n, ok := l.visit(arg, depth)
	if !ok || isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.errorf(arg, "%s takes a non-empty list", key.Value)
		return nil, false
	}
	return n.Content, true
}

func (l *logic) andOr(key, arg *yaml.Node, depth int) bool {
	items, ok := l.list(key, arg, depth+1)
	if !ok {
		return false
	}
	or := key.Value == "or"
	result := !or
	for _, it := range items {
		// No short-circuit: later statements are still checked for errors.
		if l.stmt(it, depth+1) == or {
			result = or
		}
	}
	return result
}

func (l *logic) not(key, arg *yaml.Node, depth int) bool {
	n, ok := l.visit(arg, depth+1)
	if !ok || isNull(n) {
		return false
	}
	if n.Kind == yaml.SequenceNode {
		l.errorf(arg, "not takes a single logic statement, not a list")
		return false
	}
	return !l.stmt(arg, depth+1)
}
