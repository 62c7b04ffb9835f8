// Browser test of the console in headless Chromium (playwright-core, the system's browser:
// nothing is downloaded). Run by e2e/console_test.go against a real server:
//
//   node tests/browser.mjs --url http://127.0.0.1:8080 --email owner@shop.cn --password '…'
//
// Signs in, opens every page in zh-CN and en at a laptop width, builds a funnel with a
// breakdown (the event picker offering names and volumes from the definitions API), opens
// Settings, rotates the write key and finds the new one on Integration, signs out; fails on any console error, page error, failed request or API
// answer >= 400, and on a page wider than the window.
//
// Each file in tests/features/ adds checks of one console area: its default export is
// `async (h, lang) => {}`, run once per language while signed in as the owner, with h the
// harness below (page, url, args, problems, step, setWhere, expectNoError, waitComputed, nav,
// pick).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const url = (args.url || '').replace(/\/$/, '');
if (!url || !args.email || !args.password) {
  console.error('usage: node tests/browser.mjs --url URL --email EMAIL --password PASSWORD [--chromium PATH]');
  process.exit(2);
}
const executablePath = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';

const problems = [];
const step = (m) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const profile = mkdtempSync(join(tmpdir(), 'jingyun-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1366, height: 768 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  timeout: 30000,
});
context.setDefaultTimeout(20000);

const page = context.pages()[0] || (await context.newPage());
let where = 'start';
page.on('console', (m) => {
  if (m.type() === 'error') problems.push(`${where}: console error: ${m.text()}`);
});
page.on('pageerror', (e) => problems.push(`${where}: page error: ${e.message}`));
page.on('requestfailed', (r) => {
  // A navigation away cancels pending requests; that is not a fault of the page.
  if (!/ERR_ABORTED/.test(r.failure()?.errorText || '')) problems.push(`${where}: request failed: ${r.url()} ${r.failure()?.errorText}`);
});
page.on('response', (r) => {
  if (r.url().startsWith(url) && r.status() >= 400) problems.push(`${where}: ${r.request().method()} ${r.url()} answered ${r.status()}`);
});

const titles = {
  'zh-CN': { overview: '运营看板', trends: '事件分析', funnel: '漏斗分析', retention: '留存分析', integration: '接入集成', settings: '项目设置', signIn: '登录', signOut: '退出登录' },
  en: { overview: 'Overview', trends: 'Trends', funnel: 'Funnel', retention: 'Retention', integration: 'Integration', settings: 'Settings', signIn: 'Sign in', signOut: 'Sign out' },
};

async function expectNoError(name) {
  if (await page.locator('[data-testid=error]').count()) {
    problems.push(`${name}: shows an error: ${await page.locator('[data-testid=error]').innerText()}`);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) problems.push(`${name}: page is ${overflow}px wider than a 1366px window`);
}

async function waitComputed(name) {
  await page.locator('[data-testid=computed-at]').first().waitFor({ state: 'visible' });
  await page.waitForFunction(() => !document.querySelector('.ant-btn-loading, .ant-card-loading-content'));
  await expectNoError(name);
}

async function signIn(lang, password = args.password) {
  where = `${lang} sign-in`;
  await page.goto(url + '/');
  await page.evaluate((l) => localStorage.setItem('jingyun.lang', l), lang);
  await page.reload();
  const form = page.locator('[data-testid=login-form]');
  await form.waitFor();
  const card = await page.locator('.ant-card-head').innerText();
  if (!card.includes(titles[lang].signIn)) problems.push(`${where}: heading ${JSON.stringify(card)} lacks ${titles[lang].signIn}`);
  await page.locator('[data-testid=email]').fill(args.email);
  await page.locator('[data-testid=password]').fill(password);
  await page.locator('[data-testid=submit]').click();
  await page.locator('[data-testid=overview]').waitFor();
}

async function visit(lang, name, how) {
  where = `${lang} ${name}`;
  step(where);
  if (how === 'url') await page.goto(url + '/' + name);
  else await page.locator('[data-testid=nav]').getByText(titles[lang][name], { exact: true }).click();
  await page.locator(`[data-testid=${name}]`).waitFor();
  await waitComputed(where);
  const text = await page.locator('main').innerText();
  if (!text.includes(titles[lang][name])) problems.push(`${where}: page lacks its title ${titles[lang][name]}`);
}

