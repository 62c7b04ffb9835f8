package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
)

var (
	cst     = time.FixedZone("CST", 8*3600)
	testEnd = time.Date(2026, 11, 23, 12, 0, 0, 0, cst) // covers 双十一
)

// keep is a sink that keeps every event.
type keep struct {
	evs     []event.Event
	batches int
}

func (k *keep) Write(_ context.Context, evs []event.Event) error {
	k.evs = append(k.evs, evs...)
	k.batches++
	return nil
}

// hashSink hashes every field of every event in stream order.
type hashSink struct {
	h interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
	n int
}

func newHashSink() *hashSink { return &hashSink{h: sha256.New()} }

func (s *hashSink) Write(_ context.Context, evs []event.Event) error {
	var num [8]byte
	for i := range evs {
		e := &evs[i]
		for _, f := range []string{e.ID, string(e.Type), e.Name, e.AnonymousID, e.UserID, e.PreviousID, e.GroupID} {
			s.h.Write([]byte(f))
			s.h.Write([]byte{0})
		}
		for _, f := range [][]byte{e.Properties, e.Context, e.Traits} {
			s.h.Write(f)
			s.h.Write([]byte{0})
		}
		binary.LittleEndian.PutUint64(num[:], uint64(e.Time))
		s.h.Write(num[:])
		binary.LittleEndian.PutUint64(num[:], uint64(e.ReceivedAt)^uint64(e.ProjectID)<<40)
		s.h.Write(num[:])
	}
	s.n += len(evs)
	return nil
}

func (s *hashSink) sum() string { return string(s.h.Sum(nil)) }

var (
	shopOnce  sync.Once
	shopEvs   []event.Event
	shopStats Stats
	shopErr   error
)

// testShop generates one shop shared by the tests: 6,000 persons over 60 days.
func testShop(t *testing.T) ([]event.Event, Stats) {
	t.Helper()
	shopOnce.Do(func() {
		var k keep
		shopStats, shopErr = Generate(context.Background(), Options{ProjectID: 7, Seed: 42, Persons: 6000, Days: 60, End: testEnd, TZ: cst}, &k)
		shopEvs = k.evs
	})
	if shopErr != nil {
		t.Fatalf("cannot generate the test shop: %v", shopErr)
	}
	return shopEvs, shopStats
}

// personOf returns the person part of a demo event id: demo-<seed>-<person>-<seq>.
func personOf(id string) string { return id[:strings.LastIndexByte(id, '-')] }

func props(t *testing.T, e *event.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Properties, &m); err != nil {
		t.Fatalf("cannot parse properties of %s %q: %v", e.ID, e.Properties, err)
	}
	return m
}

func TestDeterministic(t *testing.T) {
	run := func(seed int64, batch int) (string, int) {
		h := newHashSink()
		_, err := Generate(context.Background(), Options{ProjectID: 1, Seed: seed, Persons: 1500, Days: 30, End: testEnd, TZ: cst, BatchSize: batch}, h)
		if err != nil {
			t.Fatal(err)
		}
		return h.sum(), h.n
	}
	a, n := run(42, 0)
	if n < 10000 {
		t.Fatalf("only %d events for 1,500 persons", n)
	}
	if b, _ := run(42, 0); a != b {
		t.Fatal("two runs with the same seed differ")
	}
	if b, _ := run(42, 333); a != b {
		t.Fatal("the batch size changed the stream")
	}
	if b, _ := run(43, 0); a == b {
		t.Fatal("seeds 42 and 43 gave the same stream")
	}
}

