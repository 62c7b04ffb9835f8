// Retention (留存分析): cohorts by the start event's period, the share who did the return
// event in each later period, as a table shaded by rate and a curve of the average.
import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, InputNumber, Select, Space, Typography } from 'antd';
import { type Interval, type Membership, type Spec } from '../api';
import { useI18n, type Key } from '../i18n';
import { InsightView } from '../InsightView';
import { rangeOf, filterRows, useSavedInsight, type Insight } from '../insights';
import { prefill } from '../router';
import { SaveInsight } from '../SaveInsight';
import { ComputedAt, EventPicker, FiltersEditor, RangeSelect, toFilters, type FilterRow, type RangeValue, dateRangeOf , useRunQuery } from '../widgets';

export function RetentionPage({ project }: { project: Membership }) {
  const { t } = useI18n();
  const [init] = useState(() => prefill('retention')); // opened from an overview figure
  const [start, setStart] = useState(init?.spec.start_event?.event ?? 'App Launched');
  const [ret, setRet] = useState(init?.spec.return_event?.event ?? 'App Launched');
  const [period, setPeriod] = useState<Interval>(init?.spec.period ?? 'day');
  const [periods, setPeriods] = useState(init?.spec.periods ?? 7);
  const [firstTime, setFirstTime] = useState(init?.spec.first_time ?? true);
  const [days, setDays] = useState<RangeValue>(init?.days ?? 14);
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const { answer, spec: shown, err, setErr, busy, exec } = useRunQuery(project.id);

  const buildSpec = (): Spec => {
    const spec: Spec = {
      kind: 'retention',
      date_range: dateRangeOf(days),
      start_event: { event: start },
      return_event: { event: ret },
      period,
      periods,
      first_time: firstTime,
    };
    const f = toFilters(filters);
    if (f) spec.filters = f;
    return spec;
  };
  const run = (spec: Spec = buildSpec()) => exec(spec);
  // Opened with ?insight=ID: show the saved spec in the form and run it as saved.
  const [insight, setInsight] = useState<Insight>();
  const loaded = useSavedInsight(
    project.id,
    'retention',
    (i) => {
      const sp = i.spec;
      setStart(sp.start_event?.event ?? '');
      setRet(sp.return_event?.event ?? '');
      setPeriod(sp.period ?? 'day');
      setPeriods(sp.periods ?? 7);
      setFirstTime(!!sp.first_time);
      setDays(rangeOf(sp) ?? days);
      setFilters(filterRows(sp.filters));
      run(sp);
    },
    setErr,
    () => run(),
  );
  const saved = insight ?? loaded;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="retention">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('retention')}
        {saved && (
          <Typography.Text type="secondary" style={{ fontSize: 14, marginLeft: 12 }} data-testid="insight-title">
            {saved.name}
          </Typography.Text>
        )}
      </Typography.Title>
      <Card size="small">
        <Form layout="vertical" onFinish={() => run()}>
          <Space wrap align="end">
            <Form.Item label={t('startEvent')}>
              <EventPicker value={start} onChange={setStart} testid="start-event" />
            </Form.Item>
            <Form.Item label={t('returnEvent')}>
              <EventPicker value={ret} onChange={setRet} testid="return-event" />
            </Form.Item>
            <Form.Item label={t('range')}>
              <RangeSelect custom value={days} onChange={setDays} timeZone={project.timezone} />
            </Form.Item>
            <Form.Item label={t('period')}>
              <Select value={period} onChange={setPeriod} style={{ width: 100 }} options={(['day', 'week', 'month'] as const).map((v) => ({ value: v, label: t(v as Key) }))} />
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
