package demo

import (
	"math"
	"strconv"
)

// This file holds the browsing pages of the mini-program: each page writes its events and
// returns the state the person goes to next.

// home shows the home page: carousel, recommendation block, navigation tiles.
func (s *sim) home() int {
	g, r := s.g, &s.r
	s.page(pgHome, "", "")
	if !s.gift && s.orders == 0 {
		s.gift = true
		if r.chance(0.35) {
			s.tick(500, 2500)
			s.receiveCoupon(couponNewUser, "新人弹窗", pgHome)
		}
	}
	banners := g.banners[s.di]
	nb := 1
	if r.chance(0.35) {
		nb++
		if r.chance(0.3) {
			nb++
		}
	}
	nb = min(nb, len(banners))
	for i := 0; i < nb; i++ {
		s.tick(300, 3500)
		s.banner(kPromotionViewed, i)
	}
	var rec int
	if s.recShown = r.chance(0.5); s.recShown {
		s.tick(800, 6000)
		rec = s.pickFor()
		s.recPromotion(kPromotionViewed, "rec_home", "home_rec", rec, 0)
	}
	s.wait(6000)
	switch choose(r, 0.05*float64(nb), 0.09, b2f(s.recShown)*0.2, 0.14, 0.1,
		0.03+0.1*b2f(len(s.cart) > 0), 0.04, 0.03) {
	case 0:
		i := r.intn(nb)
		s.banner(kPromotionClicked, i)
		s.act = banners[i]
		switch campaignDefs[s.act].id {
		case "newuser":
			return stCoupons
		}
		return stActivity
	case 1:
		return s.navTile()
	case 2:
		rank := 1 + r.intn(6)
		s.recPromotion(kPromotionClicked, "rec_home", "home_rec", rec, rank)
		s.cur, s.src = rec, "home_rec"
		return stDetail
	case 3:
		return stSearch
	case 4:
		return stCategory
	case 5:
		return stCart
	case 6:
		return stUser
	case 7:
		return stLive
	}
	return stExit
}

