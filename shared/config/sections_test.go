package config

import (
	"context"
	"strings"
	"testing"
)

func TestMustacheSections(t *testing.T) {
	const tmpl = `version: 2.1
jobs:
  build:
    parameters:
      cache: {type: boolean, default: %s}
      label: {type: string, default: "%s"}
    docker: [{image: cimg/base:stable}]
    steps:
      - run:
          name: "install<<^parameters.cache>> (no cache)<</parameters.cache>>"
          command: "npm ci<<# parameters.label >> --tag << parameters.label >><</ parameters.label >>"
workflows:
  w:
    jobs: [build]
`
	tests := []struct {
		cache, label      string
		wantName, wantCmd string
	}{
		{"true", "", "install", "npm ci"},
		{"false", "", "install (no cache)", "npm ci"},
		{"yes", "beta", "install", "npm ci --tag beta"},
	}
	for _, tt := range tests {
		src := strings.Replace(strings.Replace(tmpl, "%s", tt.cache, 1), "%s", tt.label, 1)
		res, err := Compile(context.Background(), []byte(src), Options{})
		if err != nil {
			t.Fatalf("cache=%s label=%q: %v", tt.cache, tt.label, err)
		}
		st := res.Plan.Workflows[0].Jobs[0].Steps[0]
		if st.Name != tt.wantName || st.Command != tt.wantCmd {
			t.Errorf("cache=%s label=%q: got name %q command %q, want %q %q", tt.cache, tt.label, st.Name, st.Command, tt.wantName, tt.wantCmd)
		}
	}
}

func TestMustacheSectionErrors(t *testing.T) {
	src := `version: 2.1
jobs:
  build:
    parameters:
      cache: {type: boolean, default: true}
    docker: [{image: cimg/base:stable}]
    steps:
      - run: "a<<#parameters.cache>>b"
      - run: "a<<#parameters.nope>>b<</parameters.nope>>"
workflows:
  w:
    jobs: [build]
`
	_, err := Compile(context.Background(), []byte(src), Options{File: "c.yml"})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"c.yml:8:14: section <<#parameters.cache>> has no closing <</parameters.cache>>", `c.yml:9:14: unknown variable parameters.nope`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
