package config

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// paramDecl is one declared parameter of a job, command, executor or the
// pipeline.
type paramDecl struct {
	name   string
	typ    string
	def    *yaml.Node // nil when there is no default (then the parameter is required)
	enum   []string
	node   *yaml.Node
	keyPos *yaml.Node
}

var (
	paramTypes         = []string{"string", "boolean", "integer", "enum", "executor", "steps", "env_var_name"}
	pipelineParamTypes = []string{"string", "boolean", "integer", "enum"}
	nameRE             = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	envVarNameRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	paramDeclKeys      = []string{"type", "default", "description", "enum"}
)

// parseParamDecls reads a `parameters:` map. allowed limits the types.
func (c *compiler) parseParamDecls(file string, n *yaml.Node, allowed []string, what string) []*paramDecl {
	if isNull(n) {
		return nil
	}
	if !isMap(n) {
		c.errf(file, n, "%s parameters must be a map of name to {type, default, description}, not %s", what, kindName(n))
		return nil
	}
	var out []*paramDecl
	for _, p := range pairs(n) {
		if !nameRE.MatchString(p.Key) {
			c.errf(file, p.KeyN, "parameter name %q must start with a letter and hold only letters, digits, _ and -", p.Key)
		}
		if !isMap(p.Value) {
			c.errf(file, p.Value, "parameter %q must be a map with a type, not %s", p.Key, kindName(p.Value))
			continue
		}
		c.checkKeys(file, p.Value, paramDeclKeys, "parameter "+strconv.Quote(p.Key))
		d := &paramDecl{name: p.Key, node: p.Value, keyPos: p.KeyN}
		t := get(p.Value, "type")
		if t == nil || !isScalar(t) {
			c.errf(file, p.Value, "parameter %q needs a type (one of %s)", p.Key, strings.Join(allowed, ", "))
			continue
		}
		d.typ = t.Value
		if !contains(allowed, d.typ) {
			if contains(paramTypes, d.typ) {
				c.errf(file, t, "parameter %q: type %s is not allowed for %s parameters (allowed: %s)", p.Key, d.typ, what, strings.Join(allowed, ", "))
			} else {
				c.errf(file, t, "parameter %q has unknown type %q%s", p.Key, d.typ, didYouMean(d.typ, paramTypes))
			}
			continue
		}
		if d.typ == "enum" {
			vals, ok := stringList(get(p.Value, "enum"))
			if !ok || len(vals) == 0 {
				c.errf(file, p.Value, "enum parameter %q needs a non-empty `enum` list", p.Key)
				continue
			}
			d.enum = vals
		} else if has(p.Value, "enum") {
			c.errf(file, get(p.Value, "enum"), "parameter %q: `enum` is only allowed with type enum", p.Key)
		}
		if dn := get(p.Value, "default"); dn != nil {
			v, msg := coerceParam(d, dn)
			if msg != "" {
				c.errf(file, dn, "default of parameter %q: %s", p.Key, msg)
				continue
			}
			d.def = v
		}
		out = append(out, d)
	}
	return out
}

