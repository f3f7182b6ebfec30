package junit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"1.5", 1.5},
		{" 2 ", 2},
		{"", 0},
		{"1,234.5", 1234.5},
		{"1,234,567", 1234567},
		{"1,234", 1234},
		{"0,123", 0.123},
		{"1,5", 1.5},
		{"12.5s", 12.5},
		{"1e2", 100},
		{"-3", 0},
		{"NaN", 0},
		{"inf", 0},
		{"abc", 0},
		{",", 0},
	}
	for _, tt := range tests {
		if got := parseTime(tt.in); got != tt.want {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"file", KindFile, true},
		{"filename", KindFile, true},
		{"classname", KindClassname, true},
		{"name", KindName, true},
		{"TestName", KindName, true},
		{"autodetect", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Kind(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Kind(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTimings(t *testing.T) {
	cases := []Case{
		{Classname: "pkg.A", Name: "t1", File: "./a_test.py", Time: 1},
		{Classname: "pkg.A", Name: "t2", File: "a_test.py", Time: 2.5},
		{Classname: "pkg.B", Name: "t1", File: "b/b_test.py", Time: 4},
		{Classname: "", Name: "", File: "", Time: 100},
	}
	tests := []struct {
		by   string
		want map[string]float64
	}{
		{"file", map[string]float64{"a_test.py": 3.5, "b/b_test.py": 4}},
		{"filename", map[string]float64{"a_test.py": 3.5, "b/b_test.py": 4}},
		{"classname", map[string]float64{"pkg.A": 3.5, "pkg.B": 4}},
		{"name", map[string]float64{"t1": 5, "t2": 2.5}},
		{"testname", map[string]float64{"t1": 5, "t2": 2.5}},
		{"bogus", map[string]float64{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Timings(cases, tt.by)); diff != "" {
			t.Errorf("Timings(%q) mismatch (-want +got):\n%s", tt.by, diff)
		}
	}
}

func TestTimingsOnSample(t *testing.T) {
	got := Timings(parseFile(t, "pytest-xunit1.xml"), "file")
	want := map[string]float64{"tests/test_math.py": 0.151, "tests/unit/test_strings.py": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Timings mismatch (-want +got):\n%s", diff)
	}
}
