// Overview (运营看板): the shop's key figures for the last 7 or 30 days against the period
// before, a real-time panel of the last 30 minutes (./Realtime.tsx), DAU / WAU / MAU, cart abandonment, repeat purchase, coupon redemption and refund
// rates, a purchase funnel, new-visitor retention, trend charts, top products and
// breakdowns by scene and channel (definitions: docs/console.md). The queries are in
// ../overviewSpecs.ts. Every figure comes from
// the query API (POST /api/v1/projects/{id}/query), so it equals what an analysis shows.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Card, Col, Row, Space, Statistic, Table, Typography } from 'antd';
import { rangeFor, runQuery, type Membership, type Cohort, type ProductRow, type QueryAnswer, type Spec, type TrendLine } from '../api';
import { overviewSpecs as specs, purchaseSteps } from '../overviewSpecs';
import { channelName, sceneName } from '../scenes';
import { RealtimePanel } from './Realtime';
import { Chart, palette } from '../Chart';
import { useI18n } from '../i18n';
import { openAnalysis } from '../router';
import { ComputedAt, fmtNumber, fmtPct, RangeSelect } from '../widgets';

// figureSpec is the analysis that produces an overview figure (this period), opened
// prefilled when the figure is clicked; undefined opens the page with its defaults.
export function figureSpec(key: string, days: number): Spec | undefined {
  const r = rangeFor(days).current;
  const funnel = (a: string, b: string, window: string, range = r): Spec => ({ kind: 'funnel', window, date_range: range, steps: [{ event: a }, { event: b }] });
  const trends = (series: Spec['series'], formula?: string): Spec => ({ kind: 'trends', interval: 'day', date_range: r, compare: true, series, ...(formula ? { formula } : {}) });
  switch (key) {
    case 'visitors':
    case 'visitToPay':
      return funnel('App Launched', 'Order Completed', '24h');
    case 'payers':
      return funnel('Order Completed', 'Order Refunded', '24h');
    case 'dau':
    case 'wau':
    case 'mau':
      return funnel('App Launched', 'Order Completed', '24h', rangeFor(key === 'dau' ? 1 : key === 'wau' ? 7 : 30).current);
    case 'cartAbandon':
      return funnel('Product Added', 'Order Completed', '24h');
    case 'repeatRate':
      return funnel('Order Completed', 'Order Completed', `${days}d`);
    case 'couponRate':
      return funnel('Coupon Received', 'Coupon Applied', '30d');
    case 'purchaseFunnel':
      return { kind: 'funnel', window: '24h', date_range: r, steps: purchaseSteps.map((event) => ({ event })) };
    case 'topProducts':
      return { kind: 'products', date_range: r, sort: 'revenue', limit: 20 };
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
  dau: '/funnel',
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
    const newVisitors = (i: number) => (answers[i].result.retention?.cohorts ?? []).reduce((s, c) => s + c.size, 0);
    const conv = (i: number) => steps(i)[1]?.overall_conversion ?? 0;
    const make = (cmp: boolean, vi: number, pi: number, ri: number): Figures => {
      const gmv = sum(line('C', cmp));
      const payers = steps(pi)[0]?.persons ?? 0;
      const orders = sum(line('B', cmp));
      const k = cmp ? 1 : 0; // the previous period's answer follows the current one
      const ratio = (a: number, b: number) => (b ? a / b : 0);
      const hasCart = (steps(14 + k)[0]?.persons ?? 0) > 0;
      return {
        dau: steps(8 + k)[0]?.persons ?? 0,
        wau: steps(10 + k)[0]?.persons ?? 0,
        mau: steps(12 + k)[0]?.persons ?? 0,
        cartAbandon: hasCart ? 1 - conv(14 + k) : 0,
        repeatRate: cmp ? NaN : conv(16),
        couponRate: ratio(steps(21 + k)[0]?.persons ?? 0, steps(17 + k)[0]?.persons ?? 0),
        refundRate: orders ? sum(line('E', cmp)) / orders : 0,
        visitors: steps(vi)[0]?.persons ?? 0,
        newVisitors: newVisitors(ri),
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
      products: answers[19].result.products?.products ?? [],
      // the rest of the scenes ($other) last
      scenes: [...rows(20).filter((r) => r.value !== '$other'), ...rows(20).filter((r) => r.value === '$other')],
      channels: [...rows(23).filter((r) => r.value !== '$other'), ...rows(23).filter((r) => r.value === '$other')],
    };
  }, [answers]);

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
  const kpis2: typeof kpis = [
    { key: 'dau', title: t('dau'), fmt: count },
    { key: 'wau', title: t('wau'), fmt: count },
    { key: 'mau', title: t('mau'), fmt: count },
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
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t(k.key === 'dau' ? 'prevDay' : 'prevPeriod')} {prev === undefined ? '–' : k.fmt(prev)}
              {delta !== undefined && (
                <span style={{ color: delta >= 0 ? '#cf1322' : '#389e0d', marginLeft: 6 }}>
                  {delta >= 0 ? '▲' : '▼'} {k.rate ? (Math.abs(delta) * 100).toFixed(1) + ' pp' : fmtPct(Math.abs(delta))}
                </span>
              )}
            </Typography.Text>
          </Card>
        </Col>
      );
    });
  const breakdownColumns = (first: string, second: string, valueTitle: string, name?: (v: string) => string) => [
    { title: valueTitle, dataIndex: 'value', ellipsis: true, render: (v: string) => (v === '$other' ? t('otherValues') : name ? name(v) : v) },
    { title: first, dataIndex: 'first', align: 'right' as const, render: count },
    { title: second, dataIndex: 'second', align: 'right' as const, render: count },
    { title: t('overallConversion'), dataIndex: 'conversion', align: 'right' as const, render: fmtPct },
  ];

  const trendChart = (series: { s: string; name: string }[]) => {
    if (!figs) return {};
    const cur = figs.line(series[0].s, false);
    const prev = figs.line(series[0].s, true);
    const x = (cur?.points ?? []).map((p) => p.time);
    const out: object[] = [];
    series.forEach((se, i) => {
      const c = figs.line(se.s, false);
      const p = figs.line(se.s, true);
      out.push({ name: `${se.name} · ${t('current')}`, type: 'line', smooth: true, data: c?.points.map((q) => +q.value.toFixed(2)) ?? [], color: palette[i * 2] });
      out.push({ name: `${se.name} · ${t('previous')}`, type: 'line', smooth: true, lineStyle: { type: 'dashed' }, data: p?.points.map((q) => +q.value.toFixed(2)) ?? [], color: palette[i * 2 + 1] });
    });
    void prev;
    return { tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 16, top: 40, bottom: 30 }, xAxis: { type: 'category', data: x }, yAxis: { type: 'value' }, series: out };
  };

  const funnelSteps = answers?.[5].result.funnel?.steps ?? [];
  const cohorts = answers?.[6].result.retention?.cohorts ?? [];

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
          <Card size="small" title={t('retentionD')} extra={<a onClick={() => openAnalysis('/retention')}>{t('viewAnalysis')}</a>}>
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
                  title: 'D' + n,
                  key: 'd' + n,
                  align: 'right' as const,
                  render: (_: unknown, c: Cohort) => (c.rates.length > n && periodOver(c.start, n) ? fmtPct(c.rates[n]) : '–'),
                })),
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('topProducts')} extra={<a onClick={() => openAnalysis('/funnel', figureSpec('topProducts', days))}>{t('viewAnalysis')}</a>} data-testid="top-products">
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
            <Table size="small" pagination={false} rowKey="value" loading={!answers && !err} dataSource={figs?.channels ?? []} columns={breakdownColumns(t('visitors'), t('payers'), t('channel'), (v) => channelName(v, lang))} />
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
