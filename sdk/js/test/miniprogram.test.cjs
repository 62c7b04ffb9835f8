// Unit tests of the mini-program target on a simulated wx (see fake-wx.cjs), through the
// built CommonJS bundle that apps ship.
'use strict';

const { test, mock, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { mini, settle, stopAll } = require('./support/fake-wx.cjs');

const WK = 'wk_test';
const HOST = 'https://jy.example.com';
const init = (d, o = {}) => d.jy.init({ writeKey: WK, host: HOST, flushAt: 1000, flushInterval: 60000, ...o });
const named = (d, e) => d.sent().filter((m) => (m.event || '$' + m.type) === e);

afterEach(() => {
  mock.timers.reset();
  stopAll();
});

test('the anonymous id is persisted and first_launch is true only on the first run', async () => {
  const d1 = mini();
  init(d1);
  App({ onLaunch() {} });
  d1.start({ scene: 1089, path: 'pages/index/index', query: {} });
  await d1.jy.flush();
  const a = d1.jy.getAnonymousId();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(named(d1, 'App Launched')[0].properties.first_launch, true);

  const d2 = mini({ storage: d1.storage });
  init(d2);
  App({});
  d2.start();
  await d2.jy.flush();
  assert.equal(d2.jy.getAnonymousId(), a);
  assert.equal(named(d2, 'App Launched')[0].properties.first_launch, false);
  assert.equal(named(d2, 'App Launched')[0].anonymousId, a);
});

test('launch, show and hide carry the scene, referrer app and campaign; hide flushes', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2024-05-01T12:00:00Z') });
  const d = mini();
  init(d);
  let userLaunch = 0;
  App({ onLaunch() { userLaunch++; }, globalData: {} });
  d.start({ scene: 1037, path: 'pages/index/index', query: { utm_source: 'kol', utm_campaign: '618' }, referrerInfo: { appId: 'wxother' } });
  assert.equal(userLaunch, 1, 'the app\'s own onLaunch still runs');
  mock.timers.tick(30_000); // under flushInterval (60 s) and flushAt: nothing sent yet
  await settle();
  assert.equal(d.requests.length, 0);
  mock.timers.tick(15_000);
  d.apps[0].onHide.call(d.apps[0]);
  await settle();
  const names = d.sent().map((m) => m.event);
  assert.deepEqual(names, ['App Launched', 'App Shown', 'App Hidden']);
  const [launch, , hide] = d.sent();
  assert.equal(launch.type, 'track');
  assert.equal(launch.properties.scene, 1037);
  assert.equal(launch.properties.referrer_app_id, 'wxother');
  assert.equal(launch.context.scene, 1037);
  assert.deepEqual(launch.context.campaign, { source: 'kol', name: '618' });
  assert.deepEqual(launch.context.referrer, { type: 'miniprogram', id: 'wxother' });
  assert.equal(launch.context.library.name, 'jingyun-miniprogram');
  assert.deepEqual(launch.context.os, { name: 'iOS', version: '17.5.1' });
  assert.equal(launch.context.app.id, 'wx1234567890');
  assert.equal(hide.properties.duration, 45);
  assert.equal(launch.timestamp, '2024-05-01T12:00:00.000Z');
  const body = d.requests[0].body;
  assert.equal(body.writeKey, WK);
  assert.equal(body.sentAt, '2024-05-01T12:00:45.000Z', 'sentAt is the send time so the server corrects clock skew');
  assert.equal(d.requests[0].url, HOST + '/v1/batch');
});

test('the scene of a hot start replaces the scene of the launch', async () => {
  const d = mini();
  init(d);
  App({});
  d.start({ scene: 1089, path: 'pages/index/index', query: {} });
  d.apps[0].onHide();
  d.apps[0].onShow({ scene: 1014, path: 'pages/order/list', query: {} });
  d.jy.track('Order List Viewed');
  await d.jy.flush();
  const last = d.sent().at(-1);
  assert.equal(last.context.scene, 1014);
  assert.deepEqual(named(d, 'App Shown').map((m) => m.properties.scene), [1089, 1014]);
});

