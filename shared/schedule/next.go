package schedule

import "time"

// searchYears bounds Next's search: the rarest satisfiable schedule, a
// 29 February, can be eight years away (2096 to 2104).
const searchYears = 9

// Next returns the first time after after (strictly later, whole minutes,
// UTC) that c fires, or the zero time if it never does, as for "0 0 30 2 *".
func (c Cron) Next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(searchYears, 0, 0)
	for t.Before(limit) {
		switch {
		case !has(c.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case !has(c.hour, t.Hour()):
			t = t.Truncate(time.Hour).Add(time.Hour)
		case !has(c.minute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// Slots lists every time c fires in (from, to], in UTC and in order.
func (c Cron) Slots(from, to time.Time) []time.Time {
	var out []time.Time
	for t := c.Next(from); !t.IsZero() && !t.After(to); t = c.Next(t) {
		out = append(out, t)
	}
	return out
}

// dayMatches applies cron's day rule: when both day fields are restricted a
// day matches if either does; otherwise both must (one of them being '*').
func (c Cron) dayMatches(t time.Time) bool {
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	if !c.domStar && !c.dowStar {
		return dom || dow
	}
	return dom && dow
}

func has(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }
