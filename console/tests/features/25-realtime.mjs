// Overview real-time panel: an event sent through the collector shows in the panel's event
// count at once (from the live stream), and after the next summary read, which holds it, the
// panel shows that read's count: the streamed copy is not added again.
const labels = { 'zh-CN': '运营看板', en: 'Overview' };

const count = async (page) =>
  Number((await page.locator('[data-testid=realtime-events] .ant-statistic-content').innerText()).replace(/[^0-9]/g, ''));

export default async function (h, lang) {
  const { page, problems } = h;
  const where = `${lang} realtime`;
  h.setWhere(where);
  await h.nav(labels[lang], 'overview');
  await page.waitForFunction(() => document.querySelector('[data-testid=realtime-state]')?.getAttribute('data-state') === 'open', null, { timeout: 15000 });
  await page.locator('[data-testid=realtime-updated]').waitFor();
  const before = await count(page);
  const status = await page.evaluate(async (event) => {
    const p = await (await fetch('/api/v1/projects/1', { credentials: 'same-origin' })).json();
    const resp = await fetch('/v1/track', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(p.write_key + ':') },
      body: JSON.stringify({ userId: 'realtime-user', event }),
    });
    return resp.status;
  }, `Realtime ${lang} ${Date.now().toString(36)}`);
  if (status !== 200) {
    problems.push(`${where}: /v1/track answered ${status}`);
    return;
  }
  await page.waitForFunction(
    (want) => Number(document.querySelector('[data-testid=realtime-events] .ant-statistic-content')?.textContent?.replace(/[^0-9]/g, '')) >= want,
    before + 1,
    { timeout: 15000 },
  );
  // The next summary read (every 10 s) holds the event: the panel then shows exactly what that
  // read says, without the streamed copy on top.
  const resp = await page.waitForResponse((r) => r.url().includes('/live/summary') && r.status() === 200, { timeout: 20000 });
  const answer = await resp.json();
  if (!(answer.live?.seq >= 1)) problems.push(`${where}: the summary does not say which streamed events it counts: ${JSON.stringify(answer.live)}`);
  await page.waitForTimeout(300); // let it render
  const after = await count(page);
  if (after !== answer.summary.events) problems.push(`${where}: the panel shows ${after} events, its summary read says ${answer.summary.events}`);
}