test('page views carry path, query and referrer; Page Left carries the time on page', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const d = mini();
  init(d);
  App({});
  let loaded = null;
  Page({ onLoad(q) { loaded = q; } });
  Page({});
  const [home, detail] = d.pages;
  d.start();
  const h = d.open(home, 'pages/index/index');
  assert.deepEqual(loaded, {}, 'the page\'s own onLoad still runs');
  mock.timers.tick(2500);
  home.onHide.call(h);
  const p = d.open(detail, 'pages/goods/detail', { id: 'P10001', from: 'rec' });
  mock.timers.tick(1500);
  detail.onUnload.call(p);
  detail.onUnload.call(p); // a second unload does not leave twice
  await d.jy.flush();
  const views = named(d, '$page');
  assert.equal(views.length, 2);
  assert.deepEqual(views[1].properties, { path: 'pages/goods/detail', search: '?id=P10001&from=rec', referrer: 'pages/index/index' });
  assert.deepEqual(views[1].context.page, { path: 'pages/goods/detail' });
  const left = named(d, 'Page Left');
  assert.deepEqual(left.map((m) => [m.properties.path, m.properties.duration]), [['pages/index/index', 2.5], ['pages/goods/detail', 1.5]]);
  d.jy.track('Product Viewed', { product_id: 'P10001' });
  await d.jy.flush();
  assert.equal(named(d, 'Product Viewed')[0].context.page.path, 'pages/goods/detail');
});

test('pages built with Component are wrapped through their methods', async () => {
  const d = mini();
  init(d);
  Component({ methods: { onLoad() {}, tap() {} } });
  Component({ properties: {}, methods: { tap() {} } });
  const def = d.components[0].methods;
  assert.equal(typeof d.components[1].methods.onShow, 'undefined', 'plain components are left alone');
  d.open(def, 'pages/cart/index');
  await d.jy.flush();
  assert.equal(named(d, '$page')[0].properties.path, 'pages/cart/index');
});

test('a share adds share id and sharer to the path and tracks Product Shared', async () => {
  const d = mini();
  init(d);
  App({});
  Page({
    onShareAppMessage(res) {
      return { title: '好物', path: '/pages/goods/detail?id=P1', jingyun: { product_id: 'P1', price: 59.9 } };
    },
  });
  d.start();
  const pg = d.open(d.pages[0], 'pages/goods/detail', { id: 'P1' });
  const out = d.pages[0].onShareAppMessage.call(pg, { from: 'button' });
  assert.equal(out.title, '好物');
  assert.equal(out.jingyun, undefined, 'the jingyun key does not reach WeChat');
  const m = out.path.match(/^\/pages\/goods\/detail\?id=P1&jy_share=([0-9a-f]{16})&jy_sharer=([^&]+)$/);
  assert.ok(m, out.path);
  assert.equal(decodeURIComponent(m[2]), d.jy.getDistinctId());
  await d.jy.flush();
  const [shared] = named(d, 'Product Shared');
  assert.deepEqual(shared.properties, {
    share_id: m[1], share_via: 'wechat_friend', share_type: 'product', share_from: 'button',
    path: 'pages/goods/detail', product_id: 'P1', price: 59.9,
  });
});

test('share paths: default path, re-shares, timeline query and the async promise form', async () => {
  const d = mini();
  init(d);
  Page({ onShareAppMessage() {}, onShareTimeline() { return { title: 't' }; } });
  Page({ onShareAppMessage() { return { path: '/pages/group/index?gid=9', promise: Promise.resolve({ title: 'x', path: '/pages/group/index?gid=10' }) }; } });
  const [goods, group] = d.pages;
  // Opened through somebody else's share: the query carries their share parameters.
  const pg = d.open(goods, 'pages/goods/detail', { id: 'P2', jy_share: 'old', jy_sharer: 'someone' });
  const friend = goods.onShareAppMessage.call(pg, { from: 'menu' });
  assert.match(friend.path, /^\/pages\/goods\/detail\?id=P2&jy_share=[0-9a-f]{16}&jy_sharer=/);
  assert.doesNotMatch(friend.path, /old|someone/);
  const moments = goods.onShareTimeline.call(pg);
  assert.match(moments.query, /^id=P2&jy_share=[0-9a-f]{16}&jy_sharer=/);
  assert.equal(moments.title, 't');
  const g = d.open(group, 'pages/group/index', { gid: '9' });
  const asy = group.onShareAppMessage.call(g, {});
  const later = await asy.promise;
  const sid = asy.path.match(/jy_share=(\w+)/)[1];
  assert.equal(later.path.match(/jy_share=(\w+)/)[1], sid, 'the async path carries the same share id');
  assert.match(later.path, /^\/pages\/group\/index\?gid=10&/);
  await d.jy.flush();
  const shares = named(d, 'Page Shared');
  assert.deepEqual(shares.map((m) => m.properties.share_via), ['wechat_friend', 'wechat_moments', 'wechat_friend']);
  assert.equal(new Set(shares.map((m) => m.properties.share_id)).size, 3);
});