// TestPersonIndependent checks that a person's events depend only on the seed, the options
// and its own number: simulating a tree after others or on its own gives the same events.
func TestPersonIndependent(t *testing.T) {
	opts, err := Options{ProjectID: 1, Seed: 9, Days: 30, End: testEnd, TZ: cst}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(opts)
	simulate := func(s *sim, root uint64) [][]byte {
		var out [][]byte
		tree := []childSpec{{}}
		for i := 0; i < len(tree); i++ {
			spec := tree[i]
			s.run(root<<treeBits|uint64(i), &spec, &tree)
			for _, e := range s.ev {
				out = append(out, append(append(append([]byte(e.Name+e.AnonymousID+e.UserID), e.Properties...), e.Context...), e.Traits...))
			}
		}
		return out
	}
	warm := &sim{g: g, ar: &arena{}}
	for root := uint64(0); root < 100; root++ {
		simulate(warm, root)
	}
	for root := uint64(100); root < 300; root++ {
		a := simulate(warm, root)
		b := simulate(&sim{g: g, ar: &arena{}}, root)
		if len(a) != len(b) {
			t.Fatalf("root %d: %d events after others, %d alone", root, len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("root %d event %d differs:\n%s\n%s", root, i, a[i], b[i])
			}
		}
	}
}

func TestEventsValid(t *testing.T) {
	evs, st := testShop(t)
	if st.Events != int64(len(evs)) {
		t.Fatalf("Stats.Events = %d, sink got %d", st.Events, len(evs))
	}
	start, end := st.Start.UnixMilli(), testEnd.UnixMilli()
	if want := testEnd.AddDate(0, 0, -60); !st.Start.Equal(want) {
		t.Fatalf("range starts %v, want %v", st.Start, want)
	}
	ids := make(map[string]bool, len(evs))
	last := map[string]int64{}
	money := map[string]bool{"price": true, "value": true, "revenue": true, "total": true, "discount": true, "shipping": true, "min_spend": true}
	for i := range evs {
		e := &evs[i]
		switch {
		case e.Name == "" || !e.Type.Valid():
			t.Fatalf("event %s has name %q type %q", e.ID, e.Name, e.Type)
		case e.ProjectID != 7:
			t.Fatalf("event %s has project %d", e.ID, e.ProjectID)
		case ids[e.ID]:
			t.Fatalf("id %s is not unique", e.ID)
		case e.Time < start || e.Time >= end:
			t.Fatalf("event %s at %v is outside the range", e.ID, time.UnixMilli(e.Time))
		case e.ReceivedAt != e.Time:
			t.Fatalf("event %s received at %d, sent at %d", e.ID, e.ReceivedAt, e.Time)
		case e.AnonymousID == "" && e.UserID == "":
			t.Fatalf("event %s has no identifier", e.ID)
		case (e.Type == event.TypeTrack || e.Type == event.TypePage) && !json.Valid(e.Properties):
			t.Fatalf("event %s has invalid properties %q", e.ID, e.Properties)
		case !json.Valid(e.Context):
			t.Fatalf("event %s has invalid context %q", e.ID, e.Context)
		case e.Type == event.TypeIdentify && (e.UserID == "" || e.AnonymousID == "" || !json.Valid(e.Traits)):
			t.Fatalf("identify %s: user %q anonymous %q traits %q", e.ID, e.UserID, e.AnonymousID, e.Traits)
		case e.Type != event.TypeIdentify && e.Traits != nil:
			t.Fatalf("event %s of type %s has traits", e.ID, e.Type)
		case e.Type.ReservedName() != "" && e.Name != e.Type.ReservedName():
			t.Fatalf("event %s of type %s is named %q", e.ID, e.Type, e.Name)
		}
		ids[e.ID] = true
		p := personOf(e.ID)
		if e.Time < last[p] {
			t.Fatalf("event %s of %s goes back in time", e.ID, p)
		}
		last[p] = e.Time
		if e.Properties != nil {
			checkMoney(t, e, money)
		}
	}
}

