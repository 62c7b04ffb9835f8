package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/event"
)

const insightSpec = `{"kind":"trends","series":[{"event":"Order Completed"}],"interval":"day","date_range":{"from":"-6d","to":"today"}}`

// id returns the numeric "id" of an answer.
func (r reply) id() int64 {
	v, _ := r.body["id"].(float64)
	return int64(v)
}

// writeEvents loads n "Order Completed" events of a project through the loader, as the
// collector's WAL reader and the importer do.
func writeEvents(t *testing.T, a *App, project uint32, n int, prefix string) {
	t.Helper()
	now := time.Now().UnixMilli()
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{ProjectID: project, ID: fmt.Sprintf("%s-%d", prefix, i), Type: event.TypeTrack, Name: "Order Completed",
			Time: now - int64(i)*1000, ReceivedAt: now, AnonymousID: fmt.Sprintf("anon-%s-%d", prefix, i), Properties: []byte(`{"total":10}`)}
	}
	if err := a.Loader.Sink().Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// total sums the first series of a trends answer.
func total(t *testing.T, r reply) float64 {
	t.Helper()
	res, _ := r.body["result"].(map[string]any)
	tr, _ := res["trends"].(map[string]any)
	series, _ := tr["series"].([]any)
	if len(series) == 0 {
		t.Fatalf("no series in %s", r.raw)
	}
	sum := 0.0
	for _, p := range series[0].(map[string]any)["points"].([]any) {
		sum += p.(map[string]any)["value"].(float64)
	}
	return sum
}

