package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// requirement is one resolved `requires` entry.
type requirement struct {
	job      string
	statuses []string
}

// wfJob is one job of a compiled workflow.
type wfJob struct {
	name        string     // unique within the workflow
	origName    string     // name before de-duplication suffixes
	defName     string     // job definition ("" for approval jobs)
	typ         string     // build, approval, no-op, release, lock, unlock
	at          *yaml.Node // where it was invoked
	entry       *yaml.Node // interpolated invocation
	rawRequires *yaml.Node
	requires    []requirement
	contexts    []string
	filters     *yaml.Node
	serialGroup string
	matrix      [][2]string
	alias       string // matrix alias
	group       string // job-group invocation name
	explicit    bool   // had an explicit name
	maxReruns   int64
	job         *yaml.Node // processed job body (nil for approval)
}

// workflow is one compiled workflow.
type workflow struct {
	name       string
	at         *yaml.Node
	node       *yaml.Node
	skipped    bool
	skipReason string
	triggers   []*yaml.Node
	jobs       []*wfJob
	maxReruns  int64
}

var (
	workflowKeys  = []string{"jobs", "triggers", "when", "unless", "max_auto_reruns"}
	allStatuses   = []string{"success", "failed", "canceled", "unauthorized", "not_run"}
	statusChoices = append(append([]string{}, allStatuses...), "terminal")
)

// compileWorkflows compiles the `workflows` map (or the implicit workflow of
// a version 2 config that has none).
func (c *compiler) compileWorkflows(n, root *yaml.Node) []*workflow {
	var entries []pair
	switch {
	case isNull(n) && c.opts.Partial && c.root.jobs["build"] == nil:
		return nil
	case isNull(n):
		if c.root.jobs["build"] == nil {
			if len(c.root.jobs) == 0 {
				c.errf(c.file, root, "config has no `workflows` and no jobs to run")
			} else {
				c.errf(c.file, root, "config has no `workflows` and no job named `build` to run: add a workflow%s", didYouMean("build", c.root.jobOrder))
			}
			return nil
		}
		// CircleCI runs the `build` job alone as workflow "workflow".
		entries = []pair{{Key: "workflow", KeyN: root, Value: mapNode("jobs", seqNode(str("build")))}}
	case isMap(n):
		entries = pairs(n)
	case isSeq(n):
		for _, item := range n.Content {
			k, v, ok := singleKey(item)
			if !ok {
				c.errf(c.file, item, "each workflow must be `name: {jobs: [...]}`")
				continue
			}
			entries = append(entries, pair{Key: k, KeyN: item.Content[0], Value: v})
		}
	default:
		c.errf(c.file, n, "`workflows` must be a map of workflow name to {jobs: [...]}, not %s", kindName(n))
		return nil
	}
	var out []*workflow
	seen := map[string]bool{}
	for _, p := range entries {
		if p.Key == "version" {
			continue
		}
		if seen[p.Key] {
			c.errf(c.file, p.KeyN, "workflow %q is defined twice", p.Key)
		}
		seen[p.Key] = true
		if w := c.compileWorkflow(p); w != nil {
			out = append(out, w)
		}
	}
	if len(out) == 0 && len(c.errs) == 0 && !c.opts.Partial {
		c.errf(c.file, n, "config has no workflows")
	}
	return out
}

