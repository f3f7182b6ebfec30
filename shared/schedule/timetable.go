package schedule

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
)

// ErrInvalidTimetable is wrapped by every error ValidateTimetable returns.
var ErrInvalidTimetable = errors.New("invalid timetable")

var (
	weekdayNames = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"} // index = time.Weekday
	monthNames   = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
)

// ValidateTimetable reports every problem with t, joined, each wrapping
// ErrInvalidTimetable; nil means Slots will honour t exactly.
func ValidateTimetable(t domain.Timetable) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidTimetable}, args...)...))
	}
	if t.PerHour < 1 || t.PerHour > 60 {
		bad("per-hour must be between 1 and 60, got %d", t.PerHour)
	}
	if len(t.HoursOfDay) == 0 {
		bad("hours-of-day must list at least one hour (0 to 23)")
	}
	for _, h := range t.HoursOfDay {
		if h < 0 || h > 23 {
			bad("hours-of-day: %d is not an hour (0 to 23)", h)
		}
	}
	for _, d := range t.DaysOfWeek {
		if indexOf(weekdayNames, d) < 0 {
			bad("days-of-week: %q is not one of MON, TUE, WED, THU, FRI, SAT, SUN", d)
		}
	}
	for _, d := range t.DaysOfMonth {
		if d < 1 || d > 31 {
			bad("days-of-month: %d is not a day of the month (1 to 31)", d)
		}
	}
	for _, m := range t.Months {
		if indexOf(monthNames, m) < 0 {
			bad("months: %q is not one of %s", m, strings.Join(monthNames, ", "))
		}
	}
	if len(t.DaysOfWeek) > 0 && len(t.DaysOfMonth) > 0 {
		bad("days-of-week and days-of-month cannot both be set")
	}
	return errors.Join(errs...)
}

// Slots lists every time t fires in (from, to], in UTC and in order.
// Validate t first: values out of range never match, and a per-hour above 60
// counts as 60 and below 1 as never.
func Slots(t domain.Timetable, from, to time.Time) []time.Time {
	from, to = from.UTC(), to.UTC()
	if !to.After(from) || t.PerHour < 1 {
		return nil
	}
	minutes := perHourMinutes(min(t.PerHour, 60))
	hours := sortedUnique(t.HoursOfDay)

	var weekdays, monthdays [32]bool // indexes: time.Weekday, day of month
	for _, d := range t.DaysOfWeek {
		if i := indexOf(weekdayNames, d); i >= 0 {
			weekdays[i] = true
		}
	}
	for _, d := range t.DaysOfMonth {
		if d >= 1 && d <= 31 {
			monthdays[d] = true
		}
	}
	var months [13]bool
	for _, m := range t.Months {
		if i := indexOf(monthNames, m); i >= 0 {
			months[i+1] = true
		}
	}

	var out []time.Time
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for ; !day.After(to); day = day.AddDate(0, 0, 1) {
		if len(t.Months) > 0 && !months[day.Month()] {
			continue
		}
		if len(t.DaysOfWeek) > 0 && !weekdays[day.Weekday()] {
			continue
		}
		if len(t.DaysOfMonth) > 0 && !monthdays[day.Day()] {
			continue
		}
		for _, h := range hours {
			if h < 0 || h > 23 {
				continue
			}
			for _, m := range minutes {
				at := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if at.After(from) && !at.After(to) {
					out = append(out, at)
				}
			}
		}
	}
	return out
}

// perHourMinutes returns the minutes n evenly spaced runs fire at: floor(i*60/n).
func perHourMinutes(n int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i * 60 / n
	}
	return m
}

func sortedUnique(in []int) []int {
	out := append([]int(nil), in...)
	sort.Ints(out)
	j := 0
	for i, v := range out {
		if i == 0 || v != out[j-1] {
			out[j] = v
			j++
		}
	}
	return out[:j]
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
