// Runs the integration guide's mini-program (docs/examples/miniprogram) on a simulated WeChat
// logic layer, so the code the docs show is code that works.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'docs', 'examples', 'miniprogram');
const BUNDLE = path.join(__dirname, '..', 'dist', 'miniprogram', 'index.js');

/** weapp loads app.js and the pages in one JS context, with require resolving like WeChat's. */
function weapp(launch) {
  const w = { sent: [], apps: [], pages: {}, storage: new Map(), pending: [] };
  const product = { id: 'P1', sku: 'P1-500g', name: '云南小粒咖啡豆', category: '咖啡', brand: '鲸云', price: 59.9, image: 'https://img.example/p1.jpg' };
  const reply = (o, data, status = 200) => w.pending.push(() => o.success && o.success({ statusCode: status, data, header: {} }));
  const wx = {
    getStorageSync: (k) => (w.storage.has(k) ? w.storage.get(k) : ''),
    setStorageSync: (k, v) => w.storage.set(k, v),
    getSystemInfoSync: () => ({ system: 'iOS 17.5', brand: 'Apple', model: 'iPhone 15', language: 'zh_CN' }),
    getLaunchOptionsSync: () => launch,
    onNetworkStatusChange() {},
    login: (o) => w.pending.push(() => o.success({ code: 'code-1' })),
    request(o) {
      if (o.url === 'https://jy.example-shop.com/v1/batch') {
        w.sent.push(...JSON.parse(o.data).batch);
        return reply(o, '{"success":true}');
      }
      if (o.url.endsWith('/wx/session')) return reply(o, { openid: 'oExample1', unionid: 'uExample1', member: null });
      if (o.url.endsWith('/products/P1')) return reply(o, product);
      if (o.url.endsWith('/cart')) return reply(o, {});
      throw new Error('unexpected request ' + o.url);
    },
  };
  let route = '';
  const ctx = vm.createContext({
    wx,
    console,
    setTimeout,
    clearTimeout,
    App: (o) => w.apps.push(o),
    Page: (o) => (w.pages[route] = o),
    Component: (o) => o,
    getCurrentPages: () => [],
  });
  const cache = {};
  const load = (file) => {
    if (cache[file]) return cache[file].exports;
    const real = file === path.join(EXAMPLE, 'utils', 'jingyun.js') ? BUNDLE : file;
    const mod = (cache[file] = { exports: {} });
    const fn = vm.runInContext('(function (require, module, exports) {' + fs.readFileSync(real, 'utf8') + '\n})', ctx, { filename: real });
    fn((p) => load(path.resolve(path.dirname(file), p)), mod, mod.exports);
    return mod.exports;
  };
  load(path.join(EXAMPLE, 'app.js'));
  for (const r of JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'app.json'), 'utf8')).pages) {
    route = r;
    load(path.join(EXAMPLE, r + '.js'));
  }
  w.jy = load(path.join(EXAMPLE, 'utils', 'jingyun.js'));
  w.app = w.apps[0];
  /** run answers every pending wx callback, as the event loop would. */
  w.run = () => {
    while (w.pending.length) w.pending.shift()();
  };
  w.open = (r, query) => {
    const def = w.pages[r];
    const inst = Object.assign(Object.create(def), {
      route: r,
      options: query,
      data: Object.assign({}, def.data),
      setData(d) {
        Object.assign(this.data, d);
      },
    });
    def.onLoad.call(inst, query);
    def.onShow.call(inst);
    return inst;
  };
  return w;
}

test('the guide\'s app.js and product page track launch, views, cart, share and login', async () => {
  const launch = { scene: 1047, path: 'pages/goods/detail', query: { id: 'P1' } };
  const w = weapp(launch);
  w.app.onLaunch.call(w.app, launch);
  w.app.onShow.call(w.app, launch);
  w.run(); // wx.login and the session request answer
  const page = w.open('pages/goods/detail', launch.query);
  w.run();
  w.pages['pages/goods/detail'].addToCart.call(page);
  const shared = w.pages['pages/goods/detail'].onShareAppMessage.call(page, { from: 'button' });
  w.app.onMemberLogin({ id: 'm10086', level: '金卡', city: '杭州', registeredAt: '2024-05-01' });
  const flushed = w.jy.flush();
  w.run();
  assert.equal(await flushed, true);

  assert.equal(shared.jingyun, undefined);
  assert.match(shared.path, /^\/pages\/goods\/detail\?id=P1&source=share&jy_share=\w{16}&jy_sharer=/);
  const names = w.sent.map((m) => m.event || m.type);
  assert.deepEqual(names, ['App Launched', 'App Shown', 'identify', 'page', 'Product Viewed', 'Product Added', 'Product Shared', 'alias', 'identify']);
  for (const m of w.sent) assert.equal(m.context.scene, 1047, m.event || m.type);
  const by = (n) => w.sent.find((m) => (m.event || m.type) === n);
  assert.equal(by('Product Viewed').properties.price, 59.9);
  assert.equal(by('Product Viewed').userId, 'uExample1', 'the unionid identifies the person until the member logs in');
  assert.equal(by('Product Shared').properties.product_id, 'P1');
  assert.deepEqual([by('alias').previousId, by('alias').userId], ['uExample1', 'm10086']);
  assert.equal(w.sent.at(-1).traits.member_level, '金卡');
});
