package config

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	jobKeys = []string{"type", "docker", "machine", "macos", "windows", "executor", "shell", "parameters", "steps",
		"working_directory", "parallelism", "environment", "resource_class", "retention", "circleci_ip_ranges",
		"branches", "description", "docker_layer_caching", "max_time", "plan"}
	executorKeys   = []string{"docker", "machine", "macos", "windows", "resource_class", "shell", "working_directory", "environment", "parameters", "description"}
	dockerKeys     = []string{"image", "name", "entrypoint", "command", "user", "environment", "auth", "aws_auth", "gcp_auth", "docker", "ports"}
	machineKeys    = []string{"image", "docker_layer_caching", "enabled", "resource_class", "shell"}
	macosKeys      = []string{"xcode", "code_signing", "resource_class", "shell"}
	executorTypes  = []string{"docker", "machine", "macos"}
	jobOutputOrder = []string{"type", "docker", "machine", "macos", "resource_class", "shell", "working_directory", "parallelism",
		"environment", "circleci_ip_ranges", "retention", "branches", "steps"}
)

// jobInvocation is what a workflow asks for: a job definition and arguments.
type jobInvocation struct {
	defName  string     // as written in the workflow (or override-with)
	args     *yaml.Node // interpolated invocation map (may be nil)
	at       *yaml.Node
	preSteps *yaml.Node
	post     *yaml.Node
}

// invocationKeys are workflow job keys that are not job parameters.
var invocationKeys = []string{"requires", "name", "context", "filters", "matrix", "type", "pre-steps", "post-steps",
	"serial-group", "override-with", "max_auto_reruns"}

// expandJob produces the 2.0-style job for one invocation.
func (c *compiler) expandJob(inv *jobInvocation) *yaml.Node {
	def, dns := c.root.lookup("job", inv.defName)
	if def == nil && c.opts.Partial && (c.throughUnknownOrb(c.root, inv.defName) || !strings.Contains(inv.defName, "/")) {
		return nil
	}
	if dns == c.root {
		c.usedJobs[inv.defName] = true
	}
	c.markOrb(c.root, inv.defName)
	if def == nil {
		cands := c.root.names("job")
		if o, _, ok := strings.Cut(inv.defName, "/"); ok && c.root.orbs[o] == nil {
			c.errf(c.file, inv.at, "job %q is not defined: no orb named %q is imported%s", inv.defName, o, didYouMean(inv.defName, cands))
		} else {
			c.errf(c.file, inv.at, "job %q is not defined%s", inv.defName, didYouMean(inv.defName, cands))
		}
		return nil
	}
	file := dns.file
	what := "job " + quote(inv.defName)
	c.checkKeys(file, def, jobKeys, what)
	var body *yaml.Node
	if c.version == "2.1" {
		decls := c.parseParamDecls(file, get(def, "parameters"), paramTypes, "job")
		vals := c.bindParams(c.file, decls, inv.args, invocationKeys, what, inv.at)
		c.preExpandStepsArgs(decls, vals, inv.args)
		trimmed := clone(def)
		del(trimmed, "parameters")
		del(trimmed, "description")
		body = c.interpolate(trimmed, &scope{file: file, params: vals, what: what})
	} else {
		body = clone(def)
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if t := get(body, "type"); t != nil {
		if !isScalar(t) || !contains([]string{"build", "approval", "no-op", "release", "lock", "unlock"}, t.Value) {
			c.errf(file, t, "job type must be build, approval, no-op or release, not %s", describe(t))
		}
	}
	c.applyExecutor(file, dns, body, out, what)
	// Environment: the executor's, then the job's (the job wins).
	env := get(out, "environment")
	if je := get(body, "environment"); !isNull(je) {
		kv, ok := c.envList(file, je)
		if !ok {
			c.errf(file, je, "`environment` of %s must be a map of name to value", what)
		}
		env = mergeEnv(env, kv)
	}
	if env != nil {
		set(out, "environment", env)
	}
	if p := get(body, "parallelism"); p != nil {
		if n, ok := intValue(p); !ok || n < 1 {
			c.errf(file, p, "`parallelism` of %s must be a positive integer, not %s", what, describe(p))
		} else {
			set(out, "parallelism", intNode(n))
		}
	}
	for _, k := range []string{"working_directory", "shell"} {
		if v := get(body, k); v != nil {
			if !isScalar(v) {
				c.errf(file, v, "`%s` of %s must be a string", k, what)
			}
			set(out, k, strAt(v.Value, v))
		}
	}
	for _, k := range []string{"type", "circleci_ip_ranges", "retention", "branches"} {
		if v := get(body, k); v != nil {
			set(out, k, v)
		}
	}
	sctx := &stepCtx{ns: dns, file: file}
	rootCtx := &stepCtx{ns: c.root, file: c.file}
	var steps []*yaml.Node
	steps = c.expandSteps(rootCtx, inv.preSteps, steps)
	if sn := get(body, "steps"); sn != nil {
		steps = c.expandSteps(sctx, sn, steps)
	} else if t := get(body, "type"); t == nil || t.Value == "build" {
		c.errf(file, def, "%s has no `steps`", what)
	}
	steps = c.expandSteps(rootCtx, inv.post, steps)
	if get(body, "steps") != nil || len(steps) > 0 {
		set(out, "steps", seqNode(steps...))
	}
	return orderKeys(out, jobOutputOrder)
}

// preExpandStepsArgs expands steps given as arguments in the caller's
// namespace, so an orb job or command receiving them does not resolve the
// caller's commands against its own.
func (c *compiler) preExpandStepsArgs(decls []*paramDecl, vals map[string]*yaml.Node, args *yaml.Node) {
	for _, d := range decls {
		if d.typ != "steps" || get(args, d.name) == nil {
			continue
		}
		v := vals[d.name]
		vals[d.name] = seqNode(c.expandSteps(&stepCtx{ns: c.root, file: c.file}, v, nil)...)
	}
}

func mergeEnv(base *yaml.Node, kv [][2]string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if base != nil {
		out.Content = append(out.Content, base.Content...)
	}
	for _, e := range kv {
		set(out, e[0], str(e[1]))
	}
	return out
}

func intValue(n *yaml.Node) (int64, bool) {
	if !isScalar(n) {
		return 0, false
	}
	i, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(n.Value, 64); ferr == nil && f == float64(int64(f)) {
			return int64(f), true
		}
		return 0, false
	}
	return i, true
}

