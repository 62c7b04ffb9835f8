// Overview (运营看板): the shop's key figures for the last 7 or 30 days against the period
// before, a real-time panel of the last 30 minutes (./Realtime.tsx), DAU / WAU / MAU, cart abandonment, repeat purchase, coupon redemption and refund
// rates, a purchase funnel, new-visitor retention, trend charts, top products and
// breakdowns by scene and channel (definitions: docs/console.md). The queries are in
// ../overviewSpecs.ts. Every figure comes from
// the query API (POST /api/v1/projects/{id}/query), so it equals what an analysis shows.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Alert, Card, Col, Row, Space, Statistic, Table, Tooltip, Typography } from 'antd';
import { rangeFor, runQuery, type Membership, type Cohort, type ProductRow, type QueryAnswer, type Spec, type TrendLine } from '../api';
import { dauRanges, overviewSpecs as specs, purchaseSteps, retentionDays } from '../overviewSpecs';
import { channelName, sceneName } from '../scenes';
import { RealtimePanel } from './Realtime';
import { Chart, palette } from '../Chart';
import { useI18n, type Lang } from '../i18n';
import { openAnalysis } from '../router';
import { ComputedAt, fmtNumber, fmtPct, RangeSelect } from '../widgets';

// figureSpec is the analysis that produces an overview figure (this period), opened
// prefilled when the figure is clicked; undefined opens the page with its defaults.
export function figureSpec(key: string, days: number): Spec | undefined {
  const r = rangeFor(days).current;
  const funnel = (a: string, b: string, window: string, range = r): Spec => ({ kind: 'funnel', window, date_range: range, steps: [{ event: a }, { event: b }] });
  const trends = (series: Spec['series'], formula?: string): Spec => ({ kind: 'trends', interval: 'day', date_range: r, compare: true, series, ...(formula ? { formula } : {}) });
  const retention = (range = r): Spec => ({
    kind: 'retention',
    date_range: range,
    start_event: { event: 'App Launched' },
    return_event: { event: 'App Launched' },
    period: 'day',
    periods: 7,
    first_time: true,
  });
  switch (key) {
    case 'visitors':
    case 'visitToPay':
      return funnel('App Launched', 'Order Completed', '24h');
    case 'payers':
      return funnel('Order Completed', 'Order Refunded', '24h');
    case 'dau':
      // today's unique persons: one day of trends "dau" (the same persons as the funnel's step 1)
      return { kind: 'trends', interval: 'day', date_range: dauRanges.current, series: [{ event: 'App Launched', math: 'dau' }] };
    case 'wau':
    case 'mau':
      return funnel('App Launched', 'Order Completed', '24h', rangeFor(key === 'wau' ? 7 : 30).current);
    case 'newVisitors':
      return retention();
    case 'retentionD':
      return retention(rangeFor(retentionDays(days)).current);
    case 'cartAbandon':
      return funnel('Product Added', 'Order Completed', '24h');
    case 'repeatRate':
      return funnel('Order Completed', 'Order Completed', `${days}d`);
    case 'couponRate':
      return funnel('Coupon Received', 'Coupon Applied', `${days}d`);
    case 'purchaseFunnel':
      return { kind: 'funnel', window: '24h', date_range: r, steps: purchaseSteps.map((event) => ({ event })) };
    case 'topProducts':
      return { kind: 'products', date_range: r, sort: 'revenue', limit: 10 };
    case 'byScene':
      return { ...funnel('App Launched', 'Order Completed', '24h'), breakdown: { property: 'context.scene', limit: 10 } };
    case 'byChannel':
      return { ...funnel('App Launched', 'Order Completed', '24h'), breakdown: { property: 'context.campaign.source', limit: 10 } };
    case 'orders':
      return trends([{ event: 'Order Completed', math: 'total' }]);
    case 'gmv':
      return trends([{ event: 'Order Completed', math: 'sum', property: 'total' }]);
    case 'aov':
      return trends([{ event: 'Order Completed', math: 'sum', property: 'total' }, { event: 'Order Completed', math: 'dau' }], 'A / B');
    case 'refunds':
      return trends([{ event: 'Order Refunded', math: 'total' }]);
    case 'refundRate':
      return trends([{ event: 'Order Refunded', math: 'total' }, { event: 'Order Completed', math: 'total' }], 'A / B');
  }
  return undefined;
}

