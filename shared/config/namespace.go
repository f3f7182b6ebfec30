package config

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/config/yamltree"
)

// namespace is the root config or one imported orb: its definitions and the
// orbs it imports. Names inside it resolve against it first.
type namespace struct {
	prefix    string // "" for the root, "node/" for an orb imported as node
	file      string // for error positions
	ref       string // "circleci/node@7.2.1", "inline orb x", "" for the root
	commands  map[string]*yaml.Node
	jobs      map[string]*yaml.Node
	jobOrder  []string
	executors map[string]*yaml.Node
	orbs      map[string]*namespace
}

const maxOrbDepth = 8

func parseBool(s string) (bool, bool) { return expr.ParseBool(s) }

// loadNamespace reads the definitions of a config or orb body.
func (c *compiler) loadNamespace(body *yaml.Node, prefix, file string, chain []string) *namespace {
	ns := &namespace{prefix: prefix, file: file, commands: map[string]*yaml.Node{}, jobs: map[string]*yaml.Node{},
		executors: map[string]*yaml.Node{}, orbs: map[string]*namespace{}}
	isRoot := chain == nil
	for _, sec := range []struct {
		key string
		m   map[string]*yaml.Node
	}{{"commands", ns.commands}, {"jobs", ns.jobs}, {"executors", ns.executors}} {
		n := get(body, sec.key)
		if isNull(n) {
			continue
		}
		if !isMap(n) {
			c.errf(file, n, "`%s` must be a map of name to definition, not %s", sec.key, kindName(n))
			continue
		}
		for _, p := range pairs(n) {
			if sec.key == "jobs" {
				if !jobNameRE.MatchString(p.Key) {
					c.errf(file, p.KeyN, "job name %q must start with a letter and hold only letters, digits, spaces, ., _ and -", p.Key)
				}
				ns.jobOrder = append(ns.jobOrder, p.Key)
			} else if !nameRE.MatchString(p.Key) {
				c.errf(file, p.KeyN, "%s name %q must start with a letter and hold only letters, digits, _ and -", strings.TrimSuffix(sec.key, "s"), p.Key)
			}
			if !isMap(p.Value) {
				c.errf(file, p.Value, "%s %q must be a map, not %s", strings.TrimSuffix(sec.key, "s"), p.Key, kindName(p.Value))
				continue
			}
			sec.m[p.Key] = p.Value
		}
	}
	if on := get(body, "orbs"); !isNull(on) {
		if !isMap(on) {
			c.errf(file, on, "`orbs` must be a map of name to orb reference or inline orb, not %s", kindName(on))
		}
		for _, p := range pairs(on) {
			if !nameRE.MatchString(p.Key) {
				c.errf(file, p.KeyN, "orb name %q must start with a letter and hold only letters, digits, _ and -", p.Key)
				continue
			}
			if len(chain) >= maxOrbDepth {
				c.errf(file, p.KeyN, "orbs import orbs more than %d levels deep", maxOrbDepth)
				continue
			}
			if sub := c.loadOrb(p, prefix+p.Key+"/", file, chain, isRoot); sub != nil {
				ns.orbs[p.Key] = sub
			} else if c.opts.Partial {
				if c.unknownOrbs[ns] == nil {
					c.unknownOrbs[ns] = map[string]bool{}
				}
				c.unknownOrbs[ns][p.Key] = true
			}
		}
	}
	return ns
}

var orbBodyKeys = []string{"version", "name", "description", "display", "orbs", "commands", "jobs", "executors", "examples", "parameters", "setup"}

