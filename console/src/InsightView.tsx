// InsightView draws an analysis result: the chart and table of a trends, funnel,
// retention or products answer. The analysis pages show it under their form; dashboard cards show it
// compact (the chart, and the table where it is the figure: funnel steps, retention cohorts).
// Given the spec that was run, it names breakdown values (scene names, 其他, 未设置), events by
// their display names, and formats money series with 2 decimals.
import { useState, type ReactNode } from 'react';
import { Table, Tooltip, Typography } from 'antd';
import type { Cohort, FunnelStep, Membership, QueryAnswer, Result, Spec, TrendLine } from './api';
import { canListPersons, FigurePersonsDrawer, type FigurePick } from './FigurePersons';
import { Chart, palette } from './Chart';
import { useI18n, useStrings, type Key } from './i18n';
import { fmtNumber, fmtPct, fmtSeconds, NoData, useLabels } from './widgets';
import { ProductsView } from './pages/Products';

const strings = {
  'zh-CN': {
    overlap: '按人数拆分时，同一个人可能属于多个分组（例如从多个场景进入），各分组之和可能大于总人数。',
    total: '合计',
    totalHint: '区间内各时间段相加；人数、平均值等不能相加的指标不显示合计。',
    noTotal: '人数、平均值和分位数不能按时间段相加',
    notInTop: '不在该指标的前 N 个分组中（计入“其他”）',
    previousDate: '上一周期',
    dropped: '流失人数',
    openPersons: '查看这些用户',
  },
  en: {
    overlap: 'Counted in persons, one person can fall in several groups (entering from several scenes, say), so the groups can add up to more than the total.',
    total: 'Total',
    totalHint: 'The intervals added up; figures that do not add up (persons, averages) have no total.',
    noTotal: 'Persons, averages and quantiles do not add up over intervals',
    notInTop: "Not among this series' top values (counted in Other)",
    previousDate: 'previous period',
    dropped: 'Dropped',
    openPersons: 'See these persons',
  },
};

export function InsightView({
  answer,
  compact = false,
  currency,
  spec,
  project,
}: {
  answer?: QueryAnswer;
  compact?: boolean;
  currency?: string;
  spec?: Spec; // the spec of the answer: names breakdown values and money series
  project?: Membership; // given (with spec) to an operator and up: figures open their persons
}) {
  const res = answer?.result;
  const persons = !compact && spec && project && canListPersons(project) ? { project, spec } : undefined;
  switch (res?.kind) {
    case 'funnel':
      return <FunnelView res={res} compact={compact} spec={spec} persons={persons} />;
    case 'retention':
      return <RetentionView res={res} compact={compact} spec={spec} persons={persons} />;
    case 'trends':
      return <TrendsView res={res} compact={compact} spec={spec} persons={persons} />;
    case 'products':
      return <ProductsView res={res.products} currency={currency} compact={compact} filters={spec?.filters?.length ?? 0} />;
  }
  return <Chart option={{}} height={compact ? 220 : 300} />;
}

// moneyProperty: a property whose sums and averages are money (price, total, revenue…).
const moneyProperty = /(^|[._])(price|total|revenue|amount|gmv|pay|paid|subtotal|discount|refund|value|cost)[a-z_]*$/i;
const moneyMaths = ['sum', 'avg', 'min', 'max', 'median', 'p90'];

// shorten cuts a name to about n columns (a CJK character counts two) with an ellipsis.
function shorten(s: string, n: number): string {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    w += s.charCodeAt(i) > 0x2e80 ? 2 : 1;
    if (w > n) return s.slice(0, i) + '…';
  }
  return s;
}

// legend is a scrolling legend whose items are shortened (the full name in a tooltip) and
// spaced widely: ECharts measures CJK text narrower than it draws it, so items laid out by
// its measure alone run into each other.
const legend = (compact: boolean, short?: Map<string, string>) => ({
  type: 'scroll',
  top: 0,
  left: 0,
  right: 0,
  itemGap: 28,
  formatter: (n: string) => shorten(short?.get(n) ?? n, compact ? 24 : 44),
  tooltip: { show: true },
});

const personMaths = ['dau', 'per_person_avg'];

// Persons is what a view needs to open the persons behind its figures.
type Persons = { project: Membership; spec: Spec } | undefined;

// figureLink makes a figure open its persons (when the caller may see persons).
function figureLink(persons: Persons, title: string, text: ReactNode, open: () => void, testid: string) {
  if (!persons) return text;
  return (
    <Tooltip title={title}>
      <Typography.Link data-testid={testid} onClick={open} style={{ whiteSpace: 'nowrap' }}>
        {text}
      </Typography.Link>
    </Tooltip>
  );
}