// The analysis page that produces each overview figure.
export const sources: Record<string, string> = {
  visitors: '/funnel',
  newVisitors: '/retention',
  orders: '/trends',
  gmv: '/trends',
  payers: '/funnel',
  aov: '/trends',
  refunds: '/trends',
  visitToPay: '/funnel',
  dau: '/trends',
  wau: '/funnel',
  mau: '/funnel',
  cartAbandon: '/funnel',
  repeatRate: '/funnel',
  couponRate: '/funnel',
  refundRate: '/trends',
  purchaseFunnel: '/funnel',
  topProducts: '/products',
  byScene: '/funnel',
  byChannel: '/funnel',
  retentionD: '/retention',
};

// periodOver reports whether day n after a cohort's first day has ended (browser calendar):
// a period not over yet counts only what happened so far, so it is shown as "–".
export function periodOver(start: string, n: number): boolean {
  const d = new Date(start + 'T00:00:00');
  d.setDate(d.getDate() + n + 1);
  return d.getTime() <= Date.now();
}

const sum = (l?: TrendLine) => (l ? l.points.reduce((s, p) => s + p.value, 0) : 0);

// lowerIsBetter are the figures where a rise is bad news for the shop.
const lowerIsBetter = new Set<string>(['refunds', 'cartAbandon', 'refundRate']);

// changeColor is the colour of a figure's change. The arrow always gives the direction; the
// colour follows the reader's convention. zh-CN: the Chinese market convention, red for a
// good change and green for a bad one, so for most figures red ▲ / green ▼. en: green good,
// red bad, so green ▲ / red ▼. Where a rise is bad (lowerIsBetter) good and bad swap: a
// rising refund rate is green ▲ in zh-CN and red ▲ in en. No change is grey.
export function changeColor(key: string, delta: number, lang: Lang): string {
  if (delta === 0) return '#8c8c8c';
  const good = delta > 0 !== lowerIsBetter.has(key);
  const red = '#cf1322';
  const green = '#389e0d';
  return lang === 'en' ? (good ? green : red) : good ? red : green;
}

// noCompare are the figures shown without the previous period, with the reason.
const noCompare: Record<string, 'noCompareRepeat' | 'noCompareCoupon'> = { repeatRate: 'noCompareRepeat', couponRate: 'noCompareCoupon' };

interface Figures {
  visitors: number;
  newVisitors: number;
  orders: number;
  gmv: number;
  payers: number;
  aov: number;
  refunds: number;
  visitToPay: number;
  dau: number;
  wau: number;
  mau: number;
  cartAbandon: number;
  repeatRate: number;
  couponRate: number;
  refundRate: number;
}

interface BreakdownRow {
  value: string;
  first: number;
  second: number;
  conversion: number;
}

