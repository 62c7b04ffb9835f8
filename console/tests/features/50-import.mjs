// Import page: upload a generated CSV with a custom mapping through the file input, watch the
// job reach done, and find its events through the query API; then upload a file with a bad
// row: the job fails, the page shows the row's line number, and nothing was imported. Event
// names and file names are unique per run and language.
const labels = { 'zh-CN': '数据导入', en: 'Import' };

const mapping = (ns) =>
  JSON.stringify(
    {
      format: 'csv',
      event: { column: 'event' },
      person: { user_id: 'user' },
      time: { column: 'ts', format: 'unix' },
      message_id: { namespace: ns },
      properties: [{ column: 'amount', name: 'amount', type: 'decimal' }],
    },
    null,
    2,
  );

// csv gives n rows of one event, an hour apart up to an hour ago; bad replaces rows by index.
function csv(event, n, bad = {}) {
  const now = Math.floor(Date.now() / 1000);
  const lines = ['event,user,ts,amount'];
  for (let i = 0; i < n; i++) lines.push(bad[i] ?? `${event},imp-u${i % 4},${now - 3600 * (i + 1)},${i}.25`);
  return lines.join('\n') + '\n';
}

// countEvents asks the query API, as a script would, how many events of a name the last 7
// days hold.
async function countEvents(page, event) {
  return page.evaluate(async (ev) => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('jingyun_csrf='))?.split('=')[1] ?? '';
    const resp = await fetch('/api/v1/projects/1/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
      body: JSON.stringify({ kind: 'trends', interval: 'day', date_range: { from: '-6d', to: 'today' }, series: [{ event: ev, math: 'total' }] }),
    });
    const body = await resp.json();
    return body.result.trends.series[0].points.reduce((s, p) => s + p.value, 0);
  }, event);
}

// runImport chooses the file, types the mapping, starts, and waits for the job to end; it
// returns the final state.
async function runImport(h, name, content, map) {
  const { page } = h;
  await page.locator('[data-testid=import-file] input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content) });
  await page.locator('[data-testid=mapping]').fill(map);
  await page.locator('[data-testid=import-start]').click();
  await page.waitForFunction(
    (file) => {
      const card = document.querySelector('[data-testid=job]');
      const st = card?.querySelector('[data-testid=job-state]')?.getAttribute('data-state');
      return card?.textContent?.includes(file) && ['done', 'failed', 'cancelled'].includes(st);
    },
    name,
    { timeout: 30000 },
  );
  return page.locator('[data-testid=job] [data-testid=job-state]').getAttribute('data-state');
}

export default async function (h, lang) {
  const { page, problems } = h;
  const run = `${lang}-${Date.now().toString(36)}`;
  h.setWhere(`${lang} import`);
  await h.nav(labels[lang], 'import');
  const title = await page.locator('main').innerText();
  if (!title.includes(labels[lang])) problems.push(`${lang} import: page lacks its title`);
  // The presets are offered, and the first is shown as JSON to start from.
  await page.waitForFunction(() => (document.querySelector('[data-testid=mapping]')?.value || '').includes('"format"'));
  await h.expectNoError(`${lang} import page`);

  const good = `Imported Visit ${run}`;
  const goodFile = `visits-${run}.csv`;

  // The mapping builder reads the chosen file's header and guesses the columns' roles; its
  // mapping goes into the editor.
  h.setWhere(`${lang} import mapping builder`);
  await page.locator('[data-testid=import-file] input[type=file]').setInputFiles({ name: goodFile, mimeType: 'text/csv', buffer: Buffer.from(csv(good, 30)) });
  await page.locator('[data-testid=builder-preview] .ant-table-row').first().waitFor();
  const previewRows = await page.locator('[data-testid=builder-preview] .ant-table-row').count();
  if (previewRows !== 5) problems.push(`${lang} import: the builder previews ${previewRows} rows, want 5`);
  await page.locator('[data-testid=builder-generate]').click();
  const built = JSON.parse(await page.locator('[data-testid=mapping]').inputValue());
  const want = { format: 'csv', event: { column: 'event' }, person: { user_id: 'user' }, time: { column: 'ts', format: 'unix' }, properties: [{ column: 'amount', name: 'amount', type: 'decimal' }] };
  if (JSON.stringify(built) !== JSON.stringify(want)) problems.push(`${lang} import: the builder made ${JSON.stringify(built)}`);

  h.setWhere(`${lang} import a good file`);
  const state = await runImport(h, goodFile, csv(good, 30), mapping(`e2e-${run}`));
  if (state !== 'done') problems.push(`${lang} import: ${goodFile} ended ${state}: ${await page.locator('[data-testid=job]').innerText()}`);
  const events = (await page.locator('[data-testid=job-events]').innerText()).replace(/[^0-9]/g, '');
  if (events !== '30') problems.push(`${lang} import: the job shows ${events} events, want 30`);
  const pct = await page.locator('[data-testid=job-progress]').innerText();
  if (!/100/.test(pct) && !(await page.locator('[data-testid=job-progress] .anticon-check-circle').count())) problems.push(`${lang} import: progress shows ${JSON.stringify(pct)} at done`);
  const stored = await countEvents(page, good);
  if (stored !== 30) problems.push(`${lang} import: the query API finds ${stored} ${good} events, want 30`);
  await h.expectNoError(`${lang} import done`);

  const bad = `Imported Broken ${run}`;
  const badFile = `broken-${run}.csv`;
  h.setWhere(`${lang} import a file with a bad row`);
  // Row index 4 is line 6 of the file (the header is line 1).
  const badState = await runImport(h, badFile, csv(bad, 12, { 4: `${bad},imp-u1,not-a-time,1.00` }), mapping(`e2e-${run}`));
  if (badState !== 'failed') problems.push(`${lang} import: ${badFile} ended ${badState}, want failed`);
  const lines = await page.locator('[data-testid=bad-rows] [data-testid=bad-line]').allInnerTexts();
  if (JSON.stringify(lines) !== '["6"]') problems.push(`${lang} import: bad rows show lines ${JSON.stringify(lines)}, want ["6"]`);
  const reason = await page.locator('[data-testid=bad-rows]').innerText();
  if (!reason.includes('not-a-time')) problems.push(`${lang} import: the bad row's reason does not quote the cell: ${reason.slice(0, 200)}`);
  if (!(await page.locator('[data-testid=job-error]').count())) problems.push(`${lang} import: the failed job shows no explanation`);
  const none = await countEvents(page, bad);
  if (none !== 0) problems.push(`${lang} import: a refused file stored ${none} events`);

  // Both are in the recent imports, newest first.
  const list = await page.locator('[data-testid=imports-list] .ant-table-row').allInnerTexts();
  if (!list[0]?.includes(badFile) || !list[1]?.includes(goodFile)) problems.push(`${lang} import: recent imports ${JSON.stringify(list.slice(0, 2))}`);
  await h.expectNoError(`${lang} import failed`);
}
