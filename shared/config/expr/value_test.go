package expr

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
)

func TestTruthy(t *testing.T) {
	tests := []struct {
		v    Value
		want bool
	}{
		{nil, false},
		{false, false},
		{true, true},
		{int64(0), false},
		{int64(-1), true},
		{0.0, false},
		{math.Copysign(0, -1), false},
		{math.NaN(), false},
		{0.5, true},
		{math.Inf(-1), true},
		{"", false},
		{"false", true},
		{"0", true},
		{0, false},          // Go int, widened
		{uint8(3), true},    // Go uint8, widened
		{float32(0), false}, // Go float32, widened
		{[]string{}, true},  // not a Value: truthy, like any non-nil thing
	}
	for _, tt := range tests {
		if got := Truthy(tt.v); got != tt.want {
			t.Errorf("Truthy(%#v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{nil, ""},
		{true, "true"},
		{false, "false"},
		{int64(-42), "-42"},
		{7, "7"},
		{"as is", "as is"},
		{1.5, "1.5"},
		{2.0, "2.0"},
		{-3.0, "-3.0"},
		{0.0, "0.0"},
		{0.1, "0.1"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{1.5e-7, "1.5e-07"},
		{0.000001, "0.000001"},
		{math.NaN(), ".nan"},
		{math.Inf(1), ".inf"},
		{math.Inf(-1), "-.inf"},
		{float32(0.5), "0.5"},
	}
	for _, tt := range tests {
		if got := Format(tt.v); got != tt.want {
			t.Errorf("Format(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestFormatRoundTrip checks that formatted floats read back, through
// YAML, as the same float.
func TestFormatRoundTrip(t *testing.T) {
	for _, f := range []float64{2, 1.5, -0.25, 1e21, 1.5e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(Format(f)), &n); err != nil {
			t.Fatal(err)
		}
		if got := ScalarValue(&n); got != f {
			t.Errorf("ScalarValue(Format(%v)) = %#v", f, got)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b Value
		want bool
	}{
		{nil, nil, true},
		{nil, "", false},
		{nil, false, false},
		{int64(1), "1", false},
		{"1", int64(1), false},
		{true, int64(1), false},
		{true, true, true},
		{"a", "a", true},
		{"a", "b", false},
		{int64(1), 1.0, true},
		{1.0, int64(1), true},
		{int64(1), 1.5, false},
		{int64(1<<53 + 1), float64(1 << 53), false},
		{int64(math.MaxInt64), float64(1 << 63), false},
		{math.NaN(), math.NaN(), false},
		{int64(3), 3, true},
		{uint64(math.MaxUint64), float64(math.MaxUint64), true},
		{[]int{1}, []int{1}, false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCompareNum(t *testing.T) {
	tests := []struct {
		a, b Value
		want int
		ok   bool
	}{
		{int64(1), int64(2), -1, true},
		{int64(2), 1.5, 1, true},
		{int64(1), 1.5, -1, true},
		{-1.5, int64(-1), -1, true},
		{int64(-2), -1.5, -1, true},
		{int64(math.MaxInt64), 1e300, -1, true},
		{int64(math.MinInt64), -1e300, 1, true},
		{1.0, math.NaN(), 0, false},
		{int64(1), "1", 0, false},
	}
	for _, tt := range tests {
		got, ok := compareNum(tt.a, tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("compareNum(%#v, %#v) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		s      string
		want   bool
		wantOK bool
	}{
		{"true", true, true}, {"TRUE", true, true}, {"yes", true, true},
		{"yEs", true, true}, {"On", true, true}, {"y", true, true}, {"Y", true, true},
		{"false", false, true}, {"No", false, true}, {"OFF", false, true}, {"n", false, true},
		{"", false, false}, {"1", false, false}, {"yess", false, false}, {"nope", false, false},
	}
	for _, tt := range tests {
		got, ok := ParseBool(tt.s)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", tt.s, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestScalarValue(t *testing.T) {
	tests := []struct {
		yaml string
		want Value
	}{
		{"~", nil},
		{"null", nil},
		{"", nil},
		{"true", true},
		{"False", false},
		{"yes", true},
		{"On", true},
		{"NO", false},
		{"off", false},
		{"y", "y"},
		{"n", "n"},
		{"yEs", "yEs"},
		{`"yes"`, "yes"},
		{"'off'", "off"},
		{"!!str yes", "yes"},
		{"!!bool y", true},
		{"!!bool N", false},
		{"!!bool maybe", "maybe"},
		{"12", int64(12)},
		{"-5", int64(-5)},
		{"+5", int64(5)},
		{"0x1F", int64(31)},
		{"0o17", int64(15)},
		{"0b101", int64(5)},
		{"1_000", int64(1000)},
		{"9223372036854775808", float64(1 << 63)},
		{`!!int "42"`, int64(42)},
		{"!!int 1.5", 1.5},
		{"1.5", 1.5},
		{"1e3", 1000.0},
		{"!!float 1", 1.0},
		{".inf", math.Inf(1)},
		{"-.Inf", math.Inf(-1)},
		{".nan", math.NaN()},
		{"'12'", "12"},
		{"abc", "abc"},
		{"2001-12-14", "2001-12-14"},
		{"!custom x", "x"},
		{"|\n  text\n", "text\n"},
		{"[1]", nil},
		{"{a: 1}", nil},
	}
	for _, tt := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		got := ScalarValue(&doc)
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("ScalarValue(%q) mismatch (-want +got):\n%s", tt.yaml, diff)
		}
	}
}

func TestScalarValueBuiltNodes(t *testing.T) {
	alias := &yaml.Node{Kind: yaml.AliasNode, Alias: &yaml.Node{Kind: yaml.ScalarNode, Value: "7"}}
	loop := &yaml.Node{Kind: yaml.AliasNode}
	loop.Alias = loop
	tests := []struct {
		name string
		n    *yaml.Node
		want Value
	}{
		{"nil", nil, nil},
		{"untagged int", &yaml.Node{Kind: yaml.ScalarNode, Value: "42"}, int64(42)},
		{"untagged bool", &yaml.Node{Kind: yaml.ScalarNode, Value: "false"}, false},
		{"tagged str", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "42"}, "42"},
		{"alias", alias, int64(7)},
		{"alias loop", loop, nil},
		{"zero node", &yaml.Node{}, nil},
		{"empty document", &yaml.Node{Kind: yaml.DocumentNode}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ScalarValue(tt.n)); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}