// checkIntegration opens the Integration page and checks that the snippets carry this
// project's real write key and this server's address.
async function checkIntegration(lang) {
  where = `${lang} integration`;
  step(where);
  await page.locator('[data-testid=nav]').getByText(titles[lang].integration, { exact: true }).click();
  await page.locator('[data-testid=integration]').waitFor();
  const key = (await page.locator('[data-testid=write-key]').innerText()).trim();
  if (!/^wk_[0-9a-f]+$/.test(key)) problems.push(`${where}: write key shown as ${JSON.stringify(key)}`);
  for (const id of ['miniprogram', 'web', 'go', 'curl']) {
    const code = await page.locator(`[data-testid=snippet-${id}] pre`).innerText();
    if (!code.includes(key) || !code.includes(url)) problems.push(`${where}: the ${id} snippet lacks the write key or ${url}`);
  }
  const text = await page.locator('main').innerText();
  if (!text.includes(titles[lang].integration)) problems.push(`${where}: page lacks its title`);
  await expectNoError(where);
}

// checkSettings opens Settings: the project's name and the owner among the members; with
// rotate, rotates the write key (then finds it on Integration) and the secret key (shown once).
async function checkSettings(lang, rotate) {
  where = `${lang} settings`;
  step(where);
  await page.locator('[data-testid=nav]').getByText(titles[lang].settings, { exact: true }).click();
  await page.locator('[data-testid=settings]').waitFor();
  await page.locator('[data-testid=members] .ant-table-row').first().waitFor();
  const text = await page.locator('main').innerText();
  if (!text.includes(titles[lang].settings)) problems.push(`${where}: page lacks its title`);
  if (!text.includes(args.email)) problems.push(`${where}: the members table lacks ${args.email}`);
  const name = await page.locator('[data-testid=project-name]').inputValue();
  if (!name) problems.push(`${where}: no project name`);
  await expectNoError(where);
  if (!rotate) return;
  where = `${lang} rotate keys`;
  step(where);
  const old = (await page.locator('[data-testid=settings-write-key]').innerText()).trim();
  await page.locator('[data-testid=rotate-write]').click();
  await page.locator('[data-testid=confirm-rotate-write]').click();
  await page.waitForFunction(
    (o) => (document.querySelector('[data-testid=settings-write-key]')?.textContent || '').trim() !== o,
    old,
  );
  const fresh = (await page.locator('[data-testid=settings-write-key]').innerText()).trim();
  if (!/^wk_[0-9a-f]+$/.test(fresh)) problems.push(`${where}: new write key shown as ${JSON.stringify(fresh)}`);
  await page.locator('[data-testid=rotate-secret]').click();
  await page.locator('[data-testid=confirm-rotate-secret]').click();
  const secret = (await page.locator('[data-testid=new-secret-key]').innerText()).trim();
  if (secret.length < 16) problems.push(`${where}: new secret key shown as ${JSON.stringify(secret)}`);
  await page.locator('.ant-modal:visible .ant-btn-primary').click();
  await page.locator('.ant-modal:visible').waitFor({ state: 'hidden' });
  await page.locator('[data-testid=nav]').getByText(titles[lang].integration, { exact: true }).click();
  await page.locator('[data-testid=integration]').waitFor();
  const shown = (await page.locator('[data-testid=write-key]').innerText()).trim();
  if (shown !== fresh) problems.push(`${where}: Integration shows ${shown}, want the rotated key ${fresh}`);
  if (shown === old) problems.push(`${where}: Integration still shows the old write key`);
  await expectNoError(where);
}

