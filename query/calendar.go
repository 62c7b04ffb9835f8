package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Calendar is a project's calendar: its IANA time zone. Days, weeks (Monday start) and
// months of every analysis are local to TZ. Compile rejects a nil TZ.
type Calendar struct {
	TZ *time.Location
}

const (
	msHour = int64(time.Hour / time.Millisecond)
	msDay  = 24 * msHour
)

func (c Calendar) loc() *time.Location {
	if c.TZ == nil {
		return time.UTC
	}
	return c.TZ
}

// offset returns the UTC offset in milliseconds in force at ms.
func (c Calendar) offset(ms int64) int64 {
	_, off := time.UnixMilli(ms).In(c.loc()).Zone()
	return int64(off) * 1000
}

// Bucket returns the number of the calendar unit that contains the instant ms: local hours
// and days since 1970-01-01 local, Monday-start weeks (week 0 starts on 1969-12-29) and
// months as year·12 + month − 1. The SQL the compiler prints computes the same numbers.
func (c Calendar) Bucket(iv Interval, ms int64) int64 {
	local := ms + c.offset(ms)
	switch iv {
	case Hour:
		return floorDiv(local, msHour)
	case Day:
		return floorDiv(local, msDay)
	case Week:
		return floorDiv(floorDiv(local, msDay)+3, 7)
	case Month:
		t := time.UnixMilli(ms).In(c.loc())
		return int64(t.Year())*12 + int64(t.Month()) - 1
	}
	panic("BUG: unknown interval " + string(iv))
}

// BucketStart returns the local wall-clock start of bucket b (midnight of a day, the
// Monday of a week, the 1st of a month) in the calendar's zone. For an hour repeated by a
// DST change it is one of the two instants.
func (c Calendar) BucketStart(iv Interval, b int64) time.Time {
	loc := c.loc()
	switch iv {
	case Hour:
		w := time.UnixMilli(b * msHour).UTC()
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), 0, 0, 0, loc)
	case Day, Week:
		d := b
		if iv == Week {
			d = b*7 - 3
		}
		w := time.UnixMilli(d * msDay).UTC()
		return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, loc)
	case Month:
		return time.Date(int(floorDiv(b, 12)), time.Month(b-floorDiv(b, 12)*12+1), 1, 0, 0, 0, 0, loc)
	}
	panic("BUG: unknown interval " + string(iv))
}

