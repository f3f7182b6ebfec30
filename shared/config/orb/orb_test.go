package orb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in   string
		want Ref
		err  string
	}{
		{in: "circleci/node@7.1.0", want: Ref{"circleci", "node", "7.1.0"}},
		{in: "circleci/node@7.1", want: Ref{"circleci", "node", "7.1"}},
		{in: "circleci/node@7", want: Ref{"circleci", "node", "7"}},
		{in: "circleci/node@volatile", want: Ref{"circleci", "node", "volatile"}},
		{in: "acme/my_orb-2@dev:alpha.1", want: Ref{"acme", "my_orb-2", "dev:alpha.1"}},
		{in: "  CircleCI/Node@1.0.0 ", want: Ref{"CircleCI", "Node", "1.0.0"}},
		{in: "circleci/node", err: "needs a version"},
		{in: "node@1.0.0", err: "must be namespace/name@version"},
		{in: "a/b/c@1.0.0", err: "must be namespace/name@version"},
		{in: "circleci/no de@1.0.0", err: "invalid namespace or name"},
		{in: "circleci/node@latest", err: `invalid version "latest"`},
		{in: "circleci/node@1.x", err: `invalid version "1.x"`},
		{in: "circleci/node@1.2.3.4", err: `invalid version "1.2.3.4"`},
		{in: "circleci/node@v1.0.0", err: `invalid version "v1.0.0"`},
		{in: "circleci/node@", err: `invalid version ""`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRef(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseRef(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParseRef(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if s := got.String(); s != strings.TrimSpace(tc.in) {
				t.Errorf("String() = %q", s)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	avail := []string{"1.0.0", "1.2.0", "1.9.0", "1.10.0", "1.10.2", "2.0.0", "2.1.0-beta", "3.0", "v4.0.0", "05.0.0", "dev:abc", "junk"}
	cases := []struct {
		req, want string
		ok        bool
	}{
		{"1.2.0", "1.2.0", true},
		{"1.10.2", "1.10.2", true},
		{"1", "1.10.2", true}, // numeric order, not lexical
		{"1.9", "1.9.0", true},
		{"1.10", "1.10.2", true},
		{"2", "2.0.0", true},        // a pre-release is not a release
		{"volatile", "2.0.0", true}, // the highest release
		{"dev:abc", "dev:abc", true},
		{"1.2.1", "", false},
		{"3", "", false}, // "3.0" is not a full version
		{"4", "", false},
		{"5", "", false},
		{"dev:nope", "", false},
		{"", "", false},
		{"x", "", false},
		{"1.2.3.4", "", false}, // more parts than a version has
		{"-1", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.req, func(t *testing.T) {
			t.Parallel()
			got, ok := Match(tc.req, avail)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Match(%q) = %q, %v; want %q, %v", tc.req, got, ok, tc.want, tc.ok)
			}
		})
	}
	if got, ok := Match("volatile", nil); ok || got != "" {
		t.Errorf("Match(volatile, nil) = %q, %v", got, ok)
	}
}

func registry() *Dir {
	return NewDir(fstest.MapFS{
		"acme/tools/1.0.0/orb.yml":  {Data: []byte("version: 2.1 # 1.0.0\n")},
		"acme/tools/1.2.3/orb.yml":  {Data: []byte("version: 2.1 # 1.2.3\n")},
		"acme/tools/2.0.0/orb.yml":  {Data: []byte("version: 2.1 # 2.0.0\n")},
		"acme/tools/README.md":      {Data: []byte("not a version")},
		"acme/empty/1.0.0/notes":    {Data: []byte("no orb.yml here")},
		"acme/huge/1.0.0/orb.yml":   {Data: make([]byte, maxOrbBytes+1)},
		"acme/exact/4.0.0/orb.yml":  {Data: []byte(strings.Repeat("x", 64<<10+7))},
		"other/tools/9.9.9/orb.yml": {Data: []byte("version: 2.1 # other\n")},
	})
}

func TestDirFetch(t *testing.T) {
	cases := []struct {
		ref      string
		version  string // resolved
		comment  string // what the source says
		err      string
		notFound bool
	}{
		{ref: "acme/tools@1.2.3", version: "1.2.3", comment: "# 1.2.3"},
		{ref: "acme/tools@1", version: "1.2.3", comment: "# 1.2.3"},
		{ref: "acme/tools@1.0", version: "1.0.0", comment: "# 1.0.0"},
		{ref: "acme/tools@volatile", version: "2.0.0", comment: "# 2.0.0"},
		{ref: "other/tools@9", version: "9.9.9", comment: "# other"},
		{ref: "acme/tools@3", notFound: true, err: `the registry has no version of acme/tools matching "3" (it has 1.0.0, 1.2.3, 2.0.0)`},
		{ref: "acme/tools@1.2.4", notFound: true, err: `matching "1.2.4"`},
		{ref: "acme/nope@1.0.0", notFound: true, err: "the registry has no orb acme/nope"},
		{ref: "nope/tools@1.0.0", notFound: true, err: "the registry has no orb nope/tools"},
		{ref: "acme/empty@1", err: "orb.yml"},
		{ref: "acme/huge@1", err: "orb.yml is over 4194304 bytes"},
	}
	reg := registry()
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			t.Parallel()
			ref, err := ParseRef(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			o, err := reg.Fetch(context.Background(), ref)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Fetch(%s) error = %v, want one containing %q", tc.ref, err, tc.err)
				}
				if errors.Is(err, ErrNotFound) != tc.notFound {
					t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", !tc.notFound, tc.notFound)
				}
				if !strings.Contains(err.Error(), tc.ref) {
					t.Errorf("error %q does not name the requested ref", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s): %v", tc.ref, err)
			}
			want := Ref{Namespace: ref.Namespace, Name: ref.Name, Version: tc.version}
			if diff := cmp.Diff(want, o.Ref); diff != "" {
				t.Errorf("resolved ref (-want +got):\n%s", diff)
			}
			if !strings.Contains(string(o.Source), tc.comment) {
				t.Errorf("source %q is not version %s's", o.Source, tc.version)
			}
		})
	}
}

func TestDirFetchReadsWholeFile(t *testing.T) {
	o, err := registry().Fetch(context.Background(), Ref{"acme", "exact", "4.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Source) != 64<<10+7 {
		t.Errorf("read %d bytes, want %d", len(o.Source), 64<<10+7)
	}
}

func TestDirFetchRejectsPaths(t *testing.T) {
	for _, ref := range []Ref{{"..", "tools", "1.0.0"}, {"acme", "..", "1.0.0"}, {"acme/x", "tools", "1"}, {"", "tools", "1"}, {"acme", `a\b`, "1"}} {
		if _, err := registry().Fetch(context.Background(), ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Fetch(%+v) = %v, want ErrNotFound", ref, err)
		}
	}
}

func TestDirFetchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := registry().Fetch(ctx, Ref{"acme", "tools", "1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch with a cancelled context = %v", err)
	}
}