// choose returns an index with probability its weight; the rest of 1 means -1 (leave).
func choose(r *rng, w ...float64) int {
	x := r.float()
	for i, p := range w {
		if x < p {
			return i
		}
		x -= p
	}
	return -1
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// banner writes a Promotion Viewed/Clicked of carousel position i. Half of the persons see
// creative A, half B: an A/B test on the carousel.
func (s *sim) banner(k kind, i int) {
	c := &campaignDefs[s.g.banners[s.di][i]]
	b := appendStrField(s.obj(), "promotion_id", c.id)
	b = appendKey(b, "creative")
	b = append(b, '"')
	b = append(append(b, c.id...), "_kv_"...)
	b = append(b, "ab"[s.pid&1], '"')
	b = appendStrField(b, "name", c.name)
	b = appendKey(b, "position")
	b = append(append(b, `"home_banner_`...), byte('1'+i), '"')
	s.track(k, pgHome, b)
}

func (s *sim) recPromotion(k kind, id, position string, p, rank int) {
	pg := pgHome
	if position == "detail_rec" {
		pg = pgDetail
	}
	b := appendStrField(s.obj(), "promotion_id", id)
	b = appendStrField(b, "creative", "猜你喜欢")
	b = appendStrField(b, "name", "猜你喜欢")
	b = appendStrField(b, "position", position)
	if k == kPromotionClicked {
		b = appendStrField(b, "product_id", s.g.products[p].ID)
		b = appendIntField(b, "rank", int64(rank))
	}
	s.track(k, pg, b)
}

func (s *sim) navTile() int {
	r := &s.r
	i := 0
	for i < len(navTiles)-1 && r.chance(0.55) {
		i++
	}
	b := appendKey(s.obj(), "promotion_id")
	b = append(append(b, `"nav_`...), byte('1'+i), '"')
	b = appendStrField(b, "creative", "icon")
	b = appendStrField(b, "name", navTiles[i])
	b = appendKey(b, "position")
	b = append(append(b, `"home_nav_`...), byte('1'+i), '"')
	s.track(kPromotionClicked, pgHome, b)
	switch i {
	case 0:
		s.act = campaignIndex("newuser")
		return stActivity
	case 1:
		s.act = campaignIndex("flash")
		return stActivity
	case 2:
		s.act = campaignIndex("pintuan")
		return stActivity
	case 3:
		return stCoupons
	case 4:
		if r.chance(0.6) {
			return s.category(1)
		}
		return s.category(6)
	case 5:
		return s.category(2)
	case 6:
		return s.category(3)
	}
	return stUser
}

func campaignIndex(id string) int {
	for i := range campaignDefs {
		if campaignDefs[i].id == id {
			return i
		}
	}
	panic("BUG: no campaign " + id)
}

func (s *sim) search() int {
	g, r := s.g, &s.r
	s.page(pgSearch, "", "")
	s.wait(4000)
	target := s.pickFor()
	p := &g.products[target]
	q := s.q[:0]
	cat := -1
	switch u := r.float(); {
	case u < 0.55:
		q = append(q, p.noun...)
	case u < 0.7:
		q = append(q, p.Category...)
		cat = p.cat
	case u < 0.8:
		q = append(q, p.Brand...)
	case u < 0.9:
		q = append(append(append(q, p.Brand...), ' '), p.noun...)
	default:
		q = append(q, hotQueries[r.intn(len(hotQueries))]...)
		target = s.pickProduct(-1)
		p = &g.products[target]
	}
	s.q = q
	query := string(q)
	b := appendStrField(s.obj(), "query", query)
	s.track(kProductsSearched, pgSearch, b)
	s.tick(600, 2500)
	s.page(pgSearchResult, "?q=", query)
	pos := r.intn(3)
	s.fillList(6, func() int { return s.pickProduct(p.cat) })
	if !containsInt(s.list, target) {
		s.list[pos] = target
	}
	s.tick(100, 600)
	b = appendStrField(s.obj(), "list_id", "search_results")
	b = appendStrField(b, "query", query)
	if cat >= 0 {
		b = appendStrField(b, "category", p.Category)
	}
	s.track(kProductListViewed, pgSearchResult, s.appendList(b))
	s.wait(5000)
	switch choose(r, 0.64, 0.1, 0.1) {
	case 0:
		s.cur, s.src = s.clickList(), "search"
		if r.chance(0.6) {
			s.cur = target
		}
		return stDetail
	case 1:
		return stSearch
	case 2:
		return stHome
	}
	return stExit
}

// category shows a category list; cat < 0 picks one by the person's taste.
func (s *sim) category(cat int) int {
	r := &s.r
	if cat < 0 {
		cat = s.favs[0]
		switch u := r.float(); {
		case u < 0.25:
			cat = s.favs[1]
		case u < 0.45:
			cat = r.intn(len(categoryDefs))
		}
		s.page(pgCategory, "", "")
	} else {
		s.page(pgCategory, "?cat=", categoryDefs[cat].code)
	}
	s.fillList(6, func() int { return s.pickProduct(cat) })
	s.tick(200, 1500)
	b := appendKey(s.obj(), "list_id")
	b = append(append(append(b, `"category_`...), categoryDefs[cat].code...), '"')
	b = appendStrField(b, "category", categoryDefs[cat].name)
	s.track(kProductListViewed, pgCategory, s.appendList(b))
	s.wait(6000)
	switch choose(r, 0.6, 0.12, 0.1) {
	case 0:
		s.cur, s.src = s.clickList(), "category"
		return stDetail
	case 1:
		return stCategory
	case 2:
		return stHome
	}
	return stExit
}

func (s *sim) activity() int {
	g, r := s.g, &s.r
	c := &campaignDefs[s.act]
	s.page(pgActivity, "?id=", c.id)
	switch {
	case c.season != SeasonNone && len(g.seasonal[c.season]) > 0:
		s.fillList(6, func() int { return s.pickFrom(g.seasonal[c.season]) })
	case c.id == "pintuan" && len(g.groupBuys) > 0:
		s.fillList(6, func() int { return s.pickFrom(g.groupBuys) })
	case c.id == "fresh":
		s.fillList(6, func() int { return s.pickProduct(2) })
	default:
		s.fillList(6, func() int { return s.pickProduct(-1) })
	}
	s.tick(200, 1500)
	b := appendStrField(s.obj(), "list_id", c.id)
	b = appendStrField(b, "name", c.name)
	s.track(kProductListViewed, pgActivity, s.appendList(b))
	if r.chance(0.2) {
		s.wait(3000)
		s.receiveCoupon(1+r.intn(4), "活动会场", pgActivity)
	}
	s.wait(7000)
	switch choose(r, 0.55, 0.15) {
	case 0:
		s.cur, s.src = s.clickList(), "activity"
		return stDetail
	case 1:
		return stHome
	}
	return stExit
}

// detail shows the product s.cur and decides what the person does with it.
func (s *sim) detail() int {
	g, r := s.g, &s.r
	p := &g.products[s.cur]
	s.page(pgDetail, "?id=", p.ID)
	s.tick(60, 450)
	b := s.appendProduct(s.obj(), s.cur, p.Price)
	b = appendStrField(b, "currency", "CNY")
	b = appendStrField(b, "source", s.src)
	s.track(kProductViewed, pgDetail, b)
	s.wait(18000)
	rec := -1
	if r.chance(0.45) {
		rec = s.pickProduct(p.cat)
		s.recPromotion(kPromotionViewed, "rec_detail", "detail_rec", rec, 0)
		s.wait(4000)
	}
	if r.chance(0.022 * s.influence) {
		s.share(s.cur, "product", nil)
		s.wait(5000)
	}
	price := float64(p.Price) / 100
	pf := math.Max(0.45, math.Min(1.4, 1.7-math.Log10(price)/2.2))
	pAdd := math.Min(0.5, 0.17*s.intent*pf)
	pBuy := math.Min(0.1, 0.01*s.intent*pf)
	pGroup := 0.0
	if p.GroupPrice > 0 {
		pGroup = math.Min(0.1, 0.035*s.intent)
	}
	switch choose(r, pAdd, pBuy, pGroup, 0.03, 0.2*b2f(rec >= 0), 0.38) {
	case 0:
		return s.addToCart()
	case 1:
		s.items = append(s.items[:0], orderItem{s.cur, 1, p.Price})
		if _, paid := s.checkout(false, nil); paid {
			return stExitOr(r, stHome, 0.25)
		}
		return stExitOr(r, stHome, 0.2)
	case 2:
		s.startGroup()
		return stExitOr(r, stHome, 0.2)
	case 3:
		if s.login(0.7) {
			s.tick(300, 2000)
			b := s.appendProduct(s.obj(), s.cur, p.Price)
			s.track(kWishlistAdded, pgDetail, b)
		}
		return stExitOr(r, stHome, 0.4)
	case 4:
		s.recPromotion(kPromotionClicked, "rec_detail", "detail_rec", rec, 1+r.intn(6))
		s.cur, s.src = rec, "detail_rec"
		return stDetail
	case 5:
		return []int{stHome, stSearch, stCategory}[r.intn(3)]
	}
	return stExit
}

// stExitOr returns st with probability p, else leaves.
func stExitOr(r *rng, st int, p float64) int {
	if r.chance(p) {
		return st
	}
	return stExit
}

func (s *sim) live() int {
	g, r := s.g, &s.r
	d := &g.days[s.di]
	id := "live_" + g.dayLabel[s.di]
	s.page(pgLive, "?id=", id)
	s.tick(200, 1200)
	b := appendStrField(s.obj(), "live_id", id)
	b = appendStrField(b, "live_name", liveThemes[d.weekday])
	b = appendStrField(b, "anchor", liveAnchors[d.weekday])
	s.track(kLiveStreamViewed, pgLive, b)
	s.wait(90000)
	if r.chance(0.15) {
		s.receiveCoupon(couponLive, "直播间", pgLive)
		s.wait(20000)
	}
	if r.chance(0.45) {
		s.cur, s.src = s.pickFor(), "live"
		return stDetail
	}
	return stExitOr(r, stHome, 0.25)
}

func (s *sim) userPage() int {
	r := &s.r
	s.page(pgUser, "", "")
	s.wait(5000)
	switch choose(r, 0.25, 0.3, 0.2) {
	case 0:
		return stCoupons
	case 1:
		return stOrders
	case 2:
		return stHome
	}
	return stExit
}

func (s *sim) couponCenter() int {
	r := &s.r
	s.page(pgCoupons, "", "")
	s.wait(4000)
	if s.orders == 0 && len(s.coupons) == 0 {
		s.receiveCoupon(couponNewUser, "新人礼包", pgCoupons)
	}
	for i := 0; i < 2; i++ {
		if r.chance(0.6) {
			s.tick(600, 3000)
			s.receiveCoupon(1+r.intn(4), "领券中心", pgCoupons)
		}
	}
	s.wait(3000)
	return stExitOr(r, stHome, 0.5)
}

func (s *sim) receiveCoupon(def int, source string, pg int) {
	if !s.login(0.75) {
		return
	}
	for _, c := range s.coupons {
		if c.def == def && c.until > s.t {
			return // one of each at a time
		}
	}
	d := &couponDefs[def]
	s.tick(200, 1200)
	b := appendStrField(s.obj(), "coupon_id", d.id)
	b = appendStrField(b, "coupon_name", d.name)
	b = appendMoneyField(b, "discount", d.amount)
	b = appendMoneyField(b, "min_spend", d.threshold)
	b = appendStrField(b, "source", source)
	b = appendIntField(b, "valid_days", int64(d.days))
	s.track(kCouponReceived, pg, b)
	s.coupons = append(s.coupons, heldCoupon{def, s.t + int64(d.days)*dayMs})
}

// orderList shows the orders and writes the reviews of delivered ones.
func (s *sim) orderList() int {
	g, r := s.g, &s.r
	s.page(pgOrders, "", "")
	if !s.login(0.9) { // orders belong to a member account
		return stExitOr(&s.r, stHome, 0.3)
	}
	s.wait(5000)
	due := -1
	for i, pr := range s.pending {
		if pr.at <= s.t {
			due = i
			break
		}
	}
	if due < 0 || !r.chance(0.65) {
		return stExitOr(r, stHome, 0.3)
	}
	order := s.pending[due].order
	s.page(pgOrderDetail, "?id=", order)
	s.wait(5000)
	s.page(pgReview, "?order_id=", order)
	for i := 0; i < len(s.pending); {
		pr := s.pending[i]
		if pr.order != order {
			i++
			continue
		}
		s.wait(25000)
		p := &g.products[pr.p]
		rating := s.rating(p)
		b := appendStrField(s.obj(), "product_id", p.ID)
		b = appendKey(b, "review_id")
		b = append(b, '"', 'r')
		b = strconv.AppendUint(b, s.pid, 36)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(len(s.ev)), 36)
		b = append(b, '"')
		b = appendKey(b, "review_body")
		b = append(b, '"')
		b = s.reviewText(b, p, rating)
		b = append(b, '"')
		b = appendIntField(b, "rating", int64(rating))
		b = appendStrField(b, "order_id", order)
		b = appendStrField(b, "sku", p.SKU)
		b = appendStrField(b, "name", p.Name)
		b = appendStrField(b, "category", p.Category)
		s.track(kProductReviewed, pgReview, b)
		s.pending = append(s.pending[:i], s.pending[i+1:]...)
	}
	// Reviews not written within a month are never written.
	for i := len(s.pending) - 1; i >= 0; i-- {
		if s.t-s.pending[i].at > 30*dayMs {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
		}
	}
	s.wait(3000)
	return stExitOr(r, stHome, 0.25)
}