test('a landing through a share sends Share Opened once, with the sharer', async () => {
  const d = mini({ launch: { scene: 1008, path: 'pages/goods/detail', query: { id: 'P1', jy_share: 'abc123', jy_sharer: 'o%2Fsharer' } } });
  init(d);
  App({});
  Page({});
  d.start();
  d.open(d.pages[0], 'pages/goods/detail', d.launch.query);
  await d.jy.flush();
  const opened = named(d, 'Share Opened');
  assert.equal(opened.length, 1);
  assert.deepEqual(opened[0].properties, {
    share_id: 'abc123', sharer_id: 'o/sharer', share_via: 'wechat_group', scene: 1008, path: 'pages/goods/detail', is_new_user: true,
  });
  assert.equal(opened[0].context.scene, 1008);
});

test('identify links the anonymous id; openid helpers alias to the member id; reset forgets', async () => {
  const d = mini();
  init(d);
  const anon = d.jy.getAnonymousId();
  d.jy.track('Product Viewed');
  d.jy.setOpenid('o_open_1');
  assert.equal(d.jy.getUserId(), 'o_open_1');
  d.jy.track('Product Added');
  d.jy.identify('m42', { city: '上海', $set_once: { first_scene: 1007 } });
  d.jy.track('Order Completed', { order_id: 'o1', total: 59.9 });
  d.jy.identify('m42'); // same id again: no alias
  d.jy.reset();
  d.jy.track('Product Viewed');
  await d.jy.flush();
  const s = d.sent();
  const short = s.map((m) => [m.type, m.event || '', m.userId || '', m.previousId || '', m.anonymousId === anon ? 'A' : 'new']);
  assert.deepEqual(short, [
    ['track', 'Product Viewed', '', '', 'A'],
    ['identify', '', 'o_open_1', '', 'A'],
    ['track', 'Product Added', 'o_open_1', '', 'A'],
    ['alias', '', 'm42', 'o_open_1', 'A'],
    ['identify', '', 'm42', '', 'A'],
    ['track', 'Order Completed', 'm42', '', 'A'],
    ['identify', '', 'm42', '', 'A'],
    ['track', 'Product Viewed', '', '', 'new'],
  ]);
  assert.deepEqual(s[1].traits, { openid: 'o_open_1' });
  assert.equal(s[2].context.openid, 'o_open_1');
  assert.deepEqual(s[4].traits, { city: '上海', $set_once: { first_scene: 1007 } });
  assert.equal(s[7].context.openid, undefined);
});

test('a unionid is preferred as user id; a member id is never replaced by an openid', async () => {
  const d = mini();
  init(d);
  d.jy.setOpenid('o1');
  d.jy.setOpenid('o1', 'u1');
  d.jy.identify('m1');
  d.jy.setOpenid('o1', 'u1');
  await d.jy.flush();
  assert.deepEqual(
    d.sent().filter((m) => m.type === 'alias').map((m) => [m.previousId, m.userId]),
    [['o1', 'u1'], ['u1', 'm1']],
  );
  assert.equal(d.jy.getUserId(), 'm1');
  assert.deepEqual(d.sent().at(-1).context.unionid, 'u1');
});

test('alias and group send Segment messages', async () => {
  const d = mini();
  init(d);
  d.jy.alias('m9');
  d.jy.group('store-7', { city: '杭州' });
  await d.jy.flush();
  const [a, g] = d.sent();
  assert.equal(a.type, 'alias');
  assert.equal(a.previousId, d.jy.getAnonymousId());
  assert.equal(a.userId, 'm9');
  assert.equal(g.groupId, 'store-7');
});

