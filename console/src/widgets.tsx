// Form pieces shared by the analysis pages: event picker, filters, range and the
// "computed at" line.
import { useState } from 'react';
import { AutoComplete, Button, Input, Select, Space, Typography } from 'antd';
import { runQuery, type Filter, type Operator, type QueryAnswer, type Spec } from './api';
import { matches, useEventDefinitions, usePropertyDefinitions } from './definitions';
import { useI18n } from './i18n';

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
  const set = (i: number, p: Partial<FilterRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {rows.map((r, i) => (
        <Space key={i} wrap>
          <PropertyPicker events={events} placeholder={t('property')} value={r.property} onChange={(v) => set(i, { property: v })} width={180} />
          <Select value={r.operator} onChange={(v) => set(i, { operator: v })} style={{ width: 130 }} options={operators.map((o) => ({ value: o, label: o }))} />
          {r.operator !== 'is_set' && r.operator !== 'is_not_set' && (
            <Input placeholder={t('value')} value={r.raw} onChange={(e) => set(i, { raw: e.target.value })} style={{ width: 160 }} />
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

export function RangeSelect({ value, onChange, choices = [7, 14, 30, 90] }: { value: number; onChange: (d: number) => void; choices?: number[] }) {
  const { t } = useI18n();
  const label = (d: number) => (d === 7 ? t('last7') : d === 14 ? t('last14') : d === 30 ? t('last30') : t('last90'));
  return <Select value={value} onChange={onChange} style={{ width: 140 }} data-testid="range" options={choices.map((d) => ({ value: d, label: label(d) }))} />;
}

export function ComputedAt({ answers }: { answers: (QueryAnswer | undefined)[] }) {
  const { t, lang } = useI18n();
  const got = answers.filter((a): a is QueryAnswer => !!a);
  if (!got.length) return null;
  const latest = got.map((a) => a.computed_at).sort().pop()!;
  const took = Math.max(...got.map((a) => a.took_ms));
  return (
    <Typography.Text type="secondary" data-testid="computed-at">
      {t('computedAt')} {new Date(latest).toLocaleString(lang)} · {t('took')} {took} ms
    </Typography.Text>
  );
}

export function fmtNumber(v: number, lang: string, digits = 0): string {
  return v.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtPct(v: number): string {
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
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const exec = async (spec: Spec) => {
    setBusy(true);
    setErr('');
    try {
      setAnswer(await runQuery(project, spec));
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { answer, err, setErr, busy, exec };
}