// checkMoney fails when a money field is not a JSON number with exactly two decimals.
func checkMoney(t *testing.T, e *event.Event, money map[string]bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(e.Properties))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("cannot decode properties of %s: %v", e.ID, err)
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				walk(k, y)
			}
		case []any:
			for _, y := range x {
				walk(key, y)
			}
		case json.Number:
			if !money[key] {
				return
			}
			s := string(x)
			dot := strings.IndexByte(s, '.')
			if dot < 0 || len(s)-dot-1 != 2 || strings.HasPrefix(s, "-") {
				t.Fatalf("event %s: %s = %s, want a positive amount with two decimals", e.ID, key, s)
			}
		default:
			if money[key] {
				t.Fatalf("event %s: %s = %v is not a number", e.ID, key, v)
			}
		}
	}
	walk("", v)
}

func TestFunnel(t *testing.T) {
	evs, st := testShop(t)
	steps := []string{EventProductViewed, EventProductAdded, EventCheckoutStarted, EventOrderCompleted}
	persons := make([]map[string]bool, len(steps))
	for i := range persons {
		persons[i] = map[string]bool{}
	}
	for i := range evs {
		for s, name := range steps {
			if evs[i].Name == name {
				persons[s][personOf(evs[i].ID)] = true
			}
		}
	}
	viewed := float64(len(persons[0]))
	if viewed < 0.5*float64(st.Persons) {
		t.Fatalf("only %v of %d persons viewed a product", viewed, st.Persons)
	}
	f := func(step int, lo, hi float64) {
		t.Helper()
		if r := float64(len(persons[step])) / viewed; r < lo || r > hi {
			t.Errorf("%s: %.3f of the persons who viewed a product, want %.2f–%.2f", steps[step], r, lo, hi)
		}
	}
	f(1, 0.20, 0.40)
	f(2, 0.10, 0.25)
	f(3, 0.07, 0.20)
	if !(len(persons[1]) > len(persons[2]) && len(persons[2]) > len(persons[3])) {
		t.Errorf("funnel does not narrow: %d, %d, %d", len(persons[1]), len(persons[2]), len(persons[3]))
	}
}

func TestOrders(t *testing.T) {
	evs, st := testShop(t)
	paid := map[string]float64{}
	started := map[string]bool{}
	var revenue float64
	for i := range evs {
		e := &evs[i]
		switch e.Name {
		case EventCheckoutStarted:
			started[props(t, e)["order_id"].(string)] = true
		case EventOrderCompleted:
			m := props(t, e)
			id := m["order_id"].(string)
			if !started[id] {
				t.Fatalf("order %s completed before it was started", id)
			}
			if e.UserID == "" {
				t.Fatalf("order %s paid by a person who is not logged in", id)
			}
			rev, total, ship, disc := m["revenue"].(float64), m["total"].(float64), m["shipping"].(float64), m["discount"].(float64)
			var sum float64
			for _, p := range m["products"].([]any) {
				p := p.(map[string]any)
				sum += p["price"].(float64) * p["quantity"].(float64)
			}
			if !near(rev, sum-disc) || !near(total, rev+ship) || m["currency"] != "CNY" {
				t.Fatalf("order %s does not add up: %v", id, m)
			}
			paid[id] = total
			revenue += total
		}
	}
	if !near(revenue, float64(st.Revenue)/100) {
		t.Fatalf("Stats.Revenue = %v, orders sum to %.2f", st.Revenue, revenue)
	}
	refunds := 0
	for i := range evs {
		e := &evs[i]
		switch e.Name {
		case EventOrderRefunded:
			m := props(t, e)
			total, ok := paid[m["order_id"].(string)]
			if !ok || !near(total, m["total"].(float64)) {
				t.Fatalf("refund %v does not match a paid order", m)
			}
			refunds++
		case EventOrderCancelled:
			if id := props(t, e)["order_id"].(string); paid[id] != 0 || !started[id] {
				t.Fatalf("cancelled order %s was paid or never started", id)
			}
		}
	}
	if refunds == 0 || refunds > len(paid)/4 || int64(len(paid)) != st.Orders {
		t.Fatalf("%d refunds of %d orders (Stats: %d orders)", refunds, len(paid), st.Orders)
	}
}

