package notifier

import (
	"crypto/sha256"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
)

// Event types, as CircleCI names them (also the values of domain.Webhook.Events).
const (
	TypeWorkflowCompleted = "workflow-completed"
	TypeJobCompleted      = "job-completed"
)

// Event is the JSON body of an outbound webhook, with CircleCI's field names.
type Event struct {
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	HappenedAt   time.Time   `json:"happened_at"`
	Webhook      WebhookRef  `json:"webhook"`
	Project      ProjectRef  `json:"project"`
	Organization OrgRef      `json:"organization"`
	Pipeline     PipelineRef `json:"pipeline"`
	Workflow     WorkflowRef `json:"workflow"`
	Job          *JobRef     `json:"job,omitempty"` // job-completed only
}

// WebhookRef names the webhook a delivery is for.
type WebhookRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ProjectRef is the event's project.
type ProjectRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// OrgRef is the event's organization.
type OrgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PipelineRef is the event's pipeline.
type PipelineRef struct {
	ID                string         `json:"id"`
	Number            int64          `json:"number"`
	CreatedAt         time.Time      `json:"created_at"`
	Trigger           TriggerRef     `json:"trigger"`
	VCS               VCSRef         `json:"vcs"`
	TriggerParameters map[string]any `json:"trigger_parameters,omitempty"`
}

// TriggerRef says how the pipeline was started: webhook, explicit, api or scheduled_pipeline.
type TriggerRef struct {
	Type string `json:"type"`
}

// VCSRef is the revision the pipeline built.
type VCSRef struct {
	ProviderName        string    `json:"provider_name"`
	OriginRepositoryURL string    `json:"origin_repository_url"`
	TargetRepositoryURL string    `json:"target_repository_url"`
	Revision            string    `json:"revision"`
	Branch              string    `json:"branch,omitempty"`
	Tag                 string    `json:"tag,omitempty"`
	Commit              CommitRef `json:"commit"`
}

// CommitRef is the built commit's message.
type CommitRef struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// WorkflowRef is the event's workflow. StoppedAt is null while the workflow runs (never, for these events).
type WorkflowRef struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	StoppedAt *time.Time `json:"stopped_at"`
	URL       string     `json:"url"`
}

// JobRef is the job of a job-completed event. StartedAt is null for a job that never started (canceled or
// not run).
type JobRef struct {
	ID        string     `json:"id"`
	Number    int64      `json:"number"`
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	StartedAt *time.Time `json:"started_at"`
	StoppedAt *time.Time `json:"stopped_at"`
}

// Source holds the domain values an event is built from. Webhook may be nil: Enqueue fills the webhook of
// each delivery. HappenedAt defaults to the workflow's (or job's) stop time, then to now. BaseURL is the web
// UI's base URL (https://ci.example.com), used for the workflow's url.
type Source struct {
	Project    domain.Project
	Org        domain.Org
	Pipeline   domain.Pipeline
	Workflow   domain.Workflow
	Webhook    *domain.Webhook
	HappenedAt time.Time
	BaseURL    string
}

// BuildWorkflowEvent builds the workflow-completed event of s.Workflow.
func BuildWorkflowEvent(s Source) Event {
	return build(s, TypeWorkflowCompleted, s.Workflow.StoppedAt)
}

// BuildJobEvent builds the job-completed event of job, a job of s.Workflow.
func BuildJobEvent(s Source, job domain.Job) Event {
	ev := build(s, TypeJobCompleted, job.StoppedAt)
	ev.Job = &JobRef{
		ID:        job.ID,
		Number:    job.Number,
		Name:      job.Name,
		Status:    string(job.Status),
		StartedAt: optTime(job.StartedAt),
		StoppedAt: optTime(job.StoppedAt),
	}
	ev.ID = eventID(ev)
	return ev
}

func build(s Source, typ string, stopped time.Time) Event {
	p, w := s.Pipeline, s.Workflow
	at := s.HappenedAt
	if at.IsZero() {
		at = stopped
	}
	if at.IsZero() {
		at = time.Now()
	}
	ev := Event{
		Type:         typ,
		HappenedAt:   ts(at),
		Project:      ProjectRef{ID: s.Project.ID, Slug: s.Project.Slug, Name: s.Project.Name},
		Organization: OrgRef{ID: s.Org.ID, Name: s.Org.Name},
		Pipeline: PipelineRef{
			ID:        p.ID,
			Number:    p.Number,
			CreatedAt: ts(p.CreatedAt),
			Trigger:   TriggerRef{Type: p.Trigger.Type},
			VCS: VCSRef{
				ProviderName:        strings.ToLower(p.VCS.Provider),
				OriginRepositoryURL: p.VCS.OriginRepoURL,
				TargetRepositoryURL: p.VCS.RepoURL,
				Revision:            p.VCS.Revision,
				Branch:              p.VCS.Branch,
				Tag:                 p.VCS.Tag,
				Commit:              CommitRef{Subject: p.VCS.CommitSubject, Body: p.VCS.CommitBody},
			},
			TriggerParameters: p.Parameters,
		},
		Workflow: WorkflowRef{
			ID:        w.ID,
			Name:      w.Name,
			Status:    string(w.Status),
			CreatedAt: ts(w.CreatedAt),
			StoppedAt: optTime(w.StoppedAt),
			URL:       WorkflowURL(s.BaseURL, s.Project.Slug, p.Number, w.ID),
		},
	}
	if s.Webhook != nil {
		ev.Webhook = WebhookRef{ID: s.Webhook.ID, Name: s.Webhook.Name}
	}
	ev.ID = eventID(ev)
	return ev
}

// WorkflowURL is the web UI's page of a workflow: <base>/pipelines/<project slug>/<number>/workflows/<id>.
func WorkflowURL(base, projectSlug string, pipelineNumber int64, workflowID string) string {
	segs := strings.Split(projectSlug, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.TrimRight(base, "/") + "/pipelines/" + strings.Join(segs, "/") + "/" +
		strconv.FormatInt(pipelineNumber, 10) + "/workflows/" + url.PathEscape(workflowID)
}

// eventID derives a UUID-shaped id from the event's type, subject and webhook, so the same completion
// delivered to the same webhook always carries the same id.
func eventID(ev Event) string {
	subject := ev.Workflow.ID
	if ev.Job != nil {
		subject = ev.Job.ID
	}
	sum := sha256.Sum256([]byte("caravan-webhook-event\x00" + ev.Type + "\x00" + subject + "\x00" + ev.Webhook.ID))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 layout (name-based, SHA-derived)
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ts normalizes a time as CircleCI writes them: UTC, millisecond precision.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := ts(t)
	return &u
}
