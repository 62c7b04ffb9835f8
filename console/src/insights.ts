// Saved insights and dashboards: the client of /api/v1/projects/{project}/insights and
// …/dashboards (docs/dashboards.md), the roles that may change them, and turning a saved
// spec back into the analysis pages' form state.
import { useEffect, useState } from 'react';
import { api, type Filter, type Membership, type QueryAnswer, type Spec } from './api';
import type { FilterRow, RangeValue } from './widgets';

export interface Insight {
  id: number;
  project_id: number;
  name: string;
  description: string;
  spec: Spec;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  dashboards: number[];
}

export interface Dashboard {
  id: number;
  project_id: number;
  name: string;
  description: string;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  item_count: number;
  items?: Insight[];
}

// CachedAnswer is a query answer that says whether it came from the result cache.
export interface CachedAnswer extends QueryAnswer {
  cached?: boolean;
  compute_ms?: number;
}

// canWrite reports whether a role may save and change insights and dashboards (the
// server's insight:write, analyst and up). The server checks it again.
export function canWrite(p: Membership): boolean {
  return p.role === 'owner' || p.role === 'admin' || p.role === 'analyst';
}

const base = (project: number) => `/api/v1/projects/${project}`;

export const insightsApi = {
  list: (p: number) => api<{ insights: Insight[] }>('GET', `${base(p)}/insights`).then((r) => r.insights),
  get: (p: number, id: number) => api<Insight>('GET', `${base(p)}/insights/${id}`),
  create: (p: number, body: { name: string; description?: string; spec: Spec; dashboard_id?: number }) =>
    api<Insight>('POST', `${base(p)}/insights`, body),
  update: (p: number, id: number, body: { name?: string; description?: string; spec?: Spec }) =>
    api<Insight>('PATCH', `${base(p)}/insights/${id}`, body),
  remove: (p: number, id: number) => api<void>('DELETE', `${base(p)}/insights/${id}`),
  result: (p: number, id: number, refresh = false) =>
    api<CachedAnswer>('GET', `${base(p)}/insights/${id}/result${refresh ? '?refresh=1' : ''}`),
};

export const dashboardsApi = {
  list: (p: number) => api<{ dashboards: Dashboard[] }>('GET', `${base(p)}/dashboards`).then((r) => r.dashboards),
  get: (p: number, id: number) => api<Dashboard>('GET', `${base(p)}/dashboards/${id}`),
  create: (p: number, name: string, description = '') => api<Dashboard>('POST', `${base(p)}/dashboards`, { name, description }),
  update: (p: number, id: number, body: { name?: string; description?: string }) => api<Dashboard>('PATCH', `${base(p)}/dashboards/${id}`, body),
  remove: (p: number, id: number) => api<void>('DELETE', `${base(p)}/dashboards/${id}`),
  add: (p: number, id: number, insight: number) => api<Dashboard>('POST', `${base(p)}/dashboards/${id}/items`, { insight_id: insight }),
  removeItem: (p: number, id: number, insight: number) => api<void>('DELETE', `${base(p)}/dashboards/${id}/items/${insight}`),
  reorder: (p: number, id: number, insights: number[]) => api<Dashboard>('PUT', `${base(p)}/dashboards/${id}/items`, { insight_ids: insights }),
};

// pageOfKind is the analysis page of a spec kind.
export function pageOfKind(kind: Spec['kind']): string {
  return '/' + kind;
}

// insightParam is the ?insight= id of the current URL, or 0.
export function insightParam(): number {
  const v = Number(new URLSearchParams(location.search).get('insight'));
  return Number.isInteger(v) && v > 0 ? v : 0;
}

// useSavedInsight runs once per project on an analysis page: when the URL names a saved
// insight (?insight=ID) of the page's kind it loads it and calls apply; otherwise, or when
// when the insight is of another kind, it calls fallback (the page's default run). A load
// error goes to onError.
export function useSavedInsight(
  project: number,
  kind: Spec['kind'],
  apply: (i: Insight) => void,
  onError: (m: string) => void,
  fallback: () => void,
): Insight | undefined {
  const [insight, setInsight] = useState<Insight>();
  useEffect(() => {
    const id = insightParam();
    if (!id) {
      fallback();
      return;
    }
    let live = true;
    insightsApi
      .get(project, id)
      .then((i) => {
        if (!live) return;
        if (i.spec.kind !== kind) return fallback();
        setInsight(i);
        apply(i);
      })
      .catch((e) => {
        if (!live) return;
        onError((e as Error).message);
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project]);
  return insight;
}

// daysOf is the page's range choice for a saved range "-(n-1)d" … "today", or undefined.
export function daysOf(spec: Spec, choices = [7, 14, 30, 90]): number | undefined {
  const m = /^-(\d+)d$/.exec(spec.date_range.from);
  const d = m && spec.date_range.to === 'today' ? Number(m[1]) + 1 : 0;
  return choices.includes(d) ? d : undefined;
}

// rangeOf is the page's range of a saved spec: a choice of days, or the spec's dates when
// both ends are dates (YYYY-MM-DD); undefined for any other range.
export function rangeOf(spec: Spec, choices = [7, 14, 30, 90]): RangeValue | undefined {
  const d = daysOf(spec, choices);
  if (d) return d;
  const date = /^\d{4}-\d{2}-\d{2}$/;
  const { from, to } = spec.date_range;
  return date.test(from) && to && date.test(to) ? { from, to } : undefined;
}

// filterRows turns a spec's filters back into the filter editor's rows.
export function filterRows(filters?: Filter[]): FilterRow[] {
  return (filters ?? []).map((f) => ({
    property: f.property,
    operator: f.operator,
    raw: f.value === undefined || f.value === null ? '' : Array.isArray(f.value) ? f.value.map(String).join(',') : String(f.value),
  }));
}
