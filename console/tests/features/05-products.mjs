// Products (商品排行): opens from the nav, shows the top products of the last 30 days, and
// its first row and totals equal what the query API gives for the same spec.
export default async function products(h, lang) {
  const { page, problems } = h;
  const label = lang === 'en' ? 'Products' : '商品排行';
  h.setWhere(`${lang} products`);
  await h.nav(label, 'products');
  await h.waitComputed(`${lang} products`);
  const rows = page.locator('[data-testid=products-table] .ant-table-tbody tr.ant-table-row');
  await rows.first().waitFor();
  const api = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('jingyun_csrf='))?.split('=')[1] ?? '';
    const resp = await fetch('/api/v1/projects/1/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
      body: JSON.stringify({ kind: 'products', date_range: { from: '-29d', to: 'today' }, event: 'Order Completed', sort: 'revenue', limit: 20 }),
    });
    return (await resp.json()).result.products;
  });
  if (!(api?.products?.length > 0)) {
    problems.push(`${lang} products: the query API lists no products (is the demo loaded?)`);
    return;
  }
  const first = await rows.first().innerText();
  const top = api.products[0];
  if (!first.includes(top.id)) problems.push(`${lang} products: first row ${JSON.stringify(first)} lacks the API's top product ${top.id}`);
  const shownRevenue = Number((first.split('\t')[5] ?? '').replace(/[^0-9.]/g, ''));
  if (Math.abs(shownRevenue - top.revenue) > 0.005) problems.push(`${lang} products: top revenue shown ${shownRevenue}, the API says ${top.revenue}`);
  if ((await rows.count()) !== Math.min(api.products.length, 20)) problems.push(`${lang} products: ${await rows.count()} rows, the API gives ${api.products.length}`);
  const totals = await page.locator('[data-testid=products-totals]').innerText();
  if (!totals.includes(api.totals.orders.toLocaleString(lang))) problems.push(`${lang} products: totals ${JSON.stringify(totals)} lack ${api.totals.orders} orders`);
  await h.expectNoError(`${lang} products`);

  // Custom dates start from the project's today (the demo shop's zone), whatever the
  // browser's, and are what the page asks for.
  h.setWhere(`${lang} products custom dates`);
  const zone = await page.evaluate(async () => (await (await fetch('/api/v1/projects/1', { credentials: 'same-origin' })).json()).timezone);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  await h.pick(page.locator('[data-testid=range]').first(), lang === 'en' ? 'Custom dates' : '自定义日期');
  await page.locator('[data-testid=range-dates]').first().waitFor();
  const [req] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/query') && r.method() === 'POST'),
    page.locator('[data-testid=run]').first().click(),
  ]);
  const sent = req.postDataJSON();
  if (sent?.date_range?.to !== today) problems.push(`${lang} products custom dates: asked up to ${sent?.date_range?.to}, the project's today is ${today}`);
  await h.waitComputed(`${lang} products custom dates`);
}
