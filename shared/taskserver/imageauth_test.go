package taskserver_test

import (
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/google/go-cmp/cmp"
)

func TestImageAuthResolvesReferences(t *testing.T) {
	f := newFixture(t)
	f.envVar("REG_USER", "project-user")
	f.context("registry", "REG_PASSWORD", "s3cret", "REG_USER", "context-user")
	j := build("build", run("true"))
	j.Contexts = []string{"registry"}
	j.Executor = plan.Executor{Kind: plan.ExecDocker, Images: []plan.Image{
		{Image: "private/app:1", Auth: &plan.Auth{Username: "$REG_USER", Password: "${REG_PASSWORD}"}},
		{Image: "postgres:16"},
		{Image: "private/db:2", Auth: &plan.Auth{Username: "literal", Password: "pre-$MISSING"}},
	}}
	wf := f.pipeline(domain.VCS{Branch: "main", Revision: "abc"}, j)
	id := repo.TaskID(f.job(wf, "build").V.ID, 0)

	got, err := f.srv.ImageAuth(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []*plan.Auth{{Username: "context-user", Password: "s3cret"}, nil,
		{Username: "literal", Password: "pre-$MISSING"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ImageAuth (-want +got):\n%s", diff)
	}

	// A forked pull request gets no secrets: references stay unresolved.
	wf = f.pipeline(domain.VCS{Branch: "pull/7", Revision: "def", PRNumber: "7"}, j)
	id = repo.TaskID(f.job(wf, "build").V.ID, 0)
	got, err = f.srv.ImageAuth(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Password != "$REG_PASSWORD" {
		t.Fatalf("a fork got the secret: %+v", got[0])
	}
}