// BucketFirst returns the first instant (ms UTC) whose Bucket is at least b.
func (c Calendar) BucketFirst(iv Interval, b int64) int64 {
	guess := c.BucketStart(iv, b).UnixMilli()
	lo, hi := guess-3*msDay, guess+3*msDay
	for c.Bucket(iv, lo) >= b {
		lo -= 3 * msDay
	}
	for c.Bucket(iv, hi) < b {
		hi += 3 * msDay
	}
	for hi-lo > 1 { // invariant: Bucket(lo) < b <= Bucket(hi)
		mid := lo + (hi-lo)/2
		if c.Bucket(iv, mid) >= b {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// BucketLabel formats bucket b for results: "2024-01-31" for days, weeks (the Monday) and
// months (the 1st), "2024-01-31T13:00" for hours.
func (c Calendar) BucketLabel(iv Interval, b int64) string {
	t := c.BucketStart(iv, b)
	if iv == Hour {
		return t.Format("2006-01-02T15:04")
	}
	return t.Format("2006-01-02")
}

// tzSpan is a stretch of time with one UTC offset: until (exclusive, ms) and off (ms).
type tzSpan struct {
	until int64
	off   int64
}

// offsetTable returns the UTC offsets in force over [from, to): the last span extends to
// the end of time, the first to its beginning.
func (c Calendar) offsetTable(from, to int64) []tzSpan {
	t := time.UnixMilli(from).In(c.loc())
	var spans []tzSpan
	for {
		_, off := t.Zone()
		_, end := t.ZoneBounds()
		if end.IsZero() || end.UnixMilli() >= to {
			spans = append(spans, tzSpan{until: math.MaxInt64, off: int64(off) * 1000})
			break
		}
		_, next := end.Zone()
		if next != off {
			spans = append(spans, tzSpan{until: end.UnixMilli(), off: int64(off) * 1000})
		}
		t = end
	}
	return spans
}

// monthStarts returns the first instants of months first..last (inclusive).
func (c Calendar) monthStarts(first, last int64) []int64 {
	var out []int64
	for b := first; b <= last; b++ {
		out = append(out, c.BucketFirst(Month, b))
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// TimeRange is a resolved range of instants [From, To), milliseconds UTC.
type TimeRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// minTime is the earliest accepted instant: 1971-01-01, so local milliseconds are positive.
const minTime = int64(365 * 24 * 3600 * 1000)

// Range resolves a date range in the calendar at the instant now.
func (c Calendar) Range(d DateRange, now time.Time) (TimeRange, error) {
	from, err := parseBound(d.From, false, c, now)
	if err != nil {
		return TimeRange{}, invalid("date_range.from", "%v", err)
	}
	to := now.UnixMilli()
	if d.To != "" {
		if to, err = parseBound(d.To, true, c, now); err != nil {
			return TimeRange{}, invalid("date_range.to", "%v", err)
		}
	}
	if from < minTime {
		return TimeRange{}, invalid("date_range.from", "must be after 1971-01-01")
	}
	if to <= from && strings.HasSuffix(d.To, "@now") && to == from {
		to = from + 1 // "-1d@now" read at midnight: the comparison range is empty, not wrong
	}
	if to <= from {
		return TimeRange{}, invalid("date_range.to", "must be after date_range.from")
	}
	if to-from > 20*366*msDay {
		return TimeRange{}, invalid("date_range", "must span at most 20 years")
	}
	return TimeRange{From: from, To: to}, nil
}

// parseBound resolves one end of a date range to milliseconds; end selects the exclusive
// end of a date or relative day.
func parseBound(s string, end bool, c Calendar, now time.Time) (int64, error) {
	loc := c.loc()
	now = now.In(loc)
	midnight := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	}
	day := func(t time.Time) int64 {
		if end {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		}
		return t.UnixMilli()
	}
	switch s {
	case "now":
		return now.UnixMilli(), nil
	case "today":
		return day(midnight(now)), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return day(t), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli(), nil
	}
	// "-1d@now": the same local time of day as now, a day (week, month, year) back: the end
	// of "yesterday up to now's time", which, unlike "-24h", never falls before yesterday's
	// midnight on a day with a daylight-saving change.
	if rel, ok := strings.CutSuffix(s, "@now"); ok && len(rel) >= 3 && rel[0] == '-' && strings.ContainsRune("dwmy", rune(rel[len(rel)-1])) {
		if n, err := strconv.Atoi(rel[1 : len(rel)-1]); err == nil && n >= 0 && n <= 100000 {
			var t time.Time
			switch rel[len(rel)-1] {
			case 'd':
				t = midnight(now).AddDate(0, 0, -n)
			case 'w':
				t = midnight(now).AddDate(0, 0, -7*n)
			case 'm':
				t = addMonths(midnight(now), -n)
			case 'y':
				t = addMonths(midnight(now), -12*n)
			}
			return time.Date(t.Year(), t.Month(), t.Day(), now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), loc).UnixMilli(), nil
		}
	}
	if rest, ok := strings.CutPrefix(s, "-"); ok && len(rest) >= 2 {
		n, err := strconv.Atoi(rest[:len(rest)-1])
		if err == nil && n >= 0 && n <= 100000 {
			switch rest[len(rest)-1] {
			case 'h':
				return now.Add(-time.Duration(n) * time.Hour).UnixMilli(), nil
			case 'd':
				return day(midnight(now).AddDate(0, 0, -n)), nil
			case 'w':
				return day(midnight(now).AddDate(0, 0, -7*n)), nil
			case 'm':
				return day(addMonths(midnight(now), -n)), nil
			case 'y':
				return day(addMonths(midnight(now), -12*n)), nil
			}
		}
	}
	return 0, fmt.Errorf("must be a date (2024-01-31), an RFC 3339 instant, now, today, relative like -7d, or -1d@now (now's time of day a day back), not %q", s)
}

// addMonths moves a local midnight by n months, clamping the day to the month's last
// (March 31 minus one month is February 29, not March 2).
func addMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(t.Day(), last), 0, 0, 0, 0, t.Location())
}
