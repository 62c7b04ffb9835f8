// Live events page: open it from the menu, send an event through the collector with the
// project's write key and watch its row arrive (expand it to see the JSON); pause holds new
// rows back and resume shows them; an event-name filter reconnects the stream and a
// non-matching event does not show. Event names and ids are unique per run and language.
const labels = { 'zh-CN': '实时事件', en: 'Live events' };

// send posts one track event to /v1/track with the project's current write key (read from
// the project API, as Settings may have rotated it).
async function send(page, event, userId, props = {}) {
  const status = await page.evaluate(
    async ([event, userId, props]) => {
      const p = await (await fetch('/api/v1/projects/1', { credentials: 'same-origin' })).json();
      const resp = await fetch('/v1/track', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(p.write_key + ':') },
        body: JSON.stringify({ userId, event, properties: props, context: { scene: 1007, page: { path: 'pages/live/test' } } }),
      });
      return resp.status;
    },
    [event, userId, props],
  );
  if (status !== 200) throw new Error(`/v1/track answered ${status}`);
}

// rowTexts is the text of the table's event cells.
const rowTexts = (page) => page.locator('[data-testid=live-table] [data-testid=live-event]').allInnerTexts();

async function waitRow(page, event, n = 1) {
  await page.waitForFunction(
    ([ev, n]) => [...document.querySelectorAll('[data-testid=live-table] [data-testid=live-event]')].filter((e) => e.textContent.includes(ev)).length >= n,
    [event, n],
    { timeout: 15000 },
  );
}

async function waitOpen(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]')?.getAttribute('data-state') === 'open', null, { timeout: 15000 });
}

export default async function (h, lang) {
  const { page, problems } = h;
  const run = `${lang}-${Date.now().toString(36)}`;
  const where = `${lang} live`;
  h.setWhere(where);
  await h.nav(labels[lang], 'live');
  if (!(await page.locator('main').innerText()).includes(labels[lang])) problems.push(`${where}: page lacks its title`);
  await waitOpen(page);

  // An event sent through the collector arrives.
  const seen = `Live Seen ${run}`;
  const user = `live-user-${run}`;
  await send(page, seen, user, { sku: `SKU-${run}`, price: 9.9 });
  await waitRow(page, seen);
  const row = page.locator('[data-testid=live-table] .ant-table-row', { hasText: seen }).first();
  const text = await row.innerText();
  if (!text.includes(user)) problems.push(`${where}: the row lacks the distinct id ${user}: ${text}`);
  if (!text.includes(`sku=SKU-${run}`)) problems.push(`${where}: the row lacks its key properties: ${text}`);
  // The person number links to the person's profile; today's events show only the time.
  const href = await row.locator('[data-testid=live-person]').getAttribute('href');
  if (href !== `/persons/${encodeURIComponent(user)}`) problems.push(`${where}: the person link is ${href}`);
  const when = await row.locator('[data-testid=live-time]').innerText();
  if (!/^\d\d:\d\d:\d\d\.\d{3}$/.test(when.trim())) problems.push(`${where}: a new event's time reads ${when}`);
  await row.locator('.ant-table-row-expand-icon').click();
  const json = await page.locator('[data-testid=live-json]').first().innerText();
  if (!json.includes(`"user_id": "${user}"`) || !json.includes('"scene": 1007')) problems.push(`${where}: the expanded JSON lacks the event's fields`);
  const received = Number((await page.locator('[data-testid=live-received] .ant-statistic-content').innerText()).replace(/[^0-9]/g, ''));
  if (!(received >= 1)) problems.push(`${where}: received shows ${received}`);

  // Pause holds new rows back; resume shows them.
  h.setWhere(`${where} pause`);
  await page.locator('[data-testid=live-pause]').click();
  const held = `Live Held ${run}`;
  await send(page, held, user);
  await page.waitForFunction(() => /[1-9]/.test(document.querySelector('[data-testid=live-held]')?.textContent || ''), null, { timeout: 15000 });
  if ((await rowTexts(page)).some((t) => t.includes(held))) problems.push(`${where}: a row arrived while paused`);
  await page.locator('[data-testid=live-pause]').click();
  await waitRow(page, held);

  // Clear empties the table.
  await page.locator('[data-testid=live-clear]').click();
  if ((await rowTexts(page)).length) problems.push(`${where}: clear left rows`);

  // An event filter: the stream reconnects with the server filtering; the matching event
  // sent before shows (from the backlog), a non-matching one never does.
  h.setWhere(`${where} filter`);
  await page.locator('[data-testid=live-events]').click();
  await page.keyboard.type(seen);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await waitOpen(page);
  await waitRow(page, seen);
  const other = `Live Other ${run}`;
  await send(page, other, user);
  await send(page, seen, user, { n: 2 });
  await waitRow(page, seen, 2);
  const texts = await rowTexts(page);
  if (texts.some((t) => t.includes(other) || t.includes(held))) problems.push(`${where}: the filter on ${seen} shows ${JSON.stringify(texts)}`);
  await h.expectNoError(where);
}