func near(a, b float64) bool { return a-b < 0.005 && b-a < 0.005 }

func TestShares(t *testing.T) {
	evs, st := testShop(t)
	sharer := map[string]string{} // share id → distinct id of the sharer
	for i := range evs {
		if e := &evs[i]; e.Name == EventProductShared {
			sharer[props(t, e)["share_id"].(string)] = e.DistinctID()
		}
	}
	// depth of a person = depth of the sharer's person + 1, following first opens.
	depth := map[string]int{}
	personOfID := map[string]string{} // distinct id → person
	for i := range evs {
		e := &evs[i]
		p := personOf(e.ID)
		personOfID[e.DistinctID()] = p
		if e.Name != EventShareOpened {
			continue
		}
		m := props(t, e)
		id := m["share_id"].(string)
		by, ok := sharer[id]
		if !ok {
			t.Fatalf("share %s was opened but never shared", id)
		}
		if by != m["sharer_id"] {
			t.Fatalf("share %s opened with sharer %v, shared by %s", id, m["sharer_id"], by)
		}
		if m["is_new_user"] == true {
			if _, seen := depth[p]; seen {
				t.Fatalf("%s opened a second share as a new user", p)
			}
			depth[p] = depth[personOfID[by]] + 1
		}
		if ctx := string(e.Context); !strings.Contains(ctx, `"scene":1007`) && !strings.Contains(ctx, `"scene":1008`) && !strings.Contains(ctx, `"scene":1048`) {
			t.Fatalf("share opened outside a share scene: %s", ctx)
		}
	}
	maxDepth := 0
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	if maxDepth < 2 || maxDepth != st.MaxInviteDepth || int64(len(depth)) != st.InvitedPersons {
		t.Fatalf("invite depth %d and %d invited persons; Stats say %d and %d", maxDepth, len(depth), st.MaxInviteDepth, st.InvitedPersons)
	}
	if r := float64(st.InvitedPersons) / float64(st.Persons); r < 0.05 || r > 0.3 {
		t.Fatalf("%.3f of the persons were invited, want 5–30%%", r)
	}
}

func TestGroupBuys(t *testing.T) {
	evs, _ := testShop(t)
	started := map[string]float64{}
	joined := map[string]int{}
	outcome := map[string]string{}
	for i := range evs {
		e := &evs[i]
		switch e.Name {
		case EventGroupBuyStarted:
			m := props(t, e)
			started[m["group_buy_id"].(string)] = m["group_size"].(float64)
		case EventGroupBuyJoined:
			id := props(t, e)["group_buy_id"].(string)
			if _, ok := started[id]; !ok {
				t.Fatalf("group %s joined before it started", id)
			}
			joined[id]++
		case EventGroupBuyCompleted, EventGroupBuyFailed:
			id := props(t, e)["group_buy_id"].(string)
			if o, ok := outcome[id]; ok && o != e.Name {
				t.Fatalf("group %s both completed and failed", id)
			}
			outcome[id] = e.Name
		}
	}
	completed := 0
	for id, size := range started {
		if float64(joined[id]) > size-1 {
			t.Fatalf("group %s of %v has %d joiners", id, size, joined[id])
		}
		if outcome[id] == EventGroupBuyCompleted {
			completed++
			if float64(joined[id]) != size-1 {
				t.Fatalf("group %s completed with %d joiners of %v", id, joined[id], size)
			}
		}
	}
	if len(started) < 20 || completed == 0 || completed == len(started) {
		t.Fatalf("%d groups started, %d completed", len(started), completed)
	}
}

