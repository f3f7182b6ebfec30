package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidCron is wrapped by every error ParseCron returns.
var ErrInvalidCron = errors.New("invalid cron expression")

// Cron is a parsed five-field crontab schedule, evaluated in UTC. The zero
// Cron never fires.
type Cron struct {
	expr                          string
	minute, hour, dom, month, dow uint64 // bit i set: value i matches
	domStar, dowStar              bool   // the field began with '*' (unrestricted for the OR rule)
}

// field describes one crontab field.
type field struct {
	name     string
	min, max int
	names    []string // names for min, min+1, …
}

var fields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: monthNames},
	{name: "day-of-week", min: 0, max: 7, names: weekdayNames}, // 7 is Sunday too
}

var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseCron parses a standard five-field crontab expression:
// minute hour day-of-month month day-of-week.
func ParseCron(expr string) (Cron, error) {
	spec := strings.TrimSpace(expr)
	if strings.HasPrefix(spec, "@") {
		m, ok := macros[strings.ToLower(spec)]
		if !ok {
			return Cron{}, fmt.Errorf("%w %q: unknown shorthand (want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)",
				ErrInvalidCron, expr)
		}
		spec = m
	}
	parts := strings.Fields(spec)
	if len(parts) != len(fields) {
		return Cron{}, fmt.Errorf("%w %q: want 5 fields (minute hour day-of-month month day-of-week), got %d",
			ErrInvalidCron, expr, len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return Cron{}, fmt.Errorf("%w %q: %s %q: %w", ErrInvalidCron, expr, fields[i].name, p, err)
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 { // 7 is Sunday
		sets[4] = sets[4]&^(1<<7) | 1
	}
	return Cron{
		expr:    strings.TrimSpace(expr),
		minute:  sets[0],
		hour:    sets[1],
		dom:     sets[2],
		month:   sets[3],
		dow:     sets[4],
		domStar: strings.HasPrefix(parts[2], "*"),
		dowStar: strings.HasPrefix(parts[4], "*"),
	}, nil
}

// String returns the expression c was parsed from.
func (c Cron) String() string { return c.expr }

// parseField parses a comma-separated list of items, each "*", "v", "a-b",
// optionally followed by "/step" ("v/step" meaning v through the maximum).
func parseField(s string, f field) (uint64, error) {
	var set uint64
	for item := range strings.SplitSeq(s, ",") {
		if item == "" {
			return 0, errors.New("empty list item")
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if !isDigits(stepStr) || err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepStr)
			}
			step = n
		}
		lo, hi := f.min, f.max
		if f.name == "day-of-week" && rng == "*" {
			hi = 6 // '*' covers each day once
		}
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return 0, err
			}
			switch {
			case isRange:
				if hi, err = value(b, f); err != nil {
					return 0, err
				}
				if lo > hi {
					return 0, fmt.Errorf("range %s-%s runs backwards", a, b)
				}
			case !hasStep:
				hi = lo
			}
		}
		if span := f.max - f.min + 1; step > span {
			return 0, fmt.Errorf("step %d is larger than the field's %d values", step, span)
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value parses a number or, for months and days of the week, a three-letter name.
func value(s string, f field) (int, error) {
	if s == "" {
		return 0, errors.New("missing value")
	}
	if isDigits(s) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("%q is out of range %d-%d", s, f.min, f.max)
		}
		if n < f.min || n > f.max {
			return 0, fmt.Errorf("%d is out of range %d-%d", n, f.min, f.max)
		}
		return n, nil
	}
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	if f.names != nil {
		return 0, fmt.Errorf("%q is neither a number (%d-%d) nor one of %s", s, f.min, f.max, strings.Join(f.names, ","))
	}
	return 0, fmt.Errorf("%q is not a number (%d-%d)", s, f.min, f.max)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
