// Package demo generates the events of a believable WeChat mini-program shop (鲸云优选), so
// that a fresh Jingyun has data to show and benchmarks have data to chew. It owns the demo
// catalogue, the behaviour model and the event vocabulary the demo writes; it writes only
// through an event.Sink and must not know about HTTP, the WAL or any store.
//
// # Use
//
//	st, err := demo.Generate(ctx, demo.Options{ProjectID: 1, Seed: 42}, sink)
//
// The same Seed and Options give the same events byte for byte (ids included), whatever the
// batch size. End defaults to now, so a demo shop looks alive today; pass End to reproduce
// a data set. The range is [End − Days calendar days in TZ, End); nothing is written
// outside it, so a shop generated up to now has unpaid orders and open group buys.
//
// # Scale and speed
//
// A person writes about 25 events over 60 days on average (2.7 visits of about 9 events;
// most persons come once, a few come back weekly), so the defaults (40,000 persons × 60
// days) give about 1M events. Persons scale the data linearly; longer ranges add visits of
// returning persons. BenchmarkGenerate measures about 1.7M events/s with GOMAXPROCS=1
// (garbage collection included) and a discarding sink on the 2-core CI machine; 9.8M
// events took 7.9 s of wall time there on a busy machine. Events carry about 380 bytes of
// JSON (properties, context, traits); contexts are shared by the events of one page view.
//
// Every person is a pure function of the seed, the options, its person number and what it
// inherits from the person who shared to it (see childSpec). Persons who came on their own
// are roots; persons who opened a share are queued in the sharer's invite tree, so a tree is
// the unit a parallel generator would split on. Options.Persons counts all persons; the
// last tree is finished, so a few more may be written.
//
// # Identity
//
// A person starts anonymous: AnonymousID is a 16-hex-digit device id. Adding to cart,
// paying, claiming a coupon or joining a group asks them to log in (some refuse); login is an
// identify message with UserID (member id "m…") and traits: gender, age_range, city,
// province, member_level, phone_hash (SHA-256 hex of a phone number) and, under $set_once,
// first_scene, registered_at and invited_by (sharer's distinct id, for invited persons).
// Later events carry both ids. Member level upgrades (银卡 at 2 paid orders, 金卡 at 5, 黑钻
// at 10) are identify messages with member_level only. About 3% of regular persons switch to
// a second phone: a new AnonymousID, anonymous events, then an identify that merges it. The
// WeChat openid (28 characters, "o…") is the same on both phones and is in every context.
// Events sent by the shop's server (refunds, cancellations, group outcomes) carry UserID only.
//
// # Context
//
// Client events (track, page, identify) carry
//
//	{"app":{"name":"鲸云优选","version":"3.28.0"},"scene":1007,
//	 "os":{"name":"iOS","version":"17.5.1"},"device":{"brand":"Apple","model":"iPhone 15"},
//	 "openid":"o…","campaign":{"source":"weixin_moments","medium":"cpm","name":"double11"},
//	 "page":{"path":"pages/goods/detail"}}
//
// where scene is the WeChat scene value (场景值) the visit started with (SceneName gives
// its meaning), campaign is present only for ad, official-account and SMS-link scenes, and
// page.path is the page the event happened on (no query string). Server events carry
// {"library":{"name":"shop-server","version":"2.3.0"},"openid":"o…"}.
//
// # Events
//
// Names follow the Segment e-commerce spec v2 where it has one. Money is yuan written as a
// JSON number with exactly two decimals (59.90), computed in fen (Money); currency is CNY.
// In orders, revenue = Σ price × quantity − discount, total = revenue + shipping (what the
// buyer paid; shipping is 8.00 under 49.00, free otherwise and for group buys); refunds are
// whole orders. Product fields are product_id, sku, name, category, brand, price.
//
//   - $pageview (type page): name, path, search ("?id=P10001"), referrer (previous path).
//   - App Launched: scene, first_launch. One per visit: it counts sessions.
//   - Promotion Viewed / Promotion Clicked: promotion_id, creative, name, position. Slots are
//     home_banner_1…3 (carousel; creative "<id>_kv_a" or "_kv_b" split by person, an A/B
//     test), home_nav_1…8 (navigation tiles; clicks only, their exposure is the home page
//     view), home_rec and detail_rec (猜你喜欢; clicks add product_id and rank).
//   - Products Searched: query (Chinese: item names, categories, brands, hot words).
//   - Product List Viewed: list_id (search_results, category_<code>, a campaign id), query
//     or category or name, products[{product_id, name, price, position}].
//   - Product Viewed: product fields, currency, source (search, category, activity,
//     home_rec, detail_rec, share, live, group_buy).
//   - Product Added / Product Removed: cart_id, product fields, quantity.
//   - Product Added to Wishlist: product fields.
//   - Cart Viewed: cart_id, products[].
//   - Checkout Started: order_id, value (before discount), revenue, shipping, discount,
//     coupon (name, when used), currency, products[{product fields, quantity}].
//   - Coupon Applied: order_id, cart_id, coupon_id, coupon_name, discount.
//   - Order Completed: order_id, total, revenue, shipping, discount, coupon, currency,
//     payment_method (wechat_pay, balance, wechat_credit), products[], group_buy_id.
//   - Order Cancelled (server): order_id, total, currency, reason — unpaid orders after 30
//     minutes.
//   - Order Refunded (server): order_id, total, currency, reason.
//   - Coupon Received: coupon_id, coupon_name, discount, min_spend, source, valid_days.
//   - Product Shared: share_id, share_via (wechat_friend, wechat_group, poster), share_type
//     (product, group_buy), product fields, group_buy_id.
//   - Share Opened: share_id, sharer_id (the sharer's distinct id when sharing), share_via,
//     share_type, product_id, is_new_user. The opener's visit has scene 1007 (friend), 1008
//     (group) or 1048 (poster). Openers who are new persons continue the invite chain.
//   - Group Buy Started / Joined: group_buy_id, product fields (group price), group_size.
//     Group Buy Completed / Failed (server, to every member): group_buy_id, product_id,
//     group_size, members or reason; a failed group refunds its orders. Groups last 24 h.
//   - Product Reviewed: product_id, review_id, review_body (Chinese, tone follows the
//     rating), rating 1–5, order_id, sku, name, category. Written days after delivery.
//   - Live Stream Viewed: live_id (one per day), live_name, anchor.
//
// # Behaviour
//
// Arrivals grow about 2.2× over the range and follow weekdays (weekends busier), the hour
// of day (lunch bump, 20:00–22:00 peak) and the sales calendar (双十一 3.5×, 618, 双十二,
// 年货节; quieter around 春节); big sales days also pull returning persons back. First
// visits come through acquisition scenes (ads, search, codes, official account, video
// channel live rooms, shares); returns mostly through the recent list (1089) and
// notifications. Product demand is Zipf-like (the top tenth of products takes about two
// thirds of it) times the season: 月饼 before 中秋, 粽子 before 端午, gift boxes before 春节,
// down jackets in winter, sun cream in summer. Person-level funnel over the range is about
// 100 viewed → 30 added to cart → 19 checked out → 14 paid.
package demo
