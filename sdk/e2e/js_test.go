package e2e

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
)

// shareParams returns jy_share and jy_sharer of a shared mini-program path.
func shareParams(t *testing.T, path string) (id, sharer string) {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatalf("shared path %q: %v", path, err)
	}
	q := u.Query()
	if q.Get("jy_share") == "" || q.Get("jy_sharer") == "" {
		t.Fatalf("shared path %q lacks jy_share or jy_sharer", path)
	}
	return q.Get("jy_share"), q.Get("jy_sharer")
}

// TestMiniProgramSDK runs the mini-program build in Node (test/e2e/miniprogram-run.cjs: a
// sharer, a friend who opens her card and re-shares it, a third person from a group chat,
// and the sharer back on a flaky network) and checks persons, scenes and the share chain.
func TestMiniProgramSDK(t *testing.T) {
	needJS(t)
	data := t.TempDir()
	p := createProject(t, data)
	s := startServer(t, data, "127.0.0.1:0")
	var out struct {
		Alice struct {
			AnonymousID      string `json:"anonymousId"`
			SharePath        string `json:"sharePath"`
			AgainAnonymousID string `json:"againAnonymousId"`
		} `json:"alice"`
		Bob struct {
			AnonymousID string `json:"anonymousId"`
			SharePath   string `json:"sharePath"`
		} `json:"bob"`
		Carol struct {
			AnonymousID string `json:"anonymousId"`
		} `json:"carol"`
		MessageIDs []string `json:"messageIds"`
	}
	node(t, "test/e2e/miniprogram-run.cjs", s, p, &out)
	s.WaitCaughtUp(t, p)
	s.Stop(t)
	events, copies := readEvents(t, data, p)
	checkOnce(t, copies, out.MessageIDs)
	if len(copies) != len(out.MessageIDs) {
		t.Errorf("%d distinct events stored, the phones sent %d", len(copies), len(out.MessageIDs))
	}

	// Persons: every id a phone used maps to that phone's person.
	personOf := map[string]int64{}
	for _, e := range events {
		for _, id := range []string{e.AnonymousID, e.UserID} {
			if id == "" {
				continue
			}
			if prev, ok := personOf[id]; ok && prev != e.Person {
				t.Errorf("id %s is on persons %d and %d", id, prev, e.Person)
			}
			personOf[id] = e.Person
		}
	}
	alice, bob, carol := personOf[out.Alice.AnonymousID], personOf[out.Bob.AnonymousID], personOf[out.Carol.AnonymousID]
	if alice == 0 || bob == 0 || carol == 0 || alice == bob || bob == carol || alice == carol {
		t.Fatalf("persons alice %d, bob %d, carol %d: want three different persons", alice, bob, carol)
	}
	for id, want := range map[string]int64{"oAlice000000000000000000001": alice, "member-alice": alice, "member-bob": bob} {
		if personOf[id] != want {
			t.Errorf("id %s is on person %d, want %d", id, personOf[id], want)
		}
	}
	if out.Alice.AgainAnonymousID != out.Alice.AnonymousID {
		t.Errorf("alice's anonymous id changed across launches: %s, %s", out.Alice.AnonymousID, out.Alice.AgainAnonymousID)
	}

	// Scenes, page views and the share chain.
	byPerson := func(pid int64, name string) []stored {
		var r []stored
		for _, e := range events {
			if e.Person == pid && e.Event == name {
				r = append(r, e)
			}
		}
		return r
	}
	scenes := func(pid int64) []float64 {
		var r []float64
		for _, e := range events {
			if e.Person == pid {
				r = append(r, num(e.Context["scene"]))
			}
		}
		return slices.Compact(r)
	}
	for _, tc := range []struct {
		who    string
		person int64
		want   []float64
	}{{"alice", alice, []float64{1089}}, {"bob", bob, []float64{1007}}, {"carol", carol, []float64{1008}}} {
		if got := scenes(tc.person); !slices.Equal(got, tc.want) {
			t.Errorf("%s's events have scenes %v, want %v", tc.who, got, tc.want)
		}
	}
	launches := byPerson(alice, "App Launched")
	if len(launches) != 2 || launches[0].Props["first_launch"] != true || launches[1].Props["first_launch"] != false {
		t.Errorf("alice's App Launched: %+v, want two, first_launch true then false", launches)
	}
	if v := byPerson(bob, "$pageview"); len(v) != 1 || str(v[0].Props["path"]) != "pages/goods/detail" || !strings.Contains(str(v[0].Props["search"]), "id=P100") {
		t.Errorf("bob's page views: %+v", v)
	}
	if n := len(byPerson(alice, "Coupon Received")); n != 1 {
		t.Errorf("alice's Coupon Received (sent over the flaky network) stored %d times", n)
	}

	aliceShare, aliceSharer := shareParams(t, out.Alice.SharePath)
	bobShare, bobSharer := shareParams(t, out.Bob.SharePath)
	chain := []struct {
		name                string
		sharer, opener      int64
		shareID, pathSharer string
		via                 string
	}{
		{"alice → bob", alice, bob, aliceShare, aliceSharer, "wechat_friend"},
		{"bob → carol", bob, carol, bobShare, bobSharer, "wechat_group"},
	}
	for _, link := range chain {
		shared := byPerson(link.sharer, "Product Shared")
		if len(shared) != 1 || str(shared[0].Props["share_id"]) != link.shareID || str(shared[0].Props["product_id"]) != "P100" {
			t.Errorf("%s: Product Shared %+v, want one with share_id %s", link.name, shared, link.shareID)
			continue
		}
		if shared[0].DistinctID != link.pathSharer {
			t.Errorf("%s: the path names sharer %s, the Product Shared event was by %s", link.name, link.pathSharer, shared[0].DistinctID)
		}
		opened := byPerson(link.opener, "Share Opened")
		if len(opened) != 1 {
			t.Errorf("%s: %d Share Opened events, want 1", link.name, len(opened))
			continue
		}
		o := opened[0].Props
		if str(o["share_id"]) != link.shareID || str(o["sharer_id"]) != shared[0].DistinctID || personOf[str(o["sharer_id"])] != link.sharer {
			t.Errorf("%s: Share Opened %v does not point at the share %s by %s", link.name, o, link.shareID, shared[0].DistinctID)
		}
		if o["is_new_user"] != true || str(o["share_via"]) != link.via {
			t.Errorf("%s: Share Opened %v, want is_new_user and share_via %s", link.name, o, link.via)
		}
	}
}

