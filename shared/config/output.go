package config

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// processed renders the compiled workflows as a 2.0-style config: one job
// per distinct invocation, workflows that list them, no reusable keys.
func (c *compiler) processed(wfs []*workflow) *yaml.Node {
	jobs := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	bodies := map[string]string{} // job key -> canonical body
	workflows := mapNode("version", intNode(2))
	for _, w := range wfs {
		if w.skipped {
			continue
		}
		list := seqNode()
		for _, j := range w.jobs {
			key := j.name
			if j.job != nil {
				canon := nodeKey(j.job)
				for i := 2; ; i++ {
					prev, ok := bodies[key]
					if !ok {
						bodies[key] = canon
						jobs.Content = append(jobs.Content, str(key), j.job)
						break
					}
					if prev == canon {
						break
					}
					key = j.name + "-" + strconv.Itoa(i)
				}
			}
			list.Content = append(list.Content, c.entryNode(j, key))
		}
		wn := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if len(w.triggers) > 0 {
			set(wn, "triggers", seqNode(w.triggers...))
		}
		if w.maxReruns > 0 {
			set(wn, "max_auto_reruns", intNode(w.maxReruns))
		}
		set(wn, "jobs", list)
		set(workflows, w.name, wn)
	}
	out := mapNode("version", intNode(2))
	if c.setupFlag() {
		set(out, "setup", boolNode(true))
	}
	set(out, "jobs", jobs)
	set(out, "workflows", workflows)
	unescape(out)
	return out
}

func (c *compiler) setupFlag() bool { return c.setup }

// entryNode renders one workflow job entry.
func (c *compiler) entryNode(j *wfJob, key string) *yaml.Node {
	opts := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if key != j.name {
		set(opts, "name", str(j.name))
	}
	if j.typ == "approval" {
		set(opts, "type", str("approval"))
	}
	if len(j.requires) > 0 {
		req := seqNode()
		for _, r := range j.requires {
			if len(r.statuses) == 1 && r.statuses[0] == "success" {
				req.Content = append(req.Content, str(r.job))
				continue
			}
			sts := seqNode()
			for _, s := range r.statuses {
				sts.Content = append(sts.Content, str(s))
			}
			req.Content = append(req.Content, mapNode(r.job, sts))
		}
		set(opts, "requires", req)
	}
	if len(j.contexts) > 0 {
		ctx := seqNode()
		for _, s := range j.contexts {
			ctx.Content = append(ctx.Content, str(s))
		}
		set(opts, "context", ctx)
	}
	if j.filters != nil {
		set(opts, "filters", j.filters)
	}
	if j.serialGroup != "" {
		set(opts, "serial-group", str(j.serialGroup))
	}
	if j.maxReruns > 0 {
		set(opts, "max_auto_reruns", intNode(j.maxReruns))
	}
	if len(opts.Content) == 0 {
		return str(key)
	}
	return mapNode(key, opts)
}