func TestIdentity(t *testing.T) {
	evs, _ := testShop(t)
	type person struct {
		anons       map[string]bool
		user        string
		beforeLogin bool
		traits      bool
	}
	ps := map[string]*person{}
	for i := range evs {
		e := &evs[i]
		p := ps[personOf(e.ID)]
		if p == nil {
			p = &person{anons: map[string]bool{}}
			ps[personOf(e.ID)] = p
		}
		if e.UserID != "" {
			if p.user != "" && p.user != e.UserID {
				t.Fatalf("person %s has user ids %s and %s", personOf(e.ID), p.user, e.UserID)
			}
			p.user = e.UserID
		} else if p.user == "" {
			p.beforeLogin = true
		}
		if e.AnonymousID != "" {
			p.anons[e.AnonymousID] = true
		}
		if e.Type == event.TypeIdentify && bytes.Contains(e.Traits, []byte(`"phone_hash"`)) {
			var tr map[string]any
			if err := json.Unmarshal(e.Traits, &tr); err != nil {
				t.Fatal(err)
			}
			if tr["city"] == "" || tr["member_level"] != "普通会员" || tr["$set_once"] == nil {
				t.Fatalf("registration traits %s", e.Traits)
			}
			p.traits = true
		}
	}
	var members, anonFirst, twoPhones int
	for _, p := range ps {
		if p.user != "" {
			members++
			if !p.traits {
				t.Fatalf("member %s never registered with traits", p.user)
			}
			if p.beforeLogin {
				anonFirst++
			}
		}
		if len(p.anons) > 1 {
			twoPhones++
		}
	}
	if members < len(ps)/5 || anonFirst < members*9/10 || twoPhones == 0 {
		t.Fatalf("%d persons, %d members, %d browsed before login, %d used two phones", len(ps), members, anonFirst, twoPhones)
	}
}

func TestReviews(t *testing.T) {
	evs, _ := testShop(t)
	var n, low, lowNegative, five, fivePositive int
	for i := range evs {
		e := &evs[i]
		if e.Name != EventProductReviewed {
			continue
		}
		m := props(t, e)
		rating, body := m["rating"].(float64), m["review_body"].(string)
		if rating < 1 || rating > 5 || body == "" {
			t.Fatalf("review %v", m)
		}
		n++
		negative := false
		for _, w := range reviewNegatives {
			negative = negative || strings.Contains(body, w)
		}
		if rating <= 2 {
			low++
			if negative {
				lowNegative++
			}
		}
		if rating == 5 {
			five++
			if !negative && strings.HasSuffix(body, "！") {
				fivePositive++
			}
		}
	}
	if n < 50 || low == 0 || lowNegative != low || fivePositive != five || five < n/3 {
		t.Fatalf("%d reviews: %d low (%d negative), %d five-star (%d positive)", n, low, lowNegative, five, fivePositive)
	}
}

// TestRhythms checks the shape of traffic: evenings beat nights, 双十一 beats an ordinary
// day, most persons come once and some come back over several weeks.
func TestRhythms(t *testing.T) {
	evs, _ := testShop(t)
	var byHour [24]int
	byDay := map[string]int{}
	weeks := map[string]map[int]bool{}
	for i := range evs {
		e := &evs[i]
		if e.Name != EventAppLaunched {
			continue
		}
		tm := time.UnixMilli(e.Time).In(cst)
		byHour[tm.Hour()]++
		byDay[tm.Format("01-02")]++
		p := personOf(e.ID)
		if weeks[p] == nil {
			weeks[p] = map[int]bool{}
		}
		weeks[p][int(e.Time/(7*dayMs))] = true
	}
	if byHour[21] < 3*byHour[4] || byHour[21] < byHour[10] {
		t.Errorf("visits by hour: %v", byHour)
	}
	if byDay["11-11"] < 2*byDay["11-04"] {
		t.Errorf("双十一 has %d visits, a week before %d", byDay["11-11"], byDay["11-04"])
	}
	once, loyal := 0, 0
	for _, w := range weeks {
		switch {
		case len(w) == 1:
			once++
		case len(w) >= 4:
			loyal++
		}
	}
	if once < len(weeks)/3 || loyal < len(weeks)/50 {
		t.Errorf("%d persons: %d active in one week, %d in four or more", len(weeks), once, loyal)
	}
}

