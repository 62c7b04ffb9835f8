// Form pieces shared by the analysis pages: event picker, filters, range and the
// "computed at" line.
import { useMemo, useState } from 'react';
import { AutoComplete, Button, DatePicker, Empty, Input, Select, Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { rangeFor, runQuery, type DateRange, type Filter, type Operator, type QueryAnswer, type Spec } from './api';
import { matches, useEventDefinitions, usePropertyDefinitions } from './definitions';
import { useI18n, useStrings, type Lang } from './i18n';
import { channelName, sceneName } from './scenes';

const strings = {
  'zh-CN': {
    op_eq: '等于',
    op_neq: '不等于',
    op_in: '属于',
    op_not_in: '不属于',
    op_gt: '大于',
    op_gte: '大于等于',
    op_lt: '小于',
    op_lte: '小于等于',
    op_contains: '包含',
    op_not_contains: '不包含',
    op_is_set: '有值',
    op_is_not_set: '没有值',
    inHint: '多个值用逗号分隔',
    custom: '自定义日期',
    lastDays: '最近 {n} 天',
    cached: '缓存',
    other: '其他',
    notSet: '(未设置)',
    noData: '没有符合条件的数据',
    noDataHint: '所选时间范围内没有事件满足这些条件。请检查事件名、筛选条件和时间范围。',
    noDataFilters: '当前有 {n} 个筛选条件，可以试着放宽或去掉它们。',
  },
  en: {
    op_eq: 'equals',
    op_neq: 'not equals',
    op_in: 'is one of',
    op_not_in: 'is not one of',
    op_gt: 'greater than',
    op_gte: 'at least',
    op_lt: 'less than',
    op_lte: 'at most',
    op_contains: 'contains',
    op_not_contains: 'does not contain',
    op_is_set: 'is set',
    op_is_not_set: 'is not set',
    inHint: 'values separated by commas',
    custom: 'Custom dates',
    lastDays: 'Last {n} days',
    cached: 'cached',
    other: 'Other',
    notSet: '(not set)',
    noData: 'No matching data',
    noDataHint: 'No events in the chosen range meet these conditions. Check the event names, filters and range.',
    noDataFilters: '{n} filter(s) apply: try loosening or removing them.',
  },
};

// useWidgetStrings gives the shared analysis strings (operator labels, breakdown value names,
// the empty state) in the current language.
export const useWidgetStrings = () => useStrings(strings);

// fmtTime formats an instant in the project's time zone (the zone every figure of the
// console is counted in), not the browser's.
export function fmtTime(v: string | number | Date, lang: string, timeZone?: string): string {
  const d = new Date(v);
  if (isNaN(d.getTime())) return String(v);
  try {
    return d.toLocaleString(lang, { timeZone, hour12: false });
  } catch {
    return d.toLocaleString(lang, { hour12: false }); // an unknown zone name
  }
}

// useLabels names what analyses show: events by their tracking-plan display name (raw name
// as secondary text), breakdown values with $other, unset values and scene / channel names.
export function useLabels() {
  const { lang } = useI18n();
  const s = useStrings(strings);
  const defs = useEventDefinitions();
  return useMemo(() => {
    const names = new Map<string, string>();
    for (const d of defs) if (d.display_name) names.set(d.name, d.display_name);
    const display = (ev: string) => names.get(ev);
    return {
      // eventText is "显示名" for an event with one, else the raw name.
      eventText: (ev: string) => names.get(ev) ?? ev,
      display,
      // eventNode is the display name with the raw name after it in grey.
      event: (ev: string) => {
        const d = names.get(ev);
        return d ? (
          <span title={ev}>
            {d} <Typography.Text type="secondary" style={{ fontSize: '0.9em' }}>{ev}</Typography.Text>
          </span>
        ) : (
          <span>{ev}</span>
        );
      },
      breakdown: (property: string | undefined, value: string | undefined) => breakdownLabel(property, value, lang, s),
    };
  }, [defs, lang, s]);
}

// breakdownLabel names a breakdown value: $other is 其他 / Other, an unset property (""),
// "(未设置)", a scene code "1089 名称", a campaign source its channel name.
export function breakdownLabel(property: string | undefined, value: string | undefined, lang: Lang, s = strings[lang]): string {
  if (value === undefined || value === null) return '';
  if (value === '$other') return s.other;
  if (value === '') return s.notSet;
  const p = (property ?? '').replace(/^properties\./, '');
  if (p === 'context.scene' || p === 'scene') return sceneName(value, lang);
  if (p === 'context.campaign.source') return channelName(value, lang);
  return value;
}

// NoData explains an answer with nothing in it: what to check, and the filters in force.
export function NoData({ filters = 0 }: { filters?: number }) {
  const s = useStrings(strings);
  return (
    <Empty
      data-testid="no-data"
      style={{ padding: '32px 0' }}
      description={
        <Space direction="vertical" size={2}>
          <Typography.Text strong>{s.noData}</Typography.Text>
          <Typography.Text type="secondary">{s.noDataHint}</Typography.Text>
          {filters > 0 && <Typography.Text type="secondary">{s.noDataFilters.replace('{n}', String(filters))}</Typography.Text>}
        </Space>
      }
    />
  );
}

// EventPicker offers the project's event names (from the definitions API, highest volume
// first, with their display names and counts; typing finds either name); any other name
// can be typed.
export function EventPicker({ value, onChange, testid }: { value: string; onChange: (v: string) => void; testid?: string }) {
  const { lang } = useI18n();
  const defs = useEventDefinitions();
  const opts = defs
    .filter((e) => matches(e, value))
    .map((e) => ({
      value: e.name,
      label: (
        <span data-testid="event-option" style={{ display: 'flex', justifyContent: 'space-between', gap: 12 }}>
          <span>
            {e.name}
            {e.display_name && <Typography.Text type="secondary" data-testid="event-display-name"> {e.display_name}</Typography.Text>}
          </span>
          {e.count >= 0 && <Typography.Text type="secondary" data-testid="event-count">{e.count.toLocaleString(lang)}</Typography.Text>}
        </span>
      ),
    }));
  return (
    <AutoComplete
      value={value}
      options={opts}
      onChange={onChange}
      style={{ minWidth: 200 }}
      popupMatchSelectWidth={260}
      data-testid={testid}
      placeholder="Order Completed"
    />
  );
}

// PropertyPicker offers the property paths the analyses can read (price, context.scene,
// context.page.path, with display names) seen on the given events; anything else
// (person.city) can be typed.
export function PropertyPicker({
  events,
  value,
  onChange,
  placeholder,
  width = 200,
  testid,
}: {
  events: string[];
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
  width?: number;
  testid?: string;
}) {
  const defs = usePropertyDefinitions(events);
  const opts = defs
    .filter((p) => matches(p, value))
    .map((p) => ({
      value: p.name,
      label: (
        <span style={{ display: 'flex', justifyContent: 'space-between', gap: 12 }}>
          <span>
            {p.name}
            {p.display_name && <Typography.Text type="secondary"> {p.display_name}</Typography.Text>}
          </span>
          <Typography.Text type="secondary">{p.type}</Typography.Text>
        </span>
      ),
    }));
  return (
    <AutoComplete value={value} options={opts} onChange={onChange} style={{ width }} popupMatchSelectWidth={240}>
      <Input placeholder={placeholder} data-testid={testid} />
    </AutoComplete>
  );
}

export const operators: Operator[] = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'contains', 'not_contains', 'is_set', 'is_not_set'];