// TestInsightsAccess runs the insight and dashboard endpoints as every kind of caller: a
// viewer (and an operator) reads but cannot write, an analyst writes, a member of another
// project gets 404 for the project, and project B's ids are 404 through project A.
func TestInsightsAccess(t *testing.T) {
	w := newWorld(t)
	owner := w.clients["owner"]
	pa := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	pb := fmt.Sprintf("/api/v1/projects/%d", w.pb)
	mkInsight := func(c *client, p string) int64 {
		t.Helper()
		r := c.do("POST", p+"/insights", `{"name":"orders","spec":`+insightSpec+`}`)
		expect(t, "create insight in "+p, r, 201)
		return r.id()
	}
	mkDashboard := func(c *client, p string) int64 {
		t.Helper()
		r := c.do("POST", p+"/dashboards", map[string]string{"name": "weekly"})
		expect(t, "create dashboard in "+p, r, 201)
		return r.id()
	}
	ins, dash := mkInsight(owner, pa), mkDashboard(owner, pa)
	expect(t, "add item", owner.do("POST", fmt.Sprintf("%s/dashboards/%d/items", pa, dash), map[string]int64{"insight_id": ins}), 200)
	insB, dashB := mkInsight(w.clients["outsider"], pb), mkDashboard(w.clients["outsider"], pb)

	type endpoint struct {
		method, path string
		body         any
		min          auth.Role
		status       int
		before       func() // makes what the call needs, fresh for each caller
	}
	var fresh, freshDash int64
	newFresh := func() { fresh = mkInsight(owner, pa) }
	newFreshDash := func() { freshDash = mkDashboard(owner, pa) }
	endpoints := []func() endpoint{
		func() endpoint { return endpoint{"GET", pa + "/insights", nil, auth.Viewer, 200, nil} },
		func() endpoint {
			return endpoint{"POST", pa + "/insights", `{"name":"x","spec":` + insightSpec + `}`, auth.Analyst, 201, nil}
		},
		func() endpoint {
			return endpoint{"GET", fmt.Sprintf("%s/insights/%d", pa, ins), nil, auth.Viewer, 200, nil}
		},
		func() endpoint {
			return endpoint{"GET", fmt.Sprintf("%s/insights/%d/result", pa, ins), nil, auth.Viewer, 200, nil}
		},
		func() endpoint {
			return endpoint{"PATCH", fmt.Sprintf("%s/insights/%d", pa, ins), map[string]string{"name": "renamed"}, auth.Analyst, 200, nil}
		},
		func() endpoint {
			return endpoint{"DELETE", fmt.Sprintf("%s/insights/%d", pa, fresh), nil, auth.Analyst, 204, newFresh}
		},
		func() endpoint { return endpoint{"GET", pa + "/dashboards", nil, auth.Viewer, 200, nil} },
		func() endpoint {
			return endpoint{"POST", pa + "/dashboards", map[string]string{"name": "d"}, auth.Analyst, 201, nil}
		},
		func() endpoint {
			return endpoint{"GET", fmt.Sprintf("%s/dashboards/%d", pa, dash), nil, auth.Viewer, 200, nil}
		},
		func() endpoint {
			return endpoint{"PATCH", fmt.Sprintf("%s/dashboards/%d", pa, dash), map[string]string{"name": "月报"}, auth.Analyst, 200, nil}
		},
		func() endpoint {
			return endpoint{"DELETE", fmt.Sprintf("%s/dashboards/%d", pa, freshDash), nil, auth.Analyst, 204, newFreshDash}
		},
		func() endpoint {
			return endpoint{"POST", fmt.Sprintf("%s/dashboards/%d/items", pa, dash), map[string]int64{"insight_id": ins}, auth.Analyst, 200, nil}
		},
		func() endpoint {
			return endpoint{"PUT", fmt.Sprintf("%s/dashboards/%d/items", pa, dash), map[string][]int64{"insight_ids": {ins}}, auth.Analyst, 200, nil}
		},
		func() endpoint {
			return endpoint{"DELETE", fmt.Sprintf("%s/dashboards/%d/items/%d", pa, freshDash, ins), nil, auth.Analyst, 204, func() {
				newFreshDash()
				owner.do("POST", fmt.Sprintf("%s/dashboards/%d/items", pa, freshDash), map[string]int64{"insight_id": ins})
			}}
		},
	}
	roleOf := map[string]auth.Role{"owner": auth.Owner, "admin": auth.Admin, "analyst": auth.Analyst,
		"operator": auth.Operator, "viewer": auth.Viewer, "key": auth.Admin}
	for _, mk := range endpoints {
		for _, who := range []string{"owner", "admin", "analyst", "operator", "viewer", "key", "outsider", "key of B", "nobody"} {
			e := mk()
			if e.before != nil {
				e.before()
				e = mk()
			}
			t.Run(fmt.Sprintf("%s %s as %s", e.method, strings.TrimPrefix(e.path, pa), who), func(t *testing.T) {
				r := w.clients[who].do(e.method, e.path, e.body)
				role, member := roleOf[who]
				switch {
				case who == "nobody":
					expect(t, "no credentials", r, 401)
				case !member:
					expect(t, "another project's caller", r, 404, "project_not_found")
				case role.AtLeast(e.min):
					expect(t, "allowed", r, e.status)
				default:
					expect(t, "refused", r, 403, "forbidden")
				}
			})
		}
	}

	// Project B's ids through project A (by A's owner) are unknown, and nothing of B changes.
	for _, c := range []struct {
		method, path string
		body         any
		code         string
	}{
		{"GET", fmt.Sprintf("%s/insights/%d", pa, insB), nil, "insight_not_found"},
		{"GET", fmt.Sprintf("%s/insights/%d/result", pa, insB), nil, "insight_not_found"},
		{"PATCH", fmt.Sprintf("%s/insights/%d", pa, insB), map[string]string{"name": "mine"}, "insight_not_found"},
		{"DELETE", fmt.Sprintf("%s/insights/%d", pa, insB), nil, "insight_not_found"},
		{"GET", fmt.Sprintf("%s/dashboards/%d", pa, dashB), nil, "dashboard_not_found"},
		{"PATCH", fmt.Sprintf("%s/dashboards/%d", pa, dashB), map[string]string{"name": "mine"}, "dashboard_not_found"},
		{"DELETE", fmt.Sprintf("%s/dashboards/%d", pa, dashB), nil, "dashboard_not_found"},
		{"POST", fmt.Sprintf("%s/dashboards/%d/items", pa, dashB), map[string]int64{"insight_id": ins}, "dashboard_not_found"},
		{"POST", fmt.Sprintf("%s/dashboards/%d/items", pa, dash), map[string]int64{"insight_id": insB}, "insight_not_found"},
		{"PUT", fmt.Sprintf("%s/dashboards/%d/items", pa, dashB), map[string][]int64{"insight_ids": {insB}}, "dashboard_not_found"},
		{"DELETE", fmt.Sprintf("%s/dashboards/%d/items/%d", pa, dashB, insB), nil, "dashboard_not_found"},
		{"POST", pa + "/insights", `{"name":"x","dashboard_id":` + fmt.Sprint(dashB) + `,"spec":` + insightSpec + `}`, "dashboard_not_found"},
	} {
		expect(t, c.method+" "+c.path, owner.do(c.method, c.path, c.body), 404, c.code)
	}
	r := w.clients["outsider"].do("GET", fmt.Sprintf("%s/dashboards/%d", pb, dashB), nil)
	expect(t, "B's dashboard", r, 200)
	if r.body["name"] != "weekly" || len(r.body["items"].([]any)) != 0 {
		t.Fatalf("B's dashboard changed: %s", r.raw)
	}
	r = w.clients["outsider"].do("GET", pb+"/insights", nil)
	if l := r.body["insights"].([]any); len(l) != 1 || l[0].(map[string]any)["name"] != "orders" {
		t.Fatalf("B's insights: %s", r.raw)
	}
}