// loadOrb loads one entry of an `orbs:` map.
func (c *compiler) loadOrb(p pair, prefix, file string, chain []string, fromRoot bool) *namespace {
	v := p.Value
	if isMap(v) {
		c.checkKeys(file, v, orbBodyKeys, "inline orb "+p.Key)
		return c.loadNamespace(v, prefix, file, append(append([]string{}, chain...), "inline:"+p.Key))
	}
	if !isScalar(v) || v.Value == "" {
		c.errf(file, v, "orb %q must be a reference such as circleci/node@7.1 or an inline orb map, not %s", p.Key, kindName(v))
		return nil
	}
	refText := v.Value
	if strings.Contains(refText, "<<") {
		sc := &scope{file: file}
		refText = c.interpolate(v, sc).Value
	}
	ref, err := orb.ParseRef(refText)
	if err != nil {
		c.errf(file, v, "%v", err)
		return nil
	}
	for _, prev := range chain {
		if prev == ref.Namespace+"/"+ref.Name {
			c.errf(file, v, "orb %s imports itself through %s", ref, strings.Join(chain, " -> "))
			return nil
		}
	}
	if c.opts.Partial && c.opts.Registry == nil {
		return nil
	}
	if c.opts.Registry == nil {
		c.errf(file, v, "orb %s cannot be resolved: no orb registry is configured (use --orb-dir)", ref)
		return nil
	}
	o, err := c.opts.Registry.Fetch(c.ctx, ref)
	if err != nil {
		if errors.Is(err, orb.ErrNotFound) && c.opts.Partial {
			return nil
		}
		if errors.Is(err, orb.ErrNotFound) {
			c.errf(file, v, "orb %s not found in the registry: %v", ref, trimFetch(err))
		} else {
			c.errf(file, v, "cannot fetch orb %s: %v", ref, err)
		}
		return nil
	}
	c.usedOrbs[o.Ref.String()] = o.Ref
	key := o.Ref.String() + "|" + prefix
	if ns, ok := c.orbCache[key]; ok {
		return ns
	}
	orbFile := fmt.Sprintf("orb %s", o.Ref)
	body, err := yamltree.Parse(orbFile, o.Source, c.opts.Limits)
	if err != nil {
		c.errf(file, v, "orb %s is invalid: %v", o.Ref, err)
		return nil
	}
	if !isMap(body) {
		c.errf(file, v, "orb %s is not a map", o.Ref)
		return nil
	}
	ns := c.loadNamespace(body, prefix, orbFile, append(append([]string{}, chain...), ref.Namespace+"/"+ref.Name))
	ns.ref = o.Ref.String()
	c.orbCache[key] = ns
	return ns
}

// throughUnknownOrb reports whether name goes through an orb that partial
// mode could not load from ns.
func (c *compiler) throughUnknownOrb(ns *namespace, name string) bool {
	o, _, ok := strings.Cut(name, "/")
	return ok && c.unknownOrbs[ns][o]
}

func trimFetch(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "fetch orb ") {
		s = s[i+2:]
	}
	return strings.TrimSuffix(s, ": "+orb.ErrNotFound.Error())
}

// lookup finds a definition by name from ns: "name" in ns itself, "x/name"
// in the orb ns imports as x (recursively).
func (ns *namespace) lookup(kind, name string) (*yaml.Node, *namespace) {
	if orbName, rest, ok := strings.Cut(name, "/"); ok {
		sub := ns.orbs[orbName]
		if sub == nil {
			return nil, nil
		}
		return sub.lookup(kind, rest)
	}
	if d := ns.defs(kind)[name]; d != nil {
		return d, ns
	}
	return nil, nil
}

// names lists what kind of definitions ns can see, for suggestions.
func (ns *namespace) names(kind string) []string {
	var out []string
	for k := range ns.defs(kind) {
		out = append(out, k)
	}
	for o, sub := range ns.orbs {
		for _, k := range sub.names(kind) {
			if !strings.Contains(k, "/") {
				out = append(out, o+"/"+k)
			}
		}
	}
	return out
}

// defs returns the definitions of one kind: command, job or executor.
func (ns *namespace) defs(kind string) map[string]*yaml.Node {
	switch kind {
	case "command":
		return ns.commands
	case "job":
		return ns.jobs
	case "executor":
		return ns.executors
	}
	return nil
}
