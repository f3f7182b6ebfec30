package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

var serialGroupRE = regexp.MustCompile(`^[A-Za-z0-9.\-_/]+$`)

const maxMatrixJobs = 1024

// expandMatrix turns a matrix invocation into one invocation per combination
// of its parameters, sorted by parameter name (the first name varies
// slowest), minus the excluded combinations. Generated names are
// job-v1-v2 in that order unless the invocation has a `name`.
func (c *compiler) expandMatrix(name string, args, mx, at *yaml.Node, sc *scope, group string) []*wfJob {
	if c.version != "2.1" {
		c.errf(c.file, mx, "`matrix` needs `version: 2.1`")
		return nil
	}
	mx = c.interpolate(mx, sc)
	if !isMap(mx) {
		c.errf(c.file, mx, "`matrix` must be a map with `parameters`, not %s", kindName(mx))
		return nil
	}
	c.checkKeys(c.file, mx, []string{"parameters", "exclude", "alias"}, "matrix")
	params := get(mx, "parameters")
	if !isMap(params) || len(params.Content) == 0 {
		c.errf(c.file, mx, "`matrix` needs `parameters`: a map of parameter name to list of values")
		return nil
	}
	type dim struct {
		name string
		key  *yaml.Node // where the parameter is written, for error positions
		vals []*yaml.Node
	}
	var dims []dim
	for _, p := range pairs(params) {
		if !isSeq(p.Value) || len(p.Value.Content) == 0 {
			c.errf(c.file, p.Value, "matrix parameter %q must be a non-empty list of values", p.Key)
			return nil
		}
		dims = append(dims, dim{p.Key, p.KeyN, p.Value.Content})
	}
	sort.Slice(dims, func(i, j int) bool { return dims[i].name < dims[j].name })
	total := 1
	for _, d := range dims {
		total *= len(d.vals)
		if total > maxMatrixJobs {
			c.errf(c.file, mx, "matrix expands to more than %d jobs", maxMatrixJobs)
			return nil
		}
	}
	var excludes []map[string]string
	if ex := get(mx, "exclude"); !isNull(ex) {
		if !isSeq(ex) {
			c.errf(c.file, ex, "matrix `exclude` must be a list of parameter maps")
		} else {
			for _, e := range ex.Content {
				if !isMap(e) {
					c.errf(c.file, e, "each matrix `exclude` entry must be a map of parameter to value")
					continue
				}
				m := map[string]string{}
				for _, p := range pairs(e) {
					if get(params, p.Key) == nil {
						c.errf(c.file, p.KeyN, "matrix `exclude` names parameter %q, which the matrix does not have", p.Key)
					}
					m[p.Key] = nodeKey(p.Value)
				}
				excludes = append(excludes, m)
			}
		}
	}
	alias := name
	if a := get(mx, "alias"); a != nil && isScalar(a) {
		alias = a.Value
	}
	base := clone(args)
	del(base, "matrix")
	var out []*wfJob
	idx := make([]int, len(dims))
	for n := 0; n < total; n++ {
		rem := n
		for i := len(dims) - 1; i >= 0; i-- {
			idx[i] = rem % len(dims[i].vals)
			rem /= len(dims[i].vals)
		}
		values := map[string]*yaml.Node{}
		var pairsOut [][2]string
		var parts []string
		for i, d := range dims {
			v := d.vals[idx[i]]
			values[d.name] = v
			text := nodeText(v)
			pairsOut = append(pairsOut, [2]string{d.name, text})
			parts = append(parts, text)
		}
		if excluded(excludes, values) {
			continue
		}
		msc := &scope{file: c.file, matrix: values}
		inst := c.interpolate(base, msc)
		if inst == nil {
			inst = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		for _, d := range dims {
			if !has(inst, d.name) {
				inst.Content = append(inst.Content, strAt(d.name, d.key), values[d.name])
			}
		}
		if !has(inst, "name") {
			set(inst, "name", strAt(name+"-"+strings.Join(parts, "-"), at))
		}
		j := c.invocation(name, inst, at, pairsOut, group)
		if j != nil {
			j.alias = alias
			out = append(out, j)
		}
	}
	if len(out) == 0 && len(c.errs) == 0 {
		c.errf(c.file, mx, "matrix of job %q excludes every combination", name)
	}
	return out
}

func excluded(excludes []map[string]string, values map[string]*yaml.Node) bool {
	for _, ex := range excludes {
		match := true
		for k, v := range ex {
			if nodeKey(values[k]) != v {
				match = false
				break
			}
		}
		if match && len(ex) > 0 {
			return true
		}
	}
	return false
}

// nodeText renders a matrix value for a generated job name.
func nodeText(n *yaml.Node) string {
	if isScalar(n) {
		return n.Value
	}
	if isMap(n) {
		if nm := get(n, "name"); isScalar(nm) {
			return nm.Value
		}
	}
	return nodeKey(n)
}

// nodeKey is a canonical text of a node, for comparisons.
func nodeKey(n *yaml.Node) string {
	if n == nil {
		return "null"
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return expr.Format(expr.ScalarValue(n))
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, ch := range n.Content {
			parts[i] = nodeKey(ch)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case yaml.MappingNode:
		var parts []string
		for _, p := range pairs(n) {
			parts = append(parts, fmt.Sprintf("%q:%s", p.Key, nodeKey(p.Value)))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	}
	return ""
}

// expandGroup expands a job-group invocation into its jobs. With an explicit
// `name`, the group's jobs are named <name>/<job> so that a group can be
// invoked several times; the invocation's requires apply to the group's
// first jobs, and its context, filters and serial-group to every job.
func (c *compiler) expandGroup(name string, g, args, at *yaml.Node, sc *scope, depth int) []*wfJob {
	if c.version != "2.1" {
		c.errf(c.file, at, "job groups need `version: 2.1`")
		return nil
	}
	c.checkKeys(c.file, g, []string{"jobs", "description"}, "job group "+quote(name))
	jobs := get(g, "jobs")
	if !isSeq(jobs) || len(jobs.Content) == 0 {
		c.errf(c.file, g, "job group %q needs a non-empty `jobs` list", name)
		return nil
	}
	args = c.interpolate(args, sc)
	for _, p := range pairs(args) {
		if !contains([]string{"name", "requires", "context", "filters", "serial-group"}, p.Key) {
			c.errf(c.file, p.KeyN, "unknown key %q for job group %q%s", p.Key, name, didYouMean(p.Key, []string{"name", "requires", "context", "filters", "serial-group"}))
		}
	}
	label := name
	prefix := ""
	if nn := get(args, "name"); isScalar(nn) && nn.Value != "" {
		label, prefix = nn.Value, nn.Value+"/"
	}
	inner := c.workflowJobs(jobs, sc, label, args, depth+1)
	innerNames := map[string]bool{}
	for _, j := range inner {
		innerNames[j.origName] = true
		if j.alias != "" {
			innerNames[j.alias] = true
		}
	}
	for _, j := range inner {
		j.group = label
		if prefix != "" {
			j.name, j.origName = prefix+j.name, prefix+j.origName
			if j.alias != "" {
				j.alias = prefix + j.alias
			}
			j.rawRequires = prefixRequires(j.rawRequires, prefix, innerNames)
		}
		if j.rawRequires == nil {
			j.rawRequires = get(args, "requires")
		}
		if cn := get(args, "context"); cn != nil && j.contexts == nil {
			j.contexts, _ = stringList(cn)
		}
		if f := get(args, "filters"); f != nil && j.filters == nil {
			c.checkFilters(f)
			j.filters = f
		}
		if sg := get(args, "serial-group"); sg != nil {
			j.serialGroup = sg.Value
			if !serialGroupRE.MatchString(sg.Value) || len(sg.Value) > 512 {
				c.errf(c.file, sg, "`serial-group` must be at most 512 characters of letters, digits, '.', '-', '_' and '/', not %s", describe(sg))
			}
		}
	}
	return inner
}

// prefixRequires renames requirements that point inside a named group.
func prefixRequires(req *yaml.Node, prefix string, inner map[string]bool) *yaml.Node {
	if req == nil {
		return nil
	}
	out := clone(req)
	var fix func(n *yaml.Node)
	fix = func(n *yaml.Node) {
		switch {
		case isScalar(n) && inner[n.Value]:
			n.Value = prefix + n.Value
		case isSeq(n):
			for _, ch := range n.Content {
				fix(ch)
			}
		case isMap(n):
			for i := 0; i+1 < len(n.Content); i += 2 {
				if inner[n.Content[i].Value] {
					n.Content[i].Value = prefix + n.Content[i].Value
				}
			}
		}
	}
	fix(out)
	return out
}
