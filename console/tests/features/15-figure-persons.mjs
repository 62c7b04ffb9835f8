// The persons behind a figure: on the funnel, retention and trends pages (their default
// specs), a figure opens a drawer listing as many persons as it says, and a person opens
// their profile.
const titles = {
  'zh-CN': { funnel: '漏斗分析', retention: '留存分析', trends: '事件分析' },
  en: { funnel: 'Funnel', retention: 'Retention', trends: 'Trends' },
};

const digits = (s) => Number(String(s).replace(/[^0-9]/g, ''));

async function openAndCount(h, link, where) {
  const { page, problems } = h;
  const shown = digits(await link.innerText());
  await link.click();
  const total = page.locator('[data-testid=figure-persons-total]');
  await total.waitFor({ timeout: 30000 });
  const listed = digits(await total.innerText());
  if (listed !== shown) problems.push(`${where}: the figure says ${shown}, its persons drawer lists ${listed}`);
  const rows = await page.locator('[data-testid=figure-persons] .ant-table-row').count();
  if (rows !== Math.min(50, shown)) problems.push(`${where}: the drawer's first page has ${rows} rows for ${shown} persons`);
  await h.expectNoError(where);
}

async function close(page) {
  await page.locator('[data-testid=figure-persons] .ant-drawer-close').click();
  await page.locator('[data-testid=figure-persons]').waitFor({ state: 'hidden' });
}

export default async function (h, lang) {
  const { page, problems } = h;
  const t = titles[lang];

  h.setWhere(`${lang} funnel persons`);
  await h.nav(t.funnel, 'funnel');
  await h.waitComputed(`${lang} funnel persons`);
  await openAndCount(h, page.locator('[data-testid=funnel-persons-link]').nth(1), `${lang} funnel step 2 persons`);
  await close(page);
  await openAndCount(h, page.locator('[data-testid=funnel-dropped-link]').first(), `${lang} funnel dropped persons`);
  // A person opens their profile.
  const person = page.locator('[data-testid=figure-person-link]').first();
  const id = (await person.innerText()).trim();
  await person.click();
  await page.locator('[data-testid=person-title]').waitFor();
  if ((await page.locator('[data-testid=person-title]').innerText()).trim() !== id) problems.push(`${lang} funnel persons: the profile is not ${id}'s`);

  h.setWhere(`${lang} retention persons`);
  await h.nav(t.retention, 'retention');
  await h.waitComputed(`${lang} retention persons`);
  await openAndCount(h, page.locator('[data-testid=retention-cohort-link]').first(), `${lang} retention cohort persons`);
  await close(page);

  h.setWhere(`${lang} trends persons`);
  await h.nav(t.trends, 'trends');
  await h.waitComputed(`${lang} trends persons`);
  const link = page.locator('[data-testid=trends-persons]').first();
  if (await link.count()) {
    // The default series counts events; the drawer lists the persons behind them: some, and
    // at most as many as the events.
    const events = digits(await link.innerText());
    await link.click();
    const total = page.locator('[data-testid=figure-persons-total]');
    await total.waitFor({ timeout: 30000 });
    const listed = digits(await total.innerText());
    if (!(listed > 0 && listed <= events)) problems.push(`${lang} trends persons: ${listed} persons behind ${events} events`);
    await close(page);
  } else problems.push(`${lang} trends persons: no figure opens its persons`);
}
