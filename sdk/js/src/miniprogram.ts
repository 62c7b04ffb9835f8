// WeChat mini-program target: wx.setStorageSync persistence, wx.request transport, and
// automatic tracking by wrapping App, Page and Component: launches, shows and hides with the
// scene value (场景值) and referrer, page views with path and query, time on page, and shares
// whose path carries a share id and the sharer, so that a landing through a share sends
// "Share Opened" with the sharer: the links of the invite tree.

import { Client, VERSION, campaign, dec, uuid } from './core';
import type { Answer, Options, Props } from './core';

export type { Answer, Message, Options, Props } from './core';

declare const wx: any;
declare let App: any;
declare let Page: any;
declare let Component: any;
declare function getCurrentPages(): any[];

/** MiniOptions are Options plus the mini-program's switches. */
export interface MiniOptions extends Options {
  /**
   * Wrap the global App, Page and Component at init (default true): init must then run at
   * the top of app.js, before App() is called. With false, wrap explicitly:
   * App(jingyun.wrapApp({...})), Page(jingyun.wrapPage({...})).
   */
  autoTrack?: boolean;
  /** context.app.name (default: none; the app id is always sent). */
  appName?: string;
}

/** ShareParams are the query parameters a wrapped share adds to the shared path. */
export const SHARE_ID = 'jy_share';
export const SHARER = 'jy_sharer';

/** Where a page instance is and since when it is shown. */
interface PageState {
  q: Record<string, unknown>;
  t: number;
  shown: boolean;
}

type Fn = (this: any, ...args: any[]) => any;

/** hook runs before(...) ahead of obj[name], keeping the original's this, arguments and result. */
function hook(obj: any, name: string, before: Fn, log: (e: unknown) => void): void {
  const orig = obj[name];
  obj[name] = function (this: any) {
    try {
      before.apply(this, arguments as any);
    } catch (e) {
      log(e);
    }
    if (typeof orig === 'function') return orig.apply(this, arguments as any);
  };
}

/** qs renders a query object as "?a=1&b=2" ("" when empty). */
function qs(q: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  for (const k in q || {}) parts.push(k + '=' + (q as any)[k]);
  return parts.length ? '?' + parts.join('&') : '';
}

/** strip removes the share parameters of an earlier share from a query string. */
function strip(query: string): string {
  return query
    .split('&')
    .filter((kv) => kv && kv.indexOf(SHARE_ID + '=') !== 0 && kv.indexOf(SHARER + '=') !== 0)
    .join('&');
}

function join(a: string, b: string): string {
  return a ? a + '&' + b : b;
}

/** viaScene names the share channel from the scene of the landing visit. */
function viaScene(scene: number | undefined): string | undefined {
  switch (scene) {
    case 1007:
    case 1036:
      return 'wechat_friend';
    case 1008:
    case 1044:
      return 'wechat_group';
    case 1154:
    case 1155:
      return 'wechat_moments';
  }
  return undefined;
}

/** MiniClient is the mini-program SDK. One instance, the module's export, is what apps use. */
export class MiniClient extends Client {
  private base: Props = {};
  private scene?: number;
  private cmp?: Props;
  private refr?: Props;
  private path?: string;
  private prev = '';
  private showAt = 0;
  private seen: Record<string, 1> = {};
  private pages = new WeakMap<object, PageState>();
  private wrapped = new WeakSet<object>();

  /** init configures the client, reads the launch options and, unless autoTrack is false, wraps App, Page and Component. */
  init(options: MiniOptions): this {
    if (this.ready) return this;
    super.init(options);
    this.base = device(options.appName);
    try {
      this.visit(wx.getLaunchOptionsSync());
    } catch (e) {}
    if (options.autoTrack !== false) this.patch();
    try {
      wx.onNetworkStatusChange((r: any) => r && r.isConnected && this.retryNow());
    } catch (e) {}
    return this;
  }

  /** wrapApp adds launch, show and hide tracking to App options and returns them. */
  wrapApp<T extends object>(o: T): T {
    if (!o || this.wrapped.has(o)) return o;
    this.wrapped.add(o);
    const c = this;
    const log = (e: unknown) => c.log(e);
    hook(o, 'onLaunch', function (opts: any) {
      c.visit(opts);
      c.track('App Launched', c.visitProps(opts, { first_launch: c.isNew }));
    }, log);
    hook(o, 'onShow', function (opts: any) {
      c.visit(opts);
      c.showAt = Date.now();
      c.track('App Shown', c.visitProps(opts, {}));
      c.landing(opts);
      c.retryNow();
    }, log);
    hook(o, 'onHide', function () {
      c.track('App Hidden', { duration: c.showAt ? (Date.now() - c.showAt) / 1000 : undefined });
      c.flush();
    }, log);
    return o;
  }