func TestSeasons(t *testing.T) {
	mooncakeViews := func(end time.Time) float64 {
		var k keep
		if _, err := Generate(context.Background(), Options{Seed: 5, Persons: 800, Days: 14, End: end, TZ: cst}, &k); err != nil {
			t.Fatal(err)
		}
		var views, mooncake float64
		for i := range k.evs {
			if e := &k.evs[i]; e.Name == EventProductViewed {
				views++
				if bytes.Contains(e.Properties, []byte("月饼")) {
					mooncake++
				}
			}
		}
		return mooncake / views
	}
	before, summer := mooncakeViews(time.Date(2026, 9, 24, 0, 0, 0, 0, cst)), mooncakeViews(time.Date(2026, 7, 15, 0, 0, 0, 0, cst))
	if before < 0.03 || before < 5*summer {
		t.Fatalf("月饼 take %.3f of product views before 中秋 and %.3f in July", before, summer)
	}
}

func TestCatalogue(t *testing.T) {
	ps := Catalogue(42)
	if len(ps) < 300 || len(ps) > 500 {
		t.Fatalf("%d products", len(ps))
	}
	ids, skus, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	cats := map[string]bool{}
	seasons := map[Season]int{}
	var pop float64
	for _, p := range ps {
		if ids[p.ID] || skus[p.SKU] || names[p.Name] {
			t.Fatalf("duplicate product %+v", p)
		}
		ids[p.ID], skus[p.SKU], names[p.Name], cats[p.Category] = true, true, true, true
		seasons[p.Season]++
		pop += p.Popularity
		if p.Price <= 0 || p.Stock < 0 || p.Brand == "" || (p.GroupPrice > 0) != (p.GroupSize >= 2) || p.GroupPrice >= p.Price {
			t.Fatalf("bad product %+v", p)
		}
	}
	if len(cats) < 7 || len(seasons) != 6 || !near(pop, 1) {
		t.Fatalf("%d categories, seasons %v, popularity sums to %v", len(cats), seasons, pop)
	}
	// Long tail: the top tenth of products takes a large share of demand.
	pops := make([]float64, len(ps))
	for i, p := range ps {
		pops[i] = p.Popularity
	}
	var top float64
	for i := 0; i < len(ps)/10; i++ {
		best := 0
		for j := range pops {
			if pops[j] > pops[best] {
				best = j
			}
		}
		top += pops[best]
		pops[best] = 0
	}
	if top < 0.4 || top > 0.8 {
		t.Fatalf("top 10%% of products have %.2f of demand", top)
	}
	again := Catalogue(42)
	other := Catalogue(43)
	same := true
	for i := range ps {
		if again[i].Name != ps[i].Name || again[i].Price != ps[i].Price {
			t.Fatal("Catalogue is not deterministic")
		}
		same = same && i < len(other) && other[i].Price == ps[i].Price
	}
	if same {
		t.Fatal("seeds 42 and 43 gave the same catalogue")
	}
}

func TestMoney(t *testing.T) {
	f := func(m Money, want string) {
		t.Helper()
		if got := m.String(); got != want {
			t.Errorf("Money(%d) = %q, want %q", int64(m), got, want)
		}
	}
	f(5990, "59.90")
	f(0, "0.00")
	f(5, "0.05")
	f(100, "1.00")
	f(-150, "-1.50")
	f(Yuan(1299, 0), "1299.00")
}

func TestAppendString(t *testing.T) {
	f := func(s string) {
		t.Helper()
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Errorf("appendString(%q) = %s (%v)", s, b, err)
		}
	}
	f("")
	f("鲸云优选")
	f(`引号"和\反斜杠`)
	f("tab\tnew\nline\x01")
}

type failSink struct{ n int }

func (f *failSink) Write(context.Context, []event.Event) error {
	if f.n++; f.n == 2 {
		return errors.New("disk full")
	}
	return nil
}