function TrendsView({ res, compact, spec, persons }: { res: Result; compact: boolean; spec?: Spec; persons?: Persons }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const L = useLabels();
  const [pick, setPick] = useState<FigurePick>();
  const lines = res.trends?.series ?? [];
  const property = spec?.breakdown?.property;
  const hasBreakdown = lines.some((l) => l.breakdown !== undefined && l.breakdown !== null);
  const specSeries = (l: TrendLine) => (l.series.length === 1 ? spec?.series?.[l.series.charCodeAt(0) - 65] : undefined);
  const isMoney = (l: TrendLine) => {
    const sp = specSeries(l);
    return !!sp && moneyMaths.includes(sp.math ?? '') && moneyProperty.test(sp.property ?? '');
  };
  const fmt = (l: TrendLine) => (v: number | null | undefined) =>
    v === null || v === undefined ? '–' : isMoney(l) ? fmtNumber(v, lang, 2) : v.toLocaleString(lang, { maximumFractionDigits: 2 });
  // The series group of a line: A · event · math, with (previous) for the comparison.
  const groupName = (l: TrendLine) =>
    [l.series === 'formula' ? t('formula') : l.series + ' ' + L.eventText(l.event ?? ''), l.math ? t(('math_' + l.math) as Key) : '', l.compare ? '(' + t('previous') + ')' : '']
      .filter(Boolean)
      .join(' · ');
  const bdName = (l: TrendLine) => (hasBreakdown ? L.breakdown(property, l.breakdown ?? '') : '');
  const name = (l: TrendLine) => [groupName(l), bdName(l)].filter(Boolean).join(' · ');
  // In the legend a broken-down line is its letter and value (A · 1089 名称), the full name
  // in the legend's tooltip.
  const short = new Map(
    hasBreakdown
      ? lines.map((l) => [name(l), [l.series === 'formula' ? t('formula') : l.series, bdName(l), l.compare ? '(' + t('previous') + ')' : ''].filter(Boolean).join(' · ')])
      : [],
  );
  const current = lines.find((l) => !l.compare);
  const x = current?.points.map((p) => p.time) ?? [];
  const allZero = lines.length > 0 && lines.every((l) => l.points.every((p) => !p.value));
  if (allZero && res.trends) return <NoData filters={spec?.filters?.length ?? 0} />;

  const twoAxes = lines.some((l) => l.series === 'formula') && lines.some((l) => l.series !== 'formula');
  const option = {
    tooltip: {
      trigger: 'axis',
      confine: true,
      // The comparison's values are of the previous period: show its own date beside them.
      formatter: (ps: { seriesIndex: number; dataIndex: number; marker: string; value: number; axisValue: string }[]) => {
        if (!ps.length) return '';
        const head = `<b>${ps[0].axisValue}</b>`;
        const body = ps.map((p) => {
          const l = lines[p.seriesIndex];
          const when = l.compare ? ` <span style="color:#888">(${l.points[p.dataIndex]?.time ?? ''})</span>` : '';
          return `${p.marker}${escapeHtml(name(l))}${when}&nbsp;&nbsp;<b>${fmt(l)(p.value)}</b>`;
        });
        return [head, ...body].join('<br/>');
      },
    },
    legend: legend(compact, short),
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: x },
    // A formula (a ratio such as GMV ÷ buyers) is on an axis of its own, on the right, when
    // it is drawn beside the series it is made of.
    yAxis: [
      { type: 'value', axisLabel: { formatter: (v: number) => v.toLocaleString(lang, { notation: 'compact', maximumFractionDigits: 1 } as Intl.NumberFormatOptions) } },
      ...(twoAxes ? [{ type: 'value', splitLine: { show: false }, axisLabel: { formatter: (v: number) => v.toLocaleString(lang, { maximumFractionDigits: 2 }) } }] : []),
    ],
    series: lines.map((l, i) => ({
      name: name(l),
      type: 'line',
      smooth: true,
      yAxisIndex: twoAxes && l.series === 'formula' ? 1 : 0,
      color: palette[i % palette.length],
      lineStyle: l.compare ? { type: 'dashed' } : undefined,
      data: l.points.map((p) => +p.value.toFixed(4)),
    })),
  };
  const overlapNote = hasBreakdown && lines.some((l) => personMaths.includes(l.math ?? '')) && (
    <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="breakdown-overlap">
      {s.overlap}
    </Typography.Text>
  );
  if (compact) return <Chart option={option} height={240} />;

  // The table: a column group per series (A · event · math [· previous]) and, with a
  // breakdown, one column per breakdown value of the union of every series' top values, in
  // the same order under each series ($other, then unset, last), so the columns line up.
  const groups: { key: string; label: string; lines: TrendLine[]; index: number[] }[] = [];
  lines.forEach((l, j) => {
    const key = l.series + '\u0000' + (l.compare ? 1 : 0);
    let g = groups.find((x) => x.key === key);
    if (!g) groups.push((g = { key, label: groupName(l), lines: [], index: [] }));
    g.lines.push(l);
    g.index.push(j);
  });
  const rank = (v: string) => (v === '$other' ? 2 : v === '' ? 1 : 0);
  const values: string[] = [];
  for (const l of lines) if (!values.includes(l.breakdown ?? '')) values.push(l.breakdown ?? '');
  values.sort((a, b) => rank(a) - rank(b)); // stable: keeps the first series' order otherwise
  const rows = x.map((time, i) => {
    const r: Record<string, string | number | null> = { time, i };
    lines.forEach((l, j) => (r['s' + j] = l.points[i]?.value ?? 0));
    return r;
  });
  const valueColumn = (l: TrendLine, j: number, title: ReactNode) => ({
    title,
    key: 's' + j,
    dataIndex: 's' + j,
    align: 'right' as const,
    minWidth: 96,
    onHeaderCell: () => ({ style: { whiteSpace: 'nowrap' as const } }),
    render: (v: number, r: Record<string, string | number | null>) => {
      const text = <span style={{ whiteSpace: 'nowrap' }}>{fmt(l)(v)}</span>;
      const at = l.points[Number(r.i)]?.time;
      if (l.series === 'formula' || !v || !at) return text;
      return figureLink(persons, s.openPersons, text, () =>
        setPick({ kind: 'trends', series: l.series, time: at, breakdown: hasBreakdown ? l.breakdown ?? '' : undefined, compare: l.compare, label: name(l) + ' · ' + at }), 'trends-persons');
    },
  });
  const headerText = (text: string, width: number) => (
    <Tooltip title={text}>
      <span style={{ display: 'inline-block', maxWidth: width, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', verticalAlign: 'bottom' }}>{text}</span>
    </Tooltip>
  );
  const columns = [
    {
      title: t('time'),
      dataIndex: 'time',
      key: 'time',
      fixed: 'left' as const,
      width: res.trends?.interval === 'hour' ? 150 : 112,
      render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{v}</span>,
    },
    ...groups.map((g) =>
      hasBreakdown
        ? {
            title: headerText(g.label, 320),
            key: g.key,
            align: 'center' as const,
            children: values.map((v) => {
              const k = g.lines.findIndex((l) => (l.breakdown ?? '') === v);
              const label = headerText(L.breakdown(property, v), 150);
              if (k >= 0) return valueColumn(g.lines[k], g.index[k], label);
              return {
                title: label,
                key: g.key + '\u0000' + v,
                align: 'right' as const,
                minWidth: 96,
                render: () => (
                  <Tooltip title={s.notInTop}>
                    <span style={{ color: '#bbb' }}>–</span>
                  </Tooltip>
                ),
              };
            }),
          }
        : valueColumn(g.lines[0], g.index[0], headerText(g.label, 280)),
    ),
  ];
  // The total row: per leaf column (in the columns' order) its line, or none where a series
  // lacks a breakdown value; only counts and sums add up over the intervals.
  const leafLines: (TrendLine | undefined)[] = groups.flatMap((g) =>
    hasBreakdown ? values.map((v) => g.lines.find((l) => (l.breakdown ?? '') === v)) : [g.lines[0]],
  );
  const summable = (l: TrendLine) => l.series !== 'formula' && (l.math === 'total' || l.math === 'sum' || !l.math);
  return (
    <>
      <Chart option={option} height={320} />
      {overlapNote}
      <Table
        size="small"
        rowKey="time"
        bordered={hasBreakdown}
        scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 31, hideOnSinglePage: true }}
        dataSource={rows}
        data-testid="trends-table"
        columns={columns}
        summary={() => (
          <Table.Summary fixed="bottom">
            <Table.Summary.Row data-testid="trends-total">
              <Table.Summary.Cell index={0}>
                <Tooltip title={s.totalHint}>
                  <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>
                    {s.total}
                  </Typography.Text>
                </Tooltip>
              </Table.Summary.Cell>
              {leafLines.map((l, i) => (
                <Table.Summary.Cell index={i + 1} key={i} align="right">
                  {l && summable(l) ? (
                    <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>
                      {fmt(l)(l.points.reduce((a, p) => a + p.value, 0))}
                    </Typography.Text>
                  ) : (
                    <Tooltip title={l ? s.noTotal : s.notInTop}>
                      <span style={{ color: '#bbb' }}>–</span>
                    </Tooltip>
                  )}
                </Table.Summary.Cell>
              ))}
            </Table.Summary.Row>
          </Table.Summary>
        )}
      />
      {persons && <FigurePersonsDrawer project={persons.project} spec={persons.spec} pick={pick} onClose={() => setPick(undefined)} />}
    </>
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function FunnelView({ res: r, compact, spec, persons }: { res: Result; compact: boolean; spec?: Spec; persons?: Persons }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const L = useLabels();
  const [pick, setPick] = useState<FigurePick>();
  const res = r.funnel;
  const property = spec?.breakdown?.property;
  if (res && (!res.steps.length || res.steps[0].persons === 0)) return <NoData filters={spec?.filters?.length ?? 0} />;
  const groups: { value: string; label: string; steps: FunnelStep[] }[] = res
    ? [{ value: '\u0000all', label: t('allSteps'), steps: res.steps }, ...(res.breakdown ?? []).map((b) => ({ ...b, label: L.breakdown(property, b.value) }))]
    : [];
  const stepName = (st: FunnelStep) => `${st.step}. ${L.eventText(st.event)}`;
  const option = {
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (v: number) => v.toLocaleString(lang) },
    legend: legend(compact),
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: res?.steps.map(stepName) ?? [], axisLabel: { interval: 0, overflow: 'truncate', width: compact ? 90 : 130 } },
    yAxis: { type: 'value' },
    series: groups.map((g, i) => ({
      name: g.label,
      type: 'bar',
      color: palette[i % palette.length],
      data: g.steps.map((st) => st.persons),
      label: i === 0 ? { show: true, position: 'top', formatter: (p: { dataIndex: number }) => fmtPct(g.steps[p.dataIndex].overall_conversion) } : undefined,
    })),
  };
  const rows = (compact ? groups.slice(0, 1) : groups).flatMap((g) =>
    g.steps.map((st, k) => ({ ...st, group: g.label, bd: g.value === '\u0000all' ? undefined : g.value, key: g.value + '/' + st.step, dropped: k > 0 ? g.steps[k - 1].persons - st.persons : null })),
  );
  type Row = (typeof rows)[number];
  const open = (st: Row, dropped: boolean) =>
    setPick({ kind: 'funnel', step: st.step, dropped, breakdown: st.bd, label: stepName(st) + (st.bd !== undefined ? ' · ' + st.group : '') });
  const count = (v: number) => fmtNumber(v, lang);
  return (
    <>
      <Chart option={option} height={compact ? 220 : 300} />
      {!compact && !!res?.breakdown?.length && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="breakdown-overlap">
          {s.overlap}
        </Typography.Text>
      )}
      <Table<Row>
        size="small"
        rowKey="key"
        scroll={{ x: 'max-content' }}
        pagination={false}
        dataSource={rows}
        data-testid="funnel-table"
        columns={[
          ...(!compact && res?.breakdown?.length
            ? [
                {
                  title: t('breakdown'),
                  dataIndex: 'group',
                  width: 220,
                  ellipsis: { showTitle: false },
                  render: (v: string) => (
                    <Tooltip title={v}>
                      <span>{v}</span>
                    </Tooltip>
                  ),
                },
              ]
            : []),
          {
            title: t('step'),
            dataIndex: 'event',
            minWidth: 180,
            render: (v: string, st: FunnelStep) => (
              <span style={{ whiteSpace: 'nowrap' }}>
                {st.step}. {L.event(v)}
              </span>
            ),
          },
          {
            title: t('persons'),
            dataIndex: 'persons',
            align: 'right' as const,
            render: (v: number, st: Row) => (v ? figureLink(persons, s.openPersons, count(v), () => open(st, false), 'funnel-persons-link') : count(v)),
          },
          ...(compact
            ? []
            : [
                {
                  title: s.dropped,
                  dataIndex: 'dropped',
                  align: 'right' as const,
                  render: (v: number | null, st: Row) => (v === null ? '' : v ? figureLink(persons, s.openPersons, count(v), () => open(st, true), 'funnel-dropped-link') : count(v)),
                },
                { title: t('stepConversion'), dataIndex: 'step_conversion', align: 'right' as const, render: (v: number) => fmtPct(v) },
              ]),
          { title: t('overallConversion'), dataIndex: 'overall_conversion', align: 'right' as const, render: (v: number) => fmtPct(v) },
          ...(compact
            ? []
            : [
                { title: t('medianTime'), dataIndex: 'median_seconds', align: 'right' as const, render: (v: number | null) => fmtSeconds(v) },
                { title: t('avgTime'), dataIndex: 'average_seconds', align: 'right' as const, render: (v: number | null) => fmtSeconds(v) },
              ]),
        ]}
      />
      {persons && (
        <FigurePersonsDrawer project={persons.project} spec={persons.spec} pick={pick} otherLabel={L.breakdown(property, '$other')} onClose={() => setPick(undefined)} />
      )}
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

