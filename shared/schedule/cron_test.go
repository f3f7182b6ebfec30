package schedule

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type nextCase struct {
	line  int
	expr  string
	after time.Time
	want  []time.Time
}

func loadNextCases(t *testing.T) []nextCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "cron_next.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []nextCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			t.Fatalf("cron_next.txt:%d: want 3 |-separated columns", n)
		}
		c := nextCase{line: n, expr: strings.TrimSpace(parts[0])}
		if c.after, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(parts[1])); err != nil {
			t.Fatalf("cron_next.txt:%d: %v", n, err)
		}
		for _, s := range strings.Fields(parts[2]) {
			w, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatalf("cron_next.txt:%d: %v", n, err)
			}
			c.want = append(c.want, w)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestCronNext(t *testing.T) {
	for _, tc := range loadNextCases(t) {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Errorf("line %d: ParseCron(%q): %v", tc.line, tc.expr, err)
			continue
		}
		var got []time.Time
		at := tc.after
		for range max(len(tc.want), 1) {
			next := c.Next(at)
			if next.IsZero() {
				break
			}
			if next.Location() != time.UTC {
				t.Errorf("line %d: Next returned %v, not in UTC", tc.line, next)
			}
			got = append(got, next)
			at = next
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("line %d: %q after %v (-want +got):\n%s", tc.line, tc.expr, tc.after, diff)
		}
	}
}

func TestCronSlots(t *testing.T) {
	c, err := ParseCron("*/15 * * * 1-5")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m int) time.Time { return time.Date(2024, 6, d, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		from, to time.Time
		want     []time.Time
	}{
		{"half-open", day(3, 10, 0), day(3, 10, 45), []time.Time{day(3, 10, 15), day(3, 10, 30), day(3, 10, 45)}},
		{"weekend is empty", day(1, 0, 0), day(2, 23, 59), nil},
		{"across the weekend", day(2, 23, 50), day(3, 0, 15), []time.Time{day(3, 0, 0), day(3, 0, 15)}},
		{"empty interval", day(3, 10, 0), day(3, 10, 0), nil},
		{"reversed interval", day(3, 11, 0), day(3, 10, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, c.Slots(tt.from, tt.to)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(c.Slots(day(3, 0, 0), day(10, 0, 0))); n != 5*24*4 {
		t.Errorf("a working week has %d slots, want %d", n, 5*24*4)
	}
}

func TestParseCronInvalid(t *testing.T) {
	tests := []struct{ expr, msg string }{
		{"", "want 5 fields"},
		{"* * * *", "day-of-week), got 4"},
		{"* * * * * *", "day-of-week), got 6"},
		{"60 * * * *", `minute "60": 60 is out of range 0-59`},
		{"* 24 * * *", `hour "24": 24 is out of range 0-23`},
		{"* * 0 * *", `day-of-month "0": 0 is out of range 1-31`},
		{"* * 32 * *", "out of range 1-31"},
		{"* * * 13 *", `month "13": 13 is out of range 1-12`},
		{"* * * * 8", `day-of-week "8": 8 is out of range 0-7`},
		{"* * * FOO *", `"FOO" is neither a number (1-12) nor one of JAN,`},
		{"* * * * MONDAY", `"MONDAY" is neither a number (0-7) nor one of SUN,`},
		{"* * * * JAN", `"JAN" is neither`},
		{"MON * * * *", `"MON" is not a number (0-59)`},
		{"5-1 * * * *", "range 5-1 runs backwards"},
		{"*/0 * * * *", `step "0" is not a positive number`},
		{"*/x * * * *", `step "x" is not a positive number`},
		{"*/61 * * * *", "step 61 is larger than the field's 60 values"},
		{"*/5/2 * * * *", "is not a positive number"},
		{"1,,2 * * * *", "empty list item"},
		{"1- * * * *", "missing value"},
		{"-1 * * * *", "missing value"},
		{"+5 * * * *", `"+5" is not a number`},
		{"99999999999999999999 * * * *", "out of range"},
		{"@reboot", "unknown shorthand"},
		{"@every 5m", "unknown shorthand"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseCron(tt.expr)
			if !errors.Is(err, ErrInvalidCron) {
				t.Fatalf("ParseCron(%q) = %v, want an error wrapping ErrInvalidCron", tt.expr, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParseCron(%q) error %q does not mention %q", tt.expr, err, tt.msg)
			}
		})
	}
}

func TestCronString(t *testing.T) {
	c, err := ParseCron("  0 8 1 JAN,JUL *  ")
	if err != nil {
		t.Fatal(err)
	}
	if c.String() != "0 8 1 JAN,JUL *" {
		t.Errorf("String() = %q", c.String())
	}
	if !(Cron{}).Next(time.Now()).IsZero() {
		t.Error("the zero Cron fired")
	}
}
