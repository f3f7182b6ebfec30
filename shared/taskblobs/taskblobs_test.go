package taskblobs_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskblobs"
	"github.com/google/go-cmp/cmp"
)

// fixture is a memblob store with a controllable clock, so cache recency is deterministic.
type fixture struct {
	b   *memblob.Store
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.b = memblob.New(memblob.WithClock(func() time.Time { return f.now }))
	if err := f.b.SetBaseURL("http://blobs.test"); err != nil {
		t.Fatal(err)
	}
	return f
}

// put stores an object a minute after the previous one.
func (f *fixture) put(t *testing.T, key, data string) {
	t.Helper()
	f.now = f.now.Add(time.Minute)
	if err := f.b.Put(context.Background(), key, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

// keyOf returns the blob key a presigned URL is for.
func keyOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/blobs/")
}

var layout = taskblobs.Layout{CachePrefix: "caches/p1/", WorkspaceID: "ws1", JobID: "j3", Node: 2,
	Upstream: []string{"j1", "j2"}}

func TestResolveCaches(t *testing.T) {
	f := newFixture(t)
	f.put(t, taskblobs.CacheKey("caches/p1/", "deps-main-a"), "a")
	f.put(t, taskblobs.CacheKey("caches/p1/", "deps-main-b"), "b")
	f.put(t, taskblobs.CacheKey("caches/p2/", "deps-main-c"), "other project")
	f.put(t, taskblobs.CacheKey("caches/p1/", "deps-dev-a"), "dev")
	tests := []struct {
		name    string
		req     taskapi.BlobRequest
		wantKey string // the matched cache; "" for a put
		exists  bool
		err     error
	}{
		{"exact key", taskapi.BlobRequest{Kind: "cache", Op: "get", Keys: []string{"deps-main-a"}}, "deps-main-a", false, nil},
		{"prefix: most recent", taskapi.BlobRequest{Kind: "cache", Op: "get", Keys: []string{"deps-main-"}}, "deps-main-b", false, nil},
		{"first key with a match wins", taskapi.BlobRequest{Kind: "cache", Op: "get", Keys: []string{"nope", "deps-dev", "deps-"}}, "deps-dev-a", false, nil},
		{"other project's caches are invisible", taskapi.BlobRequest{Kind: "cache", Op: "get", Keys: []string{"deps-main-c"}}, "", false, taskapi.ErrNotFound},
		{"no keys", taskapi.BlobRequest{Kind: "cache", Op: "get"}, "", false, taskapi.ErrInvalid},
		{"put of a taken key", taskapi.BlobRequest{Kind: "cache", Op: "put", Key: "deps-main-a"}, "deps-main-a", true, nil},
		{"put of a prefix of a taken key", taskapi.BlobRequest{Kind: "cache", Op: "put", Key: "deps-main-"}, "deps-main-", false, nil},
		{"put without key", taskapi.BlobRequest{Kind: "cache", Op: "put"}, "", false, taskapi.ErrInvalid},
		{"put of an overlong key", taskapi.BlobRequest{Kind: "cache", Op: "put", Key: strings.Repeat("k", 900)}, "", false, taskapi.ErrInvalid},
		{"unknown op", taskapi.BlobRequest{Kind: "cache", Op: "delete"}, "", false, taskapi.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := taskblobs.Resolve(context.Background(), f.b, layout, tc.req, time.Hour)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if res.Key != tc.wantKey || res.Exists != tc.exists {
				t.Errorf("got key %q exists %v, want %q %v", res.Key, res.Exists, tc.wantKey, tc.exists)
			}
			if !tc.exists && keyOf(t, res.URL) != taskblobs.CacheKey("caches/p1/", tc.wantKey) {
				t.Errorf("URL %s is not for cache %q", res.URL, tc.wantKey)
			}
		})
	}
}