async function buildFunnel(lang) {
  where = `${lang} build funnel`;
  step(where);
  await page.goto(url + '/funnel');
  await page.locator('[data-testid=funnel]').waitFor();
  await waitComputed(where);
  await page.locator('[data-testid=remove-step-2]').click(); // drop Checkout Started
  await page.locator('[data-testid=add-step]').click();
  const inputs = page.locator('[data-testid=funnel] .ant-select-selection-search-input');
  // The picker's names and volumes come from the definitions API.
  const defs = await page.evaluate(async () => (await (await fetch('/api/v1/projects/1/definitions/events')).json()).events);
  const refunded = defs.find((d) => d.name === 'Order Refunded');
  if (!refunded || !(refunded.count > 0)) problems.push(`${where}: the definitions API lacks Order Refunded: ${JSON.stringify(defs).slice(0, 200)}`);
  await inputs.nth(3).click();
  await page.keyboard.type('Order Ref');
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Order Refunded' });
  const count = Number((await option.locator('[data-testid=event-count]').innerText()).replace(/[^0-9]/g, ''));
  if (count !== refunded?.count) problems.push(`${where}: the picker shows ${count} Order Refunded, the definitions API ${refunded?.count}`);
  await option.click();
  await page.locator('[data-testid=breakdown]').fill('context.scene');
  const answered = page.waitForResponse((r) => r.url().endsWith('/query') && r.request().method() === 'POST');
  await page.locator('[data-testid=run]').click();
  const resp = await answered;
  const body = await resp.json();
  const steps = body.result?.funnel?.steps?.map((s) => s.event) ?? [];
  const want = ['Product Viewed', 'Product Added', 'Order Completed', 'Order Refunded'];
  if (JSON.stringify(steps) !== JSON.stringify(want)) problems.push(`${where}: steps ${JSON.stringify(steps)}, want ${JSON.stringify(want)}`);
  if (!(body.result?.funnel?.breakdown?.length > 0)) problems.push(`${where}: no breakdown rows`);
  await page.waitForFunction(() => !document.querySelector('.ant-btn-loading'));
  const table = await page.locator('[data-testid=funnel-table]').innerText();
  if (!table.includes('4. Order Refunded')) problems.push(`${where}: table lacks the new step`);
  if (body.result?.funnel?.steps?.[0]?.persons === 0) problems.push(`${where}: no persons in step 1 (is the demo loaded?)`);
  await expectNoError(where);
}

// checkFigures asks the query API for the 7-day orders and GMV, as a script would, and
// compares them with what the overview shows.
async function checkFigures(name) {
  const api = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('jingyun_csrf='))?.split('=')[1] ?? '';
    const resp = await fetch('/api/v1/projects/1/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
      body: JSON.stringify({
        kind: 'trends',
        interval: 'day',
        date_range: { from: '-6d', to: 'today' },
        series: [{ event: 'Order Completed', math: 'total' }, { event: 'Order Completed', math: 'sum', property: 'total' }],
      }),
    });
    const body = await resp.json();
    const sum = (i) => body.result.trends.series[i].points.reduce((s, p) => s + p.value, 0);
    return { orders: sum(0), gmv: sum(1) };
  });
  const shown = async (k) => Number((await page.locator(`[data-testid=kpi-${k}] .ant-statistic-content`).innerText()).replace(/[^0-9.]/g, ''));
  const orders = await shown('orders');
  const gmv = await shown('gmv');
  if (orders !== api.orders) problems.push(`${name}: orders shown ${orders}, the query API says ${api.orders}`);
  if (Math.abs(gmv - api.gmv) > 0.005) problems.push(`${name}: GMV shown ${gmv}, the query API says ${api.gmv}`);
  if (!(api.orders > 0)) problems.push(`${name}: no orders in the last 7 days (is the demo loaded?)`);
}

