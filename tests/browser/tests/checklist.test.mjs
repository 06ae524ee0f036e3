// The one-time-notification checklist (一次性告知, 004:第三章): choosing a service item at intake
// shows its materials, procedure, time limit, fees and basis; the checklist prints as a page.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open } from '../lib.mjs';

describe('one-time notification', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('choosing a service item shows its checklist, which prints', async (t) => {
    await withPage(browser, t, {}, async ({ page, context, shot }) => {
      await loginOk(page, 'heat-agent');
      await open(page, '/intake');
      await page.selectOption('#category', 'service');
      await page.locator('#subtype option[value="temperature"]').waitFor({ state: 'attached' });
      await page.selectOption('#subtype', 'temperature');
      const card = page.locator('#checklist-card');
      await card.waitFor();
      assert.match(await card.textContent(), /室温测量/);
      assert.match(await page.textContent('#checklist-time'), /24 小时/);
      assert.ok((await page.locator('#checklist-materials li').count()) >= 1);
      await shot('checklist-shown');

      // An item without a checklist clears the card.
      await page.selectOption('#subtype', 'other');
      await card.waitFor({ state: 'detached' });

      await page.selectOption('#subtype', 'install');
      await card.waitFor();
      const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#checklist-print')]);
      await popup.waitForLoadState('load');
      assert.match(await popup.textContent('#cl-item'), /供热报装/);
      await popup.emulateMedia({ media: 'print' });
      assert.equal(await popup.locator('header.top').isVisible(), false, 'header hidden in print');
      assert.ok(await popup.locator('#checklist-form').isVisible());
      await popup.screenshot({ path: (await shot('intake-install')).replace(/\.png$/, '-print.png'), fullPage: true });
    });
  });
});
