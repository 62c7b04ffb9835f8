// End-to-end run of the mini-program build against a real Jingyun server, driven by the Go
// test sdk/e2e (which then checks the store). Every simulated phone is a separate JavaScript
// context (node:vm) with only what WeChat's logic layer has — wx, App, Page, Component,
// getCurrentPages, timers, console — and wx.request does real HTTP.
//
//   JY_HOST=http://127.0.0.1:PORT JY_WRITE_KEY=wk_… node miniprogram-run.cjs
//
// Story: Alice opens the shop from the recent list (scene 1089), views a product, shares it
// to a friend, then logs in (openid, then member id) and pays. Bob, a new user, opens her
// card from a single chat (1007), views the product, re-shares it to a group and logs in.
// Carol opens Bob's card from the group (1008) and stays anonymous. Alice comes back later
// while her network is flaky: the first request fails, the answer of the second is lost
// after the server stored it, and the events arrive once. It prints a JSON summary.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const HOST = process.env.JY_HOST;
const KEY = process.env.JY_WRITE_KEY;
if (!HOST || !KEY) {
  console.error('set JY_HOST and JY_WRITE_KEY');
  process.exit(2);
}
const BUNDLE = fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'miniprogram', 'index.js'), 'utf8');

/** phone returns a simulated WeChat client with its own storage and JS context. */
function phone(name, storage = new Map(), net = {}) {
  const ph = { name, storage, apps: [], pages: [], stack: [], sent: new Set(), requests: 0 };
  const wx = {
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    getSystemInfoSync: () => ({ system: 'Android 14', platform: 'android', brand: 'HUAWEI', model: 'Mate 60', screenWidth: 412, screenHeight: 915, pixelRatio: 3, language: 'zh_CN', version: '8.0.49', SDKVersion: '3.3.4' }),
    getAccountInfoSync: () => ({ miniProgram: { appId: 'wxe2e0000000000001', envVersion: 'release', version: '3.28.0' } }),
    getLaunchOptionsSync: () => ph.launch || {},
    onNetworkStatusChange: () => {},
    request(o) {
      const n = ph.requests++;
      if (net.failFirst && n === 0) return setTimeout(() => o.fail({ errMsg: 'request:fail timeout' }), 5);
      fetch(o.url, { method: 'POST', headers: o.header, body: o.data })
        .then(async (r) => {
          const text = await r.text();
          if (r.ok) for (const m of JSON.parse(o.data).batch) ph.sent.add(m.messageId);
          // The server stored the batch but the phone never hears back.
          if (net.loseSecondAnswer && n === 1) return o.fail({ errMsg: 'request:fail socket closed' });
          const header = {};
          r.headers.forEach((v, k) => (header[k] = v));
          o.success({ statusCode: r.status, header, data: text });
        })
        .catch((e) => o.fail({ errMsg: 'request:fail ' + e.message }));
    },
  };
  const ctx = {
    wx,
    console,
    setTimeout,
    clearTimeout,
    App: (o) => ph.apps.push(o),
    Page: (o) => ph.pages.push(o),
    Component: (o) => o,
    getCurrentPages: () => ph.stack.slice(),
    module: { exports: {} },
  };
  ctx.exports = ctx.module.exports;
  vm.createContext(ctx);
  vm.runInContext(BUNDLE, ctx, { filename: 'jingyun.js' });
  ph.ctx = ctx;
  ph.jy = ctx.module.exports;
  ph.jy.init({ writeKey: KEY, host: HOST, flushInterval: 200, retryBase: 100, retryMax: 400 });
  // app.js and the pages, as the app's own code registers them (through the wrapped globals).
  vm.runInContext(
    `App({ onLaunch() {}, globalData: {} });
     Page({});                                                        // pages/index/index
     Page({ onShareAppMessage() {                                     // pages/goods/detail
       const id = this.options.id;
       return { title: '好物推荐', path: '/pages/goods/detail?id=' + id, jingyun: { product_id: id } };
     } });`,
    ctx,
  );
  ph.app = ph.apps[0];
  ph.routes = { 'pages/index/index': ph.pages[0], 'pages/goods/detail': ph.pages[1] };
  /** launch is a cold start through launch options {scene, path, query}. */
  ph.start = (launch) => {
    ph.launch = launch;
    ph.app.onLaunch.call(ph.app, launch);
    ph.app.onShow.call(ph.app, launch);
    return ph.open(launch.path, launch.query);
  };
  /** open navigates to a page: the current page is hidden, the new one loaded and shown. */
  ph.open = (route, query = {}) => {
    const top = ph.stack[ph.stack.length - 1];
    if (top) ph.routes[top.route].onHide.call(top);
    const def = ph.routes[route];
    const inst = Object.assign(Object.create(def), { route, options: query });
    ph.stack.push(inst);
    def.onLoad.call(inst, query);
    def.onShow.call(inst);
    return inst;
  };
  /** share taps the share button on the top page and returns what WeChat would share. */
  ph.share = () => {
    const top = ph.stack[ph.stack.length - 1];
    return ph.routes[top.route].onShareAppMessage.call(top, { from: 'button' });
  };
  ph.hide = () => {
    const top = ph.stack[ph.stack.length - 1];
    if (top) ph.routes[top.route].onHide.call(top);
    ph.app.onHide.call(ph.app);
  };
  return ph;
}

