// A small simulated browser for unit tests of the web build in Node: location and history,
// document, localStorage, navigator.sendBeacon, window events and fetch answered by a
// handler the test controls. The real browser is exercised by the end-to-end test.

let n = 0;

/** pages lists every simulated page, so tests can stop their clients afterwards. */
export const pages = [];

/**
 * web installs a fresh simulated page at url and imports a fresh copy of the web build.
 * storage may be passed to simulate the next visit of the same browser.
 */
export async function web(url, opts = {}) {
  const storage = opts.storage || new Map();
  const page = {
    storage,
    requests: [], // fetch calls: {url, body, headers}
    beacons: [], // sendBeacon calls: {url, body}
    delivered: [],
    listeners: {},
    beaconOK: true,
    answer: opts.answer || (() => ({ status: 200, body: '{"success":true}' })),
  };
  const loc = {};
  const setURL = (u) => {
    const x = new URL(u, loc.href || undefined);
    Object.assign(loc, { href: x.href, pathname: x.pathname, search: x.search, hash: x.hash, origin: x.origin });
  };
  setURL(url);
  page.location = loc;
  const g = globalThis;
  g.window = g;
  g.location = loc;
  g.document = { referrer: opts.referrer || '', title: opts.title || '首页', visibilityState: 'visible' };
  g.history = {
    pushState(_s, _t, u) {
      setURL(u);
    },
    replaceState(_s, _t, u) {
      if (u != null) setURL(u);
    },
  };
  g.localStorage = {
    getItem: (k) => (storage.has(k) ? storage.get(k) : null),
    setItem: (k, v) => storage.set(k, String(v)),
    removeItem: (k) => storage.delete(k),
  };
  Object.defineProperty(g, 'navigator', {
    configurable: true,
    value: {
      userAgent: 'Mozilla/5.0 (test) MicroMessenger/8.0',
      language: 'zh-CN',
      sendBeacon(u, body) {
        page.beacons.push({ url: u, body: JSON.parse(body), type: typeof body });
        if (page.beaconOK) page.delivered.push(...JSON.parse(body).batch);
        return page.beaconOK;
      },
    },
  });
  g.screen = { width: 390, height: 844 };
  g.devicePixelRatio = 3;
  g.addEventListener = (type, fn) => (page.listeners[type] = page.listeners[type] || []).push(fn);
  g.fetch = async (u, init) => {
    const req = { url: u, body: JSON.parse(init.body), headers: init.headers, init };
    page.requests.push(req);
    const a = await page.answer(req);
    if (!a) throw new TypeError('Failed to fetch');
    req.status = a.status;
    if (a.status >= 200 && a.status < 300) page.delivered.push(...req.body.batch);
    return new Response(a.body || '', { status: a.status, headers: a.headers || {} });
  };
  /** emit fires a window event such as pagehide or online. */
  page.emit = (type) => (page.listeners[type] || []).forEach((fn) => fn({ type }));
  /** hide makes the tab hidden, as switching tabs or locking the phone does. */
  page.hide = () => {
    g.document.visibilityState = 'hidden';
    page.emit('visibilitychange');
  };
  /** popTo goes back to url, as the back button does. */
  page.popTo = (u) => {
    setURL(u);
    page.emit('popstate');
  };
  page.sent = () => page.requests.flatMap((r) => r.body.batch);
  const mod = await import(new URL('../../dist/jingyun.web.mjs?copy=' + n++, import.meta.url).href);
  page.jy = mod.jingyun;
  pages.push(page);
  return page;
}

/** stopAll opts every client out, which cancels its timers, so the test process can exit. */
export function stopAll() {
  for (const p of pages.splice(0)) p.jy.optOut();
}
