package demo

import (
	"math"
	"strconv"

	"github.com/jingyun/jingyun/event"
)

type pageDef struct{ path, name string }

// Pages of the mini-program.
const (
	pgHome = iota
	pgCategory
	pgSearch
	pgSearchResult
	pgActivity
	pgDetail
	pgCart
	pgConfirm
	pgPayResult
	pgOrders
	pgOrderDetail
	pgUser
	pgCoupons
	pgGroupBuy
	pgLive
	pgReview
	nPages
)

var pageDefs = [nPages]pageDef{
	{"pages/index/index", "首页"},
	{"pages/category/index", "分类"},
	{"pages/search/index", "搜索"},
	{"pages/search/result", "搜索结果"},
	{"pages/activity/index", "活动会场"},
	{"pages/goods/detail", "商品详情"},
	{"pages/cart/index", "购物车"},
	{"pages/order/confirm", "确认订单"},
	{"pages/order/result", "支付结果"},
	{"pages/order/list", "我的订单"},
	{"pages/order/detail", "订单详情"},
	{"pages/user/index", "我的"},
	{"pages/coupon/index", "领券中心"},
	{"pages/groupbuy/detail", "拼团详情"},
	{"pages/live/room", "直播间"},
	{"pages/review/create", "发表评价"},
}

// States of the browsing machine of a session.
const (
	stExit = iota
	stHome
	stSearch
	stCategory
	stActivity
	stDetail
	stCart
	stUser
	stCoupons
	stOrders
	stLive
	stShare
)

const (
	second = int64(1000)
	minute = 60 * second
	hour   = 60 * minute
	dayMs  = 24 * hour
)

// Limits that keep invite trees finite: beyond them a share simply finds no new person.
const (
	maxInviteDepth = 30
	maxTreeSize    = 1<<treeBits - 1
)

// childSpec is everything a person acquired through a share inherits from the sharer. A
// person is a pure function of the run seed, its person number and its spec; a root (a
// person who came on their own) has the zero spec.
type childSpec struct {
	depth     int // 0 for a root
	openAt    int64
	scene     int
	via       string
	shareType string
	shareID   string
	sharerID  string
	product   int
	group     groupJoin
}

// groupJoin is a group buy the invited person is asked to join.
type groupJoin struct {
	id        string
	size      int
	join      bool  // the person joins (decided by the initiator's simulation)
	joinAt    int64 // when they join (after paying)
	completed bool
	outcomeAt int64 // completion or failure time
}

type cartItem struct{ p, qty int }

type heldCoupon struct {
	def   int
	until int64
}

type pendingReview struct {
	p     int
	order string
	at    int64 // delivered
}

type orderItem struct {
	p, qty int
	price  Money
}

// Behaviour of the four kinds of persons: most come once, a few come weekly.
var (
	loyalShares = []float64{0.4, 0.33, 0.19, 0.08}
	retention   = []float64{0.38, 0.7, 0.88, 0.94}
	loyalIntent = []float64{0.75, 1.0, 1.25, 1.45}
)

// sim simulates one person at a time; it is reset and reused for the next person.
type sim struct {
	g    *generator
	r    rng
	pid  uint64
	spec childSpec
	tree *[]childSpec
	ev   []pev
	ar   *arena
	b    []byte // properties being written
	cb   []byte // context being written
	q    []byte // search query being written

	idEnds []int

	// Identity.
	anon, user, openid string
	device             int // 0 first phone, 1 second phone
	loggedIn           bool
	phone              phone
	osVersion          string
	gender             string
	age, city, level   int
	favs               [2]int
	loyal              int
	influence          float64
	prefHour           int
	firstScene         int
	serverCtx          []byte

	// Commerce.
	cart    []cartItem
	coupons []heldCoupon
	pending []pendingReview
	items   []orderItem
	orders  int
	nOrder  int
	nShare  int
	nGroup  int

	// Session.
	t         int64
	di        int
	scene     int
	intent    float64
	steps     int
	maxSteps  int
	referrer  int
	ctxPrefix []byte
	ctxCache  [nPages][]byte
	cur       int    // product on the detail page
	src       string // how the detail page was reached
	list      []int  // products of the last list
	act       int    // campaign of the activity page
	recShown  bool
	notify    bool  // visit from an order notification
	reopen    bool  // visit from the card of the share that brought the person
	gift      bool  // the new-user gift was offered
	deadline  int64 // when set, pauses shrink so that the clock stays before it
}

