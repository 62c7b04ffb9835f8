package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/jingyun/jingyun/event"
)

// Event names written by the demo shop besides the reserved "$pageview" and "$identify".
// Names follow the Segment e-commerce spec v2 where it has one; the social-commerce events
// are Jingyun's own (DESIGN §3.2).
const (
	EventAppLaunched       = "App Launched"
	EventProductsSearched  = "Products Searched"
	EventProductListViewed = "Product List Viewed"
	EventProductViewed     = "Product Viewed"
	EventProductAdded      = "Product Added"
	EventProductRemoved    = "Product Removed"
	EventWishlistAdded     = "Product Added to Wishlist"
	EventCartViewed        = "Cart Viewed"
	EventCheckoutStarted   = "Checkout Started"
	EventOrderCompleted    = "Order Completed"
	EventOrderRefunded     = "Order Refunded"
	EventOrderCancelled    = "Order Cancelled"
	EventCouponReceived    = "Coupon Received"
	EventCouponApplied     = "Coupon Applied"
	EventPromotionViewed   = "Promotion Viewed"
	EventPromotionClicked  = "Promotion Clicked"
	EventProductShared     = "Product Shared"
	EventShareOpened       = "Share Opened"
	EventGroupBuyStarted   = "Group Buy Started"
	EventGroupBuyJoined    = "Group Buy Joined"
	EventGroupBuyCompleted = "Group Buy Completed"
	EventGroupBuyFailed    = "Group Buy Failed"
	EventProductReviewed   = "Product Reviewed"
	EventLiveStreamViewed  = "Live Stream Viewed"
)

// kind numbers the event names so that counting them costs an array index.
type kind uint8

const (
	kPageview kind = iota
	kIdentify
	kAppLaunched
	kProductsSearched
	kProductListViewed
	kProductViewed
	kProductAdded
	kProductRemoved
	kWishlistAdded
	kCartViewed
	kCheckoutStarted
	kOrderCompleted
	kOrderRefunded
	kOrderCancelled
	kCouponReceived
	kCouponApplied
	kPromotionViewed
	kPromotionClicked
	kProductShared
	kShareOpened
	kGroupBuyStarted
	kGroupBuyJoined
	kGroupBuyCompleted
	kGroupBuyFailed
	kProductReviewed
	kLiveStreamViewed
	nKinds
)

var kindNames = [nKinds]string{
	event.NamePageview, event.NameIdentify, EventAppLaunched, EventProductsSearched,
	EventProductListViewed, EventProductViewed, EventProductAdded, EventProductRemoved,
	EventWishlistAdded, EventCartViewed, EventCheckoutStarted, EventOrderCompleted,
	EventOrderRefunded, EventOrderCancelled, EventCouponReceived, EventCouponApplied,
	EventPromotionViewed, EventPromotionClicked, EventProductShared, EventShareOpened,
	EventGroupBuyStarted, EventGroupBuyJoined, EventGroupBuyCompleted, EventGroupBuyFailed,
	EventProductReviewed, EventLiveStreamViewed,
}

// Defaults of Options.
const (
	DefaultPersons   = 40000
	DefaultDays      = 60
	DefaultBatchSize = 10000
	// MaxDays bounds Options.Days: the generator keeps a demand table per day and product.
	MaxDays = 3660
)

// Options configures Generate. The zero value of every field means its default.
type Options struct {
	ProjectID uint32
	// Seed selects the shop: the same seed and options give the same events, byte for byte.
	Seed int64
	// Persons is the number of persons to generate, counting those acquired through shares.
	// The last invite tree is finished, so the result may exceed it by a few persons.
	// Default DefaultPersons.
	Persons int
	// Days is the length of the range in calendar days. Default DefaultDays.
	Days int
	// End is the exclusive end of the range; the range starts Days calendar days earlier in
	// TZ. Default: now, so that the shop looks alive today.
	End time.Time
	// TZ is the project's time zone; it shapes the day and hour rhythms. Default
	// Asia/Shanghai.
	TZ *time.Location
	// BatchSize is the number of events per Sink.Write. Default DefaultBatchSize.
	BatchSize int
	// Progress, when set, is called after every batch with the events written so far.
	Progress func(events int64)
}

