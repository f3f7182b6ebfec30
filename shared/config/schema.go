package config

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// checkKeys reports keys of n outside allowed, with a suggestion.
func (c *compiler) checkKeys(file string, n *yaml.Node, allowed []string, what string) {
	for _, p := range pairs(n) {
		if !contains(allowed, p.Key) {
			sorted := append([]string{}, allowed...)
			sort.Strings(sorted)
			c.errf(file, p.KeyN, "unknown key %q in %s%s", p.Key, what, didYouMean(p.Key, sorted))
		}
	}
}

var (
	durationRE = regexp.MustCompile(`^\s*(\d+(\.\d+)?(ms|s|m|h))+\s*$`)
	// Job names: CircleCI's schema allows letters, digits, spaces, _ and -;
	// real configs also use dots (ruby-2.7-spec), which CircleCI accepts.
	jobNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z\s\d_.-]*$`)
)

// checkBuiltin checks the option values of a built-in step.
func (c *compiler) checkBuiltin(file, name string, args *yaml.Node) {
	need := func(key string) *yaml.Node {
		v := get(args, key)
		if isNull(v) {
			c.errf(file, args, "`%s` step needs `%s`", name, key)
			return nil
		}
		return v
	}
	boolean := func(key string) {
		if v := get(args, key); v != nil {
			if _, ok := boolValue(v); !ok {
				c.errf(file, v, "`%s` of the `%s` step must be a boolean, not %s", key, name, describe(v))
			}
		}
	}
	scalar := func(key string) {
		if v := get(args, key); v != nil && !isScalar(v) {
			c.errf(file, v, "`%s` of the `%s` step must be a string, not %s", key, name, kindName(v))
		}
	}
	strList := func(key string) {
		if v := get(args, key); v != nil {
			if _, ok := stringList(v); !ok {
				c.errf(file, v, "`%s` of the `%s` step must be a list of strings", key, name)
			}
		}
	}
	scalar("name")
	switch name {
	case "run", "deploy":
		if v := need("command"); v != nil && !isScalar(v) {
			c.errf(file, v, "`command` of the `run` step must be a string, not %s", kindName(v))
		}
		boolean("background")
		scalar("shell")
		scalar("working_directory")
		if v := get(args, "when"); v != nil && !contains([]string{"on_success", "always", "on_fail"}, v.Value) {
			c.errf(file, v, "`when` of the `run` step must be on_success, always or on_fail, not %s", describe(v))
		}
		if v := get(args, "no_output_timeout"); v != nil && (!isScalar(v) || !durationRE.MatchString(v.Value)) {
			c.errf(file, v, "`no_output_timeout` must be a duration such as 20m, 1.5h or 30s, not %s", describe(v))
		}
		if v := get(args, "environment"); v != nil && !isNull(v) && !isMap(v) {
			if _, ok := c.envList(file, v); !ok {
				c.errf(file, v, "`environment` of the `run` step must be a map of name to value")
			}
		}
		if v := get(args, "max_auto_reruns"); v != nil {
			if i, err := strconv.Atoi(v.Value); err != nil || i < 1 || i > 5 {
				c.errf(file, v, "`max_auto_reruns` must be an integer from 1 to 5, not %s", describe(v))
			}
		}
		if v := get(args, "auto_rerun_delay"); v != nil {
			if get(args, "max_auto_reruns") == nil {
				c.errf(file, v, "`auto_rerun_delay` needs `max_auto_reruns`")
			}
			if !isScalar(v) || !durationRE.MatchString(v.Value) {
				c.errf(file, v, "`auto_rerun_delay` must be a duration of at most 10m, not %s", describe(v))
			}
		}
	case "checkout":
		scalar("path")
		if v := get(args, "method"); v != nil && !contains([]string{"blobless", "full", "shallow"}, v.Value) {
			c.errf(file, v, "`method` of the `checkout` step must be blobless or full, not %s", describe(v))
		}
		if v := get(args, "depth"); v != nil {
			if m := get(args, "method"); m == nil || m.Value != "shallow" {
				c.errf(file, v, "`depth` of the `checkout` step needs `method: shallow`")
			} else if i, err := strconv.Atoi(v.Value); err != nil || i < 1 {
				c.errf(file, v, "`depth` must be a positive integer, not %s", describe(v))
			}
		} else if m := get(args, "method"); m != nil && m.Value == "shallow" {
			c.errf(file, m, "`method: shallow` needs an integer `depth`")
		}
	case "save_cache":
		if v := need("paths"); v != nil {
			if _, ok := stringList(v); !ok {
				c.errf(file, v, "`paths` of the `save_cache` step must be a list of paths")
			}
		}
		if v := need("key"); v != nil && !isScalar(v) {
			c.errf(file, v, "`key` of the `save_cache` step must be a string")
		}
		if v := get(args, "when"); v != nil && !contains([]string{"on_success", "always", "on_fail"}, v.Value) {
			c.errf(file, v, "`when` of the `save_cache` step must be on_success, always or on_fail, not %s", describe(v))
		}
	case "restore_cache":
		if get(args, "key") == nil && get(args, "keys") == nil {
			c.errf(file, args, "`restore_cache` step needs `key` or `keys`")
		}
		scalar("key")
		strList("keys")
	case "store_artifacts":
		need("path")
		scalar("path")
		scalar("destination")
	case "store_test_results":
		need("path")
		scalar("path")
	case "persist_to_workspace":
		need("root")
		scalar("root")
		if v := need("paths"); v != nil {
			strList("paths")
		}
	case "attach_workspace":
		need("at")
		scalar("at")
	case "add_ssh_keys":
		strList("fingerprints")
	case "setup_remote_docker":
		boolean("docker_layer_caching")
		boolean("reusable")
		boolean("exclusive")
		boolean("prefer_same_region")
		scalar("version")
	}
}

// envList reads an environment given as a map, or as a list of one-entry
// maps or NAME=value strings (both seen in real configs).
func (c *compiler) envList(file string, n *yaml.Node) ([][2]string, bool) {
	var out [][2]string
	switch {
	case isNull(n):
		return nil, true
	case isMap(n):
		for _, p := range pairs(n) {
			if !isScalar(p.Value) {
				c.errf(file, p.Value, "environment variable %q must have a string value, not %s", p.Key, kindName(p.Value))
				continue
			}
			out = append(out, [2]string{p.Key, envValue(p.Value)})
		}
		return out, true
	case isSeq(n):
		for _, item := range n.Content {
			switch {
			case isMap(item):
				for _, p := range pairs(item) {
					if isScalar(p.Value) {
						out = append(out, [2]string{p.Key, envValue(p.Value)})
					}
				}
			case isScalar(item):
				k, v, ok := strings.Cut(item.Value, "=")
				if !ok {
					return nil, false
				}
				out = append(out, [2]string{k, v})
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// envValue is the text of an environment value: null (written ~, null or
// nothing) is empty rather than its spelling, and a boolean (YAML 1.1
// spellings such as yes or On included, as CircleCI reads them) is "true"
// or "false".
func envValue(n *yaml.Node) string {
	switch v := expr.ScalarValue(n).(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(v)
	}
	return n.Value
}