test('batches by size and by time', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const d = mini();
  init(d, { flushAt: 3, flushInterval: 5000 });
  d.jy.track('a');
  d.jy.track('b');
  mock.timers.tick(10);
  await settle();
  assert.equal(d.requests.length, 0);
  d.jy.track('c');
  mock.timers.tick(0);
  await settle();
  assert.equal(d.requests.length, 1);
  assert.equal(d.requests[0].body.batch.length, 3);
  d.jy.track('d');
  mock.timers.tick(4999);
  await settle();
  assert.equal(d.requests.length, 1);
  mock.timers.tick(1);
  await settle();
  assert.equal(d.requests.length, 2);
  assert.equal(d.jy.queued(), 0);
});

test('large queues go out in requests of maxBatchSize', async () => {
  const d = mini();
  init(d, { maxBatchSize: 4 });
  for (let i = 0; i < 10; i++) d.jy.track('e' + i);
  assert.equal(await d.jy.flush(), true);
  assert.deepEqual(d.requests.map((r) => r.body.batch.length), [4, 4, 2]);
});

test('retries honour Retry-After and back off; nothing is delivered twice', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const answers = [
    { status: 503, headers: { 'Retry-After': '7' }, body: '{"error":{"code":"overloaded"}}' },
    null, // network failure
    { status: 500, body: '' },
    { status: 200, body: '{"success":true}' },
  ];
  const d = mini({ answer: () => answers.shift() });
  init(d, { retryBase: 1000, retryMax: 4000 });
  d.jy.track('Order Completed');
  d.jy.track('Order Refunded');
  const done = d.jy.flush();
  await settle();
  assert.equal(await done, false, 'flush reports a failed send');
  assert.equal(d.requests.length, 1);
  mock.timers.tick(6999);
  await settle();
  assert.equal(d.requests.length, 1, 'not before Retry-After');
  mock.timers.tick(1);
  await settle();
  assert.equal(d.requests.length, 2);
  mock.timers.tick(2000); // second failure: backoff ≤ 2 s
  await settle();
  assert.equal(d.requests.length, 3);
  mock.timers.tick(4000);
  await settle();
  assert.equal(d.requests.length, 4);
  assert.equal(d.jy.queued(), 0);
  const ids = d.requests.map((r) => r.body.batch.map((m) => m.messageId).join());
  assert.equal(new Set(ids).size, 1, 'every attempt resends the same messageIds');
  assert.equal(d.delivered.length, 2);
  assert.notEqual(d.requests[0].body.sentAt, undefined);
});

test('the network coming back and the app showing retry at once', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  let up = false;
  const d = mini({ answer: () => (up ? { status: 200, body: '{}' } : null) });
  init(d);
  App({});
  d.jy.track('x');
  await d.jy.flush();
  assert.equal(d.requests.length, 1);
  up = true;
  d.net({ isConnected: true, networkType: 'wifi' });
  await settle();
  assert.equal(d.requests.length, 2);
  assert.equal(d.jy.queued(), 0);
});

test('400 invalid_events drops the batch: the valid events are stored, the rest would fail again', async () => {
  const warn = mock.method(console, 'warn', () => {});
  const answers = [
    { status: 400, body: '{"accepted":1,"rejected":1,"error":{"code":"invalid_events"},"errors":[{"index":1,"code":"too_deep"}]}' },
  ];
  const d = mini({ answer: () => answers.shift() || { status: 200, body: '{}' } });
  init(d);
  d.jy.track('good');
  d.jy.track('bad', { deep: {} });
  assert.equal(await d.jy.flush(), true);
  assert.equal(d.requests.length, 1);
  assert.equal(d.jy.queued(), 0);
  assert.match(warn.mock.calls[0].arguments[0], /invalid_events/);
  warn.mock.restore();
});

