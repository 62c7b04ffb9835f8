// Projects: create a project from the header (its secret key is shown once), see its empty
// overview render without errors, then switch back to the demo shop (#1) for what follows.
export default async function projects(h, lang) {
  const { page, problems } = h;
  h.setWhere(`${lang} new project`);
  const name = `${lang === 'en' ? 'Test shop' : '测试小店'} ${Date.now() % 100000}`;
  await page.locator('[data-testid=new-project]').click();
  await page.locator('[data-testid=new-project-name]').fill(name);
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/projects') && r.request().method() === 'POST');
  await page.locator('[data-testid=new-project-create]').click();
  const body = await (await created).json();
  const secret = (await page.locator('[data-testid=new-project-secret]').innerText()).trim();
  if (!body.secret_key || !secret.startsWith(body.secret_key.slice(0, 8))) problems.push(`${lang} new project: secret shown ${JSON.stringify(secret)}, created ${JSON.stringify(body.secret_key)}`);
  await page.locator('[data-testid=new-project-done]').click();
  await page.locator('.ant-modal:visible').waitFor({ state: 'hidden' });
  const selected = await page.locator('[data-testid=project]').innerText();
  if (!selected.includes(name)) problems.push(`${lang} new project: the switcher shows ${JSON.stringify(selected)}, want ${name}`);
  await page.locator('[data-testid=nav]').getByText(lang === 'en' ? 'Overview' : '运营看板', { exact: true }).click();
  await page.locator('[data-testid=overview]').waitFor();
  await h.waitComputed(`${lang} new project overview`);
  // Back to the demo shop.
  await h.pick(page.locator('[data-testid=project]'), '(#1)');
  await page.waitForFunction(() => (document.querySelector('[data-testid=project]')?.textContent || '').includes('(#1)'));
  await h.waitComputed(`${lang} back to the demo shop`);
}
