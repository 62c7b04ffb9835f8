// Persons page: open it from the menu, find a demo member with many events through the API
// (as a script would), search for their user id, open the profile, check the identifiers,
// the order count (against the API) and the timeline (newest first, rows expand to JSON,
// "load more" adds the next page), then go back to the search.
const labels = { 'zh-CN': '用户', en: 'Persons' };
const titles = { 'zh-CN': '用户细查', en: 'Persons' };

// getJSON fetches an API path with the page's session.
function getJSON(page, path) {
  return page.evaluate(async (p) => {
    const resp = await fetch(p, { headers: { Accept: 'application/json' } });
    return { status: resp.status, body: await resp.json() };
  }, path);
}

// findMember returns a demo person with a user id and more than one timeline page of
// events, preferring one with orders.
async function findMember(page) {
  let cursor = '';
  let best;
  for (let i = 0; i < 5; i++) {
    const params = new URLSearchParams({ q: 'm', limit: '100' });
    if (cursor) params.set('cursor', cursor);
    const r = await getJSON(page, `/api/v1/projects/1/persons?${params}`);
    if (r.status !== 200) return undefined;
    for (const p of r.body.persons) {
      if (!p.identifiers.some((i) => i.is_user) || p.event_count <= 50) continue;
      if (!best || p.event_count > best.event_count) best = p;
    }
    if (best && best.event_count > 120) break;
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  return best;
}

export default async function (h, lang) {
  const { page, problems } = h;
  const fail = (m) => problems.push(`${lang} persons: ${m}`);
  h.setWhere(`${lang} persons`);
  await h.nav(labels[lang], 'persons');
  const text = await page.locator('main').innerText();
  if (!text.includes(titles[lang])) fail(`page lacks its title ${titles[lang]}`);
  await page.locator('[data-testid=person-row]').first().waitFor();
  await h.expectNoError(`${lang} persons list`);

  const member = await findMember(page);
  if (!member) {
    fail('no demo person with a user id and more than 50 events (is the demo loaded?)');
    return;
  }
  const userID = member.identifiers.find((i) => i.is_user).distinct_id;

  h.setWhere(`${lang} persons search ${userID}`);
  const box = page.locator('input[data-testid=persons-search], [data-testid=persons-search] input').first();
  await box.fill(userID);
  await box.press('Enter');
  const row = page.locator(`[data-testid=person-row][data-distinct-id="${userID}"]`);
  await row.waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid=persons-table] .ant-spin-spinning'));
  const rows = await page.locator('[data-testid=person-row]').count();
  if (rows < 1) fail(`search ${userID} shows no row`);
  await h.expectNoError(`${lang} persons search`);

  h.setWhere(`${lang} persons profile ${userID}`);
  await row.locator('[data-testid=person-link]').click();
  await page.locator('[data-testid=person-title]').waitFor();
  if (!page.url().endsWith('/persons/' + encodeURIComponent(userID))) fail(`profile URL ${page.url()}`);
  const title = await page.locator('[data-testid=person-title]').innerText();
  if (title.trim() !== userID) fail(`profile title ${JSON.stringify(title)}, want ${userID}`);
  const api = await getJSON(page, `/api/v1/projects/1/persons/${encodeURIComponent(userID)}`);
  if (api.status !== 200) {
    fail(`profile API answered ${api.status}`);
    return;
  }
  const prof = api.body;
  const ids = await page.locator('[data-testid=identifiers] .ant-table-row').allInnerTexts();
  if (ids.length !== prof.identifiers.length || !ids.some((t) => t.includes(userID))) {
    fail(`identifiers shown ${JSON.stringify(ids)}, API has ${prof.identifiers.map((i) => i.distinct_id)}`);
  }
  const shownOrders = (await page.locator('[data-testid=orders-count] .ant-statistic-content').innerText()).replace(/[^0-9]/g, '');
  if (Number(shownOrders) !== prof.orders.count) fail(`order count shown ${shownOrders}, API says ${prof.orders.count}`);
  const recent = await page.locator('[data-testid=recent-orders] .ant-table-row').count();
  if (recent !== prof.orders.recent.length) fail(`recent orders shown ${recent}, API has ${prof.orders.recent.length}`);
  // Every recent order says whether it was completed, cancelled or refunded, and the note
  // says what the count includes.
  const kinds = await page.locator('[data-testid=recent-orders] [data-testid=order-kind]').count();
  if (kinds !== prof.orders.recent.length) fail(`${kinds} of ${prof.orders.recent.length} recent orders show their kind`);
  if (!(await page.locator('[data-testid=orders-note]').count())) fail('the orders card lacks its note on what is counted');
  if (prof.traits && Object.keys(prof.traits).length) {
    const traits = await page.locator('[data-testid=trait]').count();
    if (traits !== Object.keys(prof.traits).length) fail(`traits shown ${traits}, API has ${Object.keys(prof.traits).length}`);
  }

  // Timeline: the first page, newest first; the first row expands to its JSON.
  const timelineRows = page.locator('[data-testid=timeline] [data-testid=timeline-row]');
  await timelineRows.first().waitFor();
  const first = await timelineRows.count();
  const expected = Math.min(50, prof.event_count);
  if (first !== expected) fail(`timeline shows ${first} rows, want ${expected}`);
  const tl = await getJSON(page, `/api/v1/projects/1/persons/${encodeURIComponent(userID)}/events?limit=1`);
  await timelineRows.first().click();
  const json = await page.locator('[data-testid=event-json]').first().innerText();
  if (!json.includes(tl.body.events[0].event_id)) fail(`the first timeline row is not the newest event ${tl.body.events[0].event_id}`);
  await h.expectNoError(`${lang} persons profile`);

  h.setWhere(`${lang} persons load more`);
  await page.locator('[data-testid=timeline-more]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=timeline] [data-testid=timeline-row]').length > n, first);
  const more = await timelineRows.count();
  const want = Math.min(100, prof.event_count);
  if (more !== want) fail(`after load more the timeline shows ${more} rows, want ${want}`);
  await h.expectNoError(`${lang} persons load more`);

  // The event filter asks the server: every row is of the chosen event, as many as the API
  // gives for it.
  h.setWhere(`${lang} persons timeline filter`);
  const name = tl.body.events[0].event;
  await h.pick(page.locator('[data-testid=timeline-filter]'), name);
  await page.keyboard.press('Escape');
  await page.waitForFunction(
    (ev) => {
      const cells = [...document.querySelectorAll('[data-testid=timeline] [data-testid=timeline-row]')];
      return cells.length > 0 && cells.every((r) => r.textContent.includes(ev)) && !document.querySelector('[data-testid=timeline] .ant-spin-spinning');
    },
    name,
    { timeout: 15000 },
  );
  const only = await getJSON(page, `/api/v1/projects/1/persons/${encodeURIComponent(userID)}/events?limit=50&event=${encodeURIComponent(name)}`);
  const filteredRows = await timelineRows.count();
  if (filteredRows !== only.body.events.length) fail(`filtered timeline shows ${filteredRows} rows, the API gives ${only.body.events.length} ${name} events`);
  await h.expectNoError(`${lang} persons timeline filter`);

  h.setWhere(`${lang} persons back`);
  await page.locator('[data-testid=persons-back]').click();
  await page.locator(`[data-testid=person-row][data-distinct-id="${userID}"]`).waitFor();
  await h.expectNoError(`${lang} persons back`);
}
