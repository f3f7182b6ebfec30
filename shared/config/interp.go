package config

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// scope is what << >> can read at one place of the config.
type scope struct {
	file   string
	params map[string]*yaml.Node // nil: no parameters here
	what   string                // "job build", for messages
	matrix map[string]*yaml.Node // nil outside matrix job invocations
}

var directRE = regexp.MustCompile(`^(pipeline|parameters|matrix)\.[^\s<>]+$`)

// interpolate returns a copy of n with every << >> replaced. It never
// re-reads what it substituted.
func (c *compiler) interpolate(n *yaml.Node, sc *scope) *yaml.Node {
	if n == nil {
		return nil
	}
	if !c.spend(1) {
		return n
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" || !strings.Contains(n.Value, "<<") {
			return n
		}
		return c.interpolateScalar(n, sc)
	case yaml.MappingNode:
		out := *n
		out.Content = make([]*yaml.Node, len(n.Content))
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := c.interpolate(n.Content[i], sc)
			if !isScalar(k) {
				c.errf(sc.file, n.Content[i], "a map key must be a string, but << >> gave %s", kindName(k))
				k = n.Content[i]
			}
			out.Content[i] = k
			out.Content[i+1] = c.interpolate(n.Content[i+1], sc)
		}
		return &out
	case yaml.SequenceNode:
		out := *n
		out.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			out.Content[i] = c.interpolate(ch, sc)
		}
		return &out
	}
	return n
}

// token is one << >> occurrence in a string.
type token struct {
	start, end int    // byte range including the delimiters
	inner      string // the text between them
	direct     bool   // a plain name such as parameters.x
	ex         *expr.Expr
}

// findTokens lists the interpolations in s, skipping \<< escapes and <<
// that do not hold a pipeline, parameters or matrix reference (shell
// here-documents, for example).
func findTokens(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "<<")
		if j < 0 {
			break
		}
		j += i
		if j > 0 && s[j-1] == '\\' {
			i = j + 2
			continue
		}
		k := strings.Index(s[j+2:], ">>")
		if k < 0 {
			break
		}
		inner := s[j+2 : j+2+k]
		t := token{start: j, end: j + 2 + k + 2, inner: inner}
		trimmed := strings.TrimSpace(inner)
		if directRE.MatchString(trimmed) && !strings.Contains(trimmed, "..") && !strings.ContainsAny(trimmed, "()\"'=!") {
			t.direct = true
			out = append(out, t)
			i = t.end
			continue
		}
		if e, err := expr.Parse(trimmed); err == nil && len(e.Idents()) > 0 && allNamespaced(e.Idents()) {
			t.ex = e
			out = append(out, t)
			i = t.end
			continue
		}
		i = j + 2
	}
	return out
}

func allNamespaced(ids []string) bool {
	for _, id := range ids {
		if !strings.HasPrefix(id, "pipeline.") && !strings.HasPrefix(id, "parameters.") && !strings.HasPrefix(id, "matrix.") {
			return false
		}
	}
	return true
}

