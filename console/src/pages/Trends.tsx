// Trends (事件分析): series of an event's count, unique persons or a numeric property per
// interval, an optional formula over them, the previous period, a breakdown and filters.
import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { type Membership, type Series, type Spec } from '../api';
import { InsightView } from '../InsightView';
import { rangeOf, filterRows, useSavedInsight, type Insight } from '../insights';
import { SaveInsight } from '../SaveInsight';
import { useI18n, type Key } from '../i18n';
import { prefill } from '../router';
import { ComputedAt, EventPicker, FiltersEditor, PropertyPicker, RangeSelect, toFilters, type FilterRow, type RangeValue, dateRangeOf , useRunQuery } from '../widgets';

const maths = ['total', 'dau', 'sum', 'avg', 'min', 'max', 'median', 'p90', 'per_person_avg'];
const needsProperty = (m?: string) => ['sum', 'avg', 'min', 'max', 'median', 'p90'].includes(m ?? '');
const letter = (i: number) => String.fromCharCode(65 + i);

export function TrendsPage({ project }: { project: Membership }) {
  const { t } = useI18n();
  const [init] = useState(() => prefill('trends')); // opened from an overview figure
  const [series, setSeries] = useState<Series[]>(init?.spec.series ?? [{ event: 'App Launched', math: 'dau' }, { event: 'Order Completed', math: 'dau' }]);
  const [days, setDays] = useState<RangeValue>(init?.days ?? 14);
  const [interval, setInterval] = useState(init?.spec.interval ?? 'day');
  const [compare, setCompare] = useState(init?.spec.compare ?? false);
  const [formula, setFormula] = useState(init?.spec.formula ?? '');
  const [breakdown, setBreakdown] = useState('');
  const [limit, setLimit] = useState(5);
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const { answer, spec: shown, err, setErr, busy, exec } = useRunQuery(project.id);

  const buildSpec = (): Spec => {
    const spec: Spec = {
      kind: 'trends',
      interval,
      date_range: dateRangeOf(days),
      series: series.map((s) => (needsProperty(s.math) ? s : { event: s.event, math: s.math })),
    };
    if (compare) spec.compare = true;
    if (formula.trim()) spec.formula = formula.trim();
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
    'trends',
    (i) => {
      const sp = i.spec;
      setSeries(sp.series ?? []);
      setDays(rangeOf(sp) ?? days);
      setInterval(sp.interval ?? 'day');
      setCompare(!!sp.compare);
      setFormula(sp.formula ?? '');
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
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="trends">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('trends')}
        {saved && (
          <Typography.Text type="secondary" style={{ fontSize: 14, marginLeft: 12 }} data-testid="insight-title">
            {saved.name}
          </Typography.Text>
        )}
      </Typography.Title>
      <Card size="small">
        <Form layout="vertical" onFinish={() => run()}>
          <Form.Item label={t('series')}>
            <Space direction="vertical" style={{ width: '100%' }}>
              {series.map((s, i) => (
                <Space key={i} wrap>
                  <Typography.Text strong>{letter(i)}</Typography.Text>
                  <EventPicker value={s.event} onChange={(v) => setSeries(series.map((x, j) => (j === i ? { ...x, event: v } : x)))} testid={'series-event-' + i} />
                  <Select
                    value={s.math ?? 'total'}
                    style={{ width: 150 }}
                    onChange={(v) => setSeries(series.map((x, j) => (j === i ? { ...x, math: v } : x)))}
                    options={maths.map((m) => ({ value: m, label: t(('math_' + m) as Key) }))}
                  />
                  {needsProperty(s.math) && (
                    <PropertyPicker events={[s.event]} placeholder={t('property') + ' (total)'} value={s.property ?? ''} width={140} onChange={(v) => setSeries(series.map((x, j) => (j === i ? { ...x, property: v } : x)))} />
                  )}
                  {series.length > 1 && <Button onClick={() => setSeries(series.filter((_, j) => j !== i))}>{t('remove')}</Button>}
                </Space>
              ))}
              <Button type="dashed" onClick={() => setSeries([...series, { event: 'Order Completed', math: 'total' }])}>
                + {t('addSeries')}
              </Button>
            </Space>
          </Form.Item>
          <Space wrap align="end">
            <Form.Item label={t('range')}>
              <RangeSelect custom value={days} onChange={setDays} timeZone={project.timezone} />
            </Form.Item>
            <Form.Item label={t('interval')}>
              <Select value={interval} onChange={setInterval} style={{ width: 100 }} options={['hour', 'day', 'week', 'month'].map((v) => ({ value: v, label: t(v as Key) }))} />
            </Form.Item>
            <Form.Item label={t('formula')}>
              <Input value={formula} onChange={(e) => setFormula(e.target.value)} placeholder={t('formulaHint')} style={{ width: 120 }} />
            </Form.Item>
            <Form.Item label={t('breakdown')}>
              <Space.Compact>
                <PropertyPicker events={series.map((s) => s.event)} value={breakdown} onChange={setBreakdown} placeholder={t('breakdownHint')} />
                <InputNumber min={1} max={50} value={limit} onChange={(v) => setLimit(v ?? 5)} style={{ width: 64 }} />
              </Space.Compact>
            </Form.Item>
            <Form.Item>
              <Checkbox checked={compare} onChange={(e) => setCompare(e.target.checked)}>
                {t('compare')}
              </Checkbox>
            </Form.Item>
          </Space>
          <Form.Item label={t('filters')}>
            <FiltersEditor rows={filters} onChange={setFilters} events={series.map((s) => s.event)} />
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