// checkMoreFigures: the active-person, rate and breakdown figures render a number each
// (rates may be 0.0% but must be a percentage), and the breakdown tables have rows. On the
// 7-day range WAU would be the Visitors card again, so it is not shown: Visitors stands for it.
async function checkMoreFigures(name) {
  for (const k of ['dau', 'mau', 'cartAbandon', 'repeatRate', 'couponRate', 'refundRate']) {
    const text = await page.locator(`[data-testid=kpi-${k}] .ant-statistic-content`).innerText();
    if (!/[0-9]/.test(text)) problems.push(`${name}: ${k} shows ${JSON.stringify(text)}, no number`);
  }
  if (await page.locator('[data-testid=kpi-wau]').count()) problems.push(`${name}: WAU shown on the 7-day range, where it equals Visitors`);
  const figure = async (k) => Number((await page.locator(`[data-testid=kpi-${k}] .ant-statistic-content`).innerText()).replace(/[^0-9]/g, ''));
  const wau = await figure('visitors');
  const mau = await figure('mau');
  if (!(wau > 0 && mau > 0)) problems.push(`${name}: visitors ${wau}, MAU ${mau} (is the demo loaded?)`);
  if (wau > mau) problems.push(`${name}: visitors over 7 days ${wau} > MAU ${mau}`);
  // Repeat purchase and coupon redemption have no previous period, and say why on hover.
  for (const k of ['repeatRate', 'couponRate']) {
    await page.locator(`[data-testid=cmp-${k}]`).hover();
    const tip = page.locator('.ant-tooltip:visible');
    if (!(await tip.waitFor({ timeout: 5000 }).then(() => true, () => false)) || !/\S{4}/.test(await tip.innerText())) problems.push(`${name}: ${k} has no tooltip saying why it has no previous period`);
    await page.mouse.move(0, 0);
    await tip.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  }
  for (const id of ['top-products', 'by-scene']) {
    const rows = await page.locator(`[data-testid=${id}] .ant-table-tbody tr.ant-table-row`).count();
    if (rows < 1) problems.push(`${name}: ${id} has no rows`);
    const text = await page.locator(`[data-testid=${id}] .ant-table-tbody`).innerText();
    if (!/[1-9]/.test(text)) problems.push(`${name}: ${id} shows no number`);
  }
  await expectNoError(name);
  // Clicking a figure opens its analysis prefilled: cart abandonment is 1 − the conversion
  // of Product Added → Order Completed.
  const shownAbandon = (await page.locator('[data-testid=kpi-cartAbandon] .ant-statistic-content').innerText()).trim();
  const answered = page.waitForResponse((r) => r.url().endsWith('/query') && r.request().method() === 'POST');
  await page.locator('[data-testid=kpi-cartAbandon]').click();
  await page.locator('[data-testid=funnel]').waitFor();
  const body = await (await answered).json();
  const steps = body.result?.funnel?.steps ?? [];
  const events = steps.map((s) => s.event);
  if (JSON.stringify(events) !== JSON.stringify(['Product Added', 'Order Completed'])) problems.push(`${name}: cart abandonment opened the funnel ${JSON.stringify(events)}`);
  else if (((1 - steps[1].overall_conversion) * 100).toFixed(1) + '%' !== shownAbandon) problems.push(`${name}: cart abandonment shown ${shownAbandon}, the funnel it opens gives ${steps[1].overall_conversion}`);
  await waitComputed(name + ' cart abandonment funnel');
  await page.goto(url + '/overview');
  await page.locator('[data-testid=overview]').waitFor();
  await waitComputed(name + ' back');
  // Coupon redemption opens its funnel (Coupon Received → Coupon Applied), DAU today's trends
  // of unique persons: each shows the figure's number.
  const opens = [
    { k: 'couponRate', testid: 'funnel', got: (r) => ((r.funnel?.steps?.[1]?.overall_conversion ?? NaN) * 100).toFixed(1) + '%' },
    { k: 'dau', testid: 'trends', got: (r) => (r.trends?.series?.[0]?.points ?? []).reduce((s, p) => s + p.value, 0) },
  ];
  for (const o of opens) {
    const text = (await page.locator(`[data-testid=kpi-${o.k}] .ant-statistic-content`).innerText()).trim();
    const shown = o.k === 'dau' ? Number(text.replace(/[^0-9]/g, '')) : text;
    const answer = page.waitForResponse((r) => r.url().endsWith('/query') && r.request().method() === 'POST');
    await page.locator(`[data-testid=kpi-${o.k}]`).click();
    await page.locator(`[data-testid=${o.testid}]`).waitFor();
    const got = o.got((await (await answer).json()).result ?? {});
    if (got !== shown) problems.push(`${name}: ${o.k} shown ${shown}, the ${o.testid} page it opens gives ${got}`);
    await waitComputed(`${name} ${o.k} analysis`);
    await page.goto(url + '/overview');
    await page.locator('[data-testid=overview]').waitFor();
    await waitComputed(name + ' back');
  }
}

// nav clicks a menu entry by its label and waits for the page's data-testid.
async function nav(label, testid) {
  await page.locator('[data-testid=nav]').getByText(label, { exact: true }).click();
  await page.locator(`[data-testid=${testid}]`).waitFor();
}

