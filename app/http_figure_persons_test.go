package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestFigurePersonsAPI lists the persons behind funnel figures (reached, dropped, a
// breakdown row), trends points (a point, the range, a breakdown line, the previous period)
// and retention figures (a cohort, returned, lost) over HTTP and with the CLI verbs: paging,
// roles and tenants, each bad input with its field.
func TestFigurePersonsAPI(t *testing.T) {
	s, pa, pb, wk, c := newServerWithWAL(t, 0)
	for _, e := range [][2]string{{"u1", "Product Viewed"}, {"u1", "Order Completed"}, {"u2", "Product Viewed"},
		{"u3", "Product Viewed"}, {"u3", "Order Completed"}, {"u4", "Order Completed"}} {
		track(t, s, wk, e[0], e[1])
		time.Sleep(2 * time.Millisecond) // keep each person's events in order
	}
	spec := map[string]any{"kind": "funnel", "date_range": map[string]any{"from": "-1d", "to": "today"}, "window": "1d",
		"steps": []any{map[string]any{"event": "Product Viewed"}, map[string]any{"event": "Order Completed"}}, "breakdown": map[string]any{"property": "sku"}}
	path := fmt.Sprintf("/api/v1/projects/%d/funnel/persons", pa)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := c["owner"].do("POST", path, map[string]any{"spec": spec, "step": 2})
		if r.status == 200 && r.body["total"] == float64(2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the events did not arrive: %s", r.raw)
		}
	}
	ids := func(r reply) string {
		t.Helper()
		var out []string
		for _, p := range r.body["persons"].([]any) {
			out = append(out, p.(map[string]any)["distinct_id"].(string))
		}
		return fmt.Sprintf("%v of %v", out, r.body["total"])
	}
	cases := []struct {
		what string
		body map[string]any
		want string
	}{
		{"reached step 1", map[string]any{"spec": spec, "step": 1}, "[u1 u2 u3] of 3"},
		{"reached step 2", map[string]any{"spec": spec, "step": 2}, "[u1 u3] of 2"},
		{"dropped before step 2", map[string]any{"spec": spec, "step": 2, "dropped": true}, "[u2] of 1"},
		{"a breakdown row", map[string]any{"spec": spec, "step": 2, "breakdown": "A1"}, "[u1 u3] of 2"},
		{"a page", map[string]any{"spec": spec, "step": 1, "limit": 1, "offset": 1}, "[u2] of 3"},
		{"past the end", map[string]any{"spec": spec, "step": 1, "offset": 5}, "[] of 3"},
		{"the largest offset", map[string]any{"spec": spec, "step": 1, "offset": int64(math.MaxInt64)}, "[] of 3"},
	}
	for _, tc := range cases {
		for _, who := range []string{"operator", "key"} {
			r := c[who].do("POST", path, tc.body)
			expect(t, tc.what+" as "+who, r, 200)
			if got := ids(r); got != tc.want {
				t.Errorf("%s as %s: %s, want %s", tc.what, who, got, tc.want)
			}
		}
	}
	r := c["operator"].do("POST", path, map[string]any{"spec": spec, "step": 1})
	if p := r.body["persons"].([]any)[0].(map[string]any); p["event_count"] != float64(2) || p["person_id"].(float64) <= 0 {
		t.Fatalf("summary %v", p)
	}

	// The CLI verb asks the server the same, and refuses bad flags before asking.
	specJSON, _ := json.Marshal(spec)
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &cliEnv{stdin: bytes.NewReader(specJSON), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, append([]string{"person", "funnel", "--server", s.url, "--key", c["key"].key,
			"--project", fmt.Sprint(pa)}, args...))
		return code, out.String(), errb.String()
	}
	code, out, errs := cli("--step", "2", "--dropped", "-")
	var ans PersonsPage
	if err := json.Unmarshal([]byte(out), &ans); code != 0 || err != nil || ans.Total != 1 || ans.Persons[0].DistinctID != "u2" {
		t.Fatalf("person funnel: exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := cli("--step", "2", "--breakdown", "nope", "-"); code == 0 || !strings.Contains(errs, "breakdown") {
		t.Fatalf("unknown breakdown value: exit %d, %s", code, errs)
	}
	if code, _, errs := cli("-"); code != 2 || !strings.Contains(errs, "--step") {
		t.Fatalf("no --step: exit %d, %s", code, errs)
	}

	body := map[string]any{"spec": spec, "step": 1}
	expect(t, "viewer", c["viewer"].do("POST", path, body), 403, "forbidden")
	expect(t, "outsider", c["outsider"].do("POST", path, body), 404, "project_not_found")
	expect(t, "nobody", c["nobody"].do("POST", path, body), 401)
	expect(t, "operator of A on B", c["operator"].do("POST", fmt.Sprintf("/api/v1/projects/%d/funnel/persons", pb), body), 404)
	bad := func(what string, body any, code, field string) {
		t.Helper()
		expect(t, what, c["operator"].do("POST", path, body), 400, code, field)
	}
	trends := map[string]any{"kind": "trends", "date_range": map[string]any{"from": "-1d", "to": "today"}, "series": []any{map[string]any{"event": "X"}}}
	bad("no spec", map[string]any{"step": 1}, "missing_field", "spec")
	bad("no step", map[string]any{"spec": spec}, "missing_field", "step")
	bad("step past the end", map[string]any{"spec": spec, "step": 3}, "invalid_value", "step")
	bad("negative step", map[string]any{"spec": spec, "step": -1}, "invalid_value", "step")
	bad("dropped at step 1", map[string]any{"spec": spec, "step": 1, "dropped": true}, "invalid_value", "dropped")
	bad("unknown breakdown value", map[string]any{"spec": spec, "step": 1, "breakdown": "nope"}, "invalid_value", "breakdown")
	bad("limit", map[string]any{"spec": spec, "step": 1, "limit": 201}, "invalid_value", "limit")
	bad("offset", map[string]any{"spec": spec, "step": 1, "offset": -1}, "invalid_value", "offset")
	bad("a trends spec", map[string]any{"spec": trends, "step": 1}, "unsupported", "spec.kind")
	bad("a bad spec", map[string]any{"spec": map[string]any{"kind": "funnel", "steps": "x"}, "step": 1}, "invalid_spec", "spec.steps")
	bad("unknown key", map[string]any{"spec": spec, "step": 1, "stepp": 2}, "unknown_field", "stepp")
	bad("step as text", map[string]any{"spec": spec, "step": "2"}, "invalid_type", "step")
	delete(spec, "breakdown")
	bad("breakdown without one", map[string]any{"spec": spec, "step": 1, "breakdown": "A1"}, "invalid_value", "breakdown")

	// Trends: who viewed products today, per point and over the range; a breakdown line.
	tr := map[string]any{"kind": "trends", "date_range": map[string]any{"from": "-1d", "to": "today"}, "interval": "day", "compare": true,
		"series": []any{map[string]any{"event": "Product Viewed", "math": "dau"}, map[string]any{"event": "Order Completed"}}, "breakdown": map[string]any{"property": "sku"}}
	r = c["operator"].do("POST", fmt.Sprintf("/api/v1/projects/%d/query", pa), tr)
	expect(t, "trends", r, 200)
	today := ""
	for _, l := range r.body["result"].(map[string]any)["trends"].(map[string]any)["series"].([]any) {
		l := l.(map[string]any)
		for _, pt := range l["points"].([]any) {
			if pt := pt.(map[string]any); l["series"] == "A" && l["compare"] == nil && pt["value"] == float64(3) {
				today = pt["time"].(string)
			}
		}
	}
	if today == "" {
		t.Fatalf("no point of 3 persons in %s", r.raw)
	}
	tpath := fmt.Sprintf("/api/v1/projects/%d/trends/persons", pa)
	for _, tc := range []struct {
		what string
		body map[string]any
		want string
	}{
		{"a point", map[string]any{"spec": tr, "series": "A", "time": today}, "[u1 u2 u3] of 3"},
		{"the range of B", map[string]any{"spec": tr, "series": "B"}, "[u1 u3 u4] of 3"},
		{"a breakdown line", map[string]any{"spec": tr, "series": "B", "time": today, "breakdown": "A1"}, "[u1 u3 u4] of 3"},
		{"the previous period", map[string]any{"spec": tr, "series": "A", "compare": true}, "[] of 0"},
	} {
		r := c["key"].do("POST", tpath, tc.body)
		expect(t, tc.what, r, 200)
		if got := ids(r); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
	tbad := func(what string, body any, code, field string) {
		t.Helper()
		expect(t, what, c["operator"].do("POST", tpath, body), 400, code, field)
	}
	tbad("no series", map[string]any{"spec": tr}, "missing_field", "series")
	tbad("a formula", map[string]any{"spec": tr, "series": "formula"}, "invalid_value", "series")
	tbad("series C", map[string]any{"spec": tr, "series": "C"}, "invalid_value", "series")
	tbad("a time not on the line", map[string]any{"spec": tr, "series": "A", "time": "1999-01-01"}, "invalid_value", "time")
	tbad("unknown breakdown value", map[string]any{"spec": tr, "series": "A", "breakdown": "nope"}, "invalid_value", "breakdown")
	tbad("a funnel spec", map[string]any{"spec": spec, "series": "A"}, "unsupported", "spec.kind")
	expect(t, "viewer", c["viewer"].do("POST", tpath, map[string]any{"spec": tr, "series": "A"}), 403, "forbidden")

	// Retention: viewers of products who ordered on the same day (period 0), or did not.
	ret := map[string]any{"kind": "retention", "date_range": map[string]any{"from": "-1d", "to": "today"}, "period": "day", "periods": 1,
		"start_event": map[string]any{"event": "Product Viewed"}, "return_event": map[string]any{"event": "Order Completed"}}
	r = c["operator"].do("POST", fmt.Sprintf("/api/v1/projects/%d/query", pa), ret)
	expect(t, "retention", r, 200)
	cohort := ""
	for _, co := range r.body["result"].(map[string]any)["retention"].(map[string]any)["cohorts"].([]any) {
		if co := co.(map[string]any); co["size"] == float64(3) {
			cohort = co["start"].(string)
		}
	}
	if cohort == "" {
		t.Fatalf("no cohort of 3 in %s", r.raw)
	}
	rpath := fmt.Sprintf("/api/v1/projects/%d/retention/persons", pa)
	for _, tc := range []struct {
		what string
		body map[string]any
		want string
	}{
		{"the cohort", map[string]any{"spec": ret, "cohort": cohort}, "[u1 u2 u3] of 3"},
		{"returned in period 0", map[string]any{"spec": ret, "cohort": cohort, "period": 0}, "[u1 u3] of 2"},
		{"did not return in period 0", map[string]any{"spec": ret, "cohort": cohort, "period": 0, "lost": true}, "[u2] of 1"},
		{"a page", map[string]any{"spec": ret, "cohort": cohort, "limit": 2, "offset": 2}, "[u3] of 3"},
	} {
		r := c["key"].do("POST", rpath, tc.body)
		expect(t, tc.what, r, 200)
		if got := ids(r); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
	rbad := func(what string, body any, code, field string) {
		t.Helper()
		expect(t, what, c["operator"].do("POST", rpath, body), 400, code, field)
	}
	rbad("no cohort", map[string]any{"spec": ret}, "missing_field", "cohort")
	rbad("unknown cohort", map[string]any{"spec": ret, "cohort": "1999-01-01"}, "invalid_value", "cohort")
	rbad("period past the table", map[string]any{"spec": ret, "cohort": cohort, "period": 2}, "invalid_value", "period")
	rbad("lost without a period", map[string]any{"spec": ret, "cohort": cohort, "lost": true}, "invalid_value", "lost")
	rbad("a funnel spec", map[string]any{"spec": spec, "cohort": cohort}, "unsupported", "spec.kind")
	rbad("limit", map[string]any{"spec": ret, "cohort": cohort, "limit": 1000}, "invalid_value", "limit")
	expect(t, "viewer", c["viewer"].do("POST", rpath, map[string]any{"spec": ret, "cohort": cohort}), 403, "forbidden")
	expect(t, "outsider", c["outsider"].do("POST", rpath, map[string]any{"spec": ret, "cohort": cohort}), 404)

	// The CLI verb.
	retJSON, _ := json.Marshal(ret)
	var stdout, errb bytes.Buffer
	env := &cliEnv{stdin: bytes.NewReader(retJSON), stdout: &stdout, stderr: &errb, getenv: func(string) string { return "" }}
	code = run(context.Background(), env, []string{"person", "retention", "--server", s.url, "--key", c["key"].key,
		"--project", fmt.Sprint(pa), "--cohort", cohort, "--period", "0", "--lost", "-"})
	var page PersonsPage
	if err := json.Unmarshal(stdout.Bytes(), &page); code != 0 || err != nil || page.Total != 1 || page.Persons[0].DistinctID != "u2" {
		t.Fatalf("person retention: exit %d, %s %s", code, stdout.String(), errb.String())
	}
}
