package query

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeErrors(t *testing.T) {
	f := func(spec, code, field string) {
		t.Helper()
		_, err := Decode(strings.NewReader(spec))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Decode(%s): got %v, want an *Error %s at %q", spec, err, code, field)
		}
		if e.Code != code || e.Field != field {
			t.Fatalf("Decode(%s): got %s at %q (%s), want %s at %q", spec, e.Code, e.Field, e.Message, code, field)
		}
	}
	const dr = `"date_range":{"from":"2024-01-01","to":"2024-01-31"}`
	const steps = `"steps":[{"event":"a"},{"event":"b"}]`

	// Syntax and unknown keys.
	f(`{`, CodeInvalidSpec, "")
	f(`[]`, CodeInvalidSpec, "")
	f(`{"kind":"funnel"} {}`, CodeInvalidSpec, "")
	f(`{"kind":"funnel",`+dr+`,"stepz":[]}`, CodeInvalidSpec, "stepz")
	f(`{"kind":"funnel",`+dr+`,"steps":[{"event":"a"},{"event":"b"},{"evnt":"c"}]}`, CodeInvalidSpec, "steps[2].evnt")
	f(`{"kind":"funnel",`+dr+`,"date_range":{"from":"2024-01-01","until":"x"}}`, CodeInvalidSpec, "date_range.until")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"eq","value":1,"extra":2}]}`, CodeInvalidSpec, "filters[0].extra")
	f(`{"kind":"funnel",`+dr+`,"steps":"a"}`, CodeInvalidSpec, "steps")
	f(`{"kind":7}`, CodeInvalidSpec, "kind")

	// Common fields.
	f(`{"date_range":{"from":"2024-01-01"}}`, CodeInvalidSpec, "kind")
	f(`{"kind":"paths",`+dr+`}`, CodeInvalidSpec, "kind")
	f(`{"kind":"funnel",`+steps+`}`, CodeInvalidSpec, "date_range.from")
	f(`{"kind":"funnel","date_range":{"from":"2024-13-01"},`+steps+`}`, CodeInvalidSpec, "date_range.from")
	f(`{"kind":"funnel","date_range":{"from":"-7d","to":"yesterdayish"},`+steps+`}`, CodeInvalidSpec, "date_range.to")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"","operator":"eq","value":"x"}]}`, CodeInvalidSpec, "filters[0].property")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"properties.","operator":"eq","value":"x"}]}`, CodeInvalidSpec, "filters[0].property")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"a\"b","operator":"eq","value":"x"}]}`, CodeInvalidSpec, "filters[0].property")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"like","value":"x"}]}`, CodeInvalidSpec, "filters[0].operator")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","value":"x"}]}`, CodeInvalidSpec, "filters[0].operator")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"gt","value":"5"}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"in","value":[]}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"in","value":[true]}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"eq"}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"is_set","value":1}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"x","operator":"contains","value":""}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"event","operator":"gt","value":1}]}`, CodeInvalidSpec, "filters[0].operator")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"filters":[{"property":"event","operator":"eq","value":1}]}`, CodeInvalidSpec, "filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"breakdown":{"property":"x","limit":1000}}`, CodeInvalidSpec, "breakdown.limit")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"breakdown":{"property":"person."}}`, CodeInvalidSpec, "breakdown.property")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"breakdown":{"property":"context.a.b.c.d.e"}}`, CodeInvalidSpec, "breakdown.property")

	// Funnel.
	f(`{"kind":"funnel",`+dr+`,"steps":[{"event":"a"}]}`, CodeInvalidSpec, "steps")
	f(`{"kind":"funnel",`+dr+`,"steps":[{"event":"a"},{"event":"b"},{"event":""}]}`, CodeInvalidSpec, "steps[2].event")
	f(`{"kind":"funnel",`+dr+`,"steps":[{"event":"a"},{"event":"b","filters":[{"property":"p","operator":"lt","value":true}]}]}`, CodeInvalidSpec, "steps[1].filters[0].value")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"window":"24"}`, CodeInvalidSpec, "window")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"window":"-1h"}`, CodeInvalidSpec, "window")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"window":"2y"}`, CodeInvalidSpec, "window")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"window":"400d"}`, CodeInvalidSpec, "window")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"order":"sideways"}`, CodeInvalidSpec, "order")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"order":"strict"}`, CodeUnsupported, "order")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"order":"unordered"}`, CodeUnsupported, "order")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"exclusions":[{"event":"x","from_step":2,"to_step":1}]}`, CodeInvalidSpec, "exclusions[0].to_step")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"exclusions":[{"event":"x","from_step":1,"to_step":2}]}`, CodeUnsupported, "exclusions")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"interval":"day"}`, CodeInvalidSpec, "interval")
	f(`{"kind":"funnel",`+dr+`,`+steps+`,"periods":3}`, CodeInvalidSpec, "periods")

	// Trends.
	f(`{"kind":"trends",`+dr+`}`, CodeInvalidSpec, "series")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a","math":"mode"}]}`, CodeInvalidSpec, "series[0].math")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a"},{"event":"b","math":"sum"}]}`, CodeInvalidSpec, "series[1].property")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a","math":"dau","property":"x"}]}`, CodeInvalidSpec, "series[0].property")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a","math":"sum","property":"event"}]}`, CodeInvalidSpec, "series[0].property")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a"}],"interval":"minute"}`, CodeInvalidSpec, "interval")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a"}],"formula":"A / B"}`, CodeInvalidSpec, "formula")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a"}],"formula":"(A"}`, CodeInvalidSpec, "formula")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a"}],"window":"1h"}`, CodeInvalidSpec, "window")
	f(`{"kind":"trends",`+dr+`,"series":[{"event":"a","filters":[{"property":"x","operator":"not_in","value":"a"}]}]}`, CodeInvalidSpec, "series[0].filters[0].value")

	// Retention.
	f(`{"kind":"retention",`+dr+`,"return_event":{"event":"b"}}`, CodeInvalidSpec, "start_event")
	f(`{"kind":"retention",`+dr+`,"start_event":{"event":"a"}}`, CodeInvalidSpec, "return_event")
	f(`{"kind":"retention",`+dr+`,"start_event":{"event":"a"},"return_event":{"event":""}}`, CodeInvalidSpec, "return_event.event")
	f(`{"kind":"retention",`+dr+`,"start_event":{"event":"a"},"return_event":{"event":"b"},"period":"hour"}`, CodeInvalidSpec, "period")
	f(`{"kind":"retention",`+dr+`,"start_event":{"event":"a"},"return_event":{"event":"b"},"periods":61}`, CodeInvalidSpec, "periods")
	f(`{"kind":"retention",`+dr+`,"start_event":{"event":"a"},"return_event":{"event":"b"},`+steps+`}`, CodeInvalidSpec, "steps")
}

func TestDecodeGood(t *testing.T) {
	f := func(spec string) {
		t.Helper()
		if _, err := Decode(strings.NewReader(spec)); err != nil {
			t.Fatalf("Decode(%s): %v", spec, err)
		}
	}
	f(`{"kind":"funnel","date_range":{"from":"-7d"},"steps":[{"event":"a"},{"event":"b","filters":[{"property":"price","operator":"gte","value":10.5}]}],"window":"30m"}`)
	f(`{"kind":"trends","date_range":{"from":"2024-01-01T00:00:00Z","to":"now"},"series":[{"event":"a","math":"p90","property":"context.x"}],"formula":"-(A * 2) / (A + 1)","compare":true}`)
	f(`{"kind":"trends","date_range":{"from":"today"},"series":[{"event":"a","filters":[{"property":"person.vip","operator":"eq","value":true},{"property":"sku","operator":"in","value":["a",1]},{"property":"x","operator":"is_not_set"}]}],"breakdown":{"property":"distinct_id"}}`)
	f(`{"kind":"retention","date_range":{"from":"2024-01-01","to":"2024-03-31"},"start_event":{"event":"a"},"return_event":{"event":"b"},"period":"month","first_time":true,"periods":3}`)
}

// TestPropertyNames checks how property names split into a scope and a JSON path, and the
// message of each rejected name.
func TestPropertyNames(t *testing.T) {
	f := func(name, want string) {
		t.Helper()
		r, err := parseProperty(name)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = fmt.Sprintf("%d %s %q", r.scope, r.name, r.path)
		}
		if got != want {
			t.Fatalf("parseProperty(%q): got %s, want %s", name, got, want)
		}
	}
	f("event", `0 event []`)
	f("price", `1 price ["price"]`)
	f("properties.event", `1 event ["event"]`)
	f("properties.payment.amount", `1 payment.amount ["payment" "amount"]`)
	f("context.page.path", `2 page.path ["page" "path"]`)
	f("person.address.city", `3 address.city ["address" "city"]`)
	f("event.name", `1 event.name ["event" "name"]`)
	f("context.a.b.c.d", `2 a.b.c.d ["a" "b" "c" "d"]`)
	f("context.a.b.c.d.e", `error: path "a.b.c.d.e" has 5 keys, at most 4 are allowed`)
	f("a.b.c.d.e", `error: path "a.b.c.d.e" has 5 keys, at most 4 are allowed`)
	f("context.page..path", `error: path "page..path" has an empty key: keys are separated by single dots`)
	f("page.", `error: path "page." has an empty key: keys are separated by single dots`)
	f("context.", `error: needs a key after the prefix`)
	f(`page.pa"th`, `error: key "pa\"th" must not contain quotes, backslashes or control characters`)
}

func TestRange(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	cal := Calendar{TZ: london}
	now := time.Date(2024, 3, 31, 15, 30, 0, 0, london) // the day BST starts
	f := func(from, to, wantFrom, wantTo string) {
		t.Helper()
		r, err := cal.Range(DateRange{From: from, To: to}, now)
		if err != nil {
			t.Fatalf("Range(%q, %q): %v", from, to, err)
		}
		gf, gt := time.UnixMilli(r.From).In(london).Format(time.RFC3339), time.UnixMilli(r.To).In(london).Format(time.RFC3339)
		if gf != wantFrom || gt != wantTo {
			t.Fatalf("Range(%q, %q) = %s .. %s, want %s .. %s", from, to, gf, gt, wantFrom, wantTo)
		}
	}
	f("2024-03-30", "2024-03-31", "2024-03-30T00:00:00Z", "2024-04-01T00:00:00+01:00")
	f("-1d", "", "2024-03-30T00:00:00Z", "2024-03-31T15:30:00+01:00")
	f("-1d", "-1d", "2024-03-30T00:00:00Z", "2024-03-31T00:00:00Z")
	f("today", "today", "2024-03-31T00:00:00Z", "2024-04-01T00:00:00+01:00")
	f("-2h", "now", "2024-03-31T13:30:00+01:00", "2024-03-31T15:30:00+01:00")
	f("-1m", "2024-03-31T12:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T13:00:00+01:00")
	f("-1w", "", "2024-03-24T00:00:00Z", "2024-03-31T15:30:00+01:00")
	// Yesterday up to now's time of day; a week back likewise.
	f("-1d", "-1d@now", "2024-03-30T00:00:00Z", "2024-03-30T15:30:00Z")
	f("-1w", "-1w@now", "2024-03-24T00:00:00Z", "2024-03-24T15:30:00Z")
	// The first hour after the 23-hour day: -24h is before yesterday's midnight, -1d@now is
	// not.
	early := time.Date(2024, 4, 1, 0, 30, 0, 0, london)
	if _, err := cal.Range(DateRange{From: "-1d", To: "-24h"}, early); err == nil {
		t.Fatal("-24h after the short day: the test's premise changed")
	}
	if r, err := cal.Range(DateRange{From: "-1d", To: "-1d@now"}, early); err != nil ||
		time.UnixMilli(r.To).In(london).Format(time.RFC3339) != "2024-03-31T00:30:00Z" {
		t.Fatalf("-1d@now after the short day: %v %v", r, err)
	}
	// Read at midnight, the comparison is empty, not an error.
	if r, err := cal.Range(DateRange{From: "-1d", To: "-1d@now"}, time.Date(2024, 3, 31, 0, 0, 0, 0, london)); err != nil || r.To-r.From != 1 {
		t.Fatalf("-1d@now at midnight: %v %v", r, err)
	}

	bad := func(from, to, field string) {
		t.Helper()
		_, err := cal.Range(DateRange{From: from, To: to}, now)
		var e *Error
		if !errors.As(err, &e) || e.Field != field {
			t.Fatalf("Range(%q, %q): got %v, want an error at %s", from, to, err, field)
		}
	}
	bad("2024-02-01", "2024-01-01", "date_range.to")
	bad("1970-01-01", "2024-01-01", "date_range.from")
	bad("1990-01-01", "2024-01-01", "date_range")
	bad("-1d", "-1h@now", "date_range.to")
	bad("-1d", "-x@now", "date_range.to")
}

func TestFormula(t *testing.T) {
	f := func(src string, vals []float64, want float64) {
		t.Helper()
		fm, err := ParseFormula(src, len(vals))
		if err != nil {
			t.Fatalf("ParseFormula(%q): %v", src, err)
		}
		if got := fm.Eval(vals); got != want {
			t.Fatalf("%s with %v = %v, want %v", src, vals, got, want)
		}
	}
	f("B / A", []float64{4, 2}, 0.5)
	f("B / A", []float64{0, 2}, 0)
	f("A + B * 2", []float64{1, 2}, 5)
	f("(A + B) * 2", []float64{1, 2}, 6)
	f("A - B - 1", []float64{10, 2}, 7)
	f("-A / 4", []float64{2}, -0.5)
	f("100 * B / A", []float64{8, 2}, 25)
	f(" A ", []float64{3}, 3)
	for _, bad := range []string{"", "A +", "A B", "C", "a", "(A", "A)", "1..2", "A % 2"} {
		if _, err := ParseFormula(bad, 2); err == nil {
			t.Fatalf("ParseFormula(%q) accepted a bad formula", bad)
		}
	}
}
