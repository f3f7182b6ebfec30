package schedule

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/google/go-cmp/cmp"
)

func TestValidateTimetable(t *testing.T) {
	ok := domain.Timetable{PerHour: 1, HoursOfDay: []int{0, 23}}
	with := func(f func(*domain.Timetable)) domain.Timetable {
		tt := ok
		f(&tt)
		return tt
	}
	tests := []struct {
		name string
		in   domain.Timetable
		msgs []string // nil: valid
	}{
		{"minimal", ok, nil},
		{"everything", domain.Timetable{PerHour: 60, HoursOfDay: []int{0, 12, 23},
			DaysOfWeek: []string{"MON", "SUN"}, Months: []string{"JAN", "DEC"}}, nil},
		{"days of month", with(func(t *domain.Timetable) { t.DaysOfMonth = []int{1, 31} }), nil},
		{"per-hour 0", with(func(t *domain.Timetable) { t.PerHour = 0 }), []string{"per-hour must be between 1 and 60, got 0"}},
		{"per-hour 61", with(func(t *domain.Timetable) { t.PerHour = 61 }), []string{"got 61"}},
		{"no hours", with(func(t *domain.Timetable) { t.HoursOfDay = nil }), []string{"hours-of-day must list at least one hour"}},
		{"hour 24", with(func(t *domain.Timetable) { t.HoursOfDay = []int{24} }), []string{"hours-of-day: 24 is not an hour"}},
		{"hour -1", with(func(t *domain.Timetable) { t.HoursOfDay = []int{-1} }), []string{"hours-of-day: -1"}},
		{"lower-case day", with(func(t *domain.Timetable) { t.DaysOfWeek = []string{"mon"} }),
			[]string{`days-of-week: "mon" is not one of MON, TUE`}},
		{"day of month 0", with(func(t *domain.Timetable) { t.DaysOfMonth = []int{0} }), []string{"days-of-month: 0 is not"}},
		{"day of month 32", with(func(t *domain.Timetable) { t.DaysOfMonth = []int{32} }), []string{"days-of-month: 32"}},
		{"bad month", with(func(t *domain.Timetable) { t.Months = []string{"JANUARY"} }), []string{`months: "JANUARY" is not one of JAN`}},
		{"both day kinds", with(func(t *domain.Timetable) {
			t.DaysOfWeek, t.DaysOfMonth = []string{"MON"}, []int{1}
		}), []string{"days-of-week and days-of-month cannot both be set"}},
		{"every problem reported", domain.Timetable{PerHour: 100, HoursOfDay: []int{25}, Months: []string{"X"}},
			[]string{"got 100", "25 is not an hour", `"X"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTimetable(tt.in)
			if tt.msgs == nil {
				if err != nil {
					t.Fatalf("ValidateTimetable: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidTimetable) {
				t.Fatalf("ValidateTimetable = %v, want an error wrapping ErrInvalidTimetable", err)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestSlots(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "timetable_slots.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name      string           `json:"name"`
		Timetable domain.Timetable `json:"timetable"`
		From      time.Time        `json:"from"`
		To        time.Time        `json:"to"`
		Want      []time.Time      `json:"want"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("timetable_slots.json: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got := Slots(tc.Timetable, tc.From, tc.To)
			for _, g := range got {
				if g.Location() != time.UTC {
					t.Errorf("slot %v is not in UTC", g)
				}
			}
			// Compare instants: the JSON times carry a fixed zone, Slots returns UTC.
			if diff := cmp.Diff(tc.Want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlotsYear(t *testing.T) {
	tt := domain.Timetable{PerHour: 2, HoursOfDay: []int{1, 13}, DaysOfWeek: []string{"MON", "WED", "FRI"}}
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	got := Slots(tt, from, from.AddDate(1, 0, 0))
	// 2024 has 53 Mondays, 52 Wednesdays and 52 Fridays; 4 slots a day.
	if want := (53 + 52 + 52) * 4; len(got) != want {
		t.Errorf("got %d slots in 2024, want %d", len(got), want)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].After(got[i-1]) {
			t.Fatalf("slots out of order at %d: %v then %v", i, got[i-1], got[i])
		}
	}
}
