// Package schedule computes when scheduled pipelines fire, in UTC.
//
// Two kinds of schedule exist in CircleCI and both are covered here:
//
//   - Schedule triggers (the API's timetable, domain.Timetable): PerHour
//     evenly spaced runs in each listed hour of each matching day.
//     ValidateTimetable checks one the way CircleCI's API does, and Slots
//     lists the times it fires: run i of n in an hour fires at minute
//     floor(i*60/n), so per-hour 4 fires at :00, :15, :30 and :45. Days are
//     narrowed by days-of-week or days-of-month (never both) and by months.
//
//   - Legacy scheduled workflows (a config's triggers.schedule.cron): a
//     standard five-field POSIX crontab line, always in UTC. ParseCron
//     accepts numbers, ranges (1-5), steps (*/15, 0-30/10, 5/20), lists,
//     month names JAN-DEC and day names SUN-SAT (any letter case), 0 and 7
//     for Sunday, and the @yearly, @annually, @monthly, @weekly, @daily,
//     @midnight and @hourly shorthands. When both day-of-month and
//     day-of-week are restricted (neither starts with '*') a day matches if
//     either does, as in Vixie cron.
//
// Slots of both kinds list firing times in the half-open interval (from, to]:
// a caller that remembers the last time it looked never fires a slot twice.
// Everything is pure: no clocks, no goroutines.
package schedule
