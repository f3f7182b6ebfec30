package config

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// builtinSteps maps each built-in step to the keys it accepts.
var builtinSteps = map[string][]string{
	"run": {"command", "name", "shell", "environment", "background", "working_directory", "no_output_timeout", "when",
		"max_auto_reruns", "auto_rerun_delay"},
	"checkout":               {"name", "path", "method", "depth"},
	"setup_remote_docker":    {"name", "docker_layer_caching", "version", "reusable", "exclusive", "prefer_same_region"},
	"save_cache":             {"name", "paths", "key", "when"},
	"restore_cache":          {"name", "key", "keys"},
	"store_artifacts":        {"name", "path", "destination"},
	"store_test_results":     {"name", "path"},
	"persist_to_workspace":   {"name", "root", "paths"},
	"attach_workspace":       {"name", "at"},
	"add_ssh_keys":           {"name", "fingerprints"},
	"deploy":                 {"command", "name", "shell", "environment", "background", "working_directory", "no_output_timeout", "when"},
	"install_signing_bundle": {"name", "bundle"},
}

// reservedSteps cannot be overridden by a command of the same name.
var reservedSteps = []string{"run", "when", "unless", "steps"}

var builtinNames = func() []string {
	var out []string
	for k := range builtinSteps {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}()

const maxCommandDepth = 50

// stepCtx is where steps are being expanded.
type stepCtx struct {
	ns    *namespace
	file  string
	stack []string // commands being expanded, to catch recursion
}

// expandSteps flattens a steps list: it splices `steps:` lists and nested
// lists, applies when/unless, expands commands, and checks built-in steps.
func (c *compiler) expandSteps(sc *stepCtx, steps *yaml.Node, out []*yaml.Node) []*yaml.Node {
	if isNull(steps) {
		return out
	}
	if !isSeq(steps) {
		c.errf(sc.file, steps, "steps must be a list, not %s", kindName(steps))
		return out
	}
	for _, s := range steps.Content {
		if !c.spend(1) {
			return out
		}
		out = c.expandStep(sc, s, out)
	}
	return out
}

func (c *compiler) expandStep(sc *stepCtx, s *yaml.Node, out []*yaml.Node) []*yaml.Node {
	switch {
	case isNull(s):
		return out
	case isSeq(s):
		return c.expandSteps(sc, s, out)
	case isScalar(s):
		return c.invoke(sc, s.Value, s, nil, out)
	case isMap(s):
		if len(s.Content) != 2 {
			keys := plainKeys(s)
			c.errf(sc.file, s, "a step must be a map with one key (the step name), but this one has %d: %s (is the indentation right?)", len(keys), strings.Join(keys, ", "))
			return out
		}
		name, args := s.Content[0].Value, s.Content[1]
		switch name {
		case "steps":
			return c.expandSteps(sc, args, out)
		case "when", "unless":
			return c.conditionalStep(sc, name, args, s, out)
		}
		return c.invoke(sc, name, s.Content[0], args, out)
	}
	c.errf(sc.file, s, "invalid step: %s", kindName(s))
	return out
}

// conditionalStep applies a when/unless step, evaluated at compile time.
func (c *compiler) conditionalStep(sc *stepCtx, kind string, args, at *yaml.Node, out []*yaml.Node) []*yaml.Node {
	if !isMap(args) {
		c.errf(sc.file, args, "`%s` step takes {condition: ..., steps: [...]}, not %s", kind, kindName(args))
		return out
	}
	c.checkKeys(sc.file, args, []string{"condition", "steps"}, "`"+kind+"` step")
	cond := get(args, "condition")
	if cond == nil {
		c.errf(sc.file, args, "`%s` step needs a `condition`", kind)
		return out
	}
	ok, err := expr.EvalLogic(sc.file, cond)
	if err != nil {
		c.errs.Append(c.at(cond), err)
		return out
	}
	if kind == "unless" {
		ok = !ok
	}
	if !ok {
		return out
	}
	return c.expandSteps(sc, get(args, "steps"), out)
}

// invoke expands a step by name: a command (from the config or an orb) or a
// built-in step.
func (c *compiler) invoke(sc *stepCtx, name string, at, args *yaml.Node, out []*yaml.Node) []*yaml.Node {
	if !contains(reservedSteps, name) {
		if def, dns := sc.ns.lookup("command", name); def != nil {
			if dns == c.root {
				c.usedCommands[name] = true
			}
			c.markOrb(sc.ns, name)
			return c.expandCommand(sc, name, def, dns, at, args, out)
		}
	}
	keys, ok := builtinSteps[name]
	if !ok && c.throughUnknownOrb(sc.ns, name) {
		return out
	}
	if !ok {
		cands := append(sc.ns.names("command"), builtinNames...)
		if o, _, found := strings.Cut(name, "/"); found && sc.ns.orbs[o] == nil {
			c.errf(sc.file, at, "unknown step %q: no orb named %q is imported%s", name, o, didYouMean(name, cands))
		} else {
			c.errf(sc.file, at, "unknown step or command %q%s", name, didYouMean(name, cands))
		}
		return out
	}
	step := c.builtinStep(sc, name, keys, at, args)
	if step != nil {
		out = append(out, step)
	}
	return out
}

// builtinStep checks a built-in step and returns it in processed form.
func (c *compiler) builtinStep(sc *stepCtx, name string, keys []string, at, args *yaml.Node) *yaml.Node {
	if name == "deploy" {
		c.warnf(sc.file, at, "the `deploy` step is deprecated: it runs as `run`")
		name = "run"
	}
	switch {
	case isNull(args):
		switch name {
		case "run":
			c.errf(sc.file, at, "`run` step needs a command")
			return nil
		case "save_cache", "restore_cache", "store_artifacts", "store_test_results", "persist_to_workspace", "attach_workspace":
			c.errf(sc.file, at, "`%s` step needs arguments (%s)", name, requiredOf(name))
			return nil
		}
		return strAt(name, at)
	case isScalar(args):
		if name == "run" {
			return mapNode("run", args)
		}
		c.errf(sc.file, args, "`%s` step takes a map of options, not %s", name, kindName(args))
		return nil
	case !isMap(args):
		c.errf(sc.file, args, "`%s` step takes a map of options, not %s", name, kindName(args))
		return nil
	}
	for _, p := range pairs(args) {
		if !contains(keys, p.Key) && p.Key != "when" && p.Key != "description" {
			// CircleCI ignores extra keys on built-in steps; a typo still shows up
			// as a missing required key, so this is a warning.
			c.warnf(sc.file, p.KeyN, "unknown key %q in `%s` step is ignored%s", p.Key, name, didYouMean(p.Key, keys))
		}
	}
	c.checkBuiltin(sc.file, name, args)
	return mapNode(name, args)
}

func requiredOf(name string) string {
	switch name {
	case "save_cache":
		return "paths and key"
	case "restore_cache":
		return "key or keys"
	case "store_artifacts", "store_test_results":
		return "path"
	case "persist_to_workspace":
		return "root and paths"
	case "attach_workspace":
		return "at"
	}
	return "see the configuration reference"
}

// expandCommand binds a command's parameters and expands its steps.
func (c *compiler) expandCommand(sc *stepCtx, name string, def *yaml.Node, dns *namespace, at, args *yaml.Node, out []*yaml.Node) []*yaml.Node {
	if len(sc.stack) >= maxCommandDepth {
		c.errf(sc.file, at, "commands nest more than %d deep: %s", maxCommandDepth, strings.Join(sc.stack, " -> "))
		return out
	}
	full := dns.prefix + name[strings.LastIndex(name, "/")+1:]
	for _, s := range sc.stack {
		if s == full {
			c.errf(sc.file, at, "command %q calls itself: %s -> %s", name, strings.Join(sc.stack, " -> "), full)
			return out
		}
	}
	if !isNull(args) && !isMap(args) {
		c.errf(sc.file, args, "command %q takes a map of parameters, not %s", name, kindName(args))
		return out
	}
	c.checkKeys(dns.file, def, []string{"description", "parameters", "steps"}, "command "+quote(full))
	decls := c.parseParamDecls(dns.file, get(def, "parameters"), paramTypes, "command")
	what := "command " + quote(full)
	vals := c.bindParams(sc.file, decls, args, nil, what, at)
	steps := get(def, "steps")
	if steps == nil {
		c.errf(dns.file, def, "%s has no `steps`", what)
		return out
	}
	body := c.interpolate(steps, &scope{file: dns.file, params: vals, what: what})
	inner := &stepCtx{ns: dns, file: dns.file, stack: append(append([]string{}, sc.stack...), full)}
	return c.expandSteps(inner, body, out)
}

func quote(s string) string { return "\"" + s + "\"" }
