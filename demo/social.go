package demo

import (
	"math"
	"strconv"
)

// This file holds sharing, share landings and group buys: the invite tree grows here.

// startGroup pays a group-buy order of s.cur, opens the group and shares it.
func (s *sim) startGroup() {
	g, r := s.g, &s.r
	if !s.login(0.9) {
		return
	}
	p := &g.products[s.cur]
	s.nGroup++
	id := "g" + strconv.FormatUint(s.pid, 36) + "-" + strconv.Itoa(s.nGroup)
	s.items = append(s.items[:0], orderItem{s.cur, 1, p.GroupPrice})
	order, paid := s.checkout(false, &groupOrder{id: id})
	if !paid {
		return
	}
	s.tick(200, 800)
	start := s.t
	b := appendStrField(s.obj(), "group_buy_id", id)
	b = s.appendProduct(b, s.cur, p.GroupPrice)
	b = appendIntField(b, "group_size", int64(p.GroupSize))
	s.track(kGroupBuyStarted, pgGroupBuy, b)
	gj := groupJoin{id: id, size: p.GroupSize, outcomeAt: start + dayMs}
	if r.chance(0.88) {
		s.wait(5000)
		s.share(s.cur, "group_buy", &gj)
	}
	// The initiator learns the outcome from the server.
	members := 1
	if gj.completed {
		members = gj.size
	}
	b = appendStrField(s.obj(), "group_buy_id", id)
	b = appendStrField(b, "product_id", p.ID)
	b = appendIntField(b, "group_size", int64(gj.size))
	b = appendIntField(b, "members", int64(members))
	if gj.completed {
		s.server(kGroupBuyCompleted, gj.outcomeAt, b)
		return
	}
	b = appendStrField(b, "reason", "拼团超时")
	s.server(kGroupBuyFailed, gj.outcomeAt, b)
	s.groupRefund(order, p.GroupPrice, gj.outcomeAt)
}

func (s *sim) groupRefund(order string, total Money, at int64) {
	b := appendStrField(s.obj(), "order_id", order)
	b = appendMoneyField(b, "total", total)
	b = appendStrField(b, "currency", "CNY")
	b = appendStrField(b, "reason", "拼团失败自动退款")
	s.server(kOrderRefunded, at+s.r.between(2*second, 90*second), b)
	// A refunded group order is not delivered, so nothing to review.
	for i := len(s.pending) - 1; i >= 0; i-- {
		if s.pending[i].order == order {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
		}
	}
}

// share writes a Product Shared and decides who opens it: every opener is a new person,
// queued in the invite tree with what they need to know. For a group buy, gj is filled
// with who joins and the outcome.
func (s *sim) share(p int, shareType string, gj *groupJoin) {
	g, r := s.g, &s.r
	ch := g.channels.pick(r)
	if gj != nil && r.chance(0.5) {
		ch = shareChannels[1] // group buys go to group chats
	}
	s.nShare++
	id := "s" + strconv.FormatUint(s.pid, 36) + "-" + strconv.Itoa(s.nShare)
	sharer := s.distinctID()
	s.tick(1500, 8000)
	b := appendStrField(s.obj(), "share_id", id)
	b = appendStrField(b, "share_via", ch.name)
	b = appendStrField(b, "share_type", shareType)
	b = s.appendProduct(b, p, g.products[p].Price)
	if gj != nil {
		b = appendStrField(b, "group_buy_id", gj.id)
	}
	pg := pgDetail
	if gj != nil {
		pg = pgGroupBuy
	}
	s.track(kProductShared, pg, b)
	mean := ch.opens * math.Sqrt(s.influence)
	if gj != nil {
		mean = 1.5 + ch.opens
	}
	n := r.poisson(mean)
	if s.spec.depth+1 > maxInviteDepth {
		n = 0
	}
	at := s.t
	first := len(*s.tree)
	for i := 0; i < n && len(*s.tree) < maxTreeSize; i++ {
		var delay float64
		switch u := r.float(); {
		case gj != nil || u < 0.55:
			delay = r.logn(float64(15*minute), 1.0)
		case u < 0.9:
			delay = r.logn(float64(4*hour), 0.8)
		default:
			delay = r.logn(float64(2*dayMs), 0.6)
		}
		open := at + 5*second + int64(delay)
		if open >= g.end {
			continue
		}
		*s.tree = append(*s.tree, childSpec{
			depth: s.spec.depth + 1, openAt: open, scene: ch.scene, via: ch.name,
			shareType: shareType, shareID: id, sharerID: sharer, product: p,
		})
	}
	if gj == nil {
		return
	}
	// Openers in time order; the first size−1 who decide to join in time fill the group.
	kids := (*s.tree)[first:]
	for i := 1; i < len(kids); i++ {
		for j := i; j > 0 && kids[j].openAt < kids[j-1].openAt; j-- {
			kids[j], kids[j-1] = kids[j-1], kids[j]
		}
	}
	joined := 0
	deadline := gj.outcomeAt
	for i := range kids {
		k := &kids[i]
		k.group = groupJoin{id: gj.id, size: gj.size}
		joinAt := k.openAt + 40*second + int64(r.logn(float64(80*second), 0.5))
		if joined < gj.size-1 && joinAt < deadline && r.chance(0.7) {
			k.group.join, k.group.joinAt = true, joinAt
			joined++
			if joined == gj.size-1 {
				gj.completed, gj.outcomeAt = true, joinAt+second
			}
		}
	}
	for i := range kids {
		kids[i].group.completed, kids[i].group.outcomeAt = gj.completed, gj.outcomeAt
	}
}

