package diag

import (
	"errors"
	"fmt"
	"testing"
)

func TestPosString(t *testing.T) {
	tests := []struct {
		pos  Pos
		want string
	}{
		{Pos{}, ""},
		{Pos{File: "a.yml"}, "a.yml"},
		{Pos{File: "a.yml", Line: 3}, "a.yml:3"},
		{Pos{File: "a.yml", Line: 3, Col: 7}, "a.yml:3:7"},
		{Pos{Line: 3, Col: 7}, "3:7"},
	}
	for _, tt := range tests {
		if got := tt.pos.String(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestListErrSortsAndDedups(t *testing.T) {
	var l List
	if l.Err() != nil {
		t.Fatal("empty list must give a nil error")
	}
	l.Add(Pos{File: "b.yml", Line: 1}, "late file")
	l.Add(Pos{File: "a.yml", Line: 9, Col: 2}, "second")
	l.Add(Pos{File: "a.yml", Line: 2, Col: 5}, "first")
	l.Add(Pos{File: "a.yml", Line: 2, Col: 5}, "first")
	l.Append(Pos{File: "c.yml"}, errors.New("plain"))
	l.Append(Pos{}, Errorf(Pos{File: "a.yml", Line: 9, Col: 1}, "wrapped %d", 1))
	l.Append(Pos{}, fmt.Errorf("ctx: %w", List{Errorf(Pos{File: "a.yml", Line: 1}, "inner")}))
	l.Append(Pos{}, nil)
	err := l.Err()
	want := "a.yml:1: inner\na.yml:2:5: first\na.yml:9:1: wrapped 1\na.yml:9:2: second\nb.yml:1: late file\nc.yml: plain"
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
	var list List
	if !errors.As(err, &list) || len(list) != 6 {
		t.Errorf("want a List of 6, got %T %d", err, len(list))
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"docker", "machine", "macos", "executor", "steps", "working_directory"}
	tests := []struct{ in, want string }{
		{"dokcer", "docker"},
		{"Docker", "docker"},
		{"step", "steps"},
		{"working_dir", "working_directory"},
		{"xyz", ""},
		{"", ""},
		{"completely-different", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in, cands); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := DidYouMean("dokcer", cands); got != ` (did you mean "docker"?)` {
		t.Errorf("DidYouMean: %q", got)
	}
	if got := DidYouMean("docker", cands); got != "" {
		t.Errorf("an exact name needs no suggestion, got %q", got)
	}
}
