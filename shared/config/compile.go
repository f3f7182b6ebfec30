package config

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/config/yamltree"
	"github.com/caravan-ci/caravan/shared/plan"
)

// Options configure one compilation.
type Options struct {
	// File names the config in error messages (".circleci/config.yml").
	File string
	// Registry resolves registry orbs; nil means none can be resolved.
	Registry orb.Registry
	// Pipeline holds the pipeline values and parameters.
	Pipeline Pipeline
	// Limits bound the input; zero means yamltree.DefaultLimits.
	Limits yamltree.Limits
	// Partial checks a config fragment the way the official JSON schema
	// does: jobs a workflow names but the config does not define, orbs the
	// registry lacks (and everything used through them) and a missing
	// `workflows` are accepted; everything present is still checked.
	Partial bool
	// MaxNodes bounds the size of the compiled output (commands and steps
	// parameters can multiply a config); zero means 4,000,000.
	MaxNodes int
}

// Result is a compiled config.
type Result struct {
	// Version is the config's version as written: "2", "2.0" or "2.1".
	Version string
	// Setup is true for a setup (dynamic config) config.
	Setup bool
	// Processed is the 2.0-style config with no reusable keys, as
	// `circleci config process` prints it.
	Processed *yaml.Node
	// Plan is what runs for the given pipeline values.
	Plan *plan.Plan
	// Orbs lists the registry orbs used, with the versions they resolved to.
	Orbs []orb.Ref
	// Warnings are problems that do not stop the config from running.
	Warnings []*diag.Error
}

// YAML renders the processed config.
func (r *Result) YAML() []byte {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(r.Processed); err != nil {
		return []byte(fmt.Sprintf("# cannot render config: %v\n", err))
	}
	_ = enc.Close()
	return []byte(b.String())
}

// compiler holds the state of one compilation.
type compiler struct {
	ctx            context.Context
	file           string
	opts           Options
	pipe           *Pipeline
	pipelineParams map[string]*yaml.Node
	errs           diag.List
	warns          []*diag.Error
	budget         int
	root           *namespace
	orbCache       map[string]*namespace // by resolved ref + import chain
	usedOrbs       map[string]orb.Ref
	version        string
	jobGroups      map[string]*yaml.Node
	setup          bool
	unknownOrbs    map[*namespace]map[string]bool // orbs skipped in partial mode, per importing namespace
	usedJobs       map[string]bool
	usedExecutors  map[string]bool
	usedCommands   map[string]bool
	usedOrbNames   map[string]bool
}

// Compile compiles src. On an invalid config it returns a nil Result and an
// error that is a diag.List of positioned errors.
func Compile(ctx context.Context, src []byte, opts Options) (res *Result, err error) {
	if opts.File == "" {
		opts.File = "config.yml"
	}
	if opts.Limits == (yamltree.Limits{}) {
		opts.Limits = yamltree.DefaultLimits
	}
	if opts.MaxNodes == 0 {
		opts.MaxNodes = 4_000_000
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, diag.List{diag.Errorf(diag.Pos{File: opts.File}, "internal error compiling config: %v (please report this)", p)}
		}
	}()
	root, err := yamltree.Parse(opts.File, src, opts.Limits)
	if err != nil {
		var l diag.List
		l.Append(diag.Pos{File: opts.File}, err)
		return nil, l
	}
	c := &compiler{
		ctx: ctx, file: opts.File, opts: opts, pipe: &opts.Pipeline, budget: opts.MaxNodes,
		orbCache: map[string]*namespace{}, usedOrbs: map[string]orb.Ref{},
		unknownOrbs: map[*namespace]map[string]bool{}, usedJobs: map[string]bool{}, usedExecutors: map[string]bool{},
		usedCommands: map[string]bool{}, usedOrbNames: map[string]bool{},
	}
	res = c.compile(root)
	if e := c.errs.Err(); e != nil {
		return nil, e
	}
	return res, nil
}

// errf records an error at n in file.
func (c *compiler) errf(file string, n *yaml.Node, format string, args ...any) {
	pos := diag.Pos{File: file}
	if n != nil {
		pos.Line, pos.Col = n.Line, n.Column
	}
	if len(c.errs) < 500 {
		c.errs.Add(pos, format, args...)
	}
}

func (c *compiler) warnf(file string, n *yaml.Node, format string, args ...any) {
	pos := diag.Pos{File: file}
	if n != nil {
		pos.Line, pos.Col = n.Line, n.Column
	}
	c.warns = append(c.warns, diag.Errorf(pos, format, args...))
}

// spend takes n nodes from the output budget; false once it is exhausted.
func (c *compiler) spend(n int) bool {
	c.budget -= n
	if c.budget < 0 {
		if c.budget+n >= 0 {
			c.errf(c.file, nil, "config expands to more than %d nodes: are commands or steps parameters nested too deep?", c.opts.MaxNodes)
		}
		return false
	}
	return true
}

var topLevelKeys = []string{"version", "setup", "orbs", "commands", "executors", "jobs", "workflows", "parameters", "job-groups", "experimental", "examples", "display", "description"}

