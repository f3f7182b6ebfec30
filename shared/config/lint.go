package config

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// markOrb records that a name used from ns goes through an orb of the root.
func (c *compiler) markOrb(ns *namespace, name string) {
	if ns != c.root {
		return
	}
	if o, _, ok := strings.Cut(name, "/"); ok {
		c.usedOrbNames[o] = true
	}
}

// lintUnused checks the definitions no workflow reached, so that an error in
// an unused job or executor is still reported, and warns about them.
func (c *compiler) lintUnused(root *yaml.Node) {
	hasWorkflows := get(root, "workflows") != nil
	for _, name := range c.root.jobOrder {
		def := c.root.jobs[name]
		if def == nil || c.usedJobs[name] {
			continue
		}
		if hasWorkflows {
			c.warnf(c.file, def, "job %q is defined but no workflow runs it", name)
		}
		c.lintDefinition(def, jobKeys, "job "+quote(name), true)
	}
	for name, def := range c.root.executors {
		if c.usedExecutors[name] {
			continue
		}
		c.lintDefinition(def, executorKeys, "executor "+quote(name), false)
	}
	for name, def := range c.root.commands {
		if !c.usedCommands[name] {
			c.checkKeys(c.file, def, []string{"description", "parameters", "steps"}, "command "+quote(name))
		}
	}
	if on := get(root, "orbs"); isMap(on) && hasWorkflows {
		for _, p := range pairs(on) {
			if !c.usedOrbNames[p.Key] {
				c.warnf(c.file, p.KeyN, "orb %q is imported but not used", p.Key)
			}
		}
	}
}

// lintDefinition checks the structure of a job or executor without
// expanding it: keys, one executor type, images and resource class.
func (c *compiler) lintDefinition(def *yaml.Node, keys []string, what string, isJob bool) {
	c.checkKeys(c.file, def, keys, what)
	if c.version == "2.1" {
		c.parseParamDecls(c.file, get(def, "parameters"), paramTypes, strings.SplitN(what, " ", 2)[0])
	}
	if hasParamRef(def) {
		return // values depend on arguments: checked when used
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if isJob && get(def, "executor") != nil {
		return
	}
	if t := get(def, "type"); isJob && t != nil && t.Value != "build" {
		return
	}
	c.copyExecutor(c.file, def, out, what)
	if rc := get(def, "resource_class"); rc != nil {
		set(out, "resource_class", rc)
	}
	c.checkResourceClass(c.file, out, def, what)
	if isJob {
		if get(def, "steps") == nil {
			c.errf(c.file, def, "%s has no `steps`", what)
		}
	}
}

func hasParamRef(n *yaml.Node) bool {
	found := false
	walkStrings(n, func(s *yaml.Node) {
		if strings.Contains(s.Value, "<<") {
			found = true
		}
	})
	return found
}

// imageRE is a docker image reference: [registry/]name[:tag][@digest].
var imageRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`)

// checkImage validates a docker image reference (skipping ones still
// holding << >> or environment variables, which resolve later).
func (c *compiler) checkImage(file string, n *yaml.Node) {
	v := strings.TrimSpace(n.Value)
	if strings.ContainsAny(v, "<$") {
		return
	}
	// Registry hosts may hold upper case and dots; check the rest.
	ref := v
	if i := strings.IndexByte(ref, '/'); i > 0 && strings.ContainsAny(ref[:i], ".:") || strings.HasPrefix(ref, "localhost/") {
		ref = strings.ToLower(ref[:i]) + ref[i:]
	}
	if !imageRE.MatchString(ref) {
		c.errf(file, n, "invalid docker image reference %q: expected [registry/]name[:tag][@sha256:digest]", v)
	}
}
