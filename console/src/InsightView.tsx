// InsightView draws an analysis result: the chart and table of a trends, funnel,
// retention or products answer. The analysis pages show it under their form; dashboard cards show it
// compact (the chart, and the table where it is the figure: funnel steps, retention cohorts).
import { Table } from 'antd';
import type { Cohort, FunnelStep, QueryAnswer, Result } from './api';
import { Chart, palette } from './Chart';
import { useI18n, type Key } from './i18n';
import { fmtPct, fmtSeconds } from './widgets';
import { ProductsView } from './pages/Products';

export function InsightView({ answer, compact = false, currency }: { answer?: QueryAnswer; compact?: boolean; currency?: string }) {
  const res = answer?.result;
  switch (res?.kind) {
    case 'funnel':
      return <FunnelView res={res} compact={compact} />;
    case 'retention':
      return <RetentionView res={res} compact={compact} />;
    case 'trends':
      return <TrendsView res={res} compact={compact} />;
    case 'products':
      return <ProductsView res={res.products} currency={currency} compact={compact} />;
  }
  return <Chart option={{}} height={compact ? 220 : 300} />;
}

function TrendsView({ res, compact }: { res: Result; compact: boolean }) {
  const { t } = useI18n();
  const lines = res.trends?.series ?? [];
  const name = (l: (typeof lines)[number]) =>
    [l.series === 'formula' ? t('formula') : l.series + ' ' + (l.event ?? ''), l.math ? t(('math_' + l.math) as Key) : '', l.breakdown ?? '', l.compare ? '(' + t('previous') + ')' : '']
      .filter(Boolean)
      .join(' · ');
  const x = lines.find((l) => !l.compare)?.points.map((p) => p.time) ?? [];
  const option = {
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 56, right: 16, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: x },
    yAxis: { type: 'value' },
    series: lines.map((l, i) => ({
      name: name(l),
      type: 'line',
      smooth: true,
      color: palette[i % palette.length],
      lineStyle: l.compare ? { type: 'dashed' } : undefined,
      data: l.points.map((p) => +p.value.toFixed(4)),
    })),
  };
  if (compact) return <Chart option={option} height={240} />;
  const rows = x.map((time, i) => {
    const r: Record<string, string | number> = { time };
    lines.forEach((l, j) => (r['s' + j] = l.points[i]?.value ?? 0));
    return r;
  });
  return (
    <>
      <Chart option={option} height={320} />
      <Table
        size="small"
        rowKey="time"
        scroll={{ x: true }}
        pagination={{ pageSize: 31, hideOnSinglePage: true }}
        dataSource={rows}
        data-testid="trends-table"
        columns={[
          { title: t('time'), dataIndex: 'time', fixed: 'left' },
          ...lines.map((l, j) => ({ title: name(l), dataIndex: 's' + j, align: 'right' as const, render: (v: number) => +v.toFixed(2) })),
        ]}
      />
    </>
  );
}