// parseValue turns what was typed into the JSON value of a filter: numbers stay numbers,
// in / not_in take a comma-separated list.
function parseValue(op: string, raw: string): unknown {
  const one = (s: string): unknown => {
    const t = s.trim();
    if (t !== '' && !isNaN(Number(t))) return Number(t);
    if (t === 'true') return true;
    if (t === 'false') return false;
    return t;
  };
  if (op === 'in' || op === 'not_in') return raw.split(',').map(one);
  if (op === 'is_set' || op === 'is_not_set') return undefined;
  return one(raw);
}

export interface FilterRow {
  property: string;
  operator: Operator;
  raw: string;
}

export function toFilters(rows: FilterRow[]): Filter[] | undefined {
  const out = rows
    .filter((r) => r.property.trim())
    .map((r) => {
      const f: Filter = { property: r.property.trim(), operator: r.operator };
      const v = parseValue(r.operator, r.raw);
      if (v !== undefined) f.value = v;
      return f;
    });
  return out.length ? out : undefined;
}

export function FiltersEditor({ rows, onChange, events = [] }: { rows: FilterRow[]; onChange: (r: FilterRow[]) => void; events?: string[] }) {
  const { t } = useI18n();
  const s = useStrings(strings);
  const set = (i: number, p: Partial<FilterRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {rows.map((r, i) => (
        <Space key={i} wrap>
          <PropertyPicker events={events} placeholder={t('property')} value={r.property} onChange={(v) => set(i, { property: v })} width={180} />
          <Select value={r.operator} onChange={(v) => set(i, { operator: v })} style={{ width: 130 }} popupMatchSelectWidth={false} data-testid="filter-operator" options={operators.map((o) => ({ value: o, label: s[('op_' + o) as keyof typeof s] ?? o, title: o }))} />
          {r.operator !== 'is_set' && r.operator !== 'is_not_set' && (
            <Input placeholder={r.operator === 'in' || r.operator === 'not_in' ? s.inHint : t('value')} value={r.raw} onChange={(e) => set(i, { raw: e.target.value })} style={{ width: 160 }} />
          )}
          <Button onClick={() => onChange(rows.filter((_, j) => j !== i))}>{t('remove')}</Button>
        </Space>
      ))}
      <Button type="dashed" onClick={() => onChange([...rows, { property: '', operator: 'eq', raw: '' }])}>
        + {t('addFilter')}
      </Button>
    </Space>
  );
}

// RangeValue is an analysis page's range: the last n days (today included), or dates of
// the project's calendar, both ends included (YYYY-MM-DD, as the spec takes them).
export type RangeValue = number | { from: string; to: string };

