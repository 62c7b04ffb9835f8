// Funnel (漏斗分析): ordered steps within a conversion window; persons per step, step and
// overall conversion, time between steps, an optional breakdown by a step-1 property.
import { useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, InputNumber, Select, Space, Table, Typography } from 'antd';
import { rangeFor, runQuery, type FunnelStep, type Membership, type QueryAnswer, type Spec } from '../api';
import { Chart, palette } from '../Chart';
import { useI18n } from '../i18n';
import { prefill } from '../router';
import { ComputedAt, EventPicker, FiltersEditor, PropertyPicker, fmtPct, fmtSeconds, RangeSelect, toFilters, type FilterRow } from '../widgets';

export function FunnelPage({ project }: { project: Membership }) {
  const { t } = useI18n();
  const [init] = useState(() => prefill('funnel')); // opened from an overview figure
  const [steps, setSteps] = useState<string[]>(init?.spec.steps?.map((s) => s.event) ?? ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed']);
  const [days, setDays] = useState(init?.days ?? 14);
  const [window, setWindow] = useState(init?.spec.window ?? '24h');
  const [breakdown, setBreakdown] = useState(init?.spec.breakdown?.property ?? '');
  const [limit, setLimit] = useState(init?.spec.breakdown?.limit ?? 5);
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const [answer, setAnswer] = useState<QueryAnswer>();
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async () => {
    const spec: Spec = { kind: 'funnel', window, date_range: rangeFor(days).current, steps: steps.map((event) => ({ event })) };
    if (breakdown.trim()) spec.breakdown = { property: breakdown.trim(), limit };
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

  const res = answer?.result.funnel;
  const groups: { value: string; steps: FunnelStep[] }[] = res ? [{ value: t('allSteps'), steps: res.steps }, ...(res.breakdown ?? [])] : [];
  const option = {
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 50, right: 16, top: 40, bottom: 50 },
    xAxis: { type: 'category', data: res?.steps.map((s) => `${s.step}. ${s.event}`) ?? [], axisLabel: { interval: 0, overflow: 'truncate', width: 110 } },
    yAxis: { type: 'value' },
    series: groups.map((g, i) => ({
      name: g.value,
      type: 'bar',
      color: palette[i % palette.length],
      data: g.steps.map((s) => s.persons),
      label: i === 0 ? { show: true, position: 'top', formatter: (p: { dataIndex: number }) => fmtPct(g.steps[p.dataIndex].overall_conversion) } : undefined,
    })),
  };
  const rows = groups.flatMap((g) => g.steps.map((s) => ({ ...s, group: g.value, key: g.value + '/' + s.step })));

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="funnel">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('funnel')}
      </Typography.Title>
      <Card size="small">
        <Form layout="vertical" onFinish={run}>
          <Form.Item label={t('steps')}>
            <Space direction="vertical">
              {steps.map((s, i) => (
                <Space key={i} wrap>
                  <Typography.Text strong>{i + 1}</Typography.Text>
                  <EventPicker value={s} onChange={(v) => setSteps(steps.map((x, j) => (j === i ? v : x)))} testid={'step-' + i} />
                  {steps.length > 2 && <Button onClick={() => setSteps(steps.filter((_, j) => j !== i))} data-testid={'remove-step-' + i}>{t('remove')}</Button>}
                </Space>
              ))}
              {steps.length < 20 && (
                <Button type="dashed" onClick={() => setSteps([...steps, ''])} data-testid="add-step">
                  + {t('addStep')}
                </Button>
              )}
            </Space>
          </Form.Item>
          <Space wrap align="end">
            <Form.Item label={t('range')}>
              <RangeSelect value={days} onChange={setDays} />
            </Form.Item>
            <Form.Item label={t('window')}>
              <Select value={window} onChange={setWindow} style={{ width: 110 }} options={['30m', '1h', '24h', '72h', '7d', '30d'].map((v) => ({ value: v, label: v }))} />
            </Form.Item>
            <Form.Item label={t('breakdown')}>
              <Space.Compact>
                <PropertyPicker events={steps.slice(0, 1)} value={breakdown} onChange={setBreakdown} placeholder={t('breakdownHint')} testid="breakdown" />
                <InputNumber min={1} max={50} value={limit} onChange={(v) => setLimit(v ?? 5)} style={{ width: 64 }} />
              </Space.Compact>
            </Form.Item>
          </Space>
          <Form.Item label={t('filters')}>
            <FiltersEditor rows={filters} onChange={setFilters} events={steps} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="run">
            {t('run')}
          </Button>
        </Form>
      </Card>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Card size="small" extra={<ComputedAt answers={[answer]} />}>
        <Chart option={option} height={300} />
        <Table
          size="small"
          rowKey="key"
          scroll={{ x: true }}
          pagination={false}
          dataSource={rows}
          data-testid="funnel-table"
          columns={[
            ...(res?.breakdown?.length ? [{ title: t('breakdown'), dataIndex: 'group' }] : []),
            { title: t('step'), dataIndex: 'event', render: (v: string, r: FunnelStep) => `${r.step}. ${v}` },
            { title: t('persons'), dataIndex: 'persons', align: 'right' as const },
            { title: t('stepConversion'), dataIndex: 'step_conversion', align: 'right' as const, render: fmtPct },
            { title: t('overallConversion'), dataIndex: 'overall_conversion', align: 'right' as const, render: fmtPct },
            { title: t('medianTime'), dataIndex: 'median_seconds', align: 'right' as const, render: fmtSeconds },
            { title: t('avgTime'), dataIndex: 'average_seconds', align: 'right' as const, render: fmtSeconds },
          ]}
        />
      </Card>
    </Space>
  );
}
