package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/plan"
)

// buildPlan decides what runs for the pipeline: workflows whose conditions
// hold (and, for scheduled workflows, only on their schedule), and in each
// the jobs the filters let through.
func (c *compiler) buildPlan(wfs []*workflow, setup bool) *plan.Plan {
	p := &plan.Plan{Setup: setup, Workflows: []plan.Workflow{}}
	for _, w := range wfs {
		if w.skipped {
			p.Skipped = append(p.Skipped, plan.Skip{Name: w.name, Reason: w.skipReason})
			continue
		}
		pw := plan.Workflow{Name: w.name, MaxAutoReruns: int(w.maxReruns), Jobs: []plan.Job{}}
		for _, t := range w.triggers {
			s := get(t, "schedule")
			sch := plan.Schedule{Cron: get(s, "cron").Value}
			br := get(get(s, "filters"), "branches")
			sch.Branches, _ = stringList(get(br, "only"))
			sch.Ignore, _ = stringList(get(br, "ignore"))
			pw.Schedules = append(pw.Schedules, sch)
		}
		if c.pipe.ScheduledWorkflow != "" && c.pipe.ScheduledWorkflow != w.name {
			p.Skipped = append(p.Skipped, plan.Skip{Name: w.name, Reason: fmt.Sprintf("this pipeline runs scheduled workflow %q only", c.pipe.ScheduledWorkflow)})
			continue
		}
		if len(w.triggers) > 0 {
			if c.pipe.ScheduledWorkflow != w.name {
				p.Skipped = append(p.Skipped, plan.Skip{Name: w.name, Reason: "it has schedule triggers, so it runs only on its schedule"})
				continue
			}
			if !c.scheduleMatches(w) {
				p.Skipped = append(p.Skipped, plan.Skip{Name: w.name, Reason: fmt.Sprintf("branch %q does not pass its schedule's branch filters", c.pipe.Branch)})
				continue
			}
		}
		skipped := map[string]bool{}
		for _, j := range topoOrder(w.jobs) {
			if ok, why := c.filterRuns(j.filters); !ok {
				skipped[j.name] = true
				pw.Skipped = append(pw.Skipped, plan.Skip{Name: j.name, Reason: why})
				continue
			}
			var reqs []plan.Requirement
			for _, r := range j.requires {
				if !skipped[r.job] {
					reqs = append(reqs, plan.Requirement{Job: r.job, Statuses: r.statuses})
				}
			}
			if len(j.requires) > 0 && len(reqs) == 0 {
				skipped[j.name] = true
				pw.Skipped = append(pw.Skipped, plan.Skip{Name: j.name, Reason: "every job it requires is filtered out"})
				continue
			}
			pj := c.planJob(j)
			pj.Requires = reqs
			pw.Jobs = append(pw.Jobs, pj)
		}
		p.Workflows = append(p.Workflows, pw)
	}
	if setup && len(p.Workflows) > 1 {
		var second *yaml.Node // point at the second workflow that would run
		for _, w := range wfs {
			if w.name == p.Workflows[1].Name {
				second = w.at
			}
		}
		c.errf(c.file, second, "a setup config must run exactly one workflow, but %d would run", len(p.Workflows))
	}
	return p
}

func (c *compiler) scheduleMatches(w *workflow) bool {
	for _, t := range w.triggers {
		br := get(get(get(t, "schedule"), "filters"), "branches")
		if c.branchFilter(br, c.pipe.Branch) {
			return true
		}
	}
	return false
}

// planJob converts a processed job into its typed form.
func (c *compiler) planJob(j *wfJob) plan.Job {
	pj := plan.Job{Name: j.name, Definition: j.defName, Type: j.typ, Contexts: j.contexts, SerialGroup: j.serialGroup,
		Group: j.group, MaxAutoReruns: int(j.maxReruns), Parallelism: 1, WorkingDir: "~/project"}
	if j.typ == plan.JobApproval {
		pj.Definition = ""
		pj.Executor.Kind = plan.ExecNone
		return pj
	}
	if len(j.matrix) > 0 {
		pj.Matrix = map[string]string{}
		for _, kv := range j.matrix {
			pj.Matrix[kv[0]] = kv[1]
		}
	}
	b := j.job
	if b == nil {
		return pj
	}
	pj.Executor = planExecutor(b)
	pj.Environment = envMap(get(b, "environment"))
	if p, ok := intValue(get(b, "parallelism")); ok {
		pj.Parallelism = int(p)
	}
	if s := get(b, "shell"); s != nil {
		pj.Shell = s.Value
	}
	if m := get(b, "machine"); isMap(m) && get(m, "shell") != nil && pj.Shell == "" {
		pj.Shell = get(m, "shell").Value
	}
	if wd := get(b, "working_directory"); wd != nil {
		pj.WorkingDir = wd.Value
	}
	if steps := get(b, "steps"); steps != nil {
		for _, s := range steps.Content {
			pj.Steps = append(pj.Steps, planStep(s))
		}
	}
	return pj
}

