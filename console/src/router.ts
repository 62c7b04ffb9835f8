// A tiny history router: the console has a handful of flat pages, so a path → page map
// is all it needs. The server answers index.html for every non-API path (SPA fallback).
import { useEffect, useState } from 'react';
import type { Spec } from './api';

export type Page =
  | 'overview'
  | 'dashboards'
  | 'trends'
  | 'funnel'
  | 'retention'
  | 'products'
  | 'live'
  | 'definitions'
  | 'import'
  | 'persons'
  | 'integration'
  | 'settings';

export const pages: Page[] = [
  'overview',
  'dashboards',
  'trends',
  'funnel',
  'retention',
  'products',
  'live',
  'definitions',
  'import',
  'persons',
  'integration',
  'settings',
];

// pageOf is the page of a path: its first segment (/dashboards/3 → dashboards).
export function pageOf(path: string): Page {
  const p = path.replace(/^\/+|\/+$/g, '').split('/')[0] as Page;
  return pages.includes(p) ? p : 'overview';
}

// pathRest is what follows the page in a path, decoded (/persons/u%2F1 → "u/1"; /persons → "").
export function pathRest(path: string): string {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  return parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : '';
}

// pending is the spec an overview figure opens its analysis with (openAnalysis); any other
// navigation drops it, so the pages open with their defaults.
let pending: Spec | undefined;

export function openAnalysis(path: string, spec?: Spec) {
  if (location.pathname !== path) history.pushState(null, '', path);
  pending = spec;
  window.dispatchEvent(new PopStateEvent('popstate'));
}

// prefillDays are the ranges, in days up to today, an analysis page can be opened with: its
// range picker's (7, 14, 30, 90) and 1, today (DAU), which the pages run as rangeFor(1).
export const prefillDays = [1, 7, 14, 30, 90];

// prefill is the spec the page was opened with, if it is of the page's kind, and its range
// in days when it is one of prefillDays (else the page's default).
export function prefill(kind: Spec['kind']): { spec: Spec; days?: number } | undefined {
  if (!pending || pending.kind !== kind) return undefined;
  const m = /^-(\d+)d$/.exec(pending.date_range.from);
  const d = m && pending.date_range.to === 'today' ? Number(m[1]) + 1 : 0;
  return { spec: pending, days: prefillDays.includes(d) ? d : undefined };
}

export function navigate(path: string) {
  pending = undefined;
  if (location.pathname !== path) history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}
