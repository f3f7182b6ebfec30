package notifier

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

func testSource() Source {
	return Source{
		Project: domain.Project{ID: "11111111-1111-4111-8111-111111111111", Slug: "gh/acme/api", Name: "api",
			OrgID: "22222222-2222-4222-8222-222222222222"},
		Org: domain.Org{ID: "22222222-2222-4222-8222-222222222222", Slug: "gh/acme", Name: "acme"},
		Pipeline: domain.Pipeline{
			ID: "33333333-3333-4333-8333-333333333333", Number: 42, CreatedAt: t0,
			Trigger: domain.Trigger{Type: "webhook", Actor: "alice"},
			VCS: domain.VCS{Provider: "GitHub", RepoURL: "https://github.com/acme/api",
				OriginRepoURL: "https://github.com/acme/api", Branch: "main",
				Revision: "1dc6aa69429bff4806ad6afe58d3d8f57e25973e", CommitSubject: "Fix <the> build & tests",
				CommitBody: "Longer\ndescription"},
			Parameters: map[string]any{"deploy": true},
		},
		Workflow: domain.Workflow{ID: "44444444-4444-4444-8444-444444444444", Name: "build-test",
			Status: domain.WorkflowFailed, CreatedAt: t0.Add(time.Second), StoppedAt: t0.Add(5 * time.Minute)},
		Webhook: &domain.Webhook{ID: "55555555-5555-4555-8555-555555555555", Name: "slack relay"},
		BaseURL: "https://ci.example.com/",
	}
}

func testJob() domain.Job {
	return domain.Job{ID: "66666666-6666-4666-8666-666666666666", Name: "test", Number: 1234,
		Status: domain.JobFailed, StartedAt: t0.Add(2 * time.Second), StoppedAt: t0.Add(4 * time.Minute)}
}

func TestGolden(t *testing.T) {
	notStarted := testJob()
	notStarted.Status, notStarted.StartedAt = domain.JobCanceled, time.Time{}
	tagged := testSource()
	tagged.Pipeline.VCS.Branch, tagged.Pipeline.VCS.Tag, tagged.Pipeline.Parameters = "", "v1.2.3", nil
	tests := []struct {
		file string
		ev   Event
	}{
		{"workflow-completed.json", BuildWorkflowEvent(testSource())},
		{"job-completed.json", BuildJobEvent(testSource(), testJob())},
		{"job-not-started.json", BuildJobEvent(testSource(), notStarted)},
		{"workflow-tag.json", BuildWorkflowEvent(tagged)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := encode(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("body differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestEventID(t *testing.T) {
	s := testSource()
	wf, job := BuildWorkflowEvent(s), BuildJobEvent(s, testJob())
	other := s
	other.Webhook = &domain.Webhook{ID: "other"}
	tests := []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"same workflow event twice", wf.ID, BuildWorkflowEvent(s).ID, true},
		{"same job event twice", job.ID, BuildJobEvent(s, testJob()).ID, true},
		{"workflow vs job", wf.ID, job.ID, false},
		{"other webhook", wf.ID, BuildWorkflowEvent(other).ID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.a == tt.b) != tt.equal {
				t.Errorf("ids %q and %q: equal=%v, want %v", tt.a, tt.b, tt.a == tt.b, tt.equal)
			}
			if len(tt.a) != 36 {
				t.Errorf("id %q is not UUID-shaped", tt.a)
			}
		})
	}
}

func TestHappenedAtDefaults(t *testing.T) {
	s := testSource()
	tests := []struct {
		name string
		ev   func() Event
		want time.Time
	}{
		{"explicit", func() Event { s := s; s.HappenedAt = t0; return BuildWorkflowEvent(s) }, ts(t0)},
		{"workflow stop", func() Event { return BuildWorkflowEvent(s) }, ts(s.Workflow.StoppedAt)},
		{"job stop", func() Event { return BuildJobEvent(s, testJob()) }, ts(testJob().StoppedAt)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev().HappenedAt; !got.Equal(tt.want) {
				t.Errorf("happened_at = %v, want %v", got, tt.want)
			}
		})
	}
	s.Workflow.StoppedAt = time.Time{}
	if got := BuildWorkflowEvent(s).HappenedAt; time.Since(got) > time.Minute {
		t.Errorf("happened_at = %v, want about now", got)
	}
}

func TestWorkflowURL(t *testing.T) {
	tests := []struct {
		base, slug string
		want       string
	}{
		{"https://ci.example.com", "gh/acme/api", "https://ci.example.com/pipelines/gh/acme/api/7/workflows/w-1"},
		{"https://ci.example.com/", "gh/acme/api", "https://ci.example.com/pipelines/gh/acme/api/7/workflows/w-1"},
		{"http://h/ci", "local/acme/my repo", "http://h/ci/pipelines/local/acme/my%20repo/7/workflows/w-1"},
	}
	for _, tt := range tests {
		if got := WorkflowURL(tt.base, tt.slug, 7, "w-1"); got != tt.want {
			t.Errorf("WorkflowURL(%q, %q) = %q, want %q", tt.base, tt.slug, got, tt.want)
		}
	}
}
