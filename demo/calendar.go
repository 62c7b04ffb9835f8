package demo

import (
	"math"
	"time"
)

// Season says when a product sells. Seasonal demand multiplies a product's base
// popularity day by day (see seasonFactor); SeasonNone products sell all year.
type Season uint8

// The seasons of the catalogue.
const (
	SeasonNone           Season = iota
	SeasonSpringFestival        // 春节: gift boxes, couplets; peak two weeks before the festival
	SeasonDragonBoat            // 端午: 粽子; peak in the three weeks before
	SeasonMidAutumn             // 中秋: 月饼, crab vouchers; peak in the four weeks before
	SeasonSummer                // 夏季: sun cream, mats, fans; June–August
	SeasonWinter                // 冬季: down jackets, heat packs; November–February
)

// String returns the Chinese name of s ("" for SeasonNone).
func (s Season) String() string {
	switch s {
	case SeasonSpringFestival:
		return "春节"
	case SeasonDragonBoat:
		return "端午"
	case SeasonMidAutumn:
		return "中秋"
	case SeasonSummer:
		return "夏季"
	case SeasonWinter:
		return "冬季"
	}
	return ""
}

// lunarFestivals holds the Gregorian dates of the lunar festivals (month, day of 春节,
// 端午, 中秋) for the years the demo is likely to cover. Other years fall back to typical
// dates, which is good enough for a demo.
var lunarFestivals = map[int][3][2]int{
	2020: {{1, 25}, {6, 25}, {10, 1}},
	2021: {{2, 12}, {6, 14}, {9, 21}},
	2022: {{2, 1}, {6, 3}, {9, 10}},
	2023: {{1, 22}, {6, 22}, {9, 29}},
	2024: {{2, 10}, {6, 10}, {9, 17}},
	2025: {{1, 29}, {5, 31}, {10, 6}},
	2026: {{2, 17}, {6, 19}, {9, 25}},
	2027: {{2, 6}, {6, 9}, {9, 15}},
	2028: {{1, 26}, {5, 28}, {10, 3}},
	2029: {{2, 13}, {6, 16}, {9, 22}},
	2030: {{2, 3}, {6, 5}, {9, 12}},
	2031: {{1, 23}, {6, 24}, {10, 1}},
	2032: {{2, 11}, {6, 12}, {9, 19}},
}

// festivalDayNum returns the day number (days since 1970-01-01) of festival f (0 春节,
// 1 端午, 2 中秋) in year y.
func festivalDayNum(y, f int) int {
	md, ok := lunarFestivals[y]
	if !ok {
		md = [3][2]int{{2, 5}, {6, 10}, {9, 20}}
	}
	return dayNum(y, md[f][0], md[f][1])
}