/** landing turns a shared path into the launch options of the phone that opens it. */
function landing(sharedPath, scene) {
  const [p, qs] = sharedPath.replace(/^\//, '').split('?');
  const query = {};
  for (const kv of qs.split('&')) {
    const [k, v] = kv.split('=');
    query[k] = v; // WeChat hands query values over as they were written (still URI-encoded)
  }
  return { scene, path: p, query };
}

async function drain(ph) {
  for (let i = 0; i < 100 && ph.jy.queued() > 0; i++) {
    await ph.jy.flush();
    if (ph.jy.queued() > 0) await new Promise((r) => setTimeout(r, 100));
  }
  if (ph.jy.queued() > 0) throw new Error(ph.name + ': events still queued');
}

async function main() {
  const out = {};

  const alice = phone('alice');
  alice.start({ scene: 1089, path: 'pages/index/index', query: {} });
  alice.open('pages/goods/detail', { id: 'P100' });
  alice.jy.track('Product Viewed', { product_id: 'P100', price: 59.9, currency: 'CNY' });
  const aliceAnon = alice.jy.getAnonymousId();
  const aliceShare = alice.share();
  alice.jy.setOpenid('oAlice000000000000000000001');
  alice.jy.identify('member-alice', { city: '上海' });
  alice.jy.track('Order Completed', { order_id: 'O1', total: 59.9, currency: 'CNY' });
  alice.hide();
  await drain(alice);

  const bob = phone('bob');
  bob.start(landing(aliceShare.path, 1007));
  bob.jy.track('Product Viewed', { product_id: 'P100', price: 59.9, currency: 'CNY' });
  const bobAnon = bob.jy.getAnonymousId();
  const bobShare = bob.share();
  bob.jy.identify('member-bob');
  bob.hide();
  await drain(bob);

  const carol = phone('carol');
  carol.start(landing(bobShare.path, 1008));
  carol.hide();
  await drain(carol);

  // Alice again, same phone (same storage), flaky network.
  const again = phone('alice-again', alice.storage, { failFirst: true, loseSecondAnswer: true });
  again.start({ scene: 1089, path: 'pages/index/index', query: {} });
  again.jy.track('Coupon Received', { coupon_id: 'C9' });
  again.hide();
  await drain(again);
  if (again.requests < 3) throw new Error('the flaky network was not exercised: ' + again.requests + ' requests');

  out.alice = { anonymousId: aliceAnon, sharePath: aliceShare.path, againAnonymousId: again.jy.getAnonymousId() };
  out.bob = { anonymousId: bobAnon, sharePath: bobShare.path };
  out.carol = { anonymousId: carol.jy.getAnonymousId() };
  out.messageIds = [...alice.sent, ...bob.sent, ...carol.sent, ...again.sent];
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