// TestWebSDKInChromium runs the web build in headless Chromium (test/e2e/browser-run.mjs)
// and checks page views, the UTM campaign and referrer, the person across login and a second
// visit, the offline queue and the events sent by sendBeacon on page hide.
func TestWebSDKInChromium(t *testing.T) {
	needJS(t, "playwright-core")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: apt-get install chromium", chromium)
		}
		t.Skipf("%s is missing: apt-get install chromium", chromium)
	}
	data := t.TempDir()
	p := createProject(t, data)
	s := startServer(t, data, "127.0.0.1:0")
	var out struct {
		AnonymousID      string   `json:"anonymousId"`
		AgainAnonymousID string   `json:"againAnonymousId"`
		UserID           string   `json:"userId"`
		QueuedOffline    int      `json:"queuedOffline"`
		Errors           []string `json:"errors"`
	}
	node(t, "test/e2e/browser-run.mjs", s, p, &out, "CHROMIUM="+chromium)
	s.WaitCaughtUp(t, p)
	s.Stop(t)
	if len(out.Errors) > 0 {
		t.Errorf("page errors: %v", out.Errors)
	}
	if out.AgainAnonymousID != out.AnonymousID || out.UserID != "web-member-1" {
		t.Errorf("second visit ids %s / %s, want %s / web-member-1 from localStorage", out.AgainAnonymousID, out.UserID, out.AnonymousID)
	}
	if out.QueuedOffline == 0 {
		t.Error("nothing was queued while offline: the offline path was not exercised")
	}
	events, copies := readEvents(t, data, p)
	checkOnce(t, copies, nil)
	count := map[string]int{}
	var paths []string
	person := int64(0)
	for _, e := range events {
		if e.AnonymousID != out.AnonymousID {
			t.Errorf("event %s %s from anonymous id %s: want only the browser's", e.ID, e.Event, e.AnonymousID)
			continue
		}
		if person == 0 {
			person = e.Person
		}
		if e.Person != person {
			t.Errorf("event %s %s (user %q) is on person %d, want %d: one person before and after login", e.ID, e.Event, e.UserID, e.Person, person)
		}
		count[e.Event]++
		if e.Event == "$pageview" {
			paths = append(paths, str(e.Props["path"]))
		}
	}
	want := map[string]int{"$pageview": 4, "Page Left": 4, "Product Viewed": 1, "$identify": 1, "Order Completed": 1}
	for name, n := range want {
		if count[name] != n {
			t.Errorf("%d %q events stored, want %d (all: %v)", count[name], name, n, count)
		}
	}
	if wantPaths := []string{"/shop/", "/shop/goods/P1", "/shop/", "/shop/cart"}; !slices.Equal(paths, wantPaths) {
		t.Errorf("page view paths %v, want %v", paths, wantPaths)
	}
	first := events[0]
	if first.Event != "$pageview" || str(first.Props["referrer"]) != "https://mp.weixin.qq.com/s/e2e" {
		t.Errorf("first event %s with referrer %v, want the landing page view from the WeChat article", first.Event, first.Props["referrer"])
	}
	if c, _ := first.Context["campaign"].(map[string]any); str(c["source"]) != "wechat" || str(c["medium"]) != "article" || str(c["name"]) != "spring" {
		t.Errorf("context.campaign %v, want the UTM parameters", first.Context["campaign"])
	}
	for _, e := range events {
		if e.Event == "Order Completed" && e.UserID != "web-member-1" {
			t.Errorf("Order Completed user %q, want web-member-1", e.UserID)
		}
	}
}
