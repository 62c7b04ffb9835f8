package query

import (
	"testing"
	"time"
)

// tableBucket computes a bucket the way the printed SQL does: ts plus the offset from the
// Go-computed table, integer division, a CASE over month starts.
type sqlCalendar struct {
	spans       []tzSpan
	first, last int64
	months      []int64
}

func newSQLCalendar(c Calendar, from, to int64) *sqlCalendar {
	first, last := c.Bucket(Month, from), c.Bucket(Month, to-1)
	return &sqlCalendar{c.offsetTable(from, to), first, last, c.monthStarts(first+1, last)}
}

func (c *sqlCalendar) bucket(iv Interval, ts int64) int64 {
	var off int64
	for _, s := range c.spans {
		if ts < s.until {
			off = s.off
			break
		}
	}
	local := ts + off
	switch iv {
	case Hour:
		return local / msHour
	case Day:
		return local / msDay
	case Week:
		return (local/msDay + 3) / 7
	}
	for i, s := range c.months {
		if ts < s {
			return c.first + int64(i)
		}
	}
	return c.last
}

func TestCalendarBuckets(t *testing.T) {
	for _, tz := range []string{"Europe/London", "Asia/Shanghai", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		c := Calendar{TZ: loc}
		from := time.Date(2017, 12, 20, 0, 0, 0, 0, time.UTC).UnixMilli()
		to := time.Date(2019, 2, 10, 0, 0, 0, 0, time.UTC).UnixMilli()
		sc := newSQLCalendar(c, from, to)
		for ts := from; ts < to; ts += 17 * 60 * 1000 { // every 17 minutes
			lt := time.UnixMilli(ts).In(loc)
			y, m, d := lt.Date()
			day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			want := map[Interval]int64{
				Day:   day,
				Week:  (day + 3) / 7,
				Month: int64(y)*12 + int64(m) - 1,
				Hour:  day*24 + int64(lt.Hour()),
			}
			for _, iv := range []Interval{Hour, Day, Week, Month} {
				if got := c.Bucket(iv, ts); got != want[iv] {
					t.Fatalf("%s: Bucket(%s, %s) = %d, want %d", tz, iv, lt, got, want[iv])
				}
				if got := sc.bucket(iv, ts); got != want[iv] {
					t.Fatalf("%s: SQL bucket(%s, %s) = %d, want %d", tz, iv, lt, got, want[iv])
				}
			}
			if wd := c.BucketStart(Week, want[Week]).Weekday(); wd != time.Monday {
				t.Fatalf("%s: week of %s starts on %s", tz, lt, wd)
			}
		}
		for _, iv := range []Interval{Hour, Day, Week, Month} {
			for b := c.Bucket(iv, from); b < c.Bucket(iv, from)+40; b++ {
				first := c.BucketFirst(iv, b)
				if c.Bucket(iv, first) != b || c.Bucket(iv, first-1) >= b {
					t.Fatalf("%s: BucketFirst(%s, %d) = %s is not the first instant", tz, iv, b, time.UnixMilli(first).In(loc))
				}
			}
		}
	}
}

func TestCalendarDST(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	c := Calendar{TZ: london}
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	// 2024-03-31 01:00 UTC clocks go forward; 2024-10-27 01:00 UTC clocks go back.
	spans := c.offsetTable(at("2024-03-01T00:00:00Z"), at("2024-12-01T00:00:00Z"))
	if len(spans) != 3 || spans[0].until != at("2024-03-31T01:00:00Z") || spans[0].off != 0 ||
		spans[1].until != at("2024-10-27T01:00:00Z") || spans[1].off != 3600000 || spans[2].off != 0 {
		t.Fatalf("offset table = %+v", spans)
	}
	f := func(ts string, iv Interval, label string) {
		t.Helper()
		if got := c.BucketLabel(iv, c.Bucket(iv, at(ts))); got != label {
			t.Fatalf("%s in %s = %s, want %s", ts, iv, got, label)
		}
	}
	f("2024-03-30T23:30:00Z", Day, "2024-03-30")
	f("2024-03-31T00:30:00Z", Day, "2024-03-31")
	f("2024-03-31T23:30:00Z", Day, "2024-04-01") // 00:30 BST
	f("2024-03-31T22:59:59Z", Day, "2024-03-31")
	f("2024-10-26T23:00:00Z", Day, "2024-10-27") // 00:00 BST
	f("2024-10-26T22:59:59Z", Day, "2024-10-26")
	f("2024-10-27T23:59:59Z", Day, "2024-10-27") // 23:59 GMT
	f("2024-10-27T00:30:00Z", Hour, "2024-10-27T01:00")
	f("2024-10-27T01:30:00Z", Hour, "2024-10-27T01:00") // the repeated hour
	f("2024-03-31T23:30:00Z", Week, "2024-04-01")
	f("2024-03-31T22:30:00Z", Week, "2024-03-25")
	f("2024-03-31T23:30:00Z", Month, "2024-04-01")
	f("2024-03-31T22:30:00Z", Month, "2024-03-01")
}
