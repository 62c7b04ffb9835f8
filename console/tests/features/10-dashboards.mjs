// Saved insights and dashboards: build a funnel, save it as an insight onto a new
// dashboard, open the dashboard from the nav and from its share link, see the card with the
// funnel and when it was computed (from the cache the second time), rename the dashboard,
// refresh it, find the insight in the saved list and open it back in the funnel page.
const labels = {
  'zh-CN': { nav: '数据看板', newDashboard: '+ 新建看板…', cached: '缓存', fresh: '新计算', insightsTab: '已保存的洞察' },
  en: { nav: 'Dashboards', newDashboard: '+ New dashboard…', cached: 'cached', fresh: 'fresh', insightsTab: 'Saved insights' },
};

export default async (h, lang) => {
  const { page, url, problems } = h;
  const l = labels[lang];
  const stamp = `${lang} ${Date.now().toString(36)}`;
  const insightName = `Funnel ${stamp}`;
  const dashName = `Weekly ${stamp}`;
  const renamed = `经营周报 ${stamp}`;

  h.setWhere(`${lang} dashboards: save a funnel`);
  await page.goto(url + '/funnel');
  await page.locator('[data-testid=funnel]').waitFor();
  await h.waitComputed(`${lang} funnel`);
  await page.locator('[data-testid=remove-step-2]').click(); // Product Viewed → Product Added → Order Completed
  const ran = page.waitForResponse((r) => r.url().endsWith('/query') && r.request().method() === 'POST');
  await page.locator('[data-testid=run]').click();
  await ran;
  await page.waitForFunction(() => !document.querySelector('.ant-btn-loading'));
  await page.locator('[data-testid=save-insight]').click();
  const modal = page.locator('.ant-modal:visible');
  await modal.locator('[data-testid=insight-name]').fill(insightName);
  await h.pick(modal.locator('[data-testid=insight-dashboard]'), l.newDashboard);
  await modal.locator('[data-testid=new-dashboard-name]').fill(dashName);
  const saved = page.waitForResponse((r) => r.url().endsWith('/insights') && r.request().method() === 'POST');
  await modal.locator('[data-testid=save-insight-ok]').click();
  const insight = await (await saved).json();
  await page.locator('[data-testid=insight-saved]').waitFor();
  await page.locator('.ant-modal:visible').waitFor({ state: 'hidden' });
  if (insight.spec?.kind !== 'funnel' || insight.spec.steps?.length !== 3 || insight.dashboards?.length !== 1) {
    problems.push(`${lang} save insight: saved ${JSON.stringify(insight).slice(0, 200)}`);
  }
  await h.expectNoError(`${lang} save insight`);

  // checkCard waits for the dashboard's card and checks its funnel and computed-at.
  const checkCard = async (where, cacheState) => {
    const card = page.locator('[data-testid=insight-card]', { hasText: insightName });
    await card.waitFor();
    await card.locator('[data-testid=computed-at]').waitFor();
    await page.waitForFunction(() => !document.querySelector('.ant-btn-loading, .ant-card-loading-content'));
    const table = await card.locator('[data-testid=funnel-table]').innerText();
    // A step reads "3. Order Completed", or "3. 显示名 Order Completed" once the tracking plan
    // gives the event a display name.
    for (const [n, event] of [[1, 'Product Viewed'], [2, 'Product Added'], [3, 'Order Completed']]) {
      if (!new RegExp(`${n}\\. [^\\n]*${event}`).test(table)) problems.push(`${where}: the card's funnel lacks ${n}. ${event}`);
    }
    if (!/[1-9]/.test(table)) problems.push(`${where}: the card's funnel has no persons`);
    const state = (await card.locator('[data-testid=cache-state]').innerText()).trim();
    if (cacheState && state !== cacheState) problems.push(`${where}: cache state ${JSON.stringify(state)}, want ${JSON.stringify(cacheState)}`);
    await h.expectNoError(where);
  };

  h.setWhere(`${lang} dashboards: open from the nav`);
  await h.nav(l.nav, 'dashboards');
  await page.locator('[data-testid=dashboard-link]', { hasText: dashName }).click();
  await page.locator('[data-testid=dashboard-title]', { hasText: dashName }).waitFor();
  await checkCard(`${lang} dashboard from the nav`);
  const id = /\/dashboards\/(\d+)$/.exec(new URL(page.url()).pathname)?.[1];
  if (!id || Number(id) !== insight.dashboards?.[0]) problems.push(`${lang} dashboard: at ${page.url()}, want dashboard ${insight.dashboards?.[0]}`);

  h.setWhere(`${lang} dashboards: share link`);
  await page.locator('[data-testid=share-dashboard]').click();
  const link = await page.locator('[data-testid=share-link]').inputValue();
  if (link !== `${url}/dashboards/${id}`) problems.push(`${lang} share link ${JSON.stringify(link)}, want ${url}/dashboards/${id}`);
  // A click on the close button while the dialog is still zooming in can be lost: retry.
  for (let i = 0; i < 5 && (await page.locator('.ant-modal:visible').count()); i++) {
    await page.locator('.ant-modal:visible .ant-modal-close').click();
    await page.locator('.ant-modal:visible').waitFor({ state: 'hidden', timeout: 3000 }).catch(() => {});
  }
  if (await page.locator('.ant-modal:visible').count()) problems.push(`${lang} share link: the dialog does not close`);
  await page.goto(link);
  await page.locator('[data-testid=dashboard-title]', { hasText: dashName }).waitFor();
  // Nothing was written since: the result comes from the cache.
  await checkCard(`${lang} dashboard from its link`, l.cached);

  h.setWhere(`${lang} dashboards: rename`);
  await page.locator('[data-testid=rename-dashboard]').click();
  await page.locator('.ant-modal:visible [data-testid=name-input]').fill(renamed);
  await page.locator('.ant-modal:visible [data-testid=name-ok]').click();
  await page.locator('[data-testid=dashboard-title]', { hasText: renamed }).waitFor();
  await page.locator('.ant-modal:visible').waitFor({ state: 'hidden' });
  await h.expectNoError(`${lang} rename dashboard`);

  h.setWhere(`${lang} dashboards: refresh`);
  const refreshed = page.waitForResponse((r) => r.url().includes('/result?refresh=1'));
  await page.locator('[data-testid=refresh-dashboard]').click();
  const body = await (await refreshed).json();
  if (body.cached !== false || !body.computed_at) problems.push(`${lang} refresh: answered ${JSON.stringify(body).slice(0, 120)}`);
  await page.locator('[data-testid=cache-state]', { hasText: l.fresh }).waitFor();
  await checkCard(`${lang} refreshed dashboard`, l.fresh);

  // One range for every card: the card runs its spec with it, and the address keeps it.
  h.setWhere(`${lang} dashboards: range`);
  const ranged = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/query') && r.request().method() === 'POST');
  await h.pick(page.locator('[data-testid=dashboard-range]'), lang === 'en' ? 'Last 30 days' : '最近 30 天');
  const sent = (await ranged).request().postDataJSON();
  if (sent?.date_range?.from !== '-29d') problems.push(`${lang} dashboard range: the card asked for ${JSON.stringify(sent?.date_range)}`);
  if (!page.url().includes('days=30')) problems.push(`${lang} dashboard range: the address ${page.url()} does not keep it`);
  await page.locator('[data-testid=insight-card] [data-testid=computed-at]').first().waitFor();
  await h.expectNoError(`${lang} dashboard range`);
  await h.pick(page.locator('[data-testid=dashboard-range]'), lang === 'en' ? "Each card's own range" : '各卡片自己的时间范围');

  h.setWhere(`${lang} dashboards: saved insights`);
  await page.locator('[data-testid=back-to-dashboards]').click();
  await page.locator('[data-testid=dashboard-link]', { hasText: renamed }).waitFor();
  await page.locator('[data-testid=tab-insights]').click();
  await page.locator('[data-testid=insight-link]', { hasText: insightName }).click();
  await page.locator('[data-testid=funnel]').waitFor();
  await page.locator('[data-testid=insight-title]', { hasText: insightName }).waitFor();
  await h.waitComputed(`${lang} saved insight in the funnel page`);
  const steps = await page.locator('[data-testid=funnel-table]').innerText();
  if (!/3\. [^\n]*Order Completed/.test(steps) || /(^|\n)4\. /.test(steps)) problems.push(`${lang} saved insight opened with steps ${JSON.stringify(steps.slice(0, 200))}`);
};