func TestResolveWorkspaces(t *testing.T) {
	f := newFixture(t)
	f.put(t, taskblobs.WorkspaceKey("ws1", "j2", 3), "later job")
	f.put(t, taskblobs.WorkspaceKey("ws1", "j1", 12), "j1 second layer")
	f.put(t, taskblobs.WorkspaceKey("ws1", "j1", 4), "j1 first layer")
	f.put(t, taskblobs.WorkspaceKey("ws1", "j9", 1), "not upstream")
	f.put(t, taskblobs.WorkspaceKey("ws2", "j1", 1), "another workflow")
	ctx := context.Background()
	res, err := taskblobs.Resolve(ctx, f.b, layout, taskapi.BlobRequest{Kind: "workspace", Op: "get"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range res.URLs {
		if keyOf(t, u.URL) != u.Path {
			t.Errorf("URL %s is not for %s", u.URL, u.Path)
		}
		got = append(got, u.Path)
	}
	want := []string{"workspaces/ws1/j1/0004", "workspaces/ws1/j1/0012", "workspaces/ws1/j2/0003"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	res, err = taskblobs.Resolve(ctx, f.b, layout, taskapi.BlobRequest{Kind: "workspace", Op: "put", Step: 7}, time.Hour)
	if err != nil || keyOf(t, res.URL) != "workspaces/ws1/j3/0007" {
		t.Errorf("workspace put: %+v, %v", res, err)
	}
	bad := layout
	bad.Upstream = []string{"../j1"}
	if _, err := taskblobs.Resolve(ctx, f.b, bad, taskapi.BlobRequest{Kind: "workspace", Op: "get"}, time.Hour); !errors.Is(err, taskapi.ErrInvalid) {
		t.Errorf("upstream id with a slash: %v", err)
	}
}

func TestResolvePaths(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		kind, path, wantKey string
	}{
		{"artifact", "site/index.html", "artifacts/j3/2/site/index.html"},
		{"test_results", "go/report.xml", "tests/j3/2/go/report.xml"},
		{"artifact", "../../etc/passwd", ""},
		{"artifact", "a/../../b", ""},
		{"artifact", "/abs", ""},
		{"artifact", "a//b", ""},
		{"artifact", "a/./b", ""},
		{"test_results", ".", ""},
		{"test_results", "", ""},
		{"test_results", "a\\b", ""},
	}
	for _, tc := range tests {
		t.Run(tc.kind+" "+tc.path, func(t *testing.T) {
			res, err := taskblobs.Resolve(context.Background(), f.b, layout,
				taskapi.BlobRequest{Kind: tc.kind, Op: "put", Paths: []string{"ok.txt", tc.path}}, time.Hour)
			if tc.wantKey == "" {
				if !errors.Is(err, taskapi.ErrInvalid) {
					t.Errorf("path %q accepted: %v", tc.path, err)
				}
				return
			}
			if err != nil || len(res.URLs) != 2 || res.URLs[1].Path != tc.path || keyOf(t, res.URLs[1].URL) != tc.wantKey {
				t.Errorf("got %+v, %v; want a URL for %s", res, err, tc.wantKey)
			}
		})
	}
}

const report = `<testsuite name="s"><testcase classname="pkg" name="TestA" file="a_test.go" time="1.5"/>` +
	`<testcase classname="pkg" name="TestB" file="b_test.go" time="0.5"><failure message="boom"/></testcase></testsuite>`

func TestCollectResults(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if cs, err := taskblobs.CollectResults(ctx, f.b, "j1", 0); cs != nil || err != nil {
		t.Fatalf("nothing uploaded: %v, %v", cs, err)
	}
	if objs, _ := f.b.List(ctx, "results/"); len(objs) != 0 {
		t.Errorf("results stored for a task without test files: %v", objs)
	}
	f.put(t, "tests/j1/0/go/report.xml", report)
	f.put(t, "tests/j1/0/broken.xml", "<html>not junit</html>")
	f.put(t, "tests/j1/10/r.xml", `<testsuite><testcase name="Ten" time="2"/></testsuite>`)
	f.put(t, "tests/j1/2/r.xml", `<testsuite><testcase name="Two" time="1"/></testsuite>`)
	cs, err := taskblobs.CollectResults(ctx, f.b, "j1", 0)
	if err == nil || !strings.Contains(err.Error(), "broken.xml") || len(cs) != 2 {
		t.Fatalf("a broken file should be reported and the rest kept: %d cases, %v", len(cs), err)
	}
	for _, n := range []int{10, 2} {
		if _, err := taskblobs.CollectResults(ctx, f.b, "j1", n); err != nil {
			t.Fatal(err)
		}
	}
	all, err := taskblobs.Results(ctx, f.b, "j1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range all {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"TestA", "TestB", "Two", "Ten"}, names); diff != "" {
		t.Errorf("results in node order (-want +got):\n%s", diff)
	}
	if failed := taskblobs.Failed(all); len(failed) != 1 || failed[0].Name != "TestB" {
		t.Errorf("failed: %+v", failed)
	}
	for _, id := range []string{"", "nope"} {
		if cs, err := taskblobs.Results(ctx, f.b, id); cs != nil || err != nil {
			t.Errorf("results of %q: %v, %v", id, cs, err)
		}
	}
	if _, err := taskblobs.Results(ctx, f.b, "../x"); !errors.Is(err, taskapi.ErrInvalid) {
		t.Errorf("job id with a slash: %v", err)
	}
}
