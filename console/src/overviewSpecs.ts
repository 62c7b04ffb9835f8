// The overview's queries, in one pure module: the Overview page sends them, and
// scripts/overview-specs.mjs writes them to overview-specs.json for the Go benchmark that
// times them on the server (bench/RESULTS.md, "Overview"). Change them here only.
import { rangeFor, type Spec } from './api';

// dauRanges is DAU's today and its comparison: yesterday up to the same time of day
// ("-1d@now": now's local time of day, a day back), so a day that is not over is not set
// against a whole one.
export const dauRanges = { current: rangeFor(1).current, previous: { from: '-1d', to: '-1d@now' } };

// retentionDays is the range of the overview's retention card: 14 days for the 7-day view, so
// that half of its cohorts have a D7 that is over; the range itself for 30 days.
export const retentionDays = (days: number) => (days < 14 ? 14 : days);

export const purchaseSteps = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

// specs builds the overview's queries. Unique persons over a whole range are the first
// step of a funnel (a trends "dau" line counts per day, and days do not add up to persons).
export function overviewSpecs(days: number): Spec[] {
  const { current, previous } = rangeFor(days);
  const trends: Spec = {
    kind: 'trends',
    interval: 'day',
    date_range: current,
    compare: true,
    series: [
      { event: 'App Launched', math: 'dau' },
      { event: 'Order Completed', math: 'total' },
      { event: 'Order Completed', math: 'sum', property: 'total' },
      { event: 'Order Completed', math: 'dau' },
      { event: 'Order Refunded', math: 'total' },
    ],
    formula: 'C / D',
  };
  const visit = (r: typeof current): Spec => ({ kind: 'funnel', window: '24h', date_range: r, steps: [{ event: 'App Launched' }, { event: 'Order Completed' }] });
  const pay = (r: typeof current): Spec => ({ kind: 'funnel', window: '24h', date_range: r, steps: [{ event: 'Order Completed' }, { event: 'Order Refunded' }] });
  const funnel: Spec = { kind: 'funnel', window: '24h', date_range: current, steps: purchaseSteps.map((event) => ({ event })) };
  const retention = (r: typeof current, periods: number): Spec => ({
    kind: 'retention',
    date_range: r,
    start_event: { event: 'App Launched' },
    return_event: { event: 'App Launched' },
    period: 'day',
    periods,
    first_time: true,
  });
  const two = (a: string, b: string, window: string, r: typeof current, breakdown?: Spec['breakdown']): Spec => ({
    kind: 'funnel',
    window,
    date_range: r,
    steps: [{ event: a }, { event: b }],
    ...(breakdown ? { breakdown } : {}),
  });
  // Active persons over the last 1 / 7 / 30 days (whatever the range picker says) and the
  // same number of days before: step 1 of a funnel, so each person counts once. Today is
  // not over, so DAU compares with yesterday up to the same time of day (dauRanges).
  const active = [1, 7, 30].flatMap((n) => {
    const r = n === 1 ? dauRanges : rangeFor(n);
    return [visit(r.current), visit(r.previous)];
  });
  // New visitors are the sizes of the first-time cohorts (first-ever App Launched) added up.
  return [
    trends, // 0
    visit(current), // 1
    visit(previous), // 2
    pay(current), // 3
    pay(previous), // 4
    funnel, // 5
    // 6: new visitors are the cohorts of the range; the retention card shows the cohorts of
    // retentionDays(days), which for 7 days reaches back to cohorts whose D7 is over.
    retention(rangeFor(retentionDays(days)).current, 7),
    retention(previous, 1), // 7
    ...active, // 8..13: DAU, WAU, MAU, each current then previous
    two('Product Added', 'Order Completed', '24h', current), // 14 cart abandonment
    two('Product Added', 'Order Completed', '24h', previous), // 15
    // 16 repeat purchase: with a window as long as the range, a second order counts only
    // when it is in the range too (nothing has happened after today). No previous period:
    // there the second order could fall in the days after it, so the two would not compare.
    two('Order Completed', 'Order Completed', `${days}d`, current),
    // 17 coupon redemption: persons who received a coupon in the range and applied one after
    // it, in the range (a window as long as the range, as for repeat purchase, and for the same
    // reason no previous period).
    two('Coupon Received', 'Coupon Applied', `${days}d`, current),
    // 18 top products: the line items of the orders, by revenue
    { kind: 'products', date_range: current, sort: 'revenue', limit: 10 },
    two('App Launched', 'Order Completed', '24h', current, { property: 'context.scene', limit: 10 }), // 19 scenes
    two('App Launched', 'Order Completed', '24h', current, { property: 'context.campaign.source', limit: 10 }), // 20 channels
  ];
}