  /**
   * wrapPage adds page views, "Page Left" and share tracking to Page options (or to the
   * methods of a Component used as a page) and returns them. Share handlers are wrapped
   * only where the page defines them, so the share menu stays as the page sets it.
   */
  wrapPage<T extends object>(o: T): T {
    if (!o || this.wrapped.has(o)) return o;
    this.wrapped.add(o);
    const c = this;
    const p = o as any;
    const log = (e: unknown) => c.log(e);
    hook(p, 'onLoad', function (this: any, query: any) {
      c.pages.set(this, { q: query || {}, t: 0, shown: false });
      c.landing({ query: query || {}, path: route(this), scene: c.scene });
    }, log);
    hook(p, 'onShow', function (this: any) {
      c.pageShow(this);
    }, log);
    hook(p, 'onHide', function (this: any) {
      c.pageLeave(this);
    }, log);
    hook(p, 'onUnload', function (this: any) {
      c.pageLeave(this);
    }, log);
    if (typeof p.onShareAppMessage === 'function') p.onShareAppMessage = this.shareHook(p.onShareAppMessage, 'wechat_friend');
    if (typeof p.onShareTimeline === 'function') p.onShareTimeline = this.shareHook(p.onShareTimeline, 'wechat_moments');
    return o;
  }

  /** wrapComponent wraps a Component whose methods hold page life-cycle handlers (a page built with Component). */
  wrapComponent<T extends object>(o: T): T {
    const m = o && (o as any).methods;
    if (m && (m.onLoad || m.onShow)) this.wrapPage(m);
    return o;
  }

  /** patch replaces the global App, Page and Component with wrapping versions. */
  private patch(): void {
    const c = this;
    if (typeof App === 'function') {
      const a = App;
      App = function (o: any) {
        return a(c.wrapApp(o));
      };
    }
    if (typeof Page === 'function') {
      const p = Page;
      Page = function (o: any) {
        return p(c.wrapPage(o));
      };
    }
    if (typeof Component === 'function') {
      const k = Component;
      Component = function (o: any) {
        return k(c.wrapComponent(o));
      };
    }
  }

  /** visit remembers the scene, campaign and referring app of the current visit. */
  private visit(opts: any): void {
    if (!opts) return;
    if (opts.scene != null) this.scene = +opts.scene;
    this.cmp = campaign(opts.query || {});
    const r = opts.referrerInfo;
    this.refr = r && r.appId ? { type: 'miniprogram', id: r.appId } : undefined;
  }

  private visitProps(opts: any, p: Props): Props {
    opts = opts || {};
    const r = opts.referrerInfo;
    return Object.assign(p, { scene: this.scene, path: opts.path, search: qs(opts.query), referrer_app_id: r && r.appId });
  }

  /** landing sends "Share Opened" once per share id and run when the query carries a share. */
  private landing(opts: any): void {
    const q = (opts && opts.query) || {};
    const id = q[SHARE_ID];
    if (!id || this.seen[id]) return;
    this.seen[id] = 1;
    this.track('Share Opened', {
      share_id: dec(String(id)),
      sharer_id: dec(String(q[SHARER] || '')),
      share_via: viaScene(this.scene),
      scene: this.scene,
      path: opts.path,
      product_id: q.product_id != null ? dec(String(q.product_id)) : undefined,
      is_new_user: this.isNew,
    });
  }

  private pageShow(pg: any): void {
    let s = this.pages.get(pg);
    if (!s) this.pages.set(pg, (s = { q: pg.options || {}, t: 0, shown: false }));
    s.t = Date.now();
    s.shown = true;
    const path = route(pg);
    this.path = path;
    this.page(undefined, { path, search: qs(s.q), referrer: this.prev });
    this.prev = path;
  }

  private pageLeave(pg: any): void {
    const s = this.pages.get(pg);
    if (!s || !s.shown) return;
    s.shown = false;
    this.track('Page Left', { path: route(pg), search: qs(s.q), duration: (Date.now() - s.t) / 1000 });
  }

  private shareHook(orig: Fn, via: string): Fn {
    const c = this;
    return function (this: any, res: any) {
      const r = orig.apply(this, arguments as any);
      try {
        return c.shared(this, r, via, res);
      } catch (e) {
        c.log(e);
        return r;
      }
    };
  }