// coerceParam type-checks v against d and returns the normalized value node,
// or a message saying what is wrong.
func coerceParam(d *paramDecl, v *yaml.Node) (*yaml.Node, string) {
	switch d.typ {
	case "string":
		if isNull(v) {
			return strAt("", v), ""
		}
		if !isScalar(v) {
			return nil, "expected a string, got " + kindName(v)
		}
		return strAt(v.Value, v), ""
	case "env_var_name":
		if !isScalar(v) || !envVarNameRE.MatchString(v.Value) {
			return nil, "expected an environment variable name (letters, digits and _, not starting with a digit), got " + describe(v)
		}
		return strAt(v.Value, v), ""
	case "boolean":
		if isScalar(v) {
			if b, ok := expr.ParseBool(v.Value); ok && v.ShortTag() != "!!int" {
				n := boolNode(b)
				n.Line, n.Column = v.Line, v.Column
				return n, ""
			}
		}
		return nil, "expected a boolean, got " + describe(v)
	case "integer":
		if isScalar(v) && (v.ShortTag() == "!!int" || v.ShortTag() == "!!str") {
			if i, err := strconv.ParseInt(strings.TrimSpace(v.Value), 0, 64); err == nil {
				n := intNode(i)
				n.Line, n.Column = v.Line, v.Column
				return n, ""
			}
		}
		if isScalar(v) && v.ShortTag() == "!!float" {
			if f, err := strconv.ParseFloat(v.Value, 64); err == nil && f == float64(int64(f)) {
				n := intNode(int64(f))
				n.Line, n.Column = v.Line, v.Column
				return n, ""
			}
		}
		return nil, "expected an integer, got " + describe(v)
	case "enum":
		if isScalar(v) && contains(d.enum, v.Value) {
			return strAt(v.Value, v), ""
		}
		return nil, "expected one of [" + strings.Join(d.enum, ", ") + "], got " + describe(v)
	case "executor":
		if isScalar(v) && !isNull(v) && v.Value != "" {
			return v, ""
		}
		if isMap(v) && isScalar(get(v, "name")) {
			return v, ""
		}
		if isMap(v) && (has(v, "docker") || has(v, "machine") || has(v, "macos")) {
			return v, ""
		}
		return nil, "expected an executor name or {name: ..., parameters}, got " + describe(v)
	case "steps":
		if isNull(v) {
			return seqNode(), ""
		}
		if isSeq(v) {
			return v, ""
		}
		return nil, "expected a list of steps, got " + describe(v)
	}
	return nil, "unknown parameter type " + d.typ
}

func describe(v *yaml.Node) string {
	if isScalar(v) && !isNull(v) {
		return kindName(v) + " " + strconv.Quote(v.Value)
	}
	return kindName(v)
}

// bindParams matches arguments to declarations. args is the invocation map
// (may be nil); skip lists keys of args that are not parameters. The result
// maps every declared parameter to its value node.
func (c *compiler) bindParams(file string, decls []*paramDecl, args *yaml.Node, skip []string, what string, at *yaml.Node) map[string]*yaml.Node {
	vals := make(map[string]*yaml.Node, len(decls))
	byName := make(map[string]*paramDecl, len(decls))
	names := make([]string, 0, len(decls))
	for _, d := range decls {
		byName[d.name] = d
		names = append(names, d.name)
	}
	for _, p := range pairs(args) {
		if contains(skip, p.Key) {
			continue
		}
		d, ok := byName[p.Key]
		if !ok {
			if len(names) == 0 {
				c.errf(file, p.KeyN, "%s takes no parameters, but got %q%s", what, p.Key, didYouMean(p.Key, skip))
			} else {
				sort.Strings(names)
				c.errf(file, p.KeyN, "%s has no parameter %q%s", what, p.Key, didYouMean(p.Key, append(names, skip...)))
			}
			continue
		}
		v, msg := coerceParam(d, p.Value)
		if msg != "" {
			c.errf(file, p.Value, "argument %q of %s: %s", p.Key, what, msg)
			continue
		}
		vals[p.Key] = v
	}
	for _, d := range decls {
		if _, ok := vals[d.name]; ok {
			continue
		}
		if d.def == nil {
			c.errf(file, at, "%s is missing required parameter %q (type %s)", what, d.name, d.typ)
			// A stand-in keeps one missing argument from also being reported
			// at every place that reads it.
			vals[d.name] = missingValue(d)
			continue
		}
		vals[d.name] = d.def
	}
	return vals
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// missingValue stands in for a required parameter that was not given.
func missingValue(d *paramDecl) *yaml.Node {
	switch d.typ {
	case "steps":
		return seqNode()
	case "boolean":
		return boolNode(false)
	case "integer":
		return intNode(0)
	}
	return str("")
}
