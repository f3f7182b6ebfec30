package orbstore

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/config/orb"
)

func orbYAML(v string) []byte {
	return []byte("version: 2.1\ndescription: v" + v + "\ncommands:\n  hello:\n    steps:\n      - run: echo " + v + "\n")
}

func seeded(t *testing.T) *Store {
	t.Helper()
	s := New(memblob.New())
	for _, ref := range []string{"acme/tools@1.2.3", "acme/tools@1.10.0", "acme/tools@1.2.10", "acme/tools@2.0.0",
		"acme/tools@dev:alpha", "acme/other@0.1.0", "Circleci/Node@5.0.0"} {
		_, v, _ := cutAt(ref)
		if err := s.Import(context.Background(), ref, orbYAML(v)); err != nil {
			t.Fatalf("import %s: %v", ref, err)
		}
	}
	return s
}

func cutAt(s string) (string, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestFetch(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	tests := []struct {
		ref, want string // want "" means not found
	}{
		{"acme/tools@1.2.3", "1.2.3"},
		{"acme/tools@1.2", "1.2.10"},
		{"acme/tools@1", "1.10.0"},
		{"acme/tools@2", "2.0.0"},
		{"acme/tools@volatile", "2.0.0"},
		{"acme/tools@dev:alpha", "dev:alpha"},
		{"ACME/Tools@1.2.3", "1.2.3"},
		{"circleci/node@5", "5.0.0"},
		{"acme/tools@3", ""},
		{"acme/tools@1.3", ""},
		{"acme/tools@dev:beta", ""},
		{"acme/missing@1.0.0", ""},
		{"other/tools@1.2.3", ""},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			ref, err := orb.ParseRef(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Fetch(context.Background(), ref)
			if tc.want == "" {
				if !errors.Is(err, orb.ErrNotFound) {
					t.Fatalf("Fetch(%s) = %v, %v; want ErrNotFound", tc.ref, got.Ref, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s): %v", tc.ref, err)
			}
			if got.Ref.Version != tc.want || string(got.Source) != string(orbYAML(tc.want)) {
				t.Errorf("Fetch(%s) = %s (%q), want version %s", tc.ref, got.Ref, got.Source, tc.want)
			}
		})
	}
}

func TestImportRejects(t *testing.T) {
	t.Parallel()
	s := New(memblob.New())
	tests := []struct{ name, ref, src string }{
		{"volatile", "acme/tools@volatile", "version: 2.1\n"},
		{"partial", "acme/tools@1.2", "version: 2.1\n"},
		{"major only", "acme/tools@1", "version: 2.1\n"},
		{"leading zero", "acme/tools@01.2.3", "version: 2.1\n"},
		{"no version", "acme/tools", "version: 2.1\n"},
		{"bad name", "acme/to ols@1.0.0", "version: 2.1\n"},
		{"no namespace", "tools@1.0.0", "version: 2.1\n"},
		{"not yaml", "acme/tools@1.0.0", "a: [1,\n"},
		{"not a mapping", "acme/tools@1.0.0", "- a\n- b\n"},
		{"empty", "acme/tools@1.0.0", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Import(context.Background(), tc.ref, []byte(tc.src)); !errors.Is(err, ErrInvalid) {
				t.Errorf("Import(%q) = %v, want ErrInvalid", tc.ref, err)
			}
		})
	}
	if refs, err := s.List(context.Background()); err != nil || len(refs) != 0 {
		t.Errorf("List after rejected imports = %v, %v; want nothing", refs, err)
	}
}

func TestImportReplaces(t *testing.T) {
	t.Parallel()
	s := New(memblob.New())
	ctx := context.Background()
	for _, src := range []string{"version: 2.1\ndescription: one\n", "version: 2.1\ndescription: two\n"} {
		if err := s.Import(ctx, "acme/tools@1.0.0", []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	o, err := s.Fetch(ctx, orb.Ref{Namespace: "acme", Name: "tools", Version: "1.0.0"})
	if err != nil || string(o.Source) != "version: 2.1\ndescription: two\n" {
		t.Errorf("Fetch = %q, %v; want the second import", o.Source, err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	got, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []orb.Ref{
		{Namespace: "acme", Name: "other", Version: "0.1.0"},
		{Namespace: "acme", Name: "tools", Version: "1.2.3"},
		{Namespace: "acme", Name: "tools", Version: "1.2.10"},
		{Namespace: "acme", Name: "tools", Version: "1.10.0"},
		{Namespace: "acme", Name: "tools", Version: "2.0.0"},
		{Namespace: "acme", Name: "tools", Version: "dev:alpha"},
		{Namespace: "circleci", Name: "node", Version: "5.0.0"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
}

// TestCompileWithStore checks the compiler resolves orbs through the Store.
func TestCompileWithStore(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	src := "version: 2.1\norbs:\n  tools: acme/tools@1.2\njobs:\n  build:\n    docker: [{image: cimg/base:current}]\n" +
		"    steps: [tools/hello]\nworkflows:\n  main:\n    jobs: [build]\n"
	res, err := config.Compile(context.Background(), []byte(src), config.Options{Registry: s})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orbs) != 1 || res.Orbs[0].Version != "1.2.10" {
		t.Errorf("resolved orbs = %v, want acme/tools@1.2.10", res.Orbs)
	}
}