// withDefaults returns o with its defaults filled in, or an error naming a bad field.
func (o Options) withDefaults() (Options, error) {
	if o.Persons == 0 {
		o.Persons = DefaultPersons
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.TZ == nil {
		tz, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			tz = time.FixedZone("CST", 8*3600) // no tzdata; Shanghai has no DST
		}
		o.TZ = tz
	}
	if o.End.IsZero() {
		o.End = time.Now()
	}
	switch {
	case o.Persons < 0:
		return o, fmt.Errorf("persons must be positive, got %d", o.Persons)
	case o.Days < 0 || o.Days > MaxDays:
		return o, fmt.Errorf("days must be in 1..%d, got %d", MaxDays, o.Days)
	case o.BatchSize < 0:
		return o, fmt.Errorf("batch size must be positive, got %d", o.BatchSize)
	}
	return o, nil
}

// Stats summarises what Generate wrote. Counts include only events inside the range.
type Stats struct {
	Start, End time.Time
	Persons    int64
	// InvitedPersons were acquired through a share (their first event is Share Opened).
	InvitedPersons int64
	// MaxInviteDepth is the longest invite chain: 1 when someone was invited by a person
	// who came on their own, 2 when that invitee brought someone in, and so on.
	MaxInviteDepth int
	Events         int64
	Sessions       int64 // App Launched events
	Orders         int64 // Order Completed events
	// Revenue is the sum of Order Completed totals (what buyers paid, before refunds).
	Revenue Money
	Refunds int64
	// ByName counts the events of every name.
	ByName map[string]int64
}

// Generate writes the events of a demo shop to sink in batches of Options.BatchSize and
// returns what it wrote. Each person's events are in time order within the stream; the
// stream as a whole is not sorted. Events after End are never written, so a shop generated
// up to now has open orders and running group buys. Sink.Write is called from the calling
// goroutine only; the events and their JSON belong to the sink once written.
func Generate(ctx context.Context, opts Options, sink event.Sink) (Stats, error) {
	if sink == nil {
		return Stats{}, fmt.Errorf("cannot generate demo events: %w", errNoSink)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return Stats{}, fmt.Errorf("cannot generate demo events: %w", err)
	}
	g := newGenerator(opts)
	em := emitter{ctx: ctx, sink: sink, size: opts.BatchSize, progress: opts.Progress}
	em.batch = make([]event.Event, 0, opts.BatchSize)
	em.stats.Start, em.stats.End = g.startTime, g.endTime
	s := &sim{g: g, ar: &em.ar}
	var tree []childSpec
	for root := uint64(0); em.stats.Persons < int64(opts.Persons); root++ {
		if err := ctx.Err(); err != nil {
			return em.result(), fmt.Errorf("cannot generate demo events: %w", err)
		}
		tree = append(tree[:0], childSpec{})
		for i := 0; i < len(tree); i++ {
			spec := tree[i]
			s.run(root<<treeBits|uint64(i), &spec, &tree)
			if err := em.person(s); err != nil {
				return em.result(), err
			}
		}
	}
	if err := em.flush(); err != nil {
		return em.result(), err
	}
	return em.result(), nil
}

// treeBits is the room for persons of one invite tree in a person number.
const treeBits = 20

