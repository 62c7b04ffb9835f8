package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"time"

	"github.com/jingyun/jingyun/event"
)

// This file holds logging in, the cart, checkout, payment and what follows an order.

// login makes sure the person is logged in, asking them with acceptance probability p:
// adding to cart, paying and claiming coupons need a member account.
func (s *sim) login(p float64) bool {
	if s.loggedIn {
		return true
	}
	if !s.r.chance(p) {
		return false
	}
	s.wait(4000)
	s.loggedIn = true
	b := s.obj()
	if s.level == 0 && s.device == 0 {
		c := &cities[s.city]
		b = appendStrField(b, "gender", s.gender)
		b = appendStrField(b, "age_range", ageRanges[s.age])
		b = appendStrField(b, "city", c.name)
		b = appendStrField(b, "province", c.province)
		b = appendStrField(b, "member_level", memberLevels[0])
		phone := strconv.AppendUint([]byte("13"), 100000000+mix64(s.pid^0xabcdef)%900000000, 10)
		sum := sha256.Sum256(phone)
		b = appendKey(b, "phone_hash")
		b = append(b, '"')
		b = hex.AppendEncode(b, sum[:])
		b = append(b, '"')
		b = append(appendKey(b, "$set_once"), '{')
		b = appendIntField(b, "first_scene", int64(s.firstScene))
		b = appendStrField(b, "registered_at", time.UnixMilli(s.t).In(s.g.opts.TZ).Format(time.RFC3339))
		if s.spec.depth > 0 {
			b = appendStrField(b, "invited_by", s.spec.sharerID)
		}
		b = append(b, '}')
	} else {
		b = appendStrField(b, "member_level", memberLevels[s.level])
	}
	s.identify(b)
	return true
}

// identify appends an identify message whose traits are the object b.
func (s *sim) identify(b []byte) {
	b = append(b, '}')
	s.b = b
	pg := s.referrer
	if pg < 0 {
		pg = pgHome
	}
	e := s.emit(kIdentify, event.TypeIdentify, s.t, nil, s.pageContext(pg))
	e.Traits = s.ar.copy(b)
}

func (s *sim) addToCart() int {
	g, r := s.g, &s.r
	if !s.login(0.85) {
		return stExitOr(r, stHome, 0.3)
	}
	p := &g.products[s.cur]
	qty := 1
	for qty < p.maxQty && r.chance(0.25) {
		qty++
	}
	s.tick(400, 3000)
	b := s.appendCartID(s.obj())
	b = s.appendProduct(b, s.cur, p.Price)
	b = appendIntField(b, "quantity", int64(qty))
	s.track(kProductAdded, pgDetail, b)
	found := false
	for i := range s.cart {
		if s.cart[i].p == s.cur {
			s.cart[i].qty += qty
			found = true
		}
	}
	if !found {
		s.cart = append(s.cart, cartItem{s.cur, qty})
	}
	s.wait(3000)
	switch choose(r, 0.5, 0.3) {
	case 0:
		return stCart
	case 1:
		return []int{stHome, stSearch, stCategory}[r.intn(3)]
	}
	return stExit
}

func (s *sim) appendCartID(b []byte) []byte {
	b = appendKey(b, "cart_id")
	b = append(b, '"', 'c')
	b = strconv.AppendUint(b, s.pid, 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(s.device), 10)
	return append(b, '"')
}

func (s *sim) cartPage() int {
	g, r := s.g, &s.r
	s.page(pgCart, "", "")
	s.tick(100, 700)
	b := s.appendCartID(s.obj())
	b = append(appendKey(b, "products"), '[')
	for i, it := range s.cart {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(s.appendProduct(append(b, '{'), it.p, g.products[it.p].Price), `,"quantity":`...)
		b = append(strconv.AppendInt(b, int64(it.qty), 10), '}')
	}
	b = append(b, ']')
	s.track(kCartViewed, pgCart, b)
	if len(s.cart) == 0 {
		s.wait(3000)
		return stExitOr(r, stHome, 0.5)
	}
	s.wait(8000)
	if len(s.cart) > 1 && r.chance(0.08) {
		i := r.intn(len(s.cart))
		it := s.cart[i]
		b := s.appendCartID(s.obj())
		b = s.appendProduct(b, it.p, g.products[it.p].Price)
		b = appendIntField(b, "quantity", int64(it.qty))
		s.track(kProductRemoved, pgCart, b)
		s.cart = append(s.cart[:i], s.cart[i+1:]...)
		s.wait(3000)
	}
	if r.chance(math.Min(0.8, 0.36*s.intent)) {
		s.items = s.items[:0]
		for _, it := range s.cart {
			if len(s.items) == 0 || r.chance(0.7) {
				s.items = append(s.items, orderItem{it.p, it.qty, g.products[it.p].Price})
			}
		}
		s.checkout(true, nil)
		return stExitOr(r, stHome, 0.2)
	}
	return stExitOr(r, stHome, 0.3)
}

// groupOrder is the group buy an order starts or joins.
type groupOrder struct {
	id   string
	join bool
}