function RetentionView({ res: r, compact, spec, persons }: { res: Result; compact: boolean; spec?: Spec; persons?: Persons }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const L = useLabels();
  const [pick, setPick] = useState<FigurePick>();
  const res = r.retention;
  const cohorts = res?.cohorts ?? [];
  if (res && !cohorts.some((c) => c.size > 0)) return <NoData filters={spec?.filters?.length ?? 0} />;
  const n = res ? res.periods + 1 : 0;
  const prefix = res?.period === 'week' ? 'W' : res?.period === 'month' ? 'M' : 'D';
  // The average rate of period k over the cohorts whose period k is over, weighted by size.
  const avg = Array.from({ length: n }, (_, k) => {
    const done = cohorts.filter((c) => c.size > 0 && over(c.start, k, res!.period));
    const size = done.reduce((s, c) => s + c.size, 0);
    return size ? done.reduce((s, c) => s + c.retained[k], 0) / size : null;
  });
  const start = spec?.start_event?.event;
  const ret = spec?.return_event?.event;
  const option = {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (v === null ? '–' : fmtPct(v)) },
    grid: { left: 8, right: 16, top: 20, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: avg.map((_, k) => prefix + k) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => Math.round(v * 100) + '%' } },
    series: [{ name: t('avgRate'), type: 'line', color: palette[0], data: avg }],
  };
  const cell = (c: Cohort, k: number) => {
    if (!over(c.start, k, res!.period) && k > 0) return <span style={{ color: '#bbb' }}>–</span>;
    const rate = c.rates[k] ?? 0;
    const box = (
      <div style={{ background: `rgba(22,119,255,${0.08 + rate * 0.8})`, color: rate > 0.5 ? '#fff' : undefined, padding: '2px 6px', textAlign: 'right', whiteSpace: 'nowrap' }} title={(c.retained[k] ?? 0).toLocaleString(lang)}>
        {fmtPct(rate)}
      </div>
    );
    if (!persons || !c.size) return box;
    return (
      <div style={{ cursor: 'pointer' }} data-testid="retention-persons-link" onClick={() => setPick({ kind: 'retention', cohort: c.start, period: k, label: prefix + k })}>
        {box}
      </div>
    );
  };
  return (
    <>
      {start && ret && (
        <div style={{ marginBottom: 4 }} data-testid="retention-events">
          {L.event(start)} → {L.event(ret)}
        </div>
      )}
      <Chart option={option} height={compact ? 200 : 240} />
      <Table
        size="small"
        rowKey="start"
        scroll={{ x: 'max-content' }}
        pagination={compact ? { pageSize: 7, hideOnSinglePage: true, size: 'small' } : false}
        dataSource={cohorts}
        data-testid="retention-table"
        columns={[
          { title: t('cohort'), dataIndex: 'start', fixed: 'left' as const, width: 112, render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{v}</span> },
          {
            title: t('size'),
            dataIndex: 'size',
            align: 'right' as const,
            render: (v: number, c: Cohort) =>
              v ? figureLink(persons, s.openPersons, fmtNumber(v, lang), () => setPick({ kind: 'retention', cohort: c.start, label: '' }), 'retention-cohort-link') : fmtNumber(v, lang),
          },
          ...Array.from({ length: n }, (_, k) => ({ title: prefix + k, key: 'p' + k, minWidth: 64, render: (_: unknown, c: Cohort) => cell(c, k) })),
        ]}
      />
      {persons && <FigurePersonsDrawer project={persons.project} spec={persons.spec} pick={pick} onPick={setPick} onClose={() => setPick(undefined)} />}
    </>
  );
}