func (c *compiler) interpolateScalar(n *yaml.Node, sc *scope) *yaml.Node {
	if hasSection(n.Value) && sectionOpenRE.MatchString(n.Value) {
		rendered, ok := c.renderSections(n.Value, sc, n)
		if !ok {
			return n
		}
		cp := *n
		cp.Value = rendered
		n = &cp
	}
	toks := findTokens(n.Value)
	if len(toks) == 0 {
		return n
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	// The whole value is one reference: substitute the typed value.
	if len(toks) == 1 && strings.TrimSpace(n.Value[:toks[0].start]) == "" && strings.TrimSpace(n.Value[toks[0].end:]) == "" {
		v, ok := c.resolveToken(toks[0], sc, n)
		if !ok {
			return n
		}
		if isScalar(v) && (quoted || n.Value != strings.TrimSpace(n.Value)) {
			// Text around the reference (a block scalar's newline) is kept.
			v = strAt(n.Value[:toks[0].start]+v.Value+n.Value[toks[0].end:], n)
		} else {
			v = clone(v)
			setPos(v, n)
		}
		return v
	}
	var b strings.Builder
	last := 0
	for _, t := range toks {
		b.WriteString(n.Value[last:t.start])
		last = t.end
		v, ok := c.resolveToken(t, sc, n)
		if !ok {
			b.WriteString(n.Value[t.start:t.end])
			continue
		}
		if !isScalar(v) {
			c.errf(sc.file, n, "<<%s>> is %s and cannot be placed inside a string", t.inner, kindName(v))
			continue
		}
		b.WriteString(v.Value)
	}
	b.WriteString(n.Value[last:])
	out := *n
	out.Value = b.String()
	out.Tag = "!!str"
	return &out
}

// setPos gives v (a fresh copy) the position of at where v has none.
func setPos(v, at *yaml.Node) {
	if v.Line == 0 {
		v.Line, v.Column = at.Line, at.Column
	}
}

// resolveToken evaluates one token to a node. ok is false after an error.
func (c *compiler) resolveToken(t token, sc *scope, at *yaml.Node) (*yaml.Node, bool) {
	if t.direct {
		name := strings.TrimSpace(t.inner)
		v, err := c.lookupNode(name, sc)
		if err != nil {
			c.errf(sc.file, at, "%v", err)
			return nil, false
		}
		return v, true
	}
	val, err := t.ex.Eval(func(name string) (expr.Value, bool) {
		v, err := c.lookupNode(name, sc)
		if err != nil {
			return nil, false
		}
		if !isScalar(v) {
			return nil, false
		}
		return expr.ScalarValue(v), true
	})
	if err != nil {
		for _, id := range t.ex.Idents() {
			if _, lerr := c.lookupNode(id, sc); lerr != nil {
				c.errf(sc.file, at, "in <<%s>>: %v", t.inner, lerr)
				return nil, false
			}
		}
		c.errf(sc.file, at, "in <<%s>>: %v", t.inner, err)
		return nil, false
	}
	return valueNode(val), true
}

// valueNode makes a scalar node from an expression value.
func valueNode(v expr.Value) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ""}
	case bool:
		return boolNode(x)
	case int64:
		return intNode(x)
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: expr.Format(x)}
	case string:
		return str(x)
	}
	return str(fmt.Sprint(v))
}

// lookupNode finds the value of a dotted name in scope.
func (c *compiler) lookupNode(name string, sc *scope) (*yaml.Node, error) {
	switch {
	case strings.HasPrefix(name, "parameters."):
		p := strings.TrimPrefix(name, "parameters.")
		if sc.params == nil {
			return nil, fmt.Errorf("unknown variable %s: %s declares no parameters", name, sc.whatOr("this place"))
		}
		v, ok := sc.params[p]
		if !ok {
			return nil, fmt.Errorf("unknown variable %s: %s has no parameter %q%s", name, sc.whatOr("this place"), p, didYouMean(p, mapKeys(sc.params)))
		}
		return v, nil
	case strings.HasPrefix(name, "pipeline.parameters."):
		p := strings.TrimPrefix(name, "pipeline.parameters.")
		v, ok := c.pipelineParams[p]
		if !ok && c.opts.Partial {
			return valueNode(nil), nil // a fragment may use parameters declared elsewhere
		}
		if !ok {
			return nil, fmt.Errorf("unknown variable %s: the config declares no pipeline parameter %q%s", name, p, didYouMean(p, mapKeys(c.pipelineParams)))
		}
		return v, nil
	case strings.HasPrefix(name, "pipeline."):
		v, ok := c.pipe.value(name)
		if !ok {
			return nil, fmt.Errorf("unknown pipeline value %s%s", name, didYouMean(name, pipelineValueNames))
		}
		return valueNode(v), nil
	case strings.HasPrefix(name, "matrix."):
		p := strings.TrimPrefix(name, "matrix.")
		v, ok := sc.matrix[p]
		if !ok {
			if sc.matrix == nil {
				return nil, fmt.Errorf("unknown variable %s: only a matrix job invocation can read matrix values", name)
			}
			return nil, fmt.Errorf("unknown variable %s: the matrix has no parameter %q%s", name, p, didYouMean(p, mapKeys(sc.matrix)))
		}
		return v, nil
	}
	return nil, fmt.Errorf("unknown variable %s", name)
}

func (sc *scope) whatOr(def string) string {
	if sc.what != "" {
		return sc.what
	}
	return def
}