// dateRangeOf is the spec's date_range of a page's range.
export function dateRangeOf(r: RangeValue): DateRange {
  return typeof r === 'number' ? rangeFor(r).current : { from: r.from, to: r.to };
}

type RangeProps =
  | { value: number; onChange: (d: number) => void; choices?: number[]; custom?: false; timeZone?: string }
  | { value: RangeValue; onChange: (d: RangeValue) => void; choices?: number[]; custom: true; timeZone?: string };

// todayIn is today's date (YYYY-MM-DD) in a time zone, as dayjs; the browser's without one.
function todayIn(timeZone?: string) {
  if (!timeZone) return dayjs();
  try {
    return dayjs(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date()));
  } catch {
    return dayjs();
  }
}

// RangeSelect picks the last 7 / 14 / 30 / 90 days or, with custom, also two dates
// ("custom dates…": a range picker beside it, starting from today in timeZone, the
// project's).
export function RangeSelect(props: RangeProps) {
  const { value, choices = [7, 14, 30, 90] } = props;
  const onChange = props.onChange as (d: RangeValue) => void;
  const { t } = useI18n();
  const s = useStrings(strings);
  const label = (d: number) =>
    d === 1 ? t('today') : d === 7 ? t('last7') : d === 14 ? t('last14') : d === 30 ? t('last30') : d === 90 ? t('last90') : s.lastDays.replace('{n}', String(d));
  const custom = typeof value !== 'number';
  const [picking, setPicking] = useState(custom);
  const days = typeof value === 'number' ? value : 0;
  const pick = (v: number | 'custom') => {
    if (v === 'custom') {
      setPicking(true);
      const to = todayIn(props.timeZone); // the project's today, not the browser's
      onChange({ from: to.subtract((days || 14) - 1, 'day').format('YYYY-MM-DD'), to: to.format('YYYY-MM-DD') });
    } else {
      setPicking(false);
      onChange(v);
    }
  };
  return (
    <Space.Compact>
      <Select
        value={custom || picking ? 'custom' : value}
        onChange={pick}
        style={{ width: 140 }}
        data-testid="range"
        popupMatchSelectWidth={false}
        // A range the choices lack (a figure's "today") is offered too, so it shows by name.
        options={[
          ...[...choices, ...(days && !choices.includes(days) ? [days] : [])].sort((a, b) => a - b).map((d) => ({ value: d as number | 'custom', label: label(d) })),
          ...(props.custom ? [{ value: 'custom' as const, label: s.custom }] : []),
        ]}
      />
      {custom && (
        <DatePicker.RangePicker
          allowClear={false}
          value={[dayjs(value.from), dayjs(value.to)]}
          onChange={(v) => v?.[0] && v?.[1] && onChange({ from: v[0].format('YYYY-MM-DD'), to: v[1].format('YYYY-MM-DD') })}
          style={{ width: 240 }}
          data-testid="range-dates"
        />
      )}
    </Space.Compact>
  );
}

// ComputedAt says when the answers were computed, in the project's time zone, and how long
// the query took, or "cached" when every answer came from the result cache (its took_ms
// is the lookup, not the computation).
export function ComputedAt({ answers, timeZone }: { answers: (QueryAnswer | undefined)[]; timeZone?: string }) {
  const { t, lang } = useI18n();
  const s = useStrings(strings);
  const got = answers.filter((a): a is QueryAnswer & { cached?: boolean } => !!a);
  if (!got.length) return null;
  const latest = got.map((a) => a.computed_at).sort().pop()!;
  const took = Math.max(...got.map((a) => a.took_ms));
  const cached = got.every((a) => (a as { cached?: boolean }).cached);
  return (
    <Typography.Text type="secondary" data-testid="computed-at" style={{ whiteSpace: 'nowrap' }}>
      {t('computedAt')} {fmtTime(latest, lang, timeZone)} · {cached ? <span data-testid="cached">{s.cached}</span> : `${t('took')} ${took.toLocaleString(lang)} ms`}
    </Typography.Text>
  );
}

export function fmtNumber(v: number, lang: string, digits = 0): string {
  return v.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// fmtPct shows a rate (0.123) as a percentage with one decimal (12.3%); both languages
// write the decimal point alike, so it takes no language.
export function fmtPct(v: number): string {
  if (v === null || v === undefined || isNaN(v)) return '–';
  return (v * 100).toFixed(1) + '%';
}

export function fmtSeconds(s: number | null): string {
  if (s === null || s === undefined) return '–';
  if (s < 60) return s.toFixed(1) + ' s';
  if (s < 3600) return (s / 60).toFixed(1) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

// useRunQuery is an analysis page's query state: run(spec) sends it and keeps the answer,
// busy while it runs and the error message of a failed run (cleared by the next run).
export function useRunQuery(project: number) {
  const [answer, setAnswer] = useState<QueryAnswer>();
  const [spec, setSpec] = useState<Spec>(); // the spec of the answer shown
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const exec = async (sp: Spec) => {
    setBusy(true);
    setErr('');
    try {
      setAnswer(await runQuery(project, sp));
      setSpec(sp);
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { answer, spec, err, setErr, busy, exec };
}