// shareLanding is the visit that opens a share card: Share Opened, then the product or the
// group, joining it when the initiator's simulation said so.
func (s *sim) shareLanding() int {
	g, r := s.g, &s.r
	sp := &s.spec
	s.tick(100, 600)
	b := appendStrField(s.obj(), "share_id", sp.shareID)
	b = appendStrField(b, "sharer_id", sp.sharerID)
	b = appendStrField(b, "share_via", sp.via)
	b = appendStrField(b, "share_type", sp.shareType)
	b = appendStrField(b, "product_id", g.products[sp.product].ID)
	b = appendBoolField(b, "is_new_user", !s.reopen)
	pg := pgDetail
	if sp.group.id != "" {
		pg = pgGroupBuy
	}
	s.track(kShareOpened, pg, b)
	s.tick(100, 500)
	s.cur, s.src = sp.product, "share"
	if sp.group.id == "" || s.reopen {
		s.reopen = false
		return stDetail
	}
	p := &g.products[sp.product]
	s.page(pgGroupBuy, "?id=", sp.group.id)
	s.tick(60, 450)
	b = s.appendProduct(s.obj(), s.cur, p.GroupPrice)
	b = appendStrField(b, "currency", "CNY")
	b = appendStrField(b, "source", "group_buy")
	s.track(kProductViewed, pgGroupBuy, b)
	if !sp.group.join {
		s.wait(15000)
		return stExitOr(r, stHome, 0.3)
	}
	// Join: log in, pay and join, all by joinAt, which the initiator's simulation fixed.
	s.deadline = sp.group.joinAt
	s.login(1)
	s.items = append(s.items[:0], orderItem{s.cur, 1, p.GroupPrice})
	order, paid := s.checkout(false, &groupOrder{id: sp.group.id, join: true})
	s.deadline = 0
	if paid {
		s.t = sp.group.joinAt
		b := appendStrField(s.obj(), "group_buy_id", sp.group.id)
		b = s.appendProduct(b, s.cur, p.GroupPrice)
		b = appendIntField(b, "group_size", int64(sp.group.size))
		s.track(kGroupBuyJoined, pgGroupBuy, b)
		b = appendStrField(s.obj(), "group_buy_id", sp.group.id)
		b = appendStrField(b, "product_id", p.ID)
		b = appendIntField(b, "group_size", int64(sp.group.size))
		if sp.group.completed {
			b = appendIntField(b, "members", int64(sp.group.size))
			s.server(kGroupBuyCompleted, sp.group.outcomeAt, b)
		} else {
			b = appendStrField(b, "reason", "拼团超时")
			s.server(kGroupBuyFailed, sp.group.outcomeAt, b)
			s.groupRefund(order, p.GroupPrice, sp.group.outcomeAt)
		}
	}
	s.wait(5000)
	return stExitOr(r, stHome, 0.35)
}