// checkout confirms and maybe pays an order of s.items; it returns the order id and
// whether it was paid.
func (s *sim) checkout(fromCart bool, group *groupOrder) (string, bool) {
	r := &s.r
	if group == nil && !s.login(0.9) {
		return "", false
	}
	s.wait(3000)
	s.page(pgConfirm, "", "")
	var sub Money
	for _, it := range s.items {
		sub += it.price * Money(it.qty)
	}
	coupon := -1
	if group == nil && r.chance(0.9) {
		best := Money(0)
		for i, c := range s.coupons {
			d := &couponDefs[c.def]
			if c.until > s.t && sub >= d.threshold && d.amount < sub && d.amount > best {
				coupon, best = i, d.amount
			}
		}
	}
	var disc Money
	var cd *couponDef
	if coupon >= 0 {
		cd = &couponDefs[s.coupons[coupon].def]
		disc = cd.amount
	}
	revenue := sub - disc
	var ship Money
	if revenue < Yuan(49, 0) && group == nil {
		ship = Yuan(8, 0)
	}
	total := revenue + ship
	s.nOrder++
	order := "O" + strconv.FormatUint(s.pid, 36) + "-" + strconv.Itoa(s.nOrder)
	s.tick(300, 1500)
	b := s.appendOrder(s.obj(), order, sub, revenue, ship, disc, total, cd, false)
	s.track(kCheckoutStarted, pgConfirm, b)
	if cd != nil {
		s.tick(100, 900)
		b := appendStrField(s.obj(), "order_id", order)
		b = s.appendCartID(b)
		b = appendStrField(b, "coupon_id", cd.id)
		b = appendStrField(b, "coupon_name", cd.name)
		b = appendMoneyField(b, "discount", disc)
		s.track(kCouponApplied, pgConfirm, b)
	}
	pPay := 0.6
	switch {
	case group != nil && group.join:
		pPay = 1 // the initiator's simulation already decided this person joins
	case group != nil:
		pPay = 0.8
	case total > Yuan(500, 0):
		pPay = 0.52
	}
	if !r.chance(pPay) {
		if r.chance(0.55) {
			b := appendStrField(s.obj(), "order_id", order)
			b = appendMoneyField(b, "total", total)
			b = appendStrField(b, "currency", "CNY")
			b = appendStrField(b, "reason", "超时未支付")
			s.server(kOrderCancelled, s.t+30*minute, b)
		}
		return order, false
	}
	s.wait(12000)
	b = s.appendOrder(s.obj(), order, sub, revenue, ship, disc, total, cd, true)
	if group != nil {
		b = appendStrField(b, "group_buy_id", group.id)
	}
	s.track(kOrderCompleted, pgConfirm, b).amount = total
	s.tick(300, 1200)
	s.page(pgPayResult, "?order_id=", order)
	if coupon >= 0 {
		s.coupons = append(s.coupons[:coupon], s.coupons[coupon+1:]...)
	}
	if fromCart {
		for _, it := range s.items {
			for i := range s.cart {
				if s.cart[i].p == it.p {
					s.cart = append(s.cart[:i], s.cart[i+1:]...)
					break
				}
			}
		}
	}
	s.orders++
	s.afterOrder(order, total, group != nil)
	return order, true
}

// appendOrder writes the order fields shared by Checkout Started and Order Completed.
func (s *sim) appendOrder(b []byte, order string, sub, revenue, ship, disc, total Money, cd *couponDef, paid bool) []byte {
	b = appendStrField(b, "order_id", order)
	if paid {
		b = appendMoneyField(b, "total", total)
	} else {
		b = appendMoneyField(b, "value", sub)
	}
	b = appendMoneyField(b, "revenue", revenue)
	b = appendMoneyField(b, "shipping", ship)
	b = appendMoneyField(b, "discount", disc)
	if cd != nil {
		b = appendStrField(b, "coupon", cd.name)
	}
	b = appendStrField(b, "currency", "CNY")
	if paid {
		method := "wechat_pay"
		switch u := s.r.float(); {
		case u < 0.03:
			method = "balance"
		case u < 0.05:
			method = "wechat_credit"
		}
		b = appendStrField(b, "payment_method", method)
	}
	b = append(appendKey(b, "products"), '[')
	for i, it := range s.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendProduct(append(b, '{'), it.p, it.price)
		b = appendIntField(b, "quantity", int64(it.qty))
		b = append(b, '}')
	}
	return append(b, ']')
}

// afterOrder schedules what follows a paid order: a refund for some, delivery and a
// review for others, and a member level upgrade.
func (s *sim) afterOrder(order string, total Money, group bool) {
	g, r := s.g, &s.r
	main := s.items[0]
	for _, it := range s.items[1:] {
		if it.price > main.price {
			main = it
		}
	}
	p := &g.products[main.p]
	c := &categoryDefs[p.cat]
	if !group && r.chance(c.refund*(1.6-p.Quality)) {
		b := appendStrField(s.obj(), "order_id", order)
		b = appendMoneyField(b, "total", total)
		b = appendStrField(b, "currency", "CNY")
		b = appendStrField(b, "reason", c.reasons[r.intn(len(c.reasons))])
		s.server(kOrderRefunded, s.t+r.between(dayMs, 9*dayMs), b)
	} else {
		at := s.t + r.between(36*hour, 4*dayMs)
		for _, it := range s.items {
			s.pending = append(s.pending, pendingReview{it.p, order, at})
		}
	}
	level := 0
	for i, n := range levelOrders {
		if s.orders >= n {
			level = i
		}
	}
	if level > s.level {
		s.level = level
		s.tick(500, 3000)
		s.identify(appendStrField(s.obj(), "member_level", memberLevels[level]))
	}
}
