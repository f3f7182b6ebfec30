package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Value is nil, bool, int64, float64 or string.
type Value = any

// Lookup resolves a dotted identifier ("pipeline.git.branch",
// "pipeline.parameters.x", "parameters.foo", "matrix.version"). ok=false
// means the name is unknown.
type Lookup func(name string) (v Value, ok bool)

const (
	// MaxLen is the longest expression source or regular expression
	// pattern accepted, in bytes.
	MaxLen = 64 << 10
	// MaxDepth is the deepest nesting of parentheses, not operators or
	// logic statements accepted.
	MaxDepth = 100
)

// normalize widens Go integer and float kinds to int64 and float64. ok is
// false for types that are not values.
func normalize(v any) (Value, bool) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return x, true
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint:
		return widenUint(uint64(x)), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return widenUint(x), true
	case uintptr:
		return widenUint(uint64(x)), true
	case float32:
		return float64(x), true
	}
	return v, false
}

func widenUint(u uint64) Value {
	if u > math.MaxInt64 {
		return float64(u)
	}
	return int64(u)
}

// Truthy reports whether v counts as true: false, nil, 0, 0.0, NaN and ""
// are falsy, everything else is truthy.
func Truthy(v Value) bool {
	v, _ = normalize(v)
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}

// Format renders v as text for interpolation into a string. Strings are
// returned as is, booleans as true/false, integers in decimal and nil as "".
// Floats keep a float look so that re-parsing keeps the type: 2.0 is "2.0",
// 1.5 is "1.5", 1e21 is "1e+21", NaN is ".nan" and infinities ".inf" and
// "-.inf".
func Format(v Value) string {
	v, _ = normalize(v)
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Equal reports whether a and b are equal. Operands of different types are
// unequal, except that int64 and float64 compare numerically.
func Equal(a, b Value) bool {
	a, _ = normalize(a)
	b, _ = normalize(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64, float64:
		c, ok := compareNum(x, b)
		return ok && c == 0
	}
	return false
}

// compareNum orders two numbers exactly: -1, 0 or 1. ok is false when
// either is not a number or they are unordered (NaN).
func compareNum(a, b Value) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpInt(x, y), true
		case float64:
			c, ok := cmpIntFloat(x, y)
			return c, ok
		}
	case float64:
		switch y := b.(type) {
		case int64:
			c, ok := cmpIntFloat(y, x)
			return -c, ok
		case float64:
			if math.IsNaN(x) || math.IsNaN(y) {
				return 0, false
			}
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpIntFloat compares i with f without losing precision.
func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 1<<63:
		return -1, true
	case f < -(1 << 63):
		return 1, true
	}
	t := math.Trunc(f)
	if c := cmpInt(i, int64(t)); c != 0 {
		return c, true
	}
	switch {
	case f > t:
		return -1, true
	case f < t:
		return 1, true
	}
	return 0, true
}

// typeName names v's type for messages.
func typeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	}
	return fmt.Sprintf("%T", v)
}

// describe renders v with its type for messages, e.g. `string "main"`.
func describe(v Value) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return "string " + strconv.Quote(x)
	}
	return typeName(v) + " " + Format(v)
}
