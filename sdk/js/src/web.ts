// Web / H5 target: localStorage persistence, fetch transport (a simple CORS request, no
// preflight), sendBeacon when the page is hidden, automatic page views including history-API
// navigation, "Page Left" with the time on page, UTM and referrer capture.

import { Client, VERSION, campaign, parseQuery } from './core';
import type { Answer, Options, Props } from './core';

export type { Answer, Message, Options, Props } from './core';

/** WebOptions are Options plus the web's automatic tracking switches. */
export interface WebOptions extends Options {
  /** Track the first page view and every history-API navigation (default true). */
  autoPageview?: boolean;
  /** Track "Page Left" with duration (seconds on the page) on navigation and unload (default true). */
  pageLeave?: boolean;
}

/** WebClient is the browser SDK. One instance, `jingyun`, is exported and is what the script tag installs. */
export class WebClient extends Client {
  private mem: Record<string, string> = {};
  private cmp?: Props;
  private ref = '';
  private leaveOn = true;
  private cur?: { path: string; url: string; ref: string; t: number };

  /** init configures the client and starts automatic tracking. */
  init(options: WebOptions): this {
    if (this.ready) return this;
    super.init(options);
    this.cmp = campaign(parseQuery(location.search));
    this.ref = document.referrer;
    this.leaveOn = options.pageLeave !== false;
    if (options.autoPageview !== false) {
      const self = this;
      for (const k of ['pushState', 'replaceState'] as const) {
        const orig = history[k];
        history[k] = function (this: History) {
          const r = orig.apply(this, arguments as any);
          self.nav();
          return r;
        };
      }
      addEventListener('popstate', () => this.nav());
      this.page();
    }
    addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.beacon();
    });
    addEventListener('pagehide', () => {
      this.leave();
      this.beacon();
    });
    addEventListener('online', () => this.retryNow());
    return this;
  }

  /**
   * page records a page view with path, referrer, search, title and url (what Segment's
   * analytics.js sends). Automatic page views call it; call it yourself with
   * autoPageview: false.
   */
  page(name?: string, properties?: Props): void {
    if (!this.on()) return;
    this.leave();
    const p = this.where();
    this.cur = { path: p.path as string, url: p.url as string, ref: this.ref, t: Date.now() };
    super.page(name, Object.assign(p, properties));
    this.ref = p.url as string;
  }

  private nav(): void {
    if (!this.cur || this.cur.url !== location.href) this.page();
  }

  private leave(): void {
    const c = this.cur;
    if (c && this.leaveOn && this.on()) {
      this.track('Page Left', { path: c.path, url: c.url, duration: Math.round(Date.now() - c.t) / 1000 });
    }
    this.cur = undefined;
  }

  private where(): Props {
    return { path: location.pathname, referrer: this.cur ? this.cur.ref : this.ref, search: location.search, title: document.title, url: location.href };
  }

  /** beacon hands the queue to sendBeacon in chunks the browser accepts; what it refuses stays queued. */
  private beacon(): void {
    if (!this.ready || typeof navigator === 'undefined' || !navigator.sendBeacon) return;
    const q = this.pending().slice();
    while (q.length) {
      let n = 0;
      let size = 0;
      while (n < q.length && (n === 0 || size < 20000)) size += JSON.stringify(q[n++]).length;
      const chunk = q.splice(0, n);
      let ok = false;
      try {
        ok = navigator.sendBeacon(this.url(), this.body(chunk));
      } catch (e) {}
      this.log('beacon', chunk.length, ok);
      if (!ok) return;
      this.remove(chunk);
    }
  }

  protected load(key: string): string | null {
    try {
      return localStorage.getItem(key);
    } catch (e) {
      return key in this.mem ? this.mem[key] : null;
    }
  }

  protected save(key: string, value: string): void {
    this.mem[key] = value;
    try {
      localStorage.setItem(key, value);
    } catch (e) {}
  }

  protected post(url: string, body: string, done: (a: Answer) => void): void {
    const none = { status: 0, retryAfter: 0, body: '' };
    fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' }, credentials: 'omit', keepalive: body.length < 20000 })
      .then(
        (r) => {
          const a = { status: r.status, retryAfter: +(r.headers.get('Retry-After') || 0) || 0 };
          return r.text().then((body) => Object.assign(a, { body }), () => Object.assign(a, { body: '' }));
        },
        () => none,
      )
      .then(done);
  }

  protected context(): Props {
    const c: Props = {
      library: { name: 'jingyun-web', version: VERSION },
      page: this.where(),
      userAgent: navigator.userAgent,
      locale: navigator.language,
      screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    };
    try {
      c.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {}
    if (this.cmp) c.campaign = this.cmp;
    return c;
  }
}

/** jingyun is the page's client. */
export const jingyun = new WebClient();
export default jingyun;