export function Overview({ project }: { project: Membership }) {
  const { t, lang } = useI18n();
  const [days, setDays] = useState(7);
  const [answers, setAnswers] = useState<QueryAnswer[] | undefined>();
  const [err, setErr] = useState('');
  useEffect(() => {
    let live = true;
    setAnswers(undefined);
    setErr('');
    Promise.all(specs(days).map((s) => runQuery(project.id, s)))
      .then((a) => live && setAnswers(a))
      .catch((e) => live && setErr((e as Error).message));
    return () => {
      live = false;
    };
  }, [project.id, days]);

  const figs = useMemo(() => {
    if (!answers) return undefined;
    const lines = answers[0].result.trends?.series ?? [];
    const line = (s: string, cmp: boolean) => lines.find((l) => l.series === s && !!l.compare === cmp && !l.breakdown);
    const steps = (i: number) => answers[i].result.funnel?.steps ?? [];
    // the cohorts of the range: the card's query may reach further back (retentionDays)
    const newVisitors = (i: number, n: number) => (answers[i].result.retention?.cohorts ?? []).slice(-n).reduce((s, c) => s + c.size, 0);
    const conv = (i: number) => steps(i)[1]?.overall_conversion ?? 0;
    const make = (cmp: boolean, vi: number, pi: number, ri: number): Figures => {
      const gmv = sum(line('C', cmp));
      const payers = steps(pi)[0]?.persons ?? 0;
      const orders = sum(line('B', cmp));
      const k = cmp ? 1 : 0; // the previous period's answer follows the current one
      const hasCart = (steps(14 + k)[0]?.persons ?? 0) > 0;
      return {
        dau: steps(8 + k)[0]?.persons ?? 0,
        wau: steps(10 + k)[0]?.persons ?? 0,
        mau: steps(12 + k)[0]?.persons ?? 0,
        cartAbandon: hasCart ? 1 - conv(14 + k) : 0,
        repeatRate: cmp ? NaN : conv(16),
        couponRate: cmp ? NaN : conv(17),
        refundRate: orders ? sum(line('E', cmp)) / orders : 0,
        visitors: steps(vi)[0]?.persons ?? 0,
        newVisitors: newVisitors(ri, cmp ? Infinity : days),
        orders: sum(line('B', cmp)),
        gmv,
        payers,
        aov: payers ? gmv / payers : 0,
        refunds: sum(line('E', cmp)),
        visitToPay: steps(vi)[1]?.overall_conversion ?? 0,
      };
    };
    const rows = (i: number): BreakdownRow[] =>
      (answers[i].result.funnel?.breakdown ?? [])
        .map((b) => ({ value: b.value, first: b.steps[0]?.persons ?? 0, second: b.steps[1]?.persons ?? 0, conversion: b.steps[1]?.overall_conversion ?? 0 }))
        .sort((a, b) => b.first - a.first);
    return {
      cur: make(false, 1, 3, 6),
      prev: make(true, 2, 4, 7),
      line,
      products: answers[18].result.products?.products ?? [],
      // the rest of the scenes ($other) last
      scenes: [...rows(19).filter((r) => r.value !== '$other'), ...rows(19).filter((r) => r.value === '$other')],
      channels: [...rows(20).filter((r) => r.value !== '$other'), ...rows(20).filter((r) => r.value === '$other')],
    };
  }, [answers, days]);

  const money = (v: number) => (project.currency === 'CNY' ? '¥' : project.currency + ' ') + fmtNumber(v, lang, 2);
  const count = (v: number) => fmtNumber(v, lang);
  // rate figures compare in percentage points, counts and amounts by relative change.
  const kpis: { key: keyof Figures; title: string; fmt: (v: number) => string; rate?: boolean }[] = [
    { key: 'visitors', title: t('visitors'), fmt: count },
    { key: 'newVisitors', title: t('newVisitors'), fmt: count },
    { key: 'orders', title: t('orders'), fmt: count },
    { key: 'gmv', title: t('gmv'), fmt: money },
    { key: 'payers', title: t('payers'), fmt: count },
    { key: 'aov', title: t('aov'), fmt: money },
    { key: 'refunds', title: t('refunds'), fmt: count },
    { key: 'visitToPay', title: t('visitToPay'), fmt: fmtPct, rate: true },
  ];
  // WAU over the 7-day range and MAU over the 30-day one are the Visitors card again: left out.
  const kpis2: typeof kpis = [
    { key: 'dau', title: t('dau'), fmt: count },
    ...(days === 7 ? [] : [{ key: 'wau' as const, title: t('wau'), fmt: count }]),
    ...(days === 30 ? [] : [{ key: 'mau' as const, title: t('mau'), fmt: count }]),
    { key: 'cartAbandon', title: t('cartAbandon'), fmt: fmtPct, rate: true },
    { key: 'repeatRate', title: t('repeatRate'), fmt: fmtPct, rate: true },
    { key: 'couponRate', title: t('couponRate'), fmt: fmtPct, rate: true },
    { key: 'refundRate', title: t('refundRate'), fmt: fmtPct, rate: true },
  ];
  const kpiCards = (list: typeof kpis) =>
    list.map((k) => {
      const cur = figs?.cur[k.key];
      const p = figs?.prev[k.key];
      const prev = p === undefined || isNaN(p) ? undefined : p; // NaN: no comparison
      const delta = cur === undefined || prev === undefined ? undefined : k.rate ? cur - prev : prev ? (cur - prev) / prev : undefined;
      return (
        <Col key={k.key} xs={12} md={8} xl={6} xxl={3}>
          <Card size="small" hoverable onClick={() => openAnalysis(sources[k.key], figureSpec(k.key, days))} data-testid={'kpi-' + k.key} loading={!answers && !err}>
            <Statistic title={k.title} value={cur === undefined ? '–' : k.fmt(cur)} />
            <Tooltip title={noCompare[k.key] ? t(noCompare[k.key]) : k.key === 'dau' ? t('prevDayTip') : undefined}>
              <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid={'cmp-' + k.key}>
                {t(k.key === 'dau' ? 'prevDay' : 'prevPeriod')} {prev === undefined ? '–' : k.fmt(prev)}
                {noCompare[k.key] && <span style={{ marginLeft: 4 }}>ⓘ</span>}
                {delta !== undefined && (
                  <span style={{ color: changeColor(k.key, delta, lang), marginLeft: 6 }}>
                    {delta > 0 ? '▲' : delta < 0 ? '▼' : '='} {k.rate ? (Math.abs(delta) * 100).toFixed(1) + ' pp' : fmtPct(Math.abs(delta))}
                  </span>
                )}
              </Typography.Text>
            </Tooltip>
          </Card>
        </Col>
      );
    });
  const breakdownColumns = (first: string, second: string, valueTitle: ReactNode, name?: (v: string) => string) => [
    { title: valueTitle, dataIndex: 'value', ellipsis: true, render: (v: string) => (v === '$other' ? t('otherValues') : name ? name(v) : v) },
    { title: first, dataIndex: 'first', align: 'right' as const, render: count },
    { title: second, dataIndex: 'second', align: 'right' as const, render: count },
    { title: t('overallConversion'), dataIndex: 'conversion', align: 'right' as const, render: fmtPct },
  ];

  // trendChart draws this period solid and the previous one dashed on one category axis of
  // this period's days; the tooltip gives each previous-period value its own date.
  const trendChart = (series: { s: string; name: string }[]) => {
    if (!figs) return {};
    const day = (time: string) => time.slice(5, 10); // 2026-11-23 → 11-23
    const x = (figs.line(series[0].s, false)?.points ?? []).map((p) => p.time);
    const out: object[] = [];
    const prevTimes: (string[] | undefined)[] = []; // per series index, the previous period's days
    series.forEach((se, i) => {
      const c = figs.line(se.s, false);
      const p = figs.line(se.s, true);
      out.push({ name: `${se.name} · ${t('current')}`, type: 'line', smooth: true, data: c?.points.map((q) => +q.value.toFixed(2)) ?? [], color: palette[i * 2] });
      prevTimes.push(undefined);
      out.push({ name: `${se.name} · ${t('previous')}`, type: 'line', smooth: true, lineStyle: { type: 'dashed' }, data: p?.points.map((q) => +q.value.toFixed(2)) ?? [], color: palette[i * 2 + 1] });
      prevTimes.push(p?.points.map((q) => q.time));
    });
    type Param = { seriesIndex: number; seriesName: string; dataIndex: number; value: number; marker: string; axisValue: string };
    const formatter = (params: Param | Param[]) => {
      const ps = Array.isArray(params) ? params : [params];
      if (!ps.length) return '';
      const lines = ps.map((p) => {
        const pt = prevTimes[p.seriesIndex]?.[p.dataIndex];
        const when = pt ? ` (${day(pt)})` : '';
        return `${p.marker}${p.seriesName}${when}: <b>${fmtNumber(Number(p.value), lang, 2)}</b>`;
      });
      return [`${day(ps[0].axisValue)} (${t('current')})`, ...lines].join('<br/>');
    };
    return {
      tooltip: { trigger: 'axis', formatter },
      legend: { top: 0 },
      grid: { left: 50, right: 16, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: x, axisLabel: { formatter: day } },
      yAxis: { type: 'value' },
      series: out,
    };
  };

  const funnelSteps = answers?.[5].result.funnel?.steps ?? [];
  const cohorts = answers?.[6].result.retention?.cohorts ?? []; // retentionDays(days) of them

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="overview">
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('overview')} · {project.name}
        </Typography.Title>
        <Space wrap>
          <RangeSelect value={days} onChange={setDays} choices={[7, 30]} />
          <ComputedAt answers={answers ?? []} />
        </Space>
      </Space>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Row gutter={[12, 12]}>{kpiCards(kpis)}</Row>
      <Row gutter={[12, 12]} data-testid="kpis-more">
        {kpiCards(kpis2)}
      </Row>
      <RealtimePanel project={project} />
      <Row gutter={[12, 12]}>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('trendVisitors')}>
            <Chart option={trendChart([{ s: 'A', name: t('visitors') }])} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('trendGmv')}>
            <Chart option={trendChart([{ s: 'C', name: t('gmv') }])} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('trendOrders')}>
            <Chart option={trendChart([{ s: 'B', name: t('orders') }, { s: 'D', name: t('payers') }])} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('trendAov')}>
            <Chart option={trendChart([{ s: 'formula', name: t('aov') }])} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('purchaseFunnel')} extra={<a onClick={() => openAnalysis('/funnel', figureSpec('purchaseFunnel', days))}>{t('viewAnalysis')}</a>}>
            <Chart
              height={240}
              option={{
                tooltip: { trigger: 'axis' },
                grid: { left: 120, right: 40, top: 10, bottom: 20 },
                xAxis: { type: 'value' },
                yAxis: { type: 'category', inverse: true, data: funnelSteps.map((s) => s.event) },
                series: [{ type: 'bar', data: funnelSteps.map((s) => s.persons), label: { show: true, position: 'right' }, color: palette[0] }],
              }}
            />
            <Table
              size="small"
              pagination={false}
              rowKey="step"
              dataSource={funnelSteps}
              columns={[
                { title: t('step'), dataIndex: 'event' },
                { title: t('persons'), dataIndex: 'persons', align: 'right' },
                { title: t('stepConversion'), dataIndex: 'step_conversion', align: 'right', render: fmtPct },
                { title: t('overallConversion'), dataIndex: 'overall_conversion', align: 'right', render: fmtPct },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('retentionD')} extra={<a onClick={() => openAnalysis('/retention', figureSpec('retentionD', days))}>{t('viewAnalysis')}</a>} data-testid="retention-card">
            <Table
              size="small"
              pagination={false}
              rowKey="start"
              scroll={{ x: true }}
              dataSource={cohorts}
              columns={[
                { title: t('cohort'), dataIndex: 'start' },
                { title: t('size'), dataIndex: 'size', align: 'right' },
                ...[1, 3, 7].map((n) => ({
                  title: (
                    <Tooltip title={t('retentionDTip')}>
                      <span>D{n}</span>
                    </Tooltip>
                  ),
                  key: 'd' + n,
                  align: 'right' as const,
                  render: (_: unknown, c: Cohort) => (c.rates.length > n && periodOver(c.start, n) ? fmtPct(c.rates[n]) : '–'),
                })),
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('topProducts')} extra={<a onClick={() => openAnalysis(sources.topProducts, figureSpec('topProducts', days))}>{t('viewAnalysis')}</a>} data-testid="top-products">
            <Table size="small" pagination={false} loading={!answers && !err} dataSource={figs?.products ?? []} rowKey="id" columns={[
                { title: t('product'), key: 'product', ellipsis: true, render: (_: unknown, r: ProductRow) => (r.name ? `${r.name} (${r.id})` : r.id) },
                { title: t('orders'), dataIndex: 'orders', align: 'right' as const, render: count },
                { title: t('units'), dataIndex: 'units', align: 'right' as const, render: count },
                { title: t('gmv'), dataIndex: 'revenue', align: 'right' as const, render: money },
                { title: t('payers'), dataIndex: 'buyers', align: 'right' as const, render: count },
              ]} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('byScene')} extra={<a onClick={() => openAnalysis('/funnel', figureSpec('byScene', days))}>{t('viewAnalysis')}</a>} data-testid="by-scene">
            <Table size="small" pagination={false} rowKey="value" loading={!answers && !err} dataSource={figs?.scenes ?? []} columns={breakdownColumns(t('visitors'), t('payers'), t('scene'), (v) => sceneName(v, lang))} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('byChannel')} extra={<a onClick={() => openAnalysis('/funnel', figureSpec('byChannel', days))}>{t('viewAnalysis')}</a>} data-testid="by-channel">
            <Table size="small" pagination={false} rowKey="value" loading={!answers && !err} dataSource={figs?.channels ?? []} columns={breakdownColumns(t('visitors'), t('payers'), <Tooltip title={t('channelTip')}><span>{t('channel')}</span></Tooltip>, (v) => channelName(v, lang))} />
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
