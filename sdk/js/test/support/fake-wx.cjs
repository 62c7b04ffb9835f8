// A small simulated WeChat runtime for unit tests: wx storage, wx.request answered by a
// handler the test controls, launch options, and App/Page/Component that record what they
// were given so a test can drive the life cycle the way WeChat would.
'use strict';

const path = require('node:path');

const SDK = path.join(__dirname, '..', '..', 'dist', 'miniprogram', 'index.js');

/**
 * mini starts a fresh SDK instance on a simulated device. storage may be passed to simulate
 * a restart of the same device. answer(req) returns {status, body, headers} or null for a
 * network failure; it may return a promise.
 */
const devices = [];

function mini(opts = {}) {
  const storage = opts.storage || new Map();
  const device = {
    storage,
    requests: [], // every request: {url, body, status}
    delivered: [], // messages of requests answered 2xx
    apps: [],
    pages: [],
    components: [],
    answer: opts.answer || (() => ({ status: 200, body: '{"success":true}' })),
    launch: opts.launch || { scene: 1001, path: 'pages/index/index', query: {} },
    net: null,
  };
  globalThis.wx = {
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => {
      if (typeof v !== 'string') throw new Error('the SDK stores strings');
      storage.set(k, v);
    },
    getSystemInfoSync: () => ({
      system: 'iOS 17.5.1', platform: 'ios', brand: 'Apple', model: 'iPhone 15', screenWidth: 393,
      screenHeight: 852, pixelRatio: 3, language: 'zh_CN', version: '8.0.50', SDKVersion: '3.4.0',
    }),
    getAccountInfoSync: () => ({ miniProgram: { appId: 'wx1234567890', envVersion: 'release', version: '3.28.0' } }),
    getLaunchOptionsSync: () => device.launch,
    onNetworkStatusChange: (cb) => {
      device.net = cb;
    },
    request(o) {
      const body = JSON.parse(o.data);
      const req = { url: o.url, body, header: o.header, status: undefined };
      device.requests.push(req);
      Promise.resolve()
        .then(() => device.answer(req))
        .then((a) => {
          if (!a) return o.fail({ errMsg: 'request:fail' });
          req.status = a.status;
          if (a.status >= 200 && a.status < 300) device.delivered.push(...body.batch);
          o.success({ statusCode: a.status, header: a.headers || {}, data: a.body || '' });
        });
    },
  };
  globalThis.App = (o) => device.apps.push(o);
  globalThis.Page = (o) => device.pages.push(o);
  globalThis.Component = (o) => device.components.push(o);
  delete require.cache[SDK];
  const jy = require(SDK);
  device.jy = jy;
  devices.push(device);

  /** launch runs App onLaunch and onShow with the device's launch options. */
  device.start = (launch) => {
    if (launch) device.launch = launch;
    const app = device.apps[device.apps.length - 1];
    app.onLaunch && app.onLaunch.call(app, device.launch);
    app.onShow && app.onShow.call(app, device.launch);
  };
  /** open loads and shows a page registered with Page(), as navigateTo would. */
  device.open = (def, route, query = {}) => {
    const inst = Object.assign(Object.create(def), { route, options: query });
    def.onLoad && def.onLoad.call(inst, query);
    def.onShow && def.onShow.call(inst);
    return inst;
  };
  /** messages returns every message sent in any request (delivered or not). */
  device.sent = () => device.requests.flatMap((r) => r.body.batch);
  return device;
}

/** settle lets pending promise callbacks and immediate callbacks run. */
function settle(n = 5) {
  let p = Promise.resolve();
  for (let i = 0; i < n; i++) p = p.then(() => new Promise((r) => setImmediate(r)));
  return p;
}

/** stopAll opts every client out, which cancels its timers, so the test process can exit. */
function stopAll() {
  for (const d of devices.splice(0)) if (d.jy.hasOptedOut && d.jy.getAnonymousId()) d.jy.optOut();
}

module.exports = { mini, settle, stopAll, SDK };
