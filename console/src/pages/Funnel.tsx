// Funnel (漏斗分析): ordered steps within a conversion window; persons per step, step and
// overall conversion, time between steps, an optional breakdown by a step-1 property.
import { useState } from 'react';
import { Alert, Button, Card, Form, InputNumber, Select, Space, Typography } from 'antd';
import { type Membership, type Spec } from '../api';
import { InsightView } from '../InsightView';
import { rangeOf, filterRows, useSavedInsight, type Insight } from '../insights';
import { SaveInsight } from '../SaveInsight';
import { useI18n } from '../i18n';
import { prefill } from '../router';
import { ComputedAt, EventPicker, FiltersEditor, PropertyPicker, RangeSelect, toFilters, type FilterRow, type RangeValue, dateRangeOf , useRunQuery } from '../widgets';

export function FunnelPage({ project }: { project: Membership }) {
  const { t } = useI18n();
  const [init] = useState(() => prefill('funnel')); // opened from an overview figure
  const [steps, setSteps] = useState<string[]>(init?.spec.steps?.map((s) => s.event) ?? ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed']);
  const [days, setDays] = useState<RangeValue>(init?.days ?? 14);
  const [window, setWindow] = useState(init?.spec.window ?? '24h');
  const [breakdown, setBreakdown] = useState(init?.spec.breakdown?.property ?? '');
  const [limit, setLimit] = useState(init?.spec.breakdown?.limit ?? 5);
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const { answer, spec: shown, err, setErr, busy, exec } = useRunQuery(project.id);

  const buildSpec = (): Spec => {
    const spec: Spec = { kind: 'funnel', window, date_range: dateRangeOf(days), steps: steps.map((event) => ({ event })) };
    if (breakdown.trim()) spec.breakdown = { property: breakdown.trim(), limit };
    const f = toFilters(filters);
    if (f) spec.filters = f;
    return spec;
  };
  const run = (spec: Spec = buildSpec()) => exec(spec);
  // Opened with ?insight=ID: show the saved spec in the form and run it as saved.
  const [insight, setInsight] = useState<Insight>();
  const loaded = useSavedInsight(
    project.id,
    'funnel',
    (i) => {
      const sp = i.spec;
      setSteps((sp.steps ?? []).map((s) => s.event));
      setDays(rangeOf(sp) ?? days);
      setWindow(sp.window ?? '24h');
      setBreakdown(sp.breakdown?.property ?? '');
      setLimit(sp.breakdown?.limit ?? 5);
      setFilters(filterRows(sp.filters));
      run(sp);
    },
    setErr,
    () => run(),
  );
  const saved = insight ?? loaded;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="funnel">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('funnel')}
        {saved && (
          <Typography.Text type="secondary" style={{ fontSize: 14, marginLeft: 12 }} data-testid="insight-title">
            {saved.name}
          </Typography.Text>
        )}
      </Typography.Title>
      <Card size="small">
        <Form layout="vertical" onFinish={() => run()}>
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
              <RangeSelect custom value={days} onChange={setDays} timeZone={project.timezone} />
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
          <Space wrap>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="run">
              {t('run')}
            </Button>
            <SaveInsight project={project} getSpec={buildSpec} insight={saved} onSaved={setInsight} />
          </Space>
        </Form>
      </Card>
      {err && <Alert type="error" message={err} data-testid="error" />}
      <Card size="small" extra={<ComputedAt answers={[answer]} timeZone={project.timezone} />}>
        <InsightView answer={answer} spec={shown} currency={project.currency} project={project} />
      </Card>
    </Space>
  );
}