// generator holds what every person shares: the catalogue, the calendar and the demand
// tables. It is read-only once built, so persons could be simulated in parallel.
type generator struct {
	opts       Options
	startTime  time.Time
	endTime    time.Time
	start, end int64 // ms
	products   []Product
	days       []day
	arrival    cumulative // by day: growth × traffic
	hours      cumulative
	demand     []float64 // days × products running sums, each day's row restarting at 0
	catLo      []int     // first product of each category
	catHi      []int
	seasonal   [6][]int // products by season
	groupBuys  []int    // products sold as group buys
	banners    [][]int  // campaign indexes on the carousel, by day
	dayLabel   []string // "20261111", by day
	appVersion []string // by day
	cities     weighted[city]
	phones     weighted[phone]
	ages       cumulative
	loyal      cumulative
	acquire    weighted[int] // scene codes
	revisit    weighted[int]
	channels   weighted[shareChannel]
	pageProps  [nPages][]byte // {"name":…,"path":… without the closing brace
	idPrefix   string
}

func newGenerator(o Options) *generator {
	end := o.End.In(o.TZ)
	start := end.AddDate(0, 0, -o.Days)
	g := &generator{
		opts:      o,
		startTime: start,
		endTime:   end,
		start:     start.UnixMilli(),
		end:       end.UnixMilli(),
		products:  Catalogue(o.Seed),
		days:      newDays(start, end, o.TZ),
		hours:     newCumulative(hourWeights),
		ages:      newCumulative(ageWeights),
		loyal:     newCumulative(loyalShares),
		cities:    newWeighted(cities, func(c city) float64 { return c.w }),
		phones:    newWeighted(phones, func(p phone) float64 { return p.w }),
		channels:  newWeighted(shareChannels, func(c shareChannel) float64 { return c.w }),
	}
	seed := strconv.FormatInt(o.Seed, 10)
	if o.Seed < 0 {
		seed = "n" + seed[1:]
	}
	g.idPrefix = "demo-" + seed + "-"
	var acq, rev []int
	var acqW, revW []float64
	for _, s := range scenes {
		if s.acquire > 0 {
			acq, acqW = append(acq, s.code), append(acqW, s.acquire)
		}
		if s.revisit > 0 {
			rev, revW = append(rev, s.code), append(revW, s.revisit)
		}
	}
	g.acquire = weighted[int]{items: acq, cum: newCumulative(acqW)}
	g.revisit = weighted[int]{items: rev, cum: newCumulative(revW)}

	// Arrivals grow about 2.2× over the range, follow the weekday and sales calendar, and
	// a partial day gets its share.
	w := make([]float64, len(g.days))
	for i := range g.days {
		d := &g.days[i]
		x := float64(i) / math.Max(1, float64(len(g.days)-1))
		w[i] = math.Exp(math.Log(2.2)*x) * d.traffic * float64(d.end-d.start) / 86400000
	}
	g.arrival = newCumulative(w)

	np := len(g.products)
	g.catLo = make([]int, len(categoryDefs))
	g.catHi = make([]int, len(categoryDefs))
	for i := range g.products {
		p := &g.products[i]
		if i == 0 || g.products[i-1].cat != p.cat {
			g.catLo[p.cat] = i
		}
		g.catHi[p.cat] = i + 1
		g.seasonal[p.Season] = append(g.seasonal[p.Season], i)
		if p.GroupPrice > 0 {
			g.groupBuys = append(g.groupBuys, i)
		}
	}
	g.demand = make([]float64, len(g.days)*np)
	for di := range g.days {
		d := &g.days[di]
		row := g.demand[di*np : (di+1)*np]
		sum := 0.0
		for i := range g.products {
			p := &g.products[i]
			sum += p.Popularity * seasonFactor(p.Season, d)
			row[i] = sum
		}
		var bn []int
		for ci := range campaignDefs {
			if len(bn) < 5 && campaignDefs[ci].active(d) {
				bn = append(bn, ci)
			}
		}
		g.banners = append(g.banners, bn)
		g.dayLabel = append(g.dayLabel, fmt.Sprintf("%04d%02d%02d", d.year, d.month, d.mday))
		g.appVersion = append(g.appVersion, "3."+strconv.Itoa(dayNum(d.year, d.month, d.mday)/21%40)+".0")
	}
	for i, p := range pageDefs {
		b := appendStrField([]byte{'{'}, "name", p.name)
		g.pageProps[i] = appendStrField(b, "path", p.path)
	}
	return g
}