func (c *compiler) compileWorkflow(p pair) *workflow {
	w := &workflow{name: p.Key, at: p.KeyN, node: p.Value}
	if !isMap(p.Value) {
		c.errf(c.file, p.Value, "workflow %q must be a map with `jobs`, not %s", p.Key, kindName(p.Value))
		return nil
	}
	c.checkKeys(c.file, p.Value, workflowKeys, "workflow "+quote(p.Key))
	sc := &scope{file: c.file}
	for _, k := range []string{"when", "unless"} {
		cond := get(p.Value, k)
		if cond == nil {
			continue
		}
		if c.version != "2.1" {
			c.errf(c.file, cond, "workflow `%s` needs `version: 2.1`", k)
			continue
		}
		ok, err := c.evalCondition(c.interpolate(cond, sc))
		if err != nil {
			c.errs.Append(c.at(cond), err)
			continue
		}
		if k == "unless" {
			ok = !ok
		}
		if !ok && !w.skipped {
			w.skipped, w.skipReason = true, fmt.Sprintf("its `%s` condition is %v", k, k == "unless")
		}
	}
	if t := get(p.Value, "triggers"); !isNull(t) {
		c.checkTriggers(t)
		w.triggers = t.Content
	}
	if m := get(p.Value, "max_auto_reruns"); m != nil {
		if i, ok := intValue(m); !ok || i < 1 || i > 5 {
			c.errf(c.file, m, "`max_auto_reruns` must be an integer from 1 to 5, not %s", describe(m))
		} else {
			w.maxReruns = i
		}
	}
	jobs := get(p.Value, "jobs")
	if jobs == nil && c.opts.Partial {
		return w
	}
	if !isSeq(jobs) || len(jobs.Content) == 0 {
		c.errf(c.file, p.Value, "workflow %q needs a non-empty `jobs` list", p.Key)
		return nil
	}
	w.jobs = c.workflowJobs(jobs, sc, "", nil, 0)
	c.nameJobs(w)
	c.resolveRequires(w)
	if len(c.errs) == 0 {
		c.checkCycles(w)
	}
	return w
}

// evalCondition evaluates a workflow when/unless or an expression filter.
func (c *compiler) evalCondition(n *yaml.Node) (bool, error) {
	return expr.EvalCondition(c.file, n, func(name string) (expr.Value, bool) {
		v, err := c.lookupNode(name, &scope{file: c.file})
		if err != nil || !isScalar(v) {
			return nil, false
		}
		return expr.ScalarValue(v), true
	})
}

const maxGroupDepth = 8

// workflowJobs compiles a list of job invocations (a workflow's or a job
// group's). group names the job-group invocation they come from.
func (c *compiler) workflowJobs(list *yaml.Node, sc *scope, group string, groupEntry *yaml.Node, depth int) []*wfJob {
	var out []*wfJob
	var items []*yaml.Node
	for _, item := range list.Content {
		// A map holding several jobs in one list item is read as that many
		// items (the JSON schema allows it).
		if isMap(item) && len(item.Content) > 2 {
			for i := 0; i+1 < len(item.Content); i += 2 {
				items = append(items, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: item.Content[i].Line,
					Column: item.Content[i].Column, Content: []*yaml.Node{item.Content[i], item.Content[i+1]}})
			}
			continue
		}
		items = append(items, item)
	}
	for _, item := range items {
		var name string
		var args *yaml.Node
		switch {
		case isScalar(item) && item.Value != "":
			name = item.Value
		case isMap(item) && len(item.Content) == 2:
			name, args = item.Content[0].Value, item.Content[1]
			if !isNull(args) && !isMap(args) {
				c.errf(c.file, args, "job %q in a workflow takes a map of options, not %s", name, kindName(args))
				continue
			}
		default:
			c.errf(c.file, item, "a workflow job must be a job name or `name: {options}` with one key")
			continue
		}
		if isNull(args) {
			args = nil
		}
		if g, ok := c.jobGroups[name]; ok && get(args, "type") == nil {
			if depth >= maxGroupDepth {
				c.errf(c.file, item, "job groups nest more than %d deep", maxGroupDepth)
				continue
			}
			out = append(out, c.expandGroup(name, g, args, item, sc, depth)...)
			continue
		}
		if mx := get(args, "matrix"); mx != nil {
			out = append(out, c.expandMatrix(name, args, mx, item, sc, group)...)
			continue
		}
		if j := c.invocation(name, c.interpolate(args, sc), item, nil, group); j != nil {
			out = append(out, j)
		}
	}
	return out
}