func dayNum(y, m, d int) int {
	return int(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// day is one calendar day of the project's time zone inside the generated range.
type day struct {
	start, end int64 // ms, [start, end) clipped to the range
	midnight   int64 // ms, the day's 00:00 even when the range starts later
	year       int
	month      int
	mday       int
	weekday    time.Weekday
	// toFestival holds the days until 春节, 端午, 中秋 (negative shortly after one).
	toFestival [3]int
	// traffic multiplies arrivals and purchase intent: weekday rhythm and sales events.
	traffic float64
	// spike marks big sales days (双十一, 618) that pull returning persons back.
	spike bool
}

// newDays lays out the calendar days of the project's time zone that overlap [start, end).
func newDays(start, end time.Time, tz *time.Location) []day {
	y, m, d := start.In(tz).Date()
	var days []day
	for i := 0; ; i++ {
		t0 := time.Date(y, m, d+i, 0, 0, 0, 0, tz)
		if !t0.Before(end) {
			break
		}
		t1 := time.Date(y, m, d+i+1, 0, 0, 0, 0, tz)
		dy := day{start: t0.UnixMilli(), end: t1.UnixMilli(), midnight: t0.UnixMilli()}
		dy.year, dy.month, dy.mday = t0.Year(), int(t0.Month()), t0.Day()
		dy.weekday = t0.Weekday()
		n := dayNum(dy.year, dy.month, dy.mday)
		for f := 0; f < 3; f++ {
			delta := festivalDayNum(dy.year, f) - n
			if delta < -45 {
				delta = festivalDayNum(dy.year+1, f) - n
			}
			dy.toFestival[f] = delta
		}
		dy.traffic, dy.spike = trafficFactor(&dy)
		if dy.start < start.UnixMilli() {
			dy.start = start.UnixMilli()
		}
		if dy.end > end.UnixMilli() {
			dy.end = end.UnixMilli()
		}
		days = append(days, dy)
	}
	return days
}

// weekdayFactor: weekends are busier than weekdays for consumer shopping.
var weekdayFactor = [7]float64{1.15, 0.95, 0.95, 0.97, 1.0, 1.05, 1.12} // Sunday first

// trafficFactor returns the day's traffic multiplier and whether it is a big sales day.
func trafficFactor(d *day) (float64, bool) {
	f := weekdayFactor[d.weekday]
	md := d.month*100 + d.mday
	spike := false
	switch {
	case md == 1111:
		f *= 3.5
		spike = true
	case md == 1110 || md == 1112:
		f *= 1.6
	case md >= 1020 && md < 1110:
		f *= 1.25 // 双十一 pre-sale
	case md == 618:
		f *= 2.6
		spike = true
	case md >= 601 && md < 618:
		f *= 1.2
	case md == 1212:
		f *= 1.8
	case md == 308:
		f *= 1.4
	}
	switch sf := d.toFestival[0]; {
	case sf >= 8 && sf <= 30:
		f *= 1.2 // 年货节
	case sf >= -6 && sf < 8:
		f *= 0.7 // couriers stop, families are busy
	}
	return f, spike
}

// hourWeights is the hour-of-day rhythm of a Chinese consumer mini-program: a lunch bump
// and the evening peak from 20:00 to 22:00.
var hourWeights = []float64{
	3.0, 1.6, 0.9, 0.6, 0.5, 0.6, 1.2, 2.4, 3.4, 3.8, 4.2, 4.6,
	5.6, 5.2, 4.4, 4.3, 4.4, 4.8, 5.2, 6.0, 7.2, 7.8, 6.8, 4.8,
}

// seasonFactor returns the demand multiplier of season s on day d.
func seasonFactor(s Season, d *day) float64 {
	switch s {
	case SeasonSpringFestival:
		return festivalCurve(d.toFestival[0], 35, 8, 9)
	case SeasonDragonBoat:
		return festivalCurve(d.toFestival[1], 25, 0, 12)
	case SeasonMidAutumn:
		return festivalCurve(d.toFestival[2], 30, 0, 14)
	case SeasonSummer:
		return monthCurve(&summerCurve, d)
	case SeasonWinter:
		return monthCurve(&winterCurve, d)
	}
	return 1
}

// festivalCurve rises from 1 at `window` days before the festival to `peak` at `lead`
// days before it, stays high until the day, sells off for a week after, then sleeps.
func festivalCurve(delta, window, lead int, peak float64) float64 {
	switch {
	case delta > window+15:
		return 0.04
	case delta > window:
		return 0.04 + 0.96*float64(window+15-delta)/15
	case delta > lead:
		x := float64(window-delta) / float64(window-lead)
		return 1 + (peak-1)*math.Pow(x, 1.5)
	case delta >= 0:
		return peak * 0.8
	case delta >= -7:
		return 0.5
	}
	return 0.04
}

// Monthly demand of the seasonal products, January first, read at mid-month and
// interpolated in between.
var (
	summerCurve = [12]float64{0.1, 0.1, 0.3, 0.8, 1.8, 3.0, 3.5, 3.0, 1.2, 0.4, 0.15, 0.1}
	winterCurve = [12]float64{3.0, 2.0, 0.8, 0.2, 0.08, 0.05, 0.05, 0.08, 0.3, 1.2, 2.5, 3.2}
)

func monthCurve(c *[12]float64, d *day) float64 {
	pos := float64(d.month-1) + (float64(d.mday)-15)/30
	i := int(math.Floor(pos))
	frac := pos - float64(i)
	a, b := c[(i+12)%12], c[(i+13)%12]
	return a + (b-a)*frac
}
