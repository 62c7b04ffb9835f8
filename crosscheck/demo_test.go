package crosscheck

import (
	"context"
	"testing"
	"time"

	"github.com/jingyun/jingyun/demo"
	"github.com/jingyun/jingyun/query"
)

// TestDemoShop generates the demo shop (seed 7, about 1,500 persons, the 30 days before
// 2024-11-25 in Shanghai, 双十一 included) into DuckDB and ClickHouse through the loader,
// and checks the purchase funnel and retention: the stores agree (the demo has logins and
// phone switches, so persons are merged through person_overrides), and they equal
// ClickHouse's windowFunnel and retention().
//
// Demo timestamps have milliseconds while windowFunnel works in whole seconds
// (toDateTime(intDiv(ts, 1000))): persons with two step events in the same second
// (intDiv(ts, 1000) equal) are left out of the windowFunnel comparison, as for Taobao.
func TestDemoShop(t *testing.T) {
	datasets(t) // the demo needs no files, but this package's bars are about the real data
	s := openStores(t)
	ctx := context.Background()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	const project = 3
	end := time.Date(2024, 11, 25, 0, 0, 0, 0, shanghai)
	stats, err := demo.Generate(ctx, demo.Options{ProjectID: project, Seed: 7, Persons: 1500, Days: 30, End: end, TZ: shanghai}, s.sink(t))
	if err != nil {
		t.Fatalf("cannot generate the demo shop: %v", err)
	}
	events, persons := checkSameContents(t, s, project)
	t.Logf("demo: generated %d events of %d persons (%d orders); %d events and %d persons (after merges) in each store",
		stats.Events, stats.Persons, stats.Orders, events, persons)
	if int64(events) != stats.Events {
		t.Errorf("the stores hold %d events, the demo wrote %d", events, stats.Events)
	}
	var overrides []string
	for _, st := range s.all() {
		overrides = append(overrides, queryRows(t, st, `SELECT count(DISTINCT old_person_id) FROM person_overrides WHERE project_id = ?`, int64(project))[0])
	}
	if overrides[0] != overrides[1] || overrides[0] == "0" {
		t.Errorf("merged persons: duckdb %s, clickhouse %s; want the same, not 0 (the demo merges second phones)", overrides[0], overrides[1])
	}

	env := query.Env{Project: project, Calendar: query.Calendar{TZ: shanghai}, Now: end.Add(24 * time.Hour)}
	const rng = `"date_range": {"from": "2024-10-26", "to": "2024-11-24"}`
	t.Run("funnel", func(t *testing.T) {
		f := func(spec string) {
			t.Helper()
			funnelCase(t, s, project, env, spec)
		}
		f(`{"kind": "funnel", ` + rng + `, "window": "24h", "steps": [{"event": "Product Viewed"}, {"event": "Product Added"}, {"event": "Checkout Started"}, {"event": "Order Completed"}]}`)
		f(`{"kind": "funnel", ` + rng + `, "window": "1h", "steps": [{"event": "App Launched"}, {"event": "Product Viewed"}, {"event": "Order Completed"}]}`)
		f(`{"kind": "funnel", ` + rng + `, "window": "14d", "steps": [{"event": "Share Opened"}, {"event": "Product Added"}, {"event": "Order Completed"}, {"event": "Product Reviewed"}]}`)
		// Step filters on properties and the breakdown by the first step's scene.
		f(`{"kind": "funnel", ` + rng + `, "window": "24h", "breakdown": {"property": "context.scene", "limit": 5},
			"steps": [{"event": "Product Viewed", "filters": [{"property": "source", "operator": "in", "value": ["search", "home_rec", "share"]}]},
			          {"event": "Product Added"}, {"event": "Order Completed", "filters": [{"property": "total", "operator": "gte", "value": 49}]}]}`)
		// Nested context paths: the ad campaign's source (absent outside ad scenes), the page
		// and the phone's OS (keys that also occur elsewhere in the context: app.name, os.name).
		f(`{"kind": "funnel", ` + rng + `, "window": "24h", "breakdown": {"property": "context.campaign.source", "limit": 3},
			"filters": [{"property": "context.os.name", "operator": "eq", "value": "iOS"}],
			"steps": [{"event": "Product Viewed", "filters": [{"property": "context.page.path", "operator": "eq", "value": "pages/goods/detail"}]},
			          {"event": "Product Added"}, {"event": "Order Completed"}]}`)
	})
	t.Run("retention", func(t *testing.T) {
		f := func(spec string) {
			t.Helper()
			retentionCase(t, s, env, spec, true)
		}
		f(`{"kind": "retention", ` + rng + `, "start_event": {"event": "App Launched"}, "return_event": {"event": "Order Completed"}, "period": "week", "first_time": true, "periods": 4}`)
		f(`{"kind": "retention", ` + rng + `, "start_event": {"event": "App Launched"}, "return_event": {"event": "App Launched"}, "period": "week", "first_time": true, "periods": 4}`)
		f(`{"kind": "retention", ` + rng + `, "start_event": {"event": "Product Viewed"}, "return_event": {"event": "Order Completed"}, "period": "day", "periods": 7}`)
		f(`{"kind": "retention", ` + rng + `, "start_event": {"event": "Order Completed"}, "return_event": {"event": "App Launched"}, "period": "day", "periods": 14}`)
	})
}
