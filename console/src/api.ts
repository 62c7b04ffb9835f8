// The console's HTTP client: same-origin JSON with the session cookie, and the session's
// CSRF token on unsafe methods (see docs/access.md).

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

export function setCsrf(t: string) {
  csrfToken = t;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const resp = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 204) return undefined as T;
  return answer<T>(resp.status, resp.statusText, await resp.text());
}

function answer<T>(status: number, statusText: string, text: string): T {
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: reported below */
  }
  if (status < 200 || status > 299) {
    const e = (data as { error?: ApiErrorBody } | undefined)?.error;
    const msg = e?.message ?? statusText;
    throw new ApiError(status, e?.code ?? 'http_' + status, e?.field ? `${e.field}: ${msg}` : msg, e?.field);
  }
  return data as T;
}

// upload POSTs a multipart form (files and text fields) with the session's CSRF token; the
// browser sets the Content-Type with its boundary. onProgress gets the bytes sent so far.
export function upload<T>(path: string, form: FormData, onProgress?: (sent: number, total: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      try {
        resolve(answer<T>(xhr.status, xhr.statusText, xhr.responseText));
      } catch (e) {
        reject(e);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the upload failed: no answer from the server'));
    xhr.send(form);
  });
}

export type Role = 'owner' | 'admin' | 'analyst' | 'operator' | 'viewer';

export interface Membership {
  id: number;
  name: string;
  timezone: string;
  currency: string;
  role: Role;
}

export interface User {
  id: number;
  email: string;
  name: string;
}

export interface Me {
  user: User;
  csrf_token: string;
  projects: Membership[];
}

// The spec types are generated from api/spec.schema.json (scripts/spec-types.mjs).
export type { Breakdown, DateRange, EventFilter, Filter, Interval, Kind, Operator, Series, Spec } from './spec.gen';
import type { DateRange, Spec } from './spec.gen';

export interface FunnelStep {
  step: number;
  event: string;
  persons: number;
  step_conversion: number;
  overall_conversion: number;
  median_seconds: number | null;
  average_seconds: number | null;
}

export interface TrendLine {
  series: string;
  event?: string;
  math?: string;
  breakdown?: string;
  compare?: boolean;
  points: { time: string; value: number }[];
}

export interface Cohort {
  start: string;
  size: number;
  retained: number[];
  rates: number[];
}

export interface Result {
  kind: string;
  from: string;
  to: string;
  funnel?: { window: string; steps: FunnelStep[]; breakdown?: { value: string; steps: FunnelStep[] }[] };
  retention?: { period: string; periods: number; first_time: boolean; cohorts: Cohort[] };
  trends?: { interval: string; series: TrendLine[] };
  products?: ProductsResult;
}

export interface ProductRow {
  id: string;
  name?: string;
  category?: string;
  orders: number;
  units: number;
  revenue: number;
  buyers: number;
}

export interface ProductsResult {
  event: string;
  sort: string;
  products: ProductRow[];
  totals: { orders: number; with_items: number; products: number; units: number; revenue: number; buyers: number; skipped_items: number };
}

export interface QueryAnswer {
  result: Result;
  took_ms: number;
  computed_at: string;
}

export function runQuery(project: number, spec: Spec): Promise<QueryAnswer> {
  return api<QueryAnswer>('POST', `/api/v1/projects/${project}/query`, spec);
}

// demoEvents are the demo shop's event names (demo/doc.go), offered in the pickers; any
// other name can be typed.
export const demoEvents = [
  'App Launched',
  '$pageview',
  'Products Searched',
  'Product List Viewed',
  'Product Viewed',
  'Product Added',
  'Product Removed',
  'Product Added to Wishlist',
  'Cart Viewed',
  'Checkout Started',
  'Coupon Applied',
  'Order Completed',
  'Order Cancelled',
  'Order Refunded',
  'Coupon Received',
  'Product Shared',
  'Share Opened',
  'Promotion Viewed',
  'Promotion Clicked',
  'Group Buy Started',
  'Group Buy Joined',
  'Group Buy Completed',
  'Group Buy Failed',
  'Product Reviewed',
  'Live Stream Viewed',
];

// rangeFor gives the last n days of the project's calendar, today included, and the n days
// before them: whole days, so the trends comparison and the explicit previous range agree.
export function rangeFor(days: number): { current: DateRange; previous: DateRange } {
  return {
    current: { from: `-${days - 1}d`, to: 'today' },
    previous: { from: `-${2 * days - 1}d`, to: `-${days}d` },
  };
}
