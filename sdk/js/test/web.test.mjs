// Unit tests of the web build (dist/jingyun.web.mjs) on a simulated browser (support/fake-web.mjs).
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll, web } from './support/fake-web.mjs';

const WK = 'wk_web';
const HOST = 'http://127.0.0.1:9/';
const init = (p, o = {}) => p.jy.init({ writeKey: WK, host: HOST, flushAt: 1000, flushInterval: 60000, ...o });
const settle = () => new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)));

afterEach(() => {
  mock.timers.reset();
  stopAll();
});

test('the first page view carries path, search, title, referrer, UTM campaign and context', async () => {
  const p = await web('https://shop.example.com/goods/42?utm_source=wechat&utm_medium=article&utm_campaign=double11&x=1', {
    referrer: 'https://mp.weixin.qq.com/s/abc', title: '商品详情',
  });
  init(p);
  await p.jy.flush();
  const [view] = p.sent();
  assert.equal(view.type, 'page');
  assert.deepEqual(view.properties, {
    path: '/goods/42', referrer: 'https://mp.weixin.qq.com/s/abc',
    search: '?utm_source=wechat&utm_medium=article&utm_campaign=double11&x=1', title: '商品详情',
    url: 'https://shop.example.com/goods/42?utm_source=wechat&utm_medium=article&utm_campaign=double11&x=1',
  });
  assert.deepEqual(view.context.campaign, { source: 'wechat', medium: 'article', name: 'double11' });
  assert.equal(view.context.page.path, '/goods/42');
  assert.equal(view.context.library.name, 'jingyun-web');
  assert.equal(view.context.locale, 'zh-CN');
  assert.match(view.context.userAgent, /MicroMessenger/);
  assert.equal(p.requests[0].url, 'http://127.0.0.1:9/v1/batch');
});

test('requests are simple CORS requests: text/plain, the write key in the body, no cookies', async () => {
  const p = await web('https://shop.example.com/');
  init(p, { autoPageview: false });
  p.jy.track('Product Viewed', { product_id: 'P1' });
  await p.jy.flush();
  const r = p.requests[0];
  assert.deepEqual(r.headers, { 'Content-Type': 'text/plain' });
  assert.equal(r.init.credentials, 'omit');
  assert.equal(r.body.writeKey, WK);
  assert.match(r.body.sentAt, /^\d{4}-\d\d-\d\dT/);
  assert.match(r.body.batch[0].messageId, /^[0-9a-f-]{36}$/);
});

test('history-API navigation tracks page views and Page Left with the time on page', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const p = await web('https://shop.example.com/', { referrer: 'https://www.baidu.com/' });
  init(p);
  mock.timers.tick(3000);
  history.pushState({}, '', '/goods/7?from=home');
  history.replaceState({}, '', '/goods/7?from=home'); // same URL: no page view
  mock.timers.tick(1200);
  p.popTo('https://shop.example.com/');
  mock.timers.reset();
  await p.jy.flush();
  const s = p.sent().map((m) => [m.type, m.event || '', m.properties.path, m.properties.referrer || '', m.properties.duration]);
  assert.deepEqual(s, [
    ['page', '', '/', 'https://www.baidu.com/', undefined],
    ['track', 'Page Left', '/', '', 3],
    ['page', '', '/goods/7', 'https://shop.example.com/', undefined],
    ['track', 'Page Left', '/goods/7', '', 1.2],
    ['page', '', '/', 'https://shop.example.com/goods/7?from=home', undefined],
  ]);
});

test('the anonymous id and the queue live in localStorage', async () => {
  const first = await web('https://shop.example.com/', { answer: () => null });
  init(first, { retryBase: 60000 });
  first.jy.track('Product Added');
  await first.jy.flush();
  const a = first.jy.getAnonymousId();
  const next = await web('https://shop.example.com/cart', { storage: first.storage });
  init(next, { autoPageview: false });
  assert.equal(next.jy.getAnonymousId(), a);
  await next.jy.flush();
  assert.deepEqual(next.delivered.map((m) => m.event || m.type), ['page', 'Product Added']);
});

test('hiding the page hands the queue to sendBeacon; what it refuses stays for the next visit', async () => {
  const p = await web('https://shop.example.com/');
  init(p);
  p.jy.identify('m7', { city: '北京' });
  p.hide();
  assert.equal(p.beacons.length, 1);
  const b = p.beacons[0];
  assert.equal(b.type, 'string', 'a string body is sent as text/plain: no preflight');
  assert.equal(b.url, 'http://127.0.0.1:9/v1/batch');
  assert.equal(b.body.writeKey, WK);
  assert.deepEqual(b.body.batch.map((m) => m.type), ['page', 'identify']);
  assert.equal(p.jy.queued(), 0);

  p.beaconOK = false;
  p.jy.track('Checkout Started');
  p.emit('pagehide');
  assert.equal(p.jy.queued(), 2, 'Checkout Started and Page Left stay queued');
  const next = await web('https://shop.example.com/', { storage: p.storage });
  init(next, { autoPageview: false });
  await next.jy.flush();
  assert.deepEqual(next.delivered.map((m) => m.event), ['Checkout Started', 'Page Left']);
});

test('big queues are split into beacons of at most about 20 KB', async () => {
  const p = await web('https://shop.example.com/');
  init(p, { autoPageview: false, maxQueueSize: 1000 });
  for (let i = 0; i < 60; i++) p.jy.track('Product List Viewed', { filler: 'x'.repeat(1000), i });
  p.hide();
  assert.ok(p.beacons.length >= 3, String(p.beacons.length));
  for (const b of p.beacons) assert.ok(JSON.stringify(b.body).length < 24000);
  assert.equal(p.beacons.flatMap((b) => b.body.batch).length, 60);
});

test('a failed send retries with backoff and at once when the browser is back online', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  let up = false;
  const p = await web('https://shop.example.com/', { answer: () => (up ? { status: 200, body: '{}' } : { status: 503, body: '' }) });
  init(p, { autoPageview: false });
  p.jy.track('Order Completed', { order_id: 'o1', total: 128.5 });
  assert.equal(await p.jy.flush(), false);
  up = true;
  p.emit('online');
  await settle();
  assert.equal(p.requests.length, 2);
  assert.equal(p.jy.queued(), 0);
  assert.equal(p.requests[0].body.batch[0].messageId, p.requests[1].body.batch[0].messageId);
});

test('reset starts a new anonymous id; identify and optOut work as on the mini-program', async () => {
  const p = await web('https://shop.example.com/');
  init(p, { autoPageview: false });
  const a = p.jy.getAnonymousId();
  p.jy.identify('m1');
  assert.equal(p.jy.getDistinctId(), 'm1');
  p.jy.reset();
  assert.notEqual(p.jy.getAnonymousId(), a);
  assert.equal(p.jy.getUserId(), undefined);
  p.jy.optOut();
  p.jy.page();
  assert.equal(p.jy.queued(), 0);
});