// run simulates person pid with spec, appending invited persons to tree.
func (s *sim) run(pid uint64, spec *childSpec, tree *[]childSpec) {
	g := s.g
	s.reset(pid, spec, tree)
	r := &s.r
	var t int64
	var scene int
	if spec.depth == 0 {
		t = s.arrival()
		scene = g.acquire.pick(r)
	} else {
		t, scene = spec.openAt, spec.scene
	}
	s.firstScene = scene
	for n := 0; ; n++ {
		s.session(t, scene, n)
		p := retention[s.loyal]
		if s.orders > 0 {
			p += 0.08
		}
		if len(s.pending) > 0 {
			p += 0.05
		}
		if !r.chance(min(p, 0.95)) {
			return
		}
		t, scene = s.nextVisit()
		if t >= g.end {
			return
		}
	}
}

func (s *sim) reset(pid uint64, spec *childSpec, tree *[]childSpec) {
	g := s.g
	s.pid, s.spec, s.tree = pid, *spec, tree
	s.r = newRNG(g.opts.Seed, pid)
	r := &s.r
	s.ev = s.ev[:0]
	s.cart, s.coupons, s.pending = s.cart[:0], s.coupons[:0], s.pending[:0]
	s.orders, s.nOrder, s.nShare, s.nGroup = 0, 0, 0, 0
	s.device, s.loggedIn, s.level, s.gift, s.deadline = 0, false, 0, false, 0
	s.notify, s.reopen, s.recShown = false, false, false
	s.cur, s.act, s.src = 0, 0, ""
	s.items, s.list = s.items[:0], s.list[:0]

	seed := uint64(g.opts.Seed)
	s.anon = string(appendHex(nil, mix64(pid^mix64(seed+1))))
	s.user = "m" + strconv.FormatUint(mix64(pid^mix64(seed+2)), 36)
	s.openid = openID(mix64(pid^mix64(seed+3)), r.next())
	s.phone = g.phones.pick(r)
	s.osVersion = s.phone.versions[r.intn(len(s.phone.versions))]
	switch u := r.float(); {
	case u < 0.6:
		s.gender = "female"
	case u < 0.92:
		s.gender = "male"
	default:
		s.gender = "unknown"
	}
	s.age = g.ages.pick(r)
	s.city = g.cities.cum.pick(r)
	s.favs = s.pickFavourites()
	s.loyal = g.loyal.pick(r)
	s.influence = r.logn(1, 0.9)
	s.prefHour = g.hours.pick(r)
	b := append(s.cb[:0], `{"library":{"name":"shop-server","version":"2.3.0"},"openid":`...)
	b = appendString(b, s.openid)
	s.serverCtx = s.ar.copy(append(b, '}'))
}

// openID formats a WeChat-like openid: "o" and 27 URL-safe characters, unique through x.
func openID(x, y uint64) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b [28]byte
	b[0] = 'o'
	for i := 1; i <= 11; i++ {
		b[i] = a[x&63]
		x >>= 6
	}
	z := mix64(y)
	for i := 12; i < 28; i++ {
		if i == 22 {
			y = z
		}
		b[i] = a[y&63]
		y >>= 6
	}
	return string(b[:])
}

// Category interest by gender (female, male, unknown), categories in categoryDefs order.
var genderInterest = [3][8]float64{
	{1.5, 1.8, 1.3, 0.3, 0.4, 0.9, 1.1, 0.4},
	{0.9, 0.3, 1.3, 0.15, 1.8, 0.7, 0.7, 1.1},
	{1.1, 0.9, 1.3, 0.2, 1.0, 0.8, 0.9, 0.7},
}

func (s *sim) pickFavourites() [2]int {
	gi := 0
	switch s.gender {
	case "male":
		gi = 1
	case "unknown":
		gi = 2
	}
	w := genderInterest[gi]
	if s.age >= 2 && s.age <= 4 { // 25–39: young parents
		w[3] *= 6
	}
	a := newCumulative(w[:]).pick(&s.r)
	w[a] = 0
	return [2]int{a, newCumulative(w[:]).pick(&s.r)}
}

