// Overview (运营看板): the shop's key figures for the last 7 or 30 days against the period
// before, a purchase funnel, new-visitor retention and trend charts. Every figure comes from
// the query API (POST /api/v1/projects/{id}/query), so it equals what an analysis shows.
import { useEffect, useMemo, useState } from 'react';
import { Alert, Card, Col, Row, Space, Statistic, Table, Typography } from 'antd';
import { rangeFor, runQuery, type Membership, type Cohort, type QueryAnswer, type Spec, type TrendLine } from '../api';
import { Chart, palette } from '../Chart';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { ComputedAt, fmtNumber, fmtPct, RangeSelect } from '../widgets';

const purchaseSteps = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];

// specs builds the overview's queries. Unique persons over a whole range are the first
// step of a funnel (a trends "dau" line counts per day, and days do not add up to persons).
function specs(days: number) {
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
  // New visitors are the sizes of the first-time cohorts (first-ever App Launched) added up.
  return [trends, visit(current), visit(previous), pay(current), pay(previous), funnel, retention(current, 7), retention(previous, 1)];
}

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
    const make = (cmp: boolean, vi: number, pi: number, ri: number): Figures => {
      const gmv = sum(line('C', cmp));
      const payers = steps(pi)[0]?.persons ?? 0;
      return {
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
    return { cur: make(false, 1, 3, 6), prev: make(true, 2, 4, 7), line };
  }, [answers]);

  const money = (v: number) => (project.currency === 'CNY' ? '¥' : project.currency + ' ') + fmtNumber(v, lang, 2);
  const kpis: { key: keyof Figures; title: string; fmt: (v: number) => string; to: string }[] = [
    { key: 'visitors', title: t('visitors'), fmt: (v) => fmtNumber(v, lang), to: '/trends' },
    { key: 'newVisitors', title: t('newVisitors'), fmt: (v) => fmtNumber(v, lang), to: '/retention' },
    { key: 'orders', title: t('orders'), fmt: (v) => fmtNumber(v, lang), to: '/trends' },
    { key: 'gmv', title: t('gmv'), fmt: money, to: '/trends' },
    { key: 'payers', title: t('payers'), fmt: (v) => fmtNumber(v, lang), to: '/trends' },
    { key: 'aov', title: t('aov'), fmt: money, to: '/trends' },
    { key: 'refunds', title: t('refunds'), fmt: (v) => fmtNumber(v, lang), to: '/trends' },
    { key: 'visitToPay', title: t('visitToPay'), fmt: fmtPct, to: '/funnel' },
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
      {err && <Alert type="error" message={err} />}
      <Row gutter={[12, 12]}>
        {kpis.map((k) => {
          const cur = figs?.cur[k.key];
          const prev = figs?.prev[k.key];
          const delta = cur !== undefined && prev ? (cur - prev) / prev : undefined;
          return (
            <Col key={k.key} xs={12} md={8} xl={6} xxl={3}>
              <Card size="small" hoverable onClick={() => navigate(k.to)} data-testid={'kpi-' + k.key} loading={!answers && !err}>
                <Statistic title={k.title} value={cur === undefined ? '–' : k.fmt(cur)} />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('prevPeriod')} {prev === undefined ? '–' : k.fmt(prev)}
                  {delta !== undefined && (
                    <span style={{ color: delta >= 0 ? '#cf1322' : '#389e0d', marginLeft: 6 }}>
                      {delta >= 0 ? '▲' : '▼'} {fmtPct(Math.abs(delta))}
                    </span>
                  )}
                </Typography.Text>
              </Card>
            </Col>
          );
        })}
      </Row>
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
          <Card size="small" title={t('purchaseFunnel')} extra={<a onClick={() => navigate('/funnel')}>{t('viewAnalysis')}</a>}>
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
          <Card size="small" title={t('retentionD')} extra={<a onClick={() => navigate('/retention')}>{t('viewAnalysis')}</a>}>
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
      </Row>
    </Space>
  );
}
