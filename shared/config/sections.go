package config

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// CircleCI also renders mustache-style sections, which official orbs use:
// <<#parameters.x>>text<</parameters.x>> keeps text when x is truthy,
// <<^parameters.x>>text<</parameters.x>> when it is falsy.

var sectionOpenRE = regexp.MustCompile(`<<\s*([#^])\s*((?:pipeline|parameters|matrix)\.[A-Za-z0-9_.-]+)\s*>>`)

const maxSections = 10_000

// renderSections resolves every section in s. ok is false after an error.
func (c *compiler) renderSections(s string, sc *scope, at *yaml.Node) (string, bool) {
	for i := 0; i < maxSections; i++ {
		loc := sectionOpenRE.FindStringSubmatchIndex(s)
		if loc == nil {
			return s, true
		}
		if loc[0] > 0 && s[loc[0]-1] == '\\' {
			// An escaped opening tag: leave it, look further on.
			rest, ok := c.renderSections(s[loc[1]:], sc, at)
			return s[:loc[1]] + rest, ok
		}
		inverted := s[loc[2]:loc[3]] == "^"
		name := s[loc[4]:loc[5]]
		closeRE := regexp.MustCompile(`<<\s*/\s*` + regexp.QuoteMeta(name) + `\s*>>`)
		cl := closeRE.FindStringIndex(s[loc[1]:])
		if cl == nil {
			c.errf(sc.file, at, "section <<%s%s>> has no closing <</%s>>", s[loc[2]:loc[3]], name, name)
			return s, false
		}
		body := s[loc[1] : loc[1]+cl[0]]
		end := loc[1] + cl[1]
		v, err := c.lookupNode(name, sc)
		if err != nil {
			c.errf(sc.file, at, "%v", err)
			return s, false
		}
		truthy := sectionTruthy(v)
		if inverted {
			truthy = !truthy
		}
		if !truthy {
			body = ""
		}
		s = s[:loc[0]] + body + s[end:]
	}
	c.errf(sc.file, at, "more than %d sections in one value", maxSections)
	return s, false
}

func sectionTruthy(v *yaml.Node) bool {
	switch {
	case isScalar(v):
		return expr.Truthy(expr.ScalarValue(v))
	case isSeq(v), isMap(v):
		return len(v.Content) > 0
	}
	return false
}

// hasSection is a quick test before the regexp.
func hasSection(s string) bool {
	return strings.Contains(s, "#") || strings.Contains(s, "^")
}