// arrival draws the first visit of a root person: more persons later in the range (growth),
// on busy days and in the evening.
func (s *sim) arrival() int64 {
	g, r := s.g, &s.r
	for try := 0; try < 20; try++ {
		d := &g.days[g.arrival.pick(r)]
		t := d.midnight + int64(g.hours.pick(r))*hour + int64(r.intn(int(hour)))
		if t >= d.start && t < d.end {
			return t
		}
	}
	return g.start + int64(r.float()*float64(g.end-g.start))
}

// nextVisit draws when the person comes back and through which scene.
func (s *sim) nextVisit() (int64, int) {
	g, r := s.g, &s.r
	last := s.t
	s.notify, s.reopen = false, false
	if s.loggedIn && s.device == 0 && s.loyal >= 2 && r.chance(0.03) {
		// A second phone: new anonymous id, same WeChat account; logging in merges them.
		s.device, s.loggedIn = 1, false
		s.anon = string(appendHex(nil, mix64((s.pid|1<<63)^mix64(uint64(g.opts.Seed)+1))))
		s.phone = g.phones.pick(r)
		s.osVersion = s.phone.versions[0]
	}
	if len(s.pending) > 0 && r.chance(0.3) {
		if at := s.pending[0].at + r.between(hour, 20*hour); at > last+40*minute {
			s.notify = true
			if r.chance(0.5) {
				return at, 1014
			}
			return at, 1107
		}
	}
	var gap float64 // days
	switch s.loyal {
	case 0:
		gap = 0.2 + 6*r.exp()
	case 1:
		gap = r.logn(4, 0.8)
	case 2:
		gap = r.logn(2.5, 0.7)
	default:
		gap = 7 + 0.5*r.norm()
	}
	t := last + int64(gap*float64(dayMs))
	if t >= g.end {
		return t, 0
	}
	if gap >= 0.8 {
		h := g.hours.pick(r)
		if r.chance(0.55) {
			h = (s.prefHour + int(math.Round(1.2*r.norm())) + 24) % 24
		}
		t = g.days[g.dayOf(t)].midnight + int64(h)*hour + int64(r.intn(int(hour)))
	}
	if t < last+40*minute {
		t = last + 40*minute + int64(r.exp()*float64(2*hour))
	}
	for di, to := g.dayOf(last)+1, g.dayOf(t); di < to && t < g.end; di++ {
		if g.days[di].spike && r.chance(0.5) {
			t = g.days[di].midnight + 19*hour + r.between(0, 4*hour)
			break
		}
	}
	if s.spec.depth > 0 && t-s.spec.openAt < 7*dayMs && r.chance(0.12) {
		s.reopen = true
		return t, s.spec.scene
	}
	return t, g.revisit.pick(r)
}

// session simulates one visit starting at t.
func (s *sim) session(t int64, scene, n int) {
	g, r := s.g, &s.r
	s.t, s.di, s.scene = t, g.dayOf(t), scene
	s.steps, s.maxSteps = 0, min(40, 2+int(r.logn(7, 0.6)))
	d := &g.days[s.di]
	s.intent = loyalIntent[s.loyal] * r.logn(1, 0.45)
	switch {
	case d.spike:
		s.intent *= 1.6
	case d.traffic > 1.2:
		s.intent *= 1.15
	}
	s.referrer, s.recShown = -1, false
	s.ctxCache = [nPages][]byte{}
	s.buildContext()

	state, page := s.entry(n)
	b := appendIntField(s.obj(), "scene", int64(scene))
	b = appendBoolField(b, "first_launch", n == 0)
	s.track(kAppLaunched, page, b)
	s.tick(100, 900)
	for state != stExit && s.steps < s.maxSteps {
		s.steps++
		state = s.step(state)
	}
}