// rating draws 1–5 stars; better products get more five-star reviews.
func (s *sim) rating(p *Product) int {
	q := p.Quality
	switch u := s.r.float(); {
	case u < 0.42+0.3*q:
		return 5
	case u < 0.64+0.25*q:
		return 4
	case u < 0.76+0.17*q:
		return 3
	case u < 0.86+0.1*q:
		return 2
	}
	return 1
}

// reviewText writes a review (JSON-escaped content, no quotes) whose tone follows rating.
func (s *sim) reviewText(b []byte, p *Product, rating int) []byte {
	r := &s.r
	c := &categoryDefs[p.cat]
	pick := func(xs []string) string { return xs[r.intn(len(xs))] }
	switch rating {
	case 5:
		b = append(b, pick(reviewOpeners)...)
		b = append(b, "，"...)
		i := r.intn(len(c.good))
		b = append(b, c.good[i]...)
		if r.chance(0.6) {
			b = append(b, "，"...)
			b = append(b, c.good[(i+1+r.intn(len(c.good)-1))%len(c.good)]...)
		}
		b = append(b, "，"...)
		b = append(b, pick(reviewClosings)...)
		b = append(b, "！"...)
	case 4:
		b = append(b, pick(c.good)...)
		b = append(b, "，就是"...)
		b = append(b, pick(reviewMinor)...)
		b = append(b, "，整体还不错。"...)
	case 3:
		b = append(b, pick(reviewNeutral)...)
		b = append(b, "，"...)
		b = append(b, pick(c.good)...)
		b = append(b, "，但是"...)
		b = append(b, pick(c.bad)...)
		b = append(b, "。"...)
	default:
		i := r.intn(len(c.bad))
		b = append(b, c.bad[i]...)
		b = append(b, "，"...)
		if rating == 1 {
			b = append(b, c.bad[(i+1+r.intn(len(c.bad)-1))%len(c.bad)]...)
			b = append(b, "，"...)
		}
		b = append(b, pick(reviewNegatives)...)
		b = append(b, "。"...)
	}
	return b
}
