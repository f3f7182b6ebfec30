package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// A legacy filter value is a name or a /regex/ that must match the whole
// string.

type matcher struct {
	text string
	re   *regexp.Regexp
}

func (m matcher) match(s string) bool {
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return m.text == s
}

// compileMatchers reads a filter's only/ignore value.
func (c *compiler) compileMatchers(n *yaml.Node) []matcher {
	vals, ok := stringList(n)
	if !ok {
		c.errf(c.file, n, "a filter must be a branch or tag name, a /regex/, or a list of them")
		return nil
	}
	var out []matcher
	for _, v := range vals {
		if len(v) >= 2 && strings.HasPrefix(v, "/") && strings.HasSuffix(v, "/") {
			re, err := regexp.Compile(`^(?:` + v[1:len(v)-1] + `)$`)
			if err != nil {
				c.errf(c.file, n, "invalid regex %s in filter: %v", v, err)
				continue
			}
			out = append(out, matcher{text: v, re: re})
			continue
		}
		out = append(out, matcher{text: v})
	}
	return out
}

// checkFilters validates a job's `filters`: a legacy map or an expression.
func (c *compiler) checkFilters(f *yaml.Node) {
	if isScalar(f) {
		if _, err := expr.Parse(f.Value); err != nil {
			c.errf(c.file, f, "invalid filter expression %q: %v", f.Value, err)
		}
		return
	}
	if !isMap(f) {
		c.errf(c.file, f, "`filters` must be a map with branches and/or tags, or an expression, not %s", kindName(f))
		return
	}
	c.checkKeys(c.file, f, []string{"branches", "tags"}, "filters")
	for _, k := range []string{"branches", "tags"} {
		v := get(f, k)
		if isNull(v) {
			continue
		}
		if !isMap(v) {
			c.errf(c.file, v, "`filters.%s` must be a map with `only` and/or `ignore`", k)
			continue
		}
		c.checkKeys(c.file, v, []string{"only", "ignore"}, "filters."+k)
		for _, p := range pairs(v) {
			c.compileMatchers(p.Value)
		}
	}
}

// branchFilter applies a legacy only/ignore map to name: only wins over
// ignore.
func (c *compiler) branchFilter(m *yaml.Node, name string) bool {
	if only := get(m, "only"); !isNull(only) {
		for _, x := range c.compileMatchers(only) {
			if x.match(name) {
				return true
			}
		}
		return false
	}
	if ign := get(m, "ignore"); !isNull(ign) {
		for _, x := range c.compileMatchers(ign) {
			if x.match(name) {
				return false
			}
		}
	}
	return true
}

// filterRuns decides whether a job's filters let it run for the pipeline,
// with the reason when they do not. Without tag filters a job never runs
// for a tag; with a tag, branch filters do not apply.
func (c *compiler) filterRuns(f *yaml.Node) (bool, string) {
	tag, branch := c.pipe.Tag, c.pipe.Branch
	if f != nil && isScalar(f) {
		ok, err := c.evalCondition(f)
		if err != nil {
			c.errf(c.file, f, "%v", err)
			return false, "its filter expression failed"
		}
		if !ok {
			return false, fmt.Sprintf("its filter expression %q is false", f.Value)
		}
		return true, ""
	}
	if tag != "" {
		tags := get(f, "tags")
		if isNull(tags) {
			return false, fmt.Sprintf("tag %q: the job has no tag filters, and jobs run for tags only when they have some", tag)
		}
		if !c.branchFilter(tags, tag) {
			return false, fmt.Sprintf("tag %q does not pass its tag filters", tag)
		}
		return true, ""
	}
	if br := get(f, "branches"); !isNull(br) {
		if !c.branchFilter(br, branch) {
			return false, fmt.Sprintf("branch %q does not pass its branch filters", branch)
		}
	}
	return true, ""
}

// checkTriggers validates legacy schedule triggers.
func (c *compiler) checkTriggers(t *yaml.Node) {
	if !isSeq(t) {
		c.errf(c.file, t, "`triggers` must be a list of {schedule: {cron, filters}}")
		return
	}
	for _, item := range t.Content {
		s := get(item, "schedule")
		if !isMap(item) || len(item.Content) != 2 || !isMap(s) {
			c.errf(c.file, item, "each trigger must be {schedule: {cron: ..., filters: {branches: ...}}}")
			continue
		}
		c.checkKeys(c.file, s, []string{"cron", "filters"}, "schedule trigger")
		cron := get(s, "cron")
		if cron == nil || !isScalar(cron) {
			c.errf(c.file, s, "schedule trigger needs a `cron` string")
		} else if err := checkCron(cron.Value); err != nil {
			c.errf(c.file, cron, "invalid cron %q: %v", cron.Value, err)
		}
		f := get(s, "filters")
		if isNull(f) || isNull(get(f, "branches")) {
			c.errf(c.file, s, "schedule trigger needs `filters.branches` naming the branches to build")
		} else {
			c.checkFilters(f)
		}
	}
}

var cronNames = map[int][]string{
	3: {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"},
	4: {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"},
}

// checkCron validates a five-field POSIX crontab expression.
func checkCron(s string) error {
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return fmt.Errorf("needs 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	names := []string{"minute", "hour", "day of month", "month", "day of week"}
	for i, f := range fields {
		for _, part := range strings.Split(f, ",") {
			rng, step, hasStep := strings.Cut(part, "/")
			if hasStep {
				if n, err := strconv.Atoi(step); err != nil || n < 1 {
					return fmt.Errorf("bad step %q in the %s field", step, names[i])
				}
			}
			if rng == "*" {
				continue
			}
			lo, hi, isRange := strings.Cut(rng, "-")
			for _, v := range []string{lo, hi} {
				if v == "" && !isRange && v == hi {
					continue
				}
				n, err := strconv.Atoi(v)
				if err != nil {
					if indexOf(cronNames[i], strings.ToUpper(v)) >= 0 {
						continue
					}
					return fmt.Errorf("bad value %q in the %s field", v, names[i])
				}
				if n < bounds[i][0] || n > bounds[i][1] {
					return fmt.Errorf("%d is out of range %d-%d in the %s field", n, bounds[i][0], bounds[i][1], names[i])
				}
			}
		}
	}
	return nil
}