function FunnelView({ res: r, compact }: { res: Result; compact: boolean }) {
  const { t } = useI18n();
  const res = r.funnel;
  const groups: { value: string; steps: FunnelStep[] }[] = res ? [{ value: t('allSteps'), steps: res.steps }, ...(res.breakdown ?? [])] : [];
  const option = {
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 50, right: 16, top: 40, bottom: 50 },
    xAxis: { type: 'category', data: res?.steps.map((s) => `${s.step}. ${s.event}`) ?? [], axisLabel: { interval: 0, overflow: 'truncate', width: compact ? 90 : 110 } },
    yAxis: { type: 'value' },
    series: groups.map((g, i) => ({
      name: g.value,
      type: 'bar',
      color: palette[i % palette.length],
      data: g.steps.map((s) => s.persons),
      label: i === 0 ? { show: true, position: 'top', formatter: (p: { dataIndex: number }) => fmtPct(g.steps[p.dataIndex].overall_conversion) } : undefined,
    })),
  };
  const rows = (compact ? groups.slice(0, 1) : groups).flatMap((g) => g.steps.map((s) => ({ ...s, group: g.value, key: g.value + '/' + s.step })));
  return (
    <>
      <Chart option={option} height={compact ? 220 : 300} />
      <Table
        size="small"
        rowKey="key"
        scroll={{ x: true }}
        pagination={false}
        dataSource={rows}
        data-testid="funnel-table"
        columns={[
          ...(!compact && res?.breakdown?.length ? [{ title: t('breakdown'), dataIndex: 'group' }] : []),
          { title: t('step'), dataIndex: 'event', render: (v: string, s: FunnelStep) => `${s.step}. ${v}` },
          { title: t('persons'), dataIndex: 'persons', align: 'right' as const },
          ...(compact ? [] : [{ title: t('stepConversion'), dataIndex: 'step_conversion', align: 'right' as const, render: fmtPct }]),
          { title: t('overallConversion'), dataIndex: 'overall_conversion', align: 'right' as const, render: fmtPct },
          ...(compact
            ? []
            : [
                { title: t('medianTime'), dataIndex: 'median_seconds', align: 'right' as const, render: fmtSeconds },
                { title: t('avgTime'), dataIndex: 'average_seconds', align: 'right' as const, render: fmtSeconds },
              ]),
        ]}
      />
    </>
  );
}

const periodDays: Record<string, number> = { day: 1, week: 7, month: 30 };

// over reports whether period n of a cohort has ended, so unfinished periods show "–".
function over(start: string, n: number, period: string): boolean {
  const d = new Date(start + 'T00:00:00');
  if (period === 'month') d.setMonth(d.getMonth() + n + 1);
  else d.setDate(d.getDate() + (n + 1) * periodDays[period]);
  return d.getTime() <= Date.now();
}

function RetentionView({ res: r, compact }: { res: Result; compact: boolean }) {
  const { t } = useI18n();
  const res = r.retention;
  const cohorts = res?.cohorts ?? [];
  const n = res ? res.periods + 1 : 0;
  const prefix = res?.period === 'week' ? 'W' : res?.period === 'month' ? 'M' : 'D';
  // The average rate of period k over the cohorts whose period k is over, weighted by size.
  const avg = Array.from({ length: n }, (_, k) => {
    const done = cohorts.filter((c) => c.size > 0 && over(c.start, k, res!.period));
    const size = done.reduce((s, c) => s + c.size, 0);
    return size ? done.reduce((s, c) => s + c.retained[k], 0) / size : null;
  });
  const option = {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (v === null ? '–' : fmtPct(v)) },
    grid: { left: 56, right: 16, top: 20, bottom: 30 },
    xAxis: { type: 'category', data: avg.map((_, k) => prefix + k) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => Math.round(v * 100) + '%' } },
    series: [{ name: t('avgRate'), type: 'line', color: palette[0], data: avg }],
  };
  const cell = (c: Cohort, k: number) => {
    if (!over(c.start, k, res!.period) && k > 0) return <span style={{ color: '#bbb' }}>–</span>;
    const rate = c.rates[k] ?? 0;
    return (
      <div style={{ background: `rgba(22,119,255,${0.08 + rate * 0.8})`, color: rate > 0.5 ? '#fff' : undefined, padding: '2px 6px', textAlign: 'right' }} title={String(c.retained[k])}>
        {fmtPct(rate)}
      </div>
    );
  };
  return (
    <>
      <Chart option={option} height={compact ? 200 : 240} />
      <Table
        size="small"
        rowKey="start"
        scroll={{ x: true }}
        pagination={compact ? { pageSize: 7, hideOnSinglePage: true, size: 'small' } : false}
        dataSource={cohorts}
        data-testid="retention-table"
        columns={[
          { title: t('cohort'), dataIndex: 'start', fixed: 'left' as const, render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{v}</span> },
          { title: t('size'), dataIndex: 'size', align: 'right' as const },
          ...Array.from({ length: n }, (_, k) => ({ title: prefix + k, key: 'p' + k, render: (_: unknown, c: Cohort) => cell(c, k) })),
        ]}
      />
    </>
  );
}