test('413 halves the batch; other 4xx drop it; 429 retries', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const warn = mock.method(console, 'warn', () => {});
  let limited = false;
  const d = mini({
    answer: (r) => {
      const first = r.body.batch[0].event;
      if (r.body.batch.length > 3) return { status: 413, body: '{"error":{"code":"body_too_large"}}' };
      if (first === 'e2') return { status: 401, body: '{"error":{"code":"invalid_write_key"}}' };
      if (first === 'e4' && !limited) {
        limited = true;
        return { status: 429, headers: { 'retry-after': '1' }, body: '' };
      }
      return { status: 200, body: '{}' };
    },
  });
  init(d);
  for (let i = 0; i < 8; i++) d.jy.track('e' + i);
  await d.jy.flush();
  await settle();
  mock.timers.tick(1000);
  await settle();
  assert.deepEqual(d.requests.map((r) => [r.body.batch.length, r.status]), [[8, 413], [4, 413], [2, 200], [2, 401], [2, 429], [2, 200], [2, 200]]);
  assert.deepEqual(d.delivered.map((m) => m.event), ['e0', 'e1', 'e4', 'e5', 'e6', 'e7']);
  assert.equal(d.jy.queued(), 0);
  assert.match(warn.mock.calls[0].arguments[0], /401/);
  warn.mock.restore();
});

test('the offline queue is capped, survives a restart and is sent when the server is back', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const down = mini({ answer: () => null });
  init(down, { maxQueueSize: 5 });
  for (let i = 0; i < 8; i++) down.jy.track('e' + i);
  assert.equal(down.jy.queued(), 5);
  await down.jy.flush();
  mock.timers.reset();

  const up = mini({ storage: down.storage });
  init(up, { maxQueueSize: 5 });
  assert.equal(await up.jy.flush(), true);
  assert.equal(up.jy.queued(), 0);
  assert.deepEqual(up.delivered.map((m) => m.event), ['e3', 'e4', 'e5', 'e6', 'e7']);
});

test('consent: nothing is tracked before optIn; optOut discards the queue', async () => {
  const d = mini();
  init(d, { requireConsent: true });
  assert.equal(d.jy.hasOptedOut(), true);
  d.jy.track('before');
  d.jy.identify('m1');
  assert.equal(d.jy.queued(), 0);
  d.jy.optIn();
  d.jy.track('after');
  assert.equal(d.jy.queued(), 1);
  d.jy.optOut();
  assert.equal(d.jy.queued(), 0);
  d.jy.track('ignored');
  await d.jy.flush();
  assert.equal(d.requests.length, 0);
  // The choice is remembered.
  const again = mini({ storage: d.storage });
  init(again);
  assert.equal(again.jy.hasOptedOut(), true);
});

test('super properties go on track and page events and persist', async () => {
  const d = mini();
  init(d, { superProperties: { platform: 'miniprogram' } });
  d.jy.register({ member_level: '金卡', ab: 'A' });
  d.jy.registerOnce({ ab: 'B', first_scene: 1007 });
  d.jy.unregister('ab');
  d.jy.track('Product Viewed', { product_id: 'P1', member_level: '银卡' });
  d.jy.page('首页', { path: 'pages/index/index' });
  await d.jy.flush();
  const [t, p] = d.sent();
  assert.deepEqual(t.properties, { platform: 'miniprogram', member_level: '银卡', first_scene: 1007, product_id: 'P1' });
  assert.equal(p.name, '首页');
  assert.equal(p.properties.first_scene, 1007);
  const again = mini({ storage: d.storage });
  init(again);
  again.jy.track('x');
  await again.jy.flush();
  assert.equal(again.sent()[0].properties.member_level, '金卡');
});

test('debug logs messages and answers; without it the SDK is silent', async () => {
  const log = mock.method(console, 'log', () => {});
  const quiet = mini();
  init(quiet);
  quiet.jy.track('x');
  await quiet.jy.flush();
  assert.equal(log.mock.callCount(), 0);
  const d = mini();
  init(d, { debug: true });
  d.jy.track('Product Viewed');
  await d.jy.flush();
  const lines = log.mock.calls.map((c) => c.arguments.slice(0, 3).join(' '));
  assert.ok(lines.some((l) => l.startsWith('[jingyun] track Product Viewed')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('[jingyun] answer 200')), lines.join('\n'));
  log.mock.restore();
});

test('calls before init are ignored with a warning; init needs a key and a host', () => {
  const warn = mock.method(console, 'warn', () => {});
  const d = mini();
  d.jy.track('early');
  assert.equal(d.jy.queued(), 0);
  assert.equal(warn.mock.callCount(), 1);
  assert.throws(() => d.jy.init({ host: HOST }), /writeKey and host/);
  warn.mock.restore();
});
