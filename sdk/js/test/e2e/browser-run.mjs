// End-to-end run of the web build in headless Chromium against a real Jingyun server,
// driven by the Go test sdk/e2e (which then checks the store). It serves a small single-page
// shop on loopback that loads dist/jingyun.min.js with a script tag, so the collector is
// cross-origin as on a real site.
//
//   JY_HOST=http://127.0.0.1:PORT JY_WRITE_KEY=wk_… [CHROMIUM=/usr/bin/chromium] node browser-run.mjs
//
// Visit 1 lands from a WeChat article with UTM parameters, opens a product (pushState),
// logs in, goes back (popstate) and leaves (pagehide: sendBeacon). Visit 2 comes back to the
// cart, buys while offline and comes back online. It prints a JSON summary.
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const HOST = process.env.JY_HOST;
const KEY = process.env.JY_WRITE_KEY;
if (!HOST || !KEY) {
  console.error('set JY_HOST and JY_WRITE_KEY');
  process.exit(2);
}
const SDK = readFileSync(new URL('../../dist/jingyun.min.js', import.meta.url));

const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>鲸云优选</title>
<script src="/jingyun.min.js"></script>
<script>jingyun.init({ writeKey: ${JSON.stringify(KEY)}, host: ${JSON.stringify(HOST)}, flushInterval: 300, retryBase: 200, retryMax: 500 });</script>
</head><body>
<button id="view" onclick="history.pushState({}, '', '/shop/goods/P1'); jingyun.track('Product Viewed', { product_id: 'P1', price: 59.9, currency: 'CNY' })">看商品</button>
<button id="login" onclick="jingyun.identify('web-member-1', { city: '杭州' })">登录</button>
<button id="buy" onclick="jingyun.track('Order Completed', { order_id: 'W1', total: 59.9, currency: 'CNY' }); jingyun.flush()">下单</button>
</body></html>`;

const site = createServer((req, res) => {
  if (req.url.startsWith('/jingyun.min.js')) {
    res.writeHead(200, { 'Content-Type': 'text/javascript' });
    return res.end(SDK);
  }
  if (req.url.startsWith('/shop')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(html);
  }
  res.writeHead(404).end();
});
await new Promise((r) => site.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${site.address().port}`;

const profile = mkdtempSync(join(tmpdir(), 'jy-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = {};
try {
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const idle = () => page.waitForFunction(() => window.jingyun && jingyun.queued() === 0, null, { timeout: 15000 });

  // Visit 1.
  await page.goto(`${origin}/shop/?utm_source=wechat&utm_medium=article&utm_campaign=spring`, { referer: 'https://mp.weixin.qq.com/s/e2e' });
  out.anonymousId = await page.evaluate(() => jingyun.getAnonymousId());
  await page.click('#view');
  await page.click('#login');
  await page.evaluate(() => jingyun.flush());
  await idle();
  await page.goBack({ waitUntil: 'commit' }); // same document: popstate
  await page.waitForFunction(() => location.pathname === '/shop/');
  // Leave: pagehide hands Page Left and the last page view to sendBeacon.
  await page.goto('about:blank');
  await new Promise((r) => setTimeout(r, 500));

  // Visit 2: same browser profile, so the same ids from localStorage.
  await page.goto(`${origin}/shop/cart`);
  out.againAnonymousId = await page.evaluate(() => jingyun.getAnonymousId());
  out.userId = await page.evaluate(() => jingyun.getUserId());
  await idle();
  await context.setOffline(true);
  await page.click('#buy');
  await page.waitForFunction(() => jingyun.queued() > 0);
  await new Promise((r) => setTimeout(r, 300)); // a failed send or two
  out.queuedOffline = await page.evaluate(() => jingyun.queued());
  await context.setOffline(false); // the online event retries at once
  await idle();
  await page.goto('about:blank');
  await new Promise((r) => setTimeout(r, 500));
  out.errors = errors;
} finally {
  await context.close();
  site.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