// pick opens an Ant Design select and chooses the option with the text, again when a click
// landed while the dropdown was still sliding in (the option then ignores it), until the
// select shows the choice.
async function pick(select, text) {
  for (let i = 0; i < 5; i++) {
    if (!(await page.locator('.ant-select-dropdown:visible').count())) await select.click();
    const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text });
    await option.first().waitFor();
    await page.waitForFunction(() => !document.querySelector('.ant-select-dropdown[class*="-enter"], .ant-select-dropdown[class*="-appear"]'));
    await option.first().click();
    await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'hidden', timeout: 3000 }).catch(() => {});
    if ((await select.innerText()).includes(text)) return;
  }
  throw new Error(`cannot pick ${JSON.stringify(text)}: the select shows ${JSON.stringify(await select.innerText())}`);
}

const harness = {
  pick,
  page,
  url,
  args,
  problems,
  step,
  setWhere: (w) => {
    where = w;
    step(w);
  },
  expectNoError,
  waitComputed,
  nav,
};

const featureDir = new URL('./features/', import.meta.url);
const features = [];
for (const f of readdirSync(featureDir).filter((f) => f.endsWith('.mjs')).sort()) {
  features.push([f, (await import(new URL(f, featureDir).href)).default]);
}

async function signOut(lang) {
  where = `${lang} sign-out`;
  step(where);
  await page.locator('[data-testid=user]').hover();
  await page.locator('[data-testid=sign-out]').click();
  await page.locator('[data-testid=login-form]').waitFor();
}

try {
  // The set-up page must not show once an owner exists.
  for (const lang of ['zh-CN', 'en']) {
    await signIn(lang);
    step(`${lang} signed in`);
    where = `${lang} overview`;
    await waitComputed(where);
    const visitors = await page.locator('[data-testid=kpi-visitors] .ant-statistic-content').innerText();
    if (!/[1-9]/.test(visitors)) problems.push(`${where}: visitors ${JSON.stringify(visitors)} (is the demo loaded?)`);
    await checkFigures(where);
    await checkMoreFigures(where);
    await page.locator('[data-testid=range]').click();
    await page.locator('.ant-select-item-option').nth(1).click(); // 30 days
    await waitComputed(where + ' 30 days');
    for (const name of ['trends', 'funnel', 'retention']) await visit(lang, name, 'nav');
    for (const name of ['overview', 'trends', 'funnel', 'retention']) await visit(lang, name, 'url');
    await checkIntegration(lang);
    await checkSettings(lang, lang === 'en');
    await buildFunnel(lang);
    for (const [name, run] of features) {
      where = `${lang} ${name}`;
      await run(harness, lang);
    }
    await signOut(lang);
  }
  // Change the password in the dialog, then sign in with the new one.
  const newPassword = args.password + ' new';
  await signIn('en');
  where = 'change password';
  step(where);
  await page.locator('[data-testid=user]').hover();
  await page.locator('[data-testid=change-password]').click();
  const dialog = page.locator('.ant-modal');
  await dialog.locator('input').nth(0).fill(args.password);
  await dialog.locator('input').nth(1).fill(newPassword);
  await dialog.locator('.ant-btn-primary').click();
  await page.locator('.ant-message-success').waitFor();
  await signOut('en');
  await signIn('en', newPassword);
  await signOut('en');
  // Switching the language on the sign-in page keeps the choice.
  where = 'switch language';
  await page.locator('[data-testid=lang]').click();
  await page.reload();
  const stored = await page.evaluate(() => localStorage.getItem('jingyun.lang'));
  if (stored !== 'zh-CN') problems.push(`${where}: stored language ${stored}, want zh-CN`);
} catch (e) {
  problems.push(`${where}: ${e.message.split('\n')[0]}`);
  try {
    await page.screenshot({ path: join(tmpdir(), 'jingyun-console-failure.png'), fullPage: true });
    problems.push(`screenshot: ${join(tmpdir(), 'jingyun-console-failure.png')}`);
  } catch {
    /* the browser may be gone */
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length) {
  console.error('FAIL\n' + problems.map((p) => '  - ' + p).join('\n'));
  process.exit(1);
}
console.log('ok: every page in zh-CN and en, funnel built, signed out, no console errors');