// orderKeys returns m with known keys first, in order, then the rest.
func orderKeys(m *yaml.Node, order []string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: m.Line, Column: m.Column}
	for _, k := range order {
		if v := get(m, k); v != nil {
			out.Content = append(out.Content, str(k), v)
		}
	}
	for _, p := range pairs(m) {
		if !contains(order, p.Key) {
			out.Content = append(out.Content, p.KeyN, p.Value)
		}
	}
	return out
}

// applyExecutor resolves the job's executor (inline docker/machine/macos or
// a named executor) into out: the executor type key, resource_class, shell,
// working_directory and environment, with job keys overriding.
func (c *compiler) applyExecutor(file string, dns *namespace, body, out *yaml.Node, what string) {
	var kinds []string
	for _, k := range append(executorTypes, "executor") {
		if has(body, k) {
			kinds = append(kinds, k)
		}
	}
	t := get(body, "type")
	if len(kinds) == 0 {
		if t == nil || t.Value == "build" {
			c.errf(file, body, "%s needs an executor: one of docker, machine, macos or executor", what)
		}
		return
	}
	if len(kinds) > 1 {
		c.errf(file, get(body, kinds[1]), "%s has more than one executor (%s): keep exactly one", what, strings.Join(kinds, ", "))
		return
	}
	exec := body
	efile := file
	if kinds[0] == "executor" {
		exec, efile = c.resolveExecutor(file, dns, get(body, "executor"), what)
		if exec == nil {
			return
		}
	}
	c.copyExecutor(efile, exec, out, what)
	if rc := get(body, "resource_class"); rc != nil {
		set(out, "resource_class", rc)
	}
	c.checkResourceClass(file, out, body, what)
}

