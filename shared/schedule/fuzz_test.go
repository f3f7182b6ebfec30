package schedule

import (
	"testing"
	"time"
)

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{
		"0 0 * * *", "*/15 * * * 1-5", "0 8 1 JAN,JUL *", "5,10-12,50/5 9 * * *", "0 0 13 * 5",
		"@daily", "@reboot", "60 * * * *", "*/0 * * * *", "1-/2 * * * *", "* * * * 7", "",
	} {
		f.Add(s)
	}
	after := time.Date(2024, 5, 27, 15, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := ParseCron(expr)
		if err != nil {
			return
		}
		next := c.Next(after)
		if !next.IsZero() && !next.After(after) {
			t.Fatalf("%q: Next(%v) = %v, not after it", expr, after, next)
		}
		again, err := ParseCron(c.String())
		if err != nil || again != c {
			t.Fatalf("%q: reparsing String() %q gave %+v, %v", expr, c.String(), again, err)
		}
	})
}