  /**
   * shared tags what a share handler returned with a new share id and the sharer's
   * distinct id, and tracks "Product Shared" (when the handler's extra `jingyun` object has
   * a product_id) or "Page Shared". The `jingyun` key is removed before WeChat sees it.
   */
  private shared(pg: any, r: any, via: string, res: any): any {
    const out = Object.assign({}, r);
    const extra: Props = out.jingyun || {};
    delete out.jingyun;
    const id = uuid().replace(/-/g, '').slice(0, 16);
    const tag = SHARE_ID + '=' + id + '&' + SHARER + '=' + encodeURIComponent(this.getDistinctId());
    const s = this.pages.get(pg);
    const here = route(pg);
    const q = qs(s ? s.q : pg.options);
    const tagPath = (p: string) => {
      const i = p.indexOf('?');
      return (i < 0 ? p : p.slice(0, i)) + '?' + join(strip(i < 0 ? '' : p.slice(i + 1)), tag);
    };
    if (via === 'wechat_moments') {
      out.query = join(strip(out.query != null ? String(out.query) : q.slice(1)), tag);
    } else {
      out.path = tagPath(out.path != null ? String(out.path) : '/' + here + q);
      if (out.promise && typeof out.promise.then === 'function') {
        out.promise = out.promise.then((v: any) => (v && v.path ? Object.assign({}, v, { path: tagPath(String(v.path)) }) : v));
      }
    }
    const product = extra.product_id != null;
    this.track(
      product ? 'Product Shared' : 'Page Shared',
      Object.assign({ share_id: id, share_via: via, share_type: product ? 'product' : 'page', share_from: res && res.from, path: here }, extra),
    );
    return out;
  }

  protected load(key: string): string | null {
    try {
      const v = wx.getStorageSync(key);
      return typeof v === 'string' && v !== '' ? v : null;
    } catch (e) {
      return null;
    }
  }

  protected save(key: string, value: string): void {
    try {
      wx.setStorageSync(key, value);
    } catch (e) {
      this.log('cannot save ' + key, e);
    }
  }

  protected post(url: string, body: string, done: (a: Answer) => void): void {
    let called = false;
    const once = (a: Answer) => {
      if (!called) {
        called = true;
        done(a);
      }
    };
    try {
      wx.request({
        url,
        method: 'POST',
        data: body,
        dataType: 'text',
        header: { 'content-type': 'application/json' },
        success: (r: any) => {
          let ra = 0;
          for (const k in r.header || {}) if (k.toLowerCase() === 'retry-after') ra = +r.header[k] || 0;
          once({ status: r.statusCode, retryAfter: ra, body: typeof r.data === 'string' ? r.data : JSON.stringify(r.data || '') });
        },
        fail: () => once({ status: 0, retryAfter: 0, body: '' }),
      });
    } catch (e) {
      once({ status: 0, retryAfter: 0, body: '' });
    }
  }

  protected context(): Props {
    const c: Props = Object.assign({}, this.base);
    if (this.scene != null) c.scene = this.scene;
    if (this.path) c.page = { path: this.path };
    if (this.cmp) c.campaign = this.cmp;
    if (this.refr) c.referrer = this.refr;
    return c;
  }
}

/** route is the path of a page instance, without a leading slash ("pages/goods/detail"). */
function route(pg: any): string {
  let r = pg && (pg.route || pg.__route__);
  if (!r) {
    try {
      const ps = getCurrentPages();
      r = ps[ps.length - 1].route;
    } catch (e) {}
  }
  return String(r || '');
}

/** device is the static part of the context: library, app, os, device, screen, locale. */
function device(appName?: string): Props {
  let s: any = {};
  try {
    s = wx.getDeviceInfo && wx.getWindowInfo && wx.getAppBaseInfo
      ? Object.assign({}, wx.getAppBaseInfo(), wx.getDeviceInfo(), wx.getWindowInfo())
      : wx.getSystemInfoSync();
  } catch (e) {}
  let mp: any = {};
  try {
    mp = wx.getAccountInfoSync().miniProgram || {};
  } catch (e) {}
  const sys = String(s.system || '').split(' ');
  return {
    library: { name: 'jingyun-miniprogram', version: VERSION },
    app: { name: appName, id: mp.appId, version: mp.version || undefined, env: mp.envVersion },
    os: { name: sys[0] || s.platform, version: sys[1] },
    device: { brand: s.brand, model: s.model },
    screen: { width: s.screenWidth, height: s.screenHeight, density: s.pixelRatio },
    locale: s.language,
    wechat: { version: s.version, sdk: s.SDKVersion },
  };
}

/** jingyun is the app's client. */
export const jingyun = new MiniClient();
export default jingyun;