// copyExecutor copies executor keys from src (a job or executor body).
func (c *compiler) copyExecutor(file string, src, out *yaml.Node, what string) {
	var kind string
	for _, k := range executorTypes {
		if v := get(src, k); v != nil {
			if kind != "" {
				c.errf(file, v, "%s has more than one executor type (%s and %s)", what, kind, k)
				return
			}
			kind = k
		}
	}
	if kind == "" {
		if get(src, "windows") != nil {
			c.errf(file, get(src, "windows"), "%s: the `windows` executor comes from the circleci/windows orb; use `executor: win/default` with that orb", what)
			return
		}
		c.errf(file, src, "%s needs one of docker, machine or macos", what)
		return
	}
	v := get(src, kind)
	switch kind {
	case "docker":
		if !isSeq(v) || len(v.Content) == 0 {
			c.errf(file, v, "`docker` of %s must be a non-empty list of images", what)
			return
		}
		for i, img := range v.Content {
			if !isMap(img) {
				c.errf(file, img, "docker image %d of %s must be a map with an `image` key, not %s", i+1, what, kindName(img))
				continue
			}
			c.checkKeys(file, img, dockerKeys, "docker image")
			if im := get(img, "image"); im == nil || !isScalar(im) || strings.TrimSpace(im.Value) == "" {
				c.errf(file, img, "docker image %d of %s needs an `image`", i+1, what)
			} else {
				c.checkImage(file, im)
			}
			if e := get(img, "environment"); !isNull(e) {
				if kv, ok := c.envList(file, e); ok {
					set(img, "environment", mergeEnv(nil, kv))
				}
			}
		}
	case "machine":
		if isMap(v) {
			c.checkKeys(file, v, machineKeys, "machine executor")
			if rc := get(v, "resource_class"); rc != nil && has(src, "resource_class") {
				c.errf(file, rc, "%s sets resource_class both under `machine` and beside it: keep one", what)
			}
		} else if b, ok := boolValue(v); !ok || !b {
			if !(isScalar(v) && v.Value != "" && !ok) {
				c.errf(file, v, "`machine` of %s must be true or a map with an `image`", what)
			}
		}
	case "macos":
		if !isMap(v) || get(v, "xcode") == nil {
			c.errf(file, v, "`macos` of %s needs an `xcode` version", what)
		} else {
			c.checkKeys(file, v, macosKeys, "macos executor")
		}
	}
	set(out, kind, v)
	for _, k := range []string{"resource_class", "shell", "working_directory"} {
		if x := get(src, k); x != nil {
			set(out, k, x)
		}
	}
	if e := get(src, "environment"); !isNull(e) {
		kv, ok := c.envList(file, e)
		if !ok {
			c.errf(file, e, "`environment` of %s must be a map of name to value", what)
		}
		set(out, "environment", mergeEnv(nil, kv))
	}
}

// resolveExecutor finds a named executor and binds its parameters. ref is a
// name or {name, ...parameters}.
func (c *compiler) resolveExecutor(file string, dns *namespace, ref *yaml.Node, what string) (*yaml.Node, string) {
	var name string
	var args *yaml.Node
	switch {
	case isScalar(ref) && ref.Value != "":
		name = ref.Value
	case isMap(ref) && isScalar(get(ref, "name")):
		name, args = get(ref, "name").Value, ref
	case isMap(ref) && (has(ref, "docker") || has(ref, "machine") || has(ref, "macos")):
		return ref, file
	default:
		c.errf(file, ref, "`executor` of %s must be an executor name or {name: ..., parameters}, not %s", what, kindName(ref))
		return nil, ""
	}
	def, ens := dns.lookup("executor", name)
	if def == nil && dns != c.root {
		def, ens = c.root.lookup("executor", name)
	}
	if ens == c.root {
		c.usedExecutors[name] = true
	}
	c.markOrb(c.root, name)
	if def == nil && c.throughUnknownOrb(dns, name) {
		return nil, ""
	}
	if def == nil {
		c.errf(file, ref, "executor %q is not defined%s", name, didYouMean(name, dns.names("executor")))
		return nil, ""
	}
	ewhat := "executor " + quote(name)
	c.checkKeys(ens.file, def, executorKeys, ewhat)
	if c.version != "2.1" {
		return def, ens.file
	}
	decls := c.parseParamDecls(ens.file, get(def, "parameters"), paramTypes, "executor")
	vals := c.bindParams(file, decls, args, []string{"name"}, ewhat, ref)
	body := clone(def)
	del(body, "parameters")
	del(body, "description")
	return c.interpolate(body, &scope{file: ens.file, params: vals, what: ewhat}), ens.file
}
