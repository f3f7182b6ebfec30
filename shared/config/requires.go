package config

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nameJobs gives repeated unnamed invocations of one job the suffixes -1, -2
// ... and rejects two jobs with the same explicit name.
func (c *compiler) nameJobs(w *workflow) {
	count := map[string]int{}
	for _, j := range w.jobs {
		if !j.explicit {
			count[j.name]++
		}
	}
	seq := map[string]int{}
	for _, j := range w.jobs {
		if !j.explicit && count[j.name] > 1 {
			seq[j.name]++
			j.name = j.name + "-" + strconv.Itoa(seq[j.name])
		}
	}
	seen := map[string]*wfJob{}
	for _, j := range w.jobs {
		if prev, ok := seen[j.name]; ok {
			c.errf(c.file, j.at, "workflow %q has two jobs named %q (the other is at line %d): give one a different `name`", w.name, j.name, prev.at.Line)
			continue
		}
		seen[j.name] = j
	}
}

// resolveRequires turns each job's `requires` into concrete job names:
// a job's name, a matrix alias (every job of the matrix), a job group (every
// job of the group), or the original name of a repeated job when that is
// unambiguous.
func (c *compiler) resolveRequires(w *workflow) {
	byName := map[string]*wfJob{}
	byOrig := map[string][]*wfJob{}
	byAlias := map[string][]*wfJob{}
	byGroup := map[string][]*wfJob{}
	var names []string
	for _, j := range w.jobs {
		byName[j.name] = j
		names = append(names, j.name)
		byOrig[j.origName] = append(byOrig[j.origName], j)
		if j.alias != "" {
			byAlias[j.alias] = append(byAlias[j.alias], j)
		}
		if j.group != "" {
			byGroup[j.group] = append(byGroup[j.group], j)
		}
	}
	for _, j := range w.jobs {
		entries := c.requireEntries(j.rawRequires)
		seen := map[string]int{}
		for _, e := range entries {
			var targets []*wfJob
			switch {
			case byName[e.job] != nil:
				targets = []*wfJob{byName[e.job]}
			case len(byAlias[e.job]) > 0:
				targets = byAlias[e.job]
			case len(byGroup[e.job]) > 0 && !containsJob(byGroup[e.job], j):
				targets = byGroup[e.job]
			case len(byOrig[e.job]) > 0:
				var others []*wfJob
				for _, o := range byOrig[e.job] {
					if o != j {
						others = append(others, o)
					}
				}
				if len(others) > 1 {
					var ns []string
					for _, o := range others {
						ns = append(ns, o.name)
					}
					c.errf(c.file, e.at, "job %q requires %q, which is ambiguous: the workflow runs it %d times (%s); give each invocation a `name` and require that",
						j.name, e.job, len(others), strings.Join(ns, ", "))
					continue
				}
				targets = others
			}
			if len(targets) == 0 {
				c.errf(c.file, e.at, "job %q requires %q, which workflow %q does not run%s", j.name, e.job, w.name, didYouMean(e.job, names))
				continue
			}
			for _, t := range targets {
				if t == j {
					c.errf(c.file, e.at, "job %q requires itself", j.name)
					continue
				}
				if i, ok := seen[t.name]; ok {
					j.requires[i].statuses = unionStatuses(j.requires[i].statuses, e.statuses)
					continue
				}
				seen[t.name] = len(j.requires)
				j.requires = append(j.requires, requirement{job: t.name, statuses: e.statuses})
			}
		}
	}
}

func containsJob(list []*wfJob, j *wfJob) bool {
	for _, x := range list {
		if x == j {
			return true
		}
	}
	return false
}

func unionStatuses(a, b []string) []string {
	out := append([]string{}, a...)
	for _, s := range b {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

type requireEntry struct {
	job      string
	statuses []string
	at       *yaml.Node
}

// requireEntries parses `requires`: a name, a list of names, or entries
// {job: status} / {job: [statuses]}.
func (c *compiler) requireEntries(n *yaml.Node) []requireEntry {
	if isNull(n) {
		return nil
	}
	if isScalar(n) {
		return []requireEntry{{job: n.Value, statuses: []string{"success"}, at: n}}
	}
	if !isSeq(n) {
		c.errf(c.file, n, "`requires` must be a list of job names, not %s", kindName(n))
		return nil
	}
	var out []requireEntry
	for _, item := range n.Content {
		switch {
		case isScalar(item) && item.Value != "":
			out = append(out, requireEntry{job: item.Value, statuses: []string{"success"}, at: item})
		case isMap(item):
			for _, p := range pairs(item) {
				sts, ok := stringList(p.Value)
				if !ok || len(sts) == 0 {
					c.errf(c.file, p.Value, "status of required job %q must be one of %s, or a list of them", p.Key, strings.Join(statusChoices, ", "))
					continue
				}
				var exp []string
				for _, s := range sts {
					switch {
					case s == "terminal":
						exp = unionStatuses(exp, allStatuses)
					case contains(allStatuses, s):
						exp = unionStatuses(exp, []string{s})
					default:
						c.errf(c.file, p.Value, "unknown status %q for required job %q: use %s%s", s, p.Key, strings.Join(statusChoices, ", "), didYouMean(s, statusChoices))
					}
				}
				out = append(out, requireEntry{job: p.Key, statuses: exp, at: p.KeyN})
			}
		default:
			c.errf(c.file, item, "each `requires` entry must be a job name or {job: status}, not %s", kindName(item))
		}
	}
	return out
}

// checkCycles rejects a workflow whose requires form a cycle, naming it.
func (c *compiler) checkCycles(w *workflow) {
	byName := map[string]*wfJob{}
	for _, j := range w.jobs {
		byName[j.name] = j
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(j *wfJob) bool
	visit = func(j *wfJob) bool {
		color[j.name] = grey
		stack = append(stack, j.name)
		for _, r := range j.requires {
			t := byName[r.job]
			if t == nil {
				continue
			}
			switch color[t.name] {
			case grey:
				i := indexOf(stack, t.name)
				cycle := append(append([]string{}, stack[i:]...), t.name)
				c.errf(c.file, j.at, "workflow %q has a cycle in `requires`: %s", w.name, strings.Join(cycle, " -> "))
				return false
			case white:
				if !visit(t) {
					return false
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[j.name] = black
		return true
	}
	for _, j := range w.jobs {
		if color[j.name] == white {
			if !visit(j) {
				return
			}
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// topoOrder returns the jobs in an order where requirements come first,
// keeping the written order otherwise.
func topoOrder(jobs []*wfJob) []*wfJob {
	done := map[string]bool{}
	byName := map[string]*wfJob{}
	for _, j := range jobs {
		byName[j.name] = j
	}
	var out []*wfJob
	var visit func(j *wfJob)
	visit = func(j *wfJob) {
		if done[j.name] {
			return
		}
		done[j.name] = true
		for _, r := range j.requires {
			if t := byName[r.job]; t != nil {
				visit(t)
			}
		}
		out = append(out, j)
	}
	for _, j := range jobs {
		visit(j)
	}
	return out
}