// dayOf returns the index of the day holding t (ms), clamped to the range.
func (g *generator) dayOf(t int64) int {
	lo, hi := 0, len(g.days)-1
	for lo < hi {
		m := (lo + hi + 1) / 2
		if g.days[m].start <= t {
			lo = m
		} else {
			hi = m - 1
		}
	}
	return lo
}

// pev is an event of the person being simulated, with what Stats needs.
type pev struct {
	event.Event
	kind   kind
	amount Money
}

// arena hands out byte slices carved from large chunks, so that the JSON of thousands of
// events costs one allocation. Chunks are never reused: the sink keeps the events.
type arena struct{ buf []byte }

func (a *arena) copy(b []byte) []byte {
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, max(1<<20, len(b)))
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[n:len(a.buf):len(a.buf)]
}

// emitter turns simulated persons into batches for the sink.
type emitter struct {
	ctx      context.Context
	sink     event.Sink
	size     int
	batch    []event.Event
	ar       arena
	progress func(int64)
	stats    Stats
	counts   [nKinds]int64
	ids      []byte
}

// person sorts the simulated person's events, drops those after the range, names them and
// queues them for the sink.
func (e *emitter) person(s *sim) error {
	evs := s.ev
	cmp := func(a, b pev) int {
		switch {
		case a.Time < b.Time:
			return -1
		case a.Time > b.Time:
			return 1
		}
		return 0
	}
	if !slices.IsSortedFunc(evs, cmp) {
		slices.SortStableFunc(evs, cmp)
	}
	n := len(evs)
	for n > 0 && evs[n-1].Time >= s.g.end {
		n--
	}
	evs = evs[:n]
	if n == 0 {
		return nil
	}
	e.stats.Persons++
	if s.spec.depth > 0 {
		e.stats.InvitedPersons++
		e.stats.MaxInviteDepth = max(e.stats.MaxInviteDepth, s.spec.depth)
	}
	// One string holds all ids of the person: one allocation instead of one per event.
	b := append(e.ids[:0], s.g.idPrefix...)
	b = strconv.AppendUint(b, s.pid, 36)
	b = append(b, '-')
	prefix := len(b)
	ends := s.idEnds[:0]
	for i := range evs {
		if i > 0 {
			b = append(b, b[:prefix]...)
		}
		b = strconv.AppendInt(b, int64(i), 36)
		ends = append(ends, len(b))
	}
	ids := string(b)
	e.ids, s.idEnds = b, ends
	from := 0
	for i := range evs {
		ev := &evs[i]
		ev.ID = ids[from:ends[i]]
		from = ends[i]
		e.counts[ev.kind]++
		switch ev.kind {
		case kOrderCompleted:
			e.stats.Revenue += ev.amount
		}
		e.batch = append(e.batch, ev.Event)
		if len(e.batch) >= e.size {
			if err := e.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *emitter) flush() error {
	if len(e.batch) == 0 {
		return nil
	}
	if err := e.sink.Write(e.ctx, e.batch); err != nil {
		return fmt.Errorf("cannot write demo events: %w", err)
	}
	e.stats.Events += int64(len(e.batch))
	e.batch = make([]event.Event, 0, e.size)
	if e.progress != nil {
		e.progress(e.stats.Events)
	}
	return nil
}

func (e *emitter) result() Stats {
	st := e.stats
	st.ByName = make(map[string]int64, nKinds)
	for k, n := range e.counts {
		if n > 0 {
			st.ByName[kindNames[k]] = n
		}
	}
	st.Sessions = e.counts[kAppLaunched]
	st.Orders = e.counts[kOrderCompleted]
	st.Refunds = e.counts[kOrderRefunded]
	return st
}

// errNoSink is returned when Generate is called without a sink.
var errNoSink = errors.New("no sink")