func (c *compiler) compile(root *yaml.Node) *Result {
	if !isMap(root) {
		c.errf(c.file, root, "config must be a map with at least `version` and `jobs` or `workflows`, not %s", kindName(root))
		return nil
	}
	vn := get(root, "version")
	switch {
	case vn == nil:
		c.errf(c.file, root, "config has no `version`: add `version: 2.1` at the top")
		return nil
	case !isScalar(vn) || !contains([]string{"2", "2.0", "2.1"}, vn.Value):
		c.errf(c.file, vn, "unsupported config version %q: use 2.1 (or 2.0)", vn.Value)
		return nil
	}
	c.version = vn.Value
	v21 := c.version == "2.1"
	if !v21 {
		for _, k := range []string{"orbs", "commands", "executors", "parameters", "job-groups"} {
			if n := get(root, k); n != nil {
				c.errf(c.file, n, "`%s` needs `version: 2.1` (this config is version %s)", k, c.version)
			}
		}
	}
	setup := false
	if sn := get(root, "setup"); sn != nil {
		b, ok := boolValue(sn)
		if !ok {
			c.errf(c.file, sn, "`setup` must be a boolean, not %s", describe(sn))
		}
		setup = b
		if setup && !v21 {
			c.errf(c.file, sn, "a setup config must be `version: 2.1`")
		}
	}
	c.setup = setup
	c.pipelineParams = c.bindPipelineParams(get(root, "parameters"), root)
	for _, p := range pairs(root) {
		if !contains(topLevelKeys, p.Key) {
			c.checkPipelineRefs(p.Value)
			// Keys that only hold anchors are allowed; a near miss of a real key is
			// probably a typo.
			if s := diag.Suggest(p.Key, topLevelKeys); s != "" && s != p.Key && len(p.Key) > 3 {
				c.warnf(c.file, p.KeyN, "top-level key %q is ignored (did you mean %q?)", p.Key, s)
			}
		}
	}
	c.root = c.loadNamespace(root, "", c.file, nil)
	if gn := get(root, "job-groups"); gn != nil {
		if !isMap(gn) {
			c.errf(c.file, gn, "`job-groups` must be a map of group name to {jobs: [...]}")
		} else {
			c.jobGroups = map[string]*yaml.Node{}
			for _, p := range pairs(gn) {
				c.jobGroups[p.Key] = p.Value
			}
		}
	}
	if len(c.errs) > 0 {
		return nil
	}
	wfs := c.compileWorkflows(get(root, "workflows"), root)
	c.lintUnused(root)
	if len(c.errs) > 0 {
		return nil
	}
	res := &Result{Version: c.version, Setup: setup, Warnings: c.warns}
	res.Processed = c.processed(wfs)
	res.Plan = c.buildPlan(wfs, setup)
	for _, r := range c.usedOrbs {
		res.Orbs = append(res.Orbs, r)
	}
	sort.Slice(res.Orbs, func(i, j int) bool { return res.Orbs[i].String() < res.Orbs[j].String() })
	return res
}

// checkPipelineRefs reports << pipeline.* >> references in n that name no
// pipeline value or parameter. CircleCI interpolates pipeline values in the
// whole config, extra top-level keys included.
func (c *compiler) checkPipelineRefs(n *yaml.Node) {
	walkStrings(n, func(s *yaml.Node) {
		for _, t := range findTokens(s.Value) {
			if !t.direct || !strings.HasPrefix(strings.TrimSpace(t.inner), "pipeline.") {
				continue
			}
			if _, err := c.lookupNode(strings.TrimSpace(t.inner), &scope{file: c.file}); err != nil {
				c.errf(c.file, s, "%v", err)
			}
		}
	})
}

func boolValue(n *yaml.Node) (bool, bool) {
	if !isScalar(n) || n.ShortTag() == "!!int" {
		return false, false
	}
	return parseBool(n.Value)
}

func didYouMean(name string, cands []string) string { return diag.DidYouMean(name, cands) }

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// bindPipelineParams checks the pipeline parameter declarations and the
// values given with the trigger, returning the value of every parameter.
func (c *compiler) bindPipelineParams(decl *yaml.Node, root *yaml.Node) map[string]*yaml.Node {
	decls := c.parseParamDecls(c.file, decl, pipelineParamTypes, "pipeline")
	out := map[string]*yaml.Node{}
	byName := map[string]*paramDecl{}
	for _, d := range decls {
		byName[d.name] = d
		if d.def == nil {
			c.errf(c.file, d.node, "pipeline parameter %q needs a default", d.name)
			continue
		}
		out[d.name] = d.def
	}
	var unknown []string
	for k, v := range c.pipe.Parameters {
		d, ok := byName[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		n := paramInput(v)
		val, msg := coerceParam(d, n)
		if msg != "" {
			c.errf("pipeline parameters", nil, "pipeline parameter %q: %s", k, msg)
			continue
		}
		out[k] = val
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		c.errf("pipeline parameters", nil, "unexpected pipeline parameter(s) %s: the config declares %s", strings.Join(unknown, ", "), listOrNone(mapKeys(byName)))
	}
	return out
}

// paramInput turns a trigger's parameter value into a node for type checks.
func paramInput(v any) *yaml.Node {
	switch x := normalizeParam(v).(type) {
	case bool:
		return boolNode(x)
	case int64:
		return intNode(x)
	case nil:
		return yamltree.Null(0, 0)
	case string:
		return str(x)
	default:
		return str(formatParam(v))
	}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
