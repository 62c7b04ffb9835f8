// The console's HTTP client: same-origin JSON with the session cookie, and the session's
// CSRF token on unsafe methods (see docs/access.md).
import { useCallback } from 'react';
import { useI18n } from './i18n';

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
    // retryAfter is the answer's Retry-After in seconds (429), when it had one.
    public retryAfter?: number,
    // detail is the server's message without the field prefix.
    public detail: string = message,
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
  return answer<T>(resp.status, resp.statusText, await resp.text(), resp.headers.get('Retry-After'));
}

function answer<T>(status: number, statusText: string, text: string, retryAfter?: string | null): T {
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: reported below */
  }
  if (status < 200 || status > 299) {
    const e = (data as { error?: ApiErrorBody } | undefined)?.error;
    const msg = e?.message ?? statusText;
    const ra = Number(retryAfter);
    throw new ApiError(status, e?.code ?? 'http_' + status, e?.field ? `${e.field}: ${msg}` : msg, e?.field, ra > 0 ? ra : undefined, msg);
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
        resolve(answer<T>(xhr.status, xhr.statusText, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      } catch (e) {
        reject(e);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the upload failed: no answer from the server'));
    xhr.send(form);
  });
}

// errorMessages are the console's words for the API's stable error codes (docs/access.md,
// docs/import.md); `detail` codes append the server's message, which names the column,
// line or field at fault. Other codes show the server's message as it is.
const errorMessages: Record<string, { 'zh-CN': string; en: string; detail?: boolean }> = {
  invalid_credentials: { 'zh-CN': '邮箱或密码错误', en: 'Wrong email or password' },
  rate_limited: { 'zh-CN': '失败次数过多，请稍后再试', en: 'Too many failed attempts; try again later' },
  forbidden: { 'zh-CN': '你的角色没有这项操作的权限', en: 'Your role may not do this' },
  csrf_failed: { 'zh-CN': '会话校验失败，请刷新页面后重试', en: 'The session check failed; reload the page and try again' },
  unauthenticated: { 'zh-CN': '登录已过期，请刷新页面重新登录', en: 'Your session has ended; reload the page and sign in again' },
  missing_secret_key: { 'zh-CN': '登录已过期，请刷新页面重新登录', en: 'Your session has ended; reload the page and sign in again' },
  email_taken: { 'zh-CN': '该邮箱已有账号：不填密码即可把已有用户加为成员', en: 'A user with this email exists: leave the password empty to add them as a member' },
  member_exists: { 'zh-CN': '该用户已经是本项目的成员', en: 'This user is already a member of the project' },
  last_owner: { 'zh-CN': '项目至少要保留一位所有者：请先让其他成员成为所有者', en: 'A project keeps at least one owner: make someone else owner first' },
  already_set_up: { 'zh-CN': '已经创建过所有者账号，请登录', en: 'The owner account exists already; sign in' },
  project_not_found: { 'zh-CN': '项目不存在，或你不是它的成员', en: 'The project does not exist or you are not a member' },
  member_not_found: { 'zh-CN': '该成员不存在', en: 'No such member' },
  user_not_found: { 'zh-CN': '该用户不存在', en: 'No such user' },
  person_not_found: { 'zh-CN': '没有这个用户', en: 'No such person' },
  too_many_imports: { 'zh-CN': '本项目进行中的导入太多（最多 8 个），请等前面的导入结束', en: 'Too many imports of this project are waiting or running (at most 8); wait for one to end' },
  file_too_large: { 'zh-CN': '文件超过大小上限', en: 'The file is over the size limit', detail: true },
  body_too_large: { 'zh-CN': '请求内容太大', en: 'The request is too large' },
  invalid_file: { 'zh-CN': '无法读取文件', en: 'Cannot read the file', detail: true },
  invalid_mapping: { 'zh-CN': '映射有误', en: 'The mapping is wrong', detail: true },
  empty_file: { 'zh-CN': '文件是空的', en: 'The file is empty' },
  unknown_preset: { 'zh-CN': '没有这个预设映射', en: 'No such preset mapping', detail: true },
  import_not_cancelable: { 'zh-CN': '导入已开始写入或已结束，不能再取消', en: 'The import is loading or has ended; it can no longer be cancelled' },
  missing_field: { 'zh-CN': '缺少必填项', en: 'A required field is missing', detail: true },
  invalid_value: { 'zh-CN': '取值无效', en: 'Invalid value', detail: true },
  too_long: { 'zh-CN': '内容太长', en: 'Too long', detail: true },
  network_error: { 'zh-CN': '无法连接服务器，请检查网络或服务是否在运行', en: 'No answer from the server; check the network and that the server runs' },
};

// errorText is an error to show to the user in lang: the console's words for a known API
// error code (with the server's details where they name a column, line or field, and the
// wait of a 429), else the server's message; a failed fetch is a network error.
export function errorText(e: unknown, lang: 'zh-CN' | 'en'): string {
  if (e instanceof ApiError) {
    const m = errorMessages[e.code];
    if (!m) return e.message;
    let text = m[lang];
    if (e.code === 'rate_limited' && e.retryAfter) {
      const min = Math.ceil(e.retryAfter / 60);
      text += lang === 'en' ? ` (in ${min} min)` : `（约 ${min} 分钟后）`;
    }
    if (e.code === 'invalid_credentials' && e.field === 'current_password') {
      text = lang === 'en' ? 'The current password is wrong' : '当前密码错误';
    }
    // The details without the field and the words the code already says.
    const detail = e.detail.replace(/^cannot read the file: /, '');
    if (m.detail && detail) text += (lang === 'en' ? ': ' : '：') + detail;
    return text;
  }
  if (e instanceof TypeError && /fetch|network|load failed/i.test(e.message)) return errorMessages.network_error[lang];
  return String((e as Error)?.message ?? e);
}

// useErrorText is errorText in the console's current language.
export function useErrorText(): (e: unknown) => string {
  const { lang } = useI18n();
  return useCallback((e: unknown) => errorText(e, lang), [lang]);
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

export function runQuery(project: number, spec: Spec, refresh = false): Promise<QueryAnswer & { cached?: boolean }> {
  return api<QueryAnswer & { cached?: boolean }>('POST', `/api/v1/projects/${project}/query${refresh ? '?refresh=1' : ''}`, spec);
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