// TestInsightsFlow saves an insight straight onto a dashboard, reorders, renames, removes
// and checks what each answer holds.
func TestInsightsFlow(t *testing.T) {
	w := newWorld(t)
	c := w.clients["analyst"]
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	r := c.do("POST", p+"/dashboards", map[string]string{"name": " 经营周报 ", "description": "每周一看"})
	expect(t, "create dashboard", r, 201)
	dash := r.id()
	if r.body["name"] != "经营周报" || r.body["created_by"] == nil {
		t.Fatalf("dashboard: %s", r.raw)
	}
	var ids []int64
	for _, name := range []string{"A", "B", "C"} {
		r := c.do("POST", p+"/insights", fmt.Sprintf(`{"name":%q,"description":"d","dashboard_id":%d,"spec":{"date_range":{"to":"today","from":"-6d"},"kind":"trends","series":[{"event":"Order Completed"}]}}`, name, dash))
		expect(t, "create insight "+name, r, 201)
		// The spec is stored validated and re-encoded in canonical key order.
		spec, _ := r.body["spec"].(map[string]any)
		if spec["kind"] != "trends" || !strings.Contains(r.raw, `"spec":{"kind":"trends","date_range":{"from":"-6d","to":"today"}`) {
			t.Fatalf("stored spec: %s", r.raw)
		}
		if d := r.body["dashboards"].([]any); len(d) != 1 || d[0] != float64(dash) {
			t.Fatalf("insight's dashboards: %s", r.raw)
		}
		ids = append(ids, r.id())
	}
	names := func(r reply) string {
		var out []string
		for _, it := range r.body["items"].([]any) {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		return strings.Join(out, "")
	}
	dp := fmt.Sprintf("%s/dashboards/%d", p, dash)
	r = c.do("GET", dp, nil)
	expect(t, "get dashboard", r, 200)
	if names(r) != "ABC" || r.body["item_count"] != float64(3) {
		t.Fatalf("dashboard: %s", r.raw)
	}
	r = c.do("PUT", dp+"/items", map[string][]int64{"insight_ids": {ids[2], ids[0], ids[1]}})
	expect(t, "reorder", r, 200)
	if names(r) != "CAB" {
		t.Fatalf("reordered: %s", r.raw)
	}
	expect(t, "reorder missing one", c.do("PUT", dp+"/items", map[string][]int64{"insight_ids": {ids[2], ids[0]}}), 400, "invalid_value", "insight_ids")
	expect(t, "remove", c.do("DELETE", fmt.Sprintf("%s/items/%d", dp, ids[0]), nil), 204)
	expect(t, "remove again", c.do("DELETE", fmt.Sprintf("%s/items/%d", dp, ids[0]), nil), 404, "insight_not_found")
	r = c.do("PATCH", dp, map[string]string{"name": "经营月报"})
	expect(t, "rename", r, 200)
	if r.body["name"] != "经营月报" || r.body["description"] != "每周一看" || names(r) != "CB" {
		t.Fatalf("renamed: %s", r.raw)
	}
	r = c.do("PATCH", fmt.Sprintf("%s/insights/%d", p, ids[1]), `{"spec":{"kind":"funnel","steps":[{"event":"a"},{"event":"b"}],"date_range":{"from":"-6d"}}}`)
	expect(t, "change spec", r, 200)
	if r.body["name"] != "B" || r.body["spec"].(map[string]any)["kind"] != "funnel" {
		t.Fatalf("changed spec: %s", r.raw)
	}
	expect(t, "delete insight", c.do("DELETE", fmt.Sprintf("%s/insights/%d", p, ids[2]), nil), 204)
	r = c.do("GET", dp, nil)
	if names(r) != "B" {
		t.Fatalf("after deleting an insight: %s", r.raw)
	}
	r = c.do("GET", p+"/dashboards", nil)
	if l := r.body["dashboards"].([]any); len(l) != 1 || l[0].(map[string]any)["item_count"] != float64(1) {
		t.Fatalf("list: %s", r.raw)
	}
	expect(t, "delete dashboard", c.do("DELETE", dp, nil), 204)
	expect(t, "deleted dashboard", c.do("GET", dp, nil), 404, "dashboard_not_found")
	r = c.do("GET", fmt.Sprintf("%s/insights/%d", p, ids[1]), nil)
	if expect(t, "insight outlives its dashboard", r, 200); len(r.body["dashboards"].([]any)) != 0 {
		t.Fatalf("insight: %s", r.raw)
	}
}

// TestInsightsBadInput: every bad request is a 4xx with a code and the field at fault, and
// changes nothing.
func TestInsightsBadInput(t *testing.T) {
	w := newWorld(t)
	owner := w.clients["owner"]
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	r := owner.do("POST", p+"/insights", `{"name":"ok","spec":`+insightSpec+`}`)
	expect(t, "create", r, 201)
	ins := fmt.Sprintf("%s/insights/%d", p, r.id())
	r = owner.do("POST", p+"/dashboards", `{"name":"ok"}`)
	dash := fmt.Sprintf("%s/dashboards/%d", p, r.id())
	long := strings.Repeat("名", 201)
	cases := []struct {
		method, path, body string
		status             int
		code, field        string
	}{
		{"POST", p + "/insights", ``, 400, "empty_body", ""},
		{"POST", p + "/insights", `{"name":`, 400, "malformed_json", ""},
		{"POST", p + "/insights", `{"spec":` + insightSpec + `}`, 400, "missing_field", "name"},
		{"POST", p + "/insights", `{"name":"  ","spec":` + insightSpec + `}`, 400, "missing_field", "name"},
		{"POST", p + "/insights", `{"name":"` + long + `","spec":` + insightSpec + `}`, 400, "too_long", "name"},
		{"POST", p + "/insights", `{"name":7,"spec":` + insightSpec + `}`, 400, "invalid_type", "name"},
		{"POST", p + "/insights", `{"name":"x"}`, 400, "missing_field", "spec"},
		{"POST", p + "/insights", `{"name":"x","spec":null}`, 400, "missing_field", "spec"},
		{"POST", p + "/insights", `{"name":"x","spec":[]}`, 400, "invalid_spec", "spec"},
		{"POST", p + "/insights", `{"name":"x","spec":{"kind":"pie","date_range":{"from":"-6d"}}}`, 400, "invalid_spec", "spec.kind"},
		{"POST", p + "/insights", `{"name":"x","spec":{"kind":"funnel","steps":[{"event":"a"},{"event":""}],"date_range":{"from":"-6d"}}}`, 400, "invalid_spec", "spec.steps[1].event"},
		{"POST", p + "/insights", `{"name":"x","spec":{"kind":"trends","series":[{"event":"a"}],"date_range":{"from":"-6d"},"colour":"red"}}`, 400, "invalid_spec", "spec.colour"},
		{"POST", p + "/insights", `{"name":"x","owner":1,"spec":` + insightSpec + `}`, 400, "unknown_field", "owner"},
		{"POST", p + "/insights", `{"name":"x","spec":{"kind":"trends","series":[{"event":"a"}],"date_range":{"from":"2026-01-01","to":"2025-01-01"}}}`, 400, "invalid_spec", "spec.date_range.to"},
		{"POST", p + "/insights", `{"name":"x","dashboard_id":999,"spec":` + insightSpec + `}`, 404, "dashboard_not_found", "dashboard_id"},
		{"PATCH", ins, `{}`, 400, "missing_field", "name"},
		{"PATCH", ins, `{"name":""}`, 400, "missing_field", "name"},
		{"PATCH", ins, `{"description":"` + strings.Repeat("d", 2001) + `"}`, 400, "too_long", "description"},
		{"PATCH", ins, `{"spec":{"kind":"trends","date_range":{"from":"-6d"}}}`, 400, "invalid_spec", "spec.series"},
		{"PATCH", ins, `{"dashboard_id":1}`, 400, "unknown_field", "dashboard_id"},
		{"GET", p + "/insights/abc", ``, 404, "insight_not_found", ""},
		{"GET", p + "/insights/-1", ``, 404, "insight_not_found", ""},
		{"GET", p + "/insights/99999999999999999999", ``, 404, "insight_not_found", ""},
		{"GET", ins + "/result?refresh=yes", ``, 400, "invalid_value", "refresh"},
		{"POST", p + "/query?refresh=2", insightSpec, 400, "invalid_value", "refresh"},
		{"POST", p + "/dashboards", `{}`, 400, "missing_field", "name"},
		{"POST", p + "/dashboards", `{"name":"a\u0007b"}`, 400, "invalid_value", "name"},
		{"PATCH", dash, `{}`, 400, "missing_field", "name"},
		{"PATCH", dash, `{"name":"` + long + `"}`, 400, "too_long", "name"},
		{"GET", p + "/dashboards/0", ``, 404, "dashboard_not_found", ""},
		{"POST", dash + "/items", `{}`, 400, "missing_field", "insight_id"},
		{"POST", dash + "/items", `{"insight_id":"1"}`, 400, "invalid_type", "insight_id"},
		{"POST", dash + "/items", `{"insight_id":424242}`, 404, "insight_not_found", "insight_id"},
		{"PUT", dash + "/items", `{}`, 400, "missing_field", "insight_ids"},
		{"PUT", dash + "/items", `{"insight_ids":[1]}`, 400, "invalid_value", "insight_ids"},
		{"PUT", dash + "/items", `{"insight_ids":"1"}`, 400, "invalid_type", "insight_ids"},
		{"DELETE", dash + "/items/x", ``, 404, "insight_not_found", ""},
	}
	for _, c := range cases {
		r := owner.do(c.method, c.path, c.body)
		if r.status != c.status || r.code() != c.code || r.field() != c.field {
			t.Errorf("%s %s %.80q: %d %s %q, want %d %s %q (%s)", c.method, c.path, c.body, r.status, r.code(), r.field(),
				c.status, c.code, c.field, r.raw)
		}
	}
	r = owner.do("GET", p+"/insights", nil)
	if l := r.body["insights"].([]any); len(l) != 1 || l[0].(map[string]any)["name"] != "ok" {
		t.Fatalf("bad input changed the insights: %s", r.raw)
	}
}

// TestResultCache: a repeated query is served from the cache with the first computation's
// time, ?refresh=1 recomputes, and a write to the project (not to another one) invalidates.
func TestResultCache(t *testing.T) {
	w := newWorld(t)
	a := w.s.a
	c := w.clients["viewer"]
	p := fmt.Sprintf("/api/v1/projects/%d", w.pa)
	writeEvents(t, a, w.pa, 3, "first")
	cached := func(r reply) bool { return r.body["cached"] == true }

	r1 := c.do("POST", p+"/query", insightSpec)
	expect(t, "query", r1, 200)
	if cached(r1) || total(t, r1) != 3 || r1.body["computed_at"] == "" {
		t.Fatalf("first query: %s", r1.raw)
	}
	// The same spec with its keys in another order is the same query.
	r2 := c.do("POST", p+"/query", `{"date_range":{"to":"today","from":"-6d"},"interval":"day","series":[{"event":"Order Completed"}],"kind":"trends"}`)
	if !cached(r2) || r2.body["computed_at"] != r1.body["computed_at"] || total(t, r2) != 3 {
		t.Fatalf("second query not from the cache: %s", r2.raw)
	}
	r3 := c.do("POST", p+"/query?refresh=1", insightSpec)
	if cached(r3) || total(t, r3) != 3 {
		t.Fatalf("refresh: %s", r3.raw)
	}
	// A write to project B leaves A's entry valid.
	writeEvents(t, a, w.pb, 2, "b")
	if r := c.do("POST", p+"/query", insightSpec); !cached(r) {
		t.Fatalf("a write to B invalidated A: %s", r.raw)
	}
	// A write to A invalidates: the next answer is computed and counts the new events.
	writeEvents(t, a, w.pa, 2, "second")
	r4 := c.do("POST", p+"/query", insightSpec)
	if cached(r4) || total(t, r4) != 5 {
		t.Fatalf("after a write: %s", r4.raw)
	}

	// An insight's result goes through the same cache.
	r := w.clients["owner"].do("POST", p+"/insights", `{"name":"orders","spec":`+insightSpec+`}`)
	res := fmt.Sprintf("%s/insights/%d/result", p, r.id())
	r5 := c.do("GET", res, nil)
	expect(t, "insight result", r5, 200)
	if !cached(r5) || total(t, r5) != 5 || r5.body["insight_id"] != float64(r.id()) {
		t.Fatalf("insight result (the query above computed it): %s", r5.raw)
	}
	r6 := c.do("GET", res+"?refresh=1", nil)
	if cached(r6) || total(t, r6) != 5 {
		t.Fatalf("insight refresh: %s", r6.raw)
	}
	// Deleting a person of A invalidates too.
	if _, ok, err := a.Loader.DeletePerson(context.Background(), w.pa, "anon-second-0"); err != nil || !ok {
		t.Fatalf("delete person: %v %v", ok, err)
	}
	if r := c.do("GET", res, nil); cached(r) || total(t, r) != 4 {
		t.Fatalf("after deleting a person: %s", r.raw)
	}
	if s := a.Results.Stats(); s.Hits < 3 || s.Entries < 1 {
		t.Fatalf("cache stats: %+v", s)
	}
}
