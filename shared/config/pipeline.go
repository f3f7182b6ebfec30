package config

import (
	"strconv"
	"strings"

	"github.com/caravan-ci/caravan/shared/config/expr"
)

// Pipeline holds the compile-time pipeline values a config can read through
// << pipeline.* >>, and the pipeline parameters passed with the trigger.
// Empty strings mean "absent": they read as null in expressions and as ""
// in strings.
type Pipeline struct {
	ID                string
	Number            int64
	ProjectGitURL     string
	ProjectType       string // github, gitlab, bitbucket
	ProjectSlug       string
	Branch            string
	BranchIsDefault   bool
	Tag               string
	Revision          string
	BaseRevision      string
	CommitSubject     string
	CommitBody        string
	CommitAuthorLogin string
	CommitURL         string
	RepoURL           string
	RepoOwner         string
	RepoName          string
	TriggerSource     string // webhook, api, schedule, ...
	TriggerType       string
	TriggerID         string
	TriggerReceivedAt string
	ScheduleName      string
	ScheduleID        string
	// ScheduledWorkflow names the workflow whose legacy
	// `triggers.schedule.cron` fired this pipeline: then only that workflow
	// runs (if the branch passes its trigger's filters). Workflows with
	// triggers run in no other pipeline.
	ScheduledWorkflow string
	// Parameters are the pipeline parameter values given with the trigger.
	// Values are bool, int/int64/float64 (integral) or string, as decoded from
	// JSON or YAML.
	Parameters map[string]any
}

// pipelinePrefixes are value trees whose leaves CircleCI fills only for some
// triggers: any name under them reads as null when not set.
var pipelinePrefixes = []string{
	"pipeline.event.", "pipeline.trigger_parameters.", "pipeline.config.", "pipeline.git.commit.",
	"pipeline.definition.", "pipeline.deploy.",
}

// value returns a pipeline value by its full name ("pipeline.git.branch").
// ok is false for names CircleCI does not define.
func (p *Pipeline) value(name string) (expr.Value, bool) {
	s := func(v string) (expr.Value, bool) {
		if v == "" {
			return nil, true
		}
		return v, true
	}
	switch name {
	case "pipeline.id":
		return s(p.ID)
	case "pipeline.number":
		return p.Number, true
	case "pipeline.project.git_url":
		return s(p.ProjectGitURL)
	case "pipeline.project.type":
		return s(p.ProjectType)
	case "pipeline.project.slug":
		return s(p.ProjectSlug)
	case "pipeline.git.tag":
		return s(p.Tag)
	case "pipeline.git.branch":
		return s(p.Branch)
	case "pipeline.git.branch.is_default":
		return p.BranchIsDefault, true
	case "pipeline.git.revision":
		return s(p.Revision)
	case "pipeline.git.base_revision":
		return s(p.BaseRevision)
	case "pipeline.git.commit.subject":
		return s(p.CommitSubject)
	case "pipeline.git.commit.body":
		return s(p.CommitBody)
	case "pipeline.git.commit.author_login":
		return s(p.CommitAuthorLogin)
	case "pipeline.git.commit.url":
		return s(p.CommitURL)
	case "pipeline.git.repo_url":
		return s(p.RepoURL)
	case "pipeline.git.repo_owner":
		return s(p.RepoOwner)
	case "pipeline.git.repo_name":
		return s(p.RepoName)
	case "pipeline.git.repo_id":
		return nil, true
	case "pipeline.trigger_source":
		return s(p.TriggerSource)
	case "pipeline.trigger.type":
		if p.TriggerType != "" {
			return p.TriggerType, true
		}
		return s(p.TriggerSource)
	case "pipeline.trigger.id":
		return s(p.TriggerID)
	case "pipeline.trigger.received_at":
		return s(p.TriggerReceivedAt)
	case "pipeline.schedule.name":
		return s(p.ScheduleName)
	case "pipeline.schedule.id":
		return s(p.ScheduleID)
	case "pipeline.name", "pipeline.integration_source":
		return nil, true
	}
	for _, pre := range pipelinePrefixes {
		if strings.HasPrefix(name, pre) {
			return nil, true
		}
	}
	return nil, false
}

// pipelineValueNames lists the names value knows, for suggestions.
var pipelineValueNames = []string{
	"pipeline.id", "pipeline.number", "pipeline.project.git_url", "pipeline.project.type", "pipeline.project.slug",
	"pipeline.git.tag", "pipeline.git.branch", "pipeline.git.branch.is_default", "pipeline.git.revision",
	"pipeline.git.base_revision", "pipeline.git.repo_url", "pipeline.git.repo_owner", "pipeline.git.repo_name",
	"pipeline.trigger_source", "pipeline.trigger.type", "pipeline.trigger.id", "pipeline.trigger.received_at",
	"pipeline.schedule.name", "pipeline.schedule.id", "pipeline.parameters.",
}

// normalizeParam turns a JSON/YAML-decoded parameter value into an expr.Value.
func normalizeParam(v any) expr.Value {
	switch x := v.(type) {
	case nil, bool, string, int64:
		return x
	case int:
		return int64(x)
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	case uint64:
		return int64(x)
	}
	return nil
}

func formatParam(v any) string {
	switch x := normalizeParam(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		return expr.Format(x)
	}
}
