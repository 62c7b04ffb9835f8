// Definitions (元数据): the data page, opened from the menu, lists Order Completed with the
// volume the definitions API reports; a display name given to it (unique per language)
// survives a reload and is offered by the funnel's event picker; the event's drawer and the
// project-wide property list show nested paths (products.price, context.scene).
const labels = {
  'zh-CN': { nav: '元数据', funnel: '漏斗分析', name: '支付订单' },
  en: { nav: 'Definitions', funnel: 'Funnel', name: 'Paid order' },
};

export default async (h, lang) => {
  const { page, problems, setWhere, expectNoError, nav } = h;
  const l = labels[lang];
  const search = page.locator('input[data-testid=defs-search], [data-testid=defs-search] input').first();
  const eventRow = (name) => page.locator(`[data-testid=defs-events] tr[data-row-key="${name}"]`);
  const open = async () => {
    await nav(l.nav, 'definitions');
    await page.locator('[data-testid=defs-events] tr[data-row-key]').first().waitFor();
  };

  setWhere(`${lang} definitions: list`);
  await open();
  const defs = await page.evaluate(async () => (await (await fetch('/api/v1/projects/1/definitions/events')).json()).events);
  const want = defs.find((d) => d.name === 'Order Completed');
  if (!want || !(want.count > 0)) problems.push(`definitions: the API lacks Order Completed: ${JSON.stringify(defs).slice(0, 200)}`);
  await search.fill('Order Completed');
  const row = eventRow('Order Completed');
  await row.waitFor();
  const volume = Number((await row.locator('[data-testid=event-volume]').innerText()).replace(/[^0-9]/g, ''));
  if (volume !== want?.count) problems.push(`definitions: the page shows ${volume} Order Completed, the API ${want?.count}`);
  await expectNoError(`${lang} definitions`);

  setWhere(`${lang} definitions: edit`);
  const display = `${l.name} ${Date.now().toString(36)}`;
  await row.locator('[data-testid=edit-definition]').click();
  const input = page.locator('[data-testid=edit-display-name]');
  await input.waitFor({ state: 'visible' });
  await input.fill(display);
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes('/definitions/events/'));
  await page.locator('[data-testid=save-definition]').click();
  if ((await saved).status() !== 200) problems.push(`definitions: saving answered ${(await saved).status()}`);
  await page.locator('[data-testid=definition-editor]').waitFor({ state: 'hidden' });
  await page.reload();
  await page.locator('[data-testid=defs-events] tr[data-row-key]').first().waitFor();
  await search.fill(display);
  const shown = await eventRow('Order Completed').locator('[data-testid=display-name]').innerText();
  if (shown !== display) problems.push(`definitions: after a reload the display name is ${JSON.stringify(shown)}, want ${JSON.stringify(display)}`);

  setWhere(`${lang} definitions: nested paths`);
  await eventRow('Order Completed').click(); // the event's properties
  const drawer = page.locator('[data-testid=event-properties]');
  await drawer.locator('[data-testid=property-name]', { hasText: /^products\.price$/ }).first().waitFor();
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
  await search.fill('');
  await page.locator('[data-testid=tab-properties]').click();
  for (const path of ['context.scene', 'products.price']) {
    await search.fill(path);
    const cell = page.locator('[data-testid=defs-properties] [data-testid=property-name]', { hasText: new RegExp(`^${path.replace('.', '\\.')}$`) });
    await cell.first().waitFor().catch(() => problems.push(`definitions: the property list lacks ${path}`));
  }
  await expectNoError(`${lang} definitions properties`);

  setWhere(`${lang} definitions: funnel picker`);
  await nav(l.funnel, 'funnel');
  await page.locator('[data-testid=computed-at]').first().waitFor({ state: 'visible' });
  const step = page.locator('[data-testid=funnel] .ant-select-selection-search-input').first();
  await step.click();
  await step.fill(display); // typing a display name finds the event
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: display });
  await option.first().waitFor().catch(() => problems.push(`definitions: the funnel's event picker does not offer ${display}`));
  const text = await option.first().innerText().catch(() => '');
  if (!text.includes('Order Completed')) problems.push(`definitions: the picker option ${JSON.stringify(text)} lacks the raw name`);
  await option.first().click().catch(() => {});
  await page.waitForFunction(() => !document.querySelector('.ant-btn-loading'));
  await expectNoError(`${lang} definitions funnel`);
};
