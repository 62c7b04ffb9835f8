// Retention (留存分析): cohorts by the start event's period, the share who did the return
// event in each later period, as a table shaded by rate and a curve of the average.
import { useEffect, useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, InputNumber, Select, Space, Table, Typography } from 'antd';
import { rangeFor, runQuery, type Cohort, type Interval, type Membership, type QueryAnswer, type Spec } from '../api';
import { Chart, palette } from '../Chart';
import { useI18n, type Key } from '../i18n';
import { ComputedAt, EventPicker, FiltersEditor, fmtPct, RangeSelect, toFilters, type FilterRow } from '../widgets';

const periodDays: Record<string, number> = { day: 1, week: 7, month: 30 };

// over reports whether period n of a cohort has ended, so unfinished periods show "–".
function over(start: string, n: number, period: string): boolean {
  const d = new Date(start + 'T00:00:00');
  if (period === 'month') d.setMonth(d.getMonth() + n + 1);
  else d.setDate(d.getDate() + (n + 1) * periodDays[period]);
  return d.getTime() <= Date.now();
}

export function RetentionPage({ project }: { project: Membership }) {
  const { t } = useI18n();
  const [start, setStart] = useState('App Launched');
  const [ret, setRet] = useState('App Launched');
  const [period, setPeriod] = useState<Interval>('day');
  const [periods, setPeriods] = useState(7);
  const [firstTime, setFirstTime] = useState(true);
  const [days, setDays] = useState(14);
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const [answer, setAnswer] = useState<QueryAnswer>();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async () => {
    const spec: Spec = {
      kind: 'retention',
      date_range: rangeFor(days).current,
      start_event: { event: start },
      return_event: { event: ret },
      period,
      periods,
      first_time: firstTime,
    };
    const f = toFilters(filters);
    if (f) spec.filters = f;
    setBusy(true);
    setErr('');
    try {
      setAnswer(await runQuery(project.id, spec));
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.id]);

  const res = answer?.result.retention;
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
    const r = c.rates[k] ?? 0;
    return (
      <div style={{ background: `rgba(22,119,255,${0.08 + r * 0.8})`, color: r > 0.5 ? '#fff' : undefined, padding: '2px 6px', textAlign: 'right' }} title={String(c.retained[k])}>
        {fmtPct(r)}
      </div>
    );
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="retention">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('retention')}
      </Typography.Title>
      <Card size="small">
        <Form layout="vertical" onFinish={run}>
          <Space wrap align="end">
            <Form.Item label={t('startEvent')}>
              <EventPicker value={start} onChange={setStart} testid="start-event" />
            </Form.Item>
            <Form.Item label={t('returnEvent')}>
              <EventPicker value={ret} onChange={setRet} testid="return-event" />
            </Form.Item>
            <Form.Item label={t('range')}>
              <RangeSelect value={days} onChange={setDays} />
            </Form.Item>
            <Form.Item label={t('period')}>
              <Select value={period} onChange={setPeriod} style={{ width: 100 }} options={['day', 'week', 'month'].map((v) => ({ value: v, label: t(v as Key) }))} />
            </Form.Item>
            <Form.Item label={t('periods')}>
              <InputNumber min={1} max={60} value={periods} onChange={(v) => setPeriods(v ?? 7)} style={{ width: 80 }} />
            </Form.Item>
            <Form.Item>
              <Checkbox checked={firstTime} onChange={(e) => setFirstTime(e.target.checked)}>
                {t('firstTime')}
              </Checkbox>
            </Form.Item>
          </Space>
          <Form.Item label={t('filters')}>
            <FiltersEditor rows={filters} onChange={setFilters} events={[start, ret]} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="run">
            {t('run')}
          </Button>
        </Form>
      </Card>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Card size="small" extra={<ComputedAt answers={[answer]} />}>
        <Chart option={option} height={240} />
        <Table
          size="small"
          rowKey="start"
          scroll={{ x: true }}
          pagination={false}
          dataSource={cohorts}
          data-testid="retention-table"
          columns={[
            { title: t('cohort'), dataIndex: 'start', fixed: 'left' as const },
            { title: t('size'), dataIndex: 'size', align: 'right' as const },
            ...Array.from({ length: n }, (_, k) => ({ title: prefix + k, key: 'p' + k, render: (_: unknown, c: Cohort) => cell(c, k) })),
          ]}
        />
      </Card>
    </Space>
  );
}