// invocation builds one workflow job from an interpolated invocation map.
func (c *compiler) invocation(name string, args, at *yaml.Node, matrix [][2]string, group string) *wfJob {
	j := &wfJob{name: name, origName: name, defName: name, typ: "build", at: at, entry: args, group: group, matrix: matrix}
	if t := get(args, "type"); t != nil {
		if !contains([]string{"approval", "build", "no-op", "release", "lock", "unlock"}, t.Value) {
			c.errf(c.file, t, "workflow job type must be approval (or build), not %s%s", describe(t), didYouMean(t.Value, []string{"approval"}))
		}
		j.typ = t.Value
	}
	if nn := get(args, "name"); nn != nil {
		if !isScalar(nn) || nn.Value == "" {
			c.errf(c.file, nn, "`name` of job %q must be a non-empty string", name)
		} else {
			j.name, j.origName, j.explicit = nn.Value, nn.Value, true
		}
	}
	if o := get(args, "override-with"); o != nil {
		if !isScalar(o) || !strings.Contains(o.Value, "/") {
			c.errf(c.file, o, "`override-with` takes an orb job such as my-orb/test, not %s", describe(o))
		} else if def, _ := c.root.lookup("job", o.Value); def == nil && c.opts.Partial && c.throughUnknownOrb(c.root, o.Value) {
			j.defName = o.Value
		} else if def == nil {
			c.errf(c.file, o, "`override-with` names job %q, which no imported orb defines%s", o.Value, didYouMean(o.Value, c.root.names("job")))
		} else {
			j.defName = o.Value
		}
	}
	j.rawRequires = get(args, "requires")
	if cn := get(args, "context"); cn != nil {
		ctxs, ok := stringList(cn)
		if !ok {
			c.errf(c.file, cn, "`context` must be a context name or a list of names")
		}
		j.contexts = ctxs
	}
	if f := get(args, "filters"); f != nil {
		c.checkFilters(f)
		j.filters = f
	}
	if sg := get(args, "serial-group"); sg != nil {
		j.serialGroup = sg.Value
		if !isScalar(sg) || len(sg.Value) == 0 || len(sg.Value) > 512 || !serialGroupRE.MatchString(sg.Value) {
			c.errf(c.file, sg, "`serial-group` must be at most 512 characters of letters, digits, '.', '-', '_' and '/', not %s", describe(sg))
		}
	}
	if m := get(args, "max_auto_reruns"); m != nil {
		if i, ok := intValue(m); !ok || i < 1 || i > 5 {
			c.errf(c.file, m, "`max_auto_reruns` must be an integer from 1 to 5, not %s", describe(m))
		} else {
			j.maxReruns = i
		}
	}
	if j.typ == "approval" {
		for _, p := range pairs(args) {
			if !contains(invocationKeys, p.Key) {
				c.errf(c.file, p.KeyN, "approval job %q takes no parameter %q", j.name, p.Key)
			}
		}
		return j
	}
	if c.version != "2.1" {
		for _, k := range []string{"matrix", "pre-steps", "post-steps", "serial-group", "override-with"} {
			if v := get(args, k); v != nil {
				c.errf(c.file, v, "`%s` needs `version: 2.1`", k)
			}
		}
		for _, p := range pairs(args) {
			if !contains(invocationKeys, p.Key) {
				c.errf(c.file, p.KeyN, "unknown key %q in workflow job %q (job parameters need version 2.1)%s", p.Key, name, didYouMean(p.Key, invocationKeys))
			}
		}
	}
	j.job = c.expandJob(&jobInvocation{defName: j.defName, args: args, at: at,
		preSteps: get(args, "pre-steps"), post: get(args, "post-steps")})
	if j.job != nil {
		if t := get(j.job, "type"); t != nil && t.Value != "build" {
			j.typ = t.Value
		}
	}
	return j
}