// buildContext writes the session's context up to the page path.
func (s *sim) buildContext() {
	g := s.g
	b := append(s.ctxPrefix[:0], `{"app":{"name":`...)
	b = appendString(b, AppName)
	b = appendStrField(b, "version", g.appVersion[s.di])
	b = append(b, '}')
	b = appendIntField(b, "scene", int64(s.scene))
	b = append(b, `,"os":{"name":`...)
	b = appendString(b, s.phone.os)
	b = appendStrField(b, "version", s.osVersion)
	b = append(b, `},"device":{"brand":`...)
	b = appendString(b, s.phone.brand)
	b = appendStrField(b, "model", s.phone.model)
	b = append(b, '}')
	b = appendStrField(b, "openid", s.openid)
	if src, med := sceneCampaign(s.scene); src != "" {
		b = append(b, `,"campaign":{"source":`...)
		b = appendString(b, src)
		b = appendStrField(b, "medium", med)
		b = appendStrField(b, "name", campaignDefs[g.banners[s.di][0]].id)
		b = append(b, '}')
	}
	s.ctxPrefix = append(b, `,"page":{"path":"`...)
}

// entry picks the landing page of a visit from its scene.
func (s *sim) entry(n int) (state, page int) {
	r := &s.r
	if (n == 0 && s.spec.depth > 0) || s.reopen {
		if s.spec.group.id != "" {
			return stShare, pgGroupBuy
		}
		return stShare, pgDetail
	}
	if s.notify && len(s.pending) > 0 {
		return stOrders, pgOrders
	}
	switch s.scene {
	case 1176, 1184:
		return stLive, pgLive
	case 1177:
		s.cur, s.src = s.pickFor(), "live"
		return stDetail, pgDetail
	case 1045, 1046, 1084, 1095:
		s.act = s.g.banners[s.di][0]
		return stActivity, pgActivity
	case 1011, 1012, 1047, 1048, 1058:
		if r.chance(0.5) {
			s.act = s.g.banners[s.di][r.intn(len(s.g.banners[s.di]))]
			return stActivity, pgActivity
		}
	case 1007, 1008:
		// A card shared by someone outside the data (a shop assistant, a KOC group).
		s.cur, s.src = s.pickProduct(-1), "share"
		return stDetail, pgDetail
	case 1014, 1107, 1043:
		if s.orders > 0 {
			return stOrders, pgOrders
		}
	}
	return stHome, pgHome
}

func (s *sim) step(state int) int {
	switch state {
	case stHome:
		return s.home()
	case stSearch:
		return s.search()
	case stCategory:
		return s.category(-1)
	case stActivity:
		return s.activity()
	case stDetail:
		return s.detail()
	case stCart:
		return s.cartPage()
	case stUser:
		return s.userPage()
	case stCoupons:
		return s.couponCenter()
	case stOrders:
		return s.orderList()
	case stLive:
		return s.live()
	case stShare:
		return s.shareLanding()
	}
	return stExit
}

func (s *sim) obj() []byte { return append(s.b[:0], '{') }

// emit appends an event of the current device and login state.
func (s *sim) emit(k kind, typ event.Type, t int64, props, ctx []byte) *pev {
	s.ev = append(s.ev, pev{kind: k, Event: event.Event{
		ProjectID: s.g.opts.ProjectID, Type: typ, Name: kindNames[k], Time: t, ReceivedAt: t,
		AnonymousID: s.anon, Properties: props, Context: ctx,
	}})
	e := &s.ev[len(s.ev)-1]
	if s.loggedIn {
		e.UserID = s.user
	}
	return e
}

// track closes the object b and appends it as a track event on page pg at the current time.
func (s *sim) track(k kind, pg int, b []byte) *pev {
	b = append(b, '}')
	s.b = b
	return s.emit(k, event.TypeTrack, s.t, s.ar.copy(b), s.pageContext(pg))
}

// server closes b and appends it as an event the shop's server sends at t (refunds,
// cancellations, group-buy outcomes): it carries the member id only.
func (s *sim) server(k kind, t int64, b []byte) *pev {
	b = append(b, '}')
	s.b = b
	s.ev = append(s.ev, pev{kind: k, Event: event.Event{
		ProjectID: s.g.opts.ProjectID, Type: event.TypeTrack, Name: kindNames[k], Time: t,
		ReceivedAt: t, UserID: s.user, Properties: s.ar.copy(b), Context: s.serverCtx,
	}})
	return &s.ev[len(s.ev)-1]
}