func envMap(n *yaml.Node) map[string]string {
	if !isMap(n) {
		return nil
	}
	out := map[string]string{}
	for _, p := range pairs(n) {
		out[p.Key] = envValue(p.Value)
	}
	return out
}

func scalarOf(n *yaml.Node) string {
	if isScalar(n) {
		return n.Value
	}
	return ""
}

func argList(n *yaml.Node) []string {
	if isScalar(n) && !isNull(n) {
		return strings.Fields(n.Value)
	}
	l, _ := stringList(n)
	return l
}

func planExecutor(b *yaml.Node) plan.Executor {
	e := plan.Executor{Kind: plan.ExecNone, ResourceClass: scalarOf(get(b, "resource_class"))}
	switch {
	case get(b, "docker") != nil:
		e.Kind = plan.ExecDocker
		for _, img := range get(b, "docker").Content {
			pi := plan.Image{Image: scalarOf(get(img, "image")), Name: scalarOf(get(img, "name")), User: scalarOf(get(img, "user")),
				Entrypoint: argList(get(img, "entrypoint")), Command: argList(get(img, "command")), Environment: envMap(get(img, "environment"))}
			if a := get(img, "auth"); isMap(a) {
				pi.Auth = &plan.Auth{Username: scalarOf(get(a, "username")), Password: scalarOf(get(a, "password"))}
			}
			if a := get(img, "aws_auth"); isMap(a) {
				pi.AWSAuth = &plan.AWSAuth{AccessKeyID: scalarOf(get(a, "aws_access_key_id")),
					SecretAccessKey: scalarOf(get(a, "aws_secret_access_key")), OIDCRoleARN: scalarOf(get(a, "oidc_role_arn"))}
			}
			e.Images = append(e.Images, pi)
		}
	case get(b, "machine") != nil:
		e.Kind = plan.ExecMachine
		m := get(b, "machine")
		e.Machine = &plan.Machine{}
		if isMap(m) {
			e.Machine.Image = scalarOf(get(m, "image"))
			e.Machine.DockerLayerCaching, _ = boolValue(get(m, "docker_layer_caching"))
			if rc := scalarOf(get(m, "resource_class")); rc != "" {
				e.ResourceClass = rc
			}
		}
	case get(b, "macos") != nil:
		e.Kind = plan.ExecMacOS
		e.Xcode = scalarOf(get(get(b, "macos"), "xcode"))
	}
	return e
}

// planStep converts a processed built-in step.
func planStep(s *yaml.Node) plan.Step {
	if isScalar(s) {
		return plan.Step{Type: s.Value}
	}
	name, args, _ := singleKey(s)
	st := plan.Step{Type: name}
	if name == "run" && isScalar(args) {
		st.Command = args.Value
		st.Name = firstLine(args.Value)
		return st
	}
	st.Name = scalarOf(get(args, "name"))
	st.When = scalarOf(get(args, "when"))
	switch name {
	case plan.StepRun:
		st.Command = scalarOf(get(args, "command"))
		if st.Name == "" {
			st.Name = firstLine(st.Command)
		}
		st.Shell = scalarOf(get(args, "shell"))
		st.Environment = envMap(get(args, "environment"))
		st.Background, _ = boolValue(get(args, "background"))
		st.WorkingDir = scalarOf(get(args, "working_directory"))
		st.NoOutputTimeout = scalarOf(get(args, "no_output_timeout"))
		if n, ok := intValue(get(args, "max_auto_reruns")); ok {
			st.MaxAutoReruns = int(n)
		}
		st.AutoRerunDelay = scalarOf(get(args, "auto_rerun_delay"))
	case plan.StepCheckout:
		st.Method = scalarOf(get(args, "method"))
		st.Path = scalarOf(get(args, "path"))
		if n, ok := intValue(get(args, "depth")); ok {
			st.Depth = int(n)
		}
	case plan.StepSaveCache:
		st.Key = scalarOf(get(args, "key"))
		st.Paths, _ = stringList(get(args, "paths"))
	case plan.StepRestoreCache:
		if k := scalarOf(get(args, "key")); k != "" {
			st.Keys = append(st.Keys, k)
		}
		ks, _ := stringList(get(args, "keys"))
		st.Keys = append(st.Keys, ks...)
	case plan.StepStoreArtifacts:
		st.Path = scalarOf(get(args, "path"))
		st.Destination = scalarOf(get(args, "destination"))
	case plan.StepStoreTestResults:
		st.Path = scalarOf(get(args, "path"))
	case plan.StepPersistToWorkspace:
		st.Root = scalarOf(get(args, "root"))
		st.Paths, _ = stringList(get(args, "paths"))
	case plan.StepAttachWorkspace:
		st.At = scalarOf(get(args, "at"))
	case plan.StepAddSSHKeys:
		st.Fingerprints, _ = stringList(get(args, "fingerprints"))
	case plan.StepSetupRemoteDocker:
		st.DockerLayerCaching, _ = boolValue(get(args, "docker_layer_caching"))
		st.Version = scalarOf(get(args, "version"))
	}
	return st
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