func TestErrors(t *testing.T) {
	f := func(o Options, sink event.Sink, want string) {
		t.Helper()
		o.End, o.TZ = testEnd, cst
		_, err := Generate(context.Background(), o, sink)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "cannot ") {
			t.Errorf("Generate(%+v) = %v, want an error with %q", o, err, want)
		}
	}
	f(Options{Persons: -1}, &keep{}, "persons must be positive")
	f(Options{Days: MaxDays + 1}, &keep{}, "days must be in")
	f(Options{BatchSize: -5}, &keep{}, "batch size")
	f(Options{Persons: 10}, nil, "no sink")
	f(Options{Persons: 300, BatchSize: 100}, &failSink{}, "cannot write demo events: disk full")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Options{Persons: 10, End: testEnd}, &keep{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a cancelled context = %v", err)
	}
}

func TestProgressAndDefaults(t *testing.T) {
	var k keep
	var calls []int64
	st, err := Generate(context.Background(), Options{Persons: 200, BatchSize: 500, Progress: func(n int64) { calls = append(calls, n) }}, &k)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != k.batches || calls[len(calls)-1] != st.Events || st.Events != int64(len(k.evs)) {
		t.Fatalf("progress %v for %d batches, %d events", calls, k.batches, st.Events)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] {
			t.Fatalf("progress goes back: %v", calls)
		}
	}
	if d := time.Since(st.End); d < 0 || d > time.Minute || st.End.Sub(st.Start) < 59*24*time.Hour {
		t.Fatalf("default range %v – %v", st.Start, st.End)
	}
	if st.Persons < 200 || st.Persons > 260 {
		t.Fatalf("asked for 200 persons, got %d", st.Persons)
	}
	if name, _ := st.End.Zone(); name != "CST" {
		t.Fatalf("default time zone %s", name)
	}
}

// TestRanges generates small shops over odd ranges: one day, more than a year, a time zone
// with daylight saving, a year without festival dates in the table, a negative seed.
func TestRanges(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	f := func(o Options) {
		t.Helper()
		var k keep
		st, err := Generate(context.Background(), o, &k)
		if err != nil {
			t.Fatalf("Generate(%+v): %v", o, err)
		}
		if st.Events == 0 || st.Persons < int64(o.Persons) {
			t.Fatalf("Generate(%+v): %d events of %d persons", o, st.Events, st.Persons)
		}
		ids := map[string]bool{}
		for i := range k.evs {
			e := &k.evs[i]
			if e.Time < st.Start.UnixMilli() || e.Time >= st.End.UnixMilli() || ids[e.ID] {
				t.Fatalf("Generate(%+v): event %s at %v outside %v – %v or repeated", o, e.ID, time.UnixMilli(e.Time), st.Start, st.End)
			}
			ids[e.ID] = true
		}
	}
	f(Options{Seed: 1, Persons: 300, Days: 1, End: testEnd, TZ: cst})
	f(Options{Seed: 2, Persons: 300, Days: 400, End: testEnd, TZ: cst})
	f(Options{Seed: 3, Persons: 300, Days: 30, End: time.Date(2026, 3, 20, 15, 30, 0, 0, ny), TZ: ny})
	f(Options{Seed: 4, Persons: 300, Days: 20, End: time.Date(2041, 10, 1, 0, 0, 0, 0, cst), TZ: cst})
	f(Options{Seed: -5, Persons: 300, Days: 10, End: testEnd, TZ: cst})
}

// TestLoggedInActions checks that what needs a member account is done logged in.
func TestLoggedInActions(t *testing.T) {
	evs, _ := testShop(t)
	for i := range evs {
		e := &evs[i]
		switch e.Name {
		case EventProductAdded, EventCheckoutStarted, EventCouponApplied, EventOrderCompleted,
			EventCouponReceived, EventProductReviewed, EventGroupBuyStarted, EventGroupBuyJoined,
			EventWishlistAdded:
			if e.UserID == "" {
				t.Fatalf("%s %s without a member id", e.Name, e.ID)
			}
		}
	}
}