func (s *sim) pageContext(pg int) []byte {
	if c := s.ctxCache[pg]; c != nil {
		return c
	}
	b := append(s.cb[:0], s.ctxPrefix...)
	b = append(b, pageDefs[pg].path...)
	b = append(b, `"}}`...)
	s.cb = b
	s.ctxCache[pg] = s.ar.copy(b)
	return s.ctxCache[pg]
}

// page appends a page view; the query string is q1+q2 (say "?id=" and a product id).
func (s *sim) page(pg int, q1, q2 string) {
	b := append(s.b[:0], s.g.pageProps[pg]...)
	if q1 != "" {
		b = appendKey(b, "search")
		b = append(b, '"')
		b = appendEscaped(appendEscaped(b, q1), q2)
		b = append(b, '"')
	}
	if s.referrer >= 0 {
		b = appendStrField(b, "referrer", pageDefs[s.referrer].path)
	}
	b = append(b, '}')
	s.b = b
	s.emit(kPageview, event.TypePage, s.t, s.ar.copy(b), s.pageContext(pg))
	s.referrer = pg
}

// tick advances the clock by a few hundred milliseconds: events that happen together.
func (s *sim) tick(lo, hi int) { s.advance(int64(lo + s.r.intn(hi-lo+1))) }

// wait advances the clock by a human pause with the given median (ms).
func (s *sim) wait(median float64) { s.advance(800 + int64(s.r.logn(median, 0.8))) }

func (s *sim) advance(d int64) {
	if s.deadline > 0 {
		d = max(0, min(d, (s.deadline-s.t)/3))
	}
	s.t += d
}

func (s *sim) distinctID() string {
	if s.loggedIn {
		return s.user
	}
	return s.anon
}

// pickProduct draws a product by the day's demand, within category cat unless cat < 0.
func (s *sim) pickProduct(cat int) int {
	g := s.g
	np := len(g.products)
	row := g.demand[s.di*np : (s.di+1)*np]
	lo, hi := 0, np
	if cat >= 0 {
		lo, hi = g.catLo[cat], g.catHi[cat]
	}
	base := 0.0
	if lo > 0 {
		base = row[lo-1]
	}
	return lo + searchCum(row[lo:hi], base+s.r.float()*(row[hi-1]-base))
}

// pickFor draws a product with the person's taste: mostly from a favourite category.
func (s *sim) pickFor() int {
	switch u := s.r.float(); {
	case u < 0.36:
		return s.pickProduct(s.favs[0])
	case u < 0.55:
		return s.pickProduct(s.favs[1])
	}
	return s.pickProduct(-1)
}

// pickFrom draws one of ps by the day's demand.
func (s *sim) pickFrom(ps []int) int {
	g := s.g
	np := len(g.products)
	row := g.demand[s.di*np : (s.di+1)*np]
	w := func(i int) float64 {
		if i == 0 {
			return row[0]
		}
		return row[i] - row[i-1]
	}
	sum := 0.0
	for _, p := range ps {
		sum += w(p)
	}
	x := s.r.float() * sum
	for _, p := range ps {
		if x -= w(p); x < 0 {
			return p
		}
	}
	return ps[len(ps)-1]
}

// fillList fills s.list with n products drawn by draw, avoiding most duplicates.
func (s *sim) fillList(n int, draw func() int) {
	s.list = s.list[:0]
	for len(s.list) < n {
		p := draw()
		for try := 0; try < 2 && containsInt(s.list, p); try++ {
			p = draw()
		}
		s.list = append(s.list, p)
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// clickList picks a product of s.list, favouring the top positions.
func (s *sim) clickList() int {
	i := 0
	for i < len(s.list)-1 && s.r.chance(0.45) {
		i++
	}
	return s.list[i]
}

func (s *sim) appendList(b []byte) []byte {
	b = append(appendKey(b, "products"), '[')
	for i, p := range s.list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s.g.products[p].listFrag...)
		b = appendIntField(b, "position", int64(i+1))
		b = append(b, '}')
	}
	return append(b, ']')
}

func (s *sim) appendProduct(b []byte, p int, price Money) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, s.g.products[p].frag...)
	return appendMoneyField(b, "price", price)
}
