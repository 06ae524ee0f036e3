// The agent's intake beyond the main path: answer-and-close on the call, a refused intake that
// keeps what was typed, the keyboard shortcuts, and the screen in English.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf, submitAndWait, unique } from '../lib.mjs';

describe('intake', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('a query answered on the call is closed at once', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'gas-agent');
      await open(page, '/intake');
      // F2 jumps to the phone field, F4 to the description.
      await page.keyboard.press('F2');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'phone');
      await page.keyboard.type('13700001111');
      await page.selectOption('#category', 'query');
      await page.keyboard.press('F4');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'description');
      await page.keyboard.type(`询问本月燃气费-${unique()}`);
      await page.fill('#answer', '本月燃气费 86.40 元，可在营业厅或微信缴纳');
      // Ctrl+Enter submits.
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Control+Enter')]);
      assert.match(pathOf(page), /^\/orders\/\d+/);
      assert.equal((await page.textContent('#order-status')).trim(), '已办结');
      assert.match(await page.textContent('#timeline'), /86\.40/);
      await shot('answered-at-once');
    });
  });

  test('a refused intake shows why and keeps what was typed', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'water-agent');
      await open(page, '/intake');
      await page.fill('#phone', '13600002222');
      await page.fill('#name', '保留姓名');
      await page.selectOption('#category', 'repair');
      await page.fill('#description', '水表井盖破损');
      // Only complaints and reports may be anonymous.
      await page.check('#anonymous');
      await submitAndWait(page, '#create');
      assert.equal(pathOf(page), '/intake');
      assert.match(await page.textContent('#intake-error'), /匿名/);
      assert.equal(await page.inputValue('#name'), '保留姓名');
      assert.equal(await page.inputValue('#description'), '水表井盖破损');
      await shot('refused');
    });
  });

  test('the intake and queue screens read in English', async (t) => {
    await withPage(browser, t, { locale: 'en-US' }, async ({ page, context, shot }) => {
      await loginOk(page, 'power-agent');
      await context.addCookies([{ name: 'lang', value: 'en', url: page.url() }]);
      for (const p of ['/intake', '/queues/mine', '/queues/dispatch']) {
        await open(page, p);
        const text = await page.textContent('main');
        // Demo data stays Chinese; no label may fall back to its raw catalogue key.
        assert.doesNotMatch(text, /\b(intake|queue|order|step|cd|lookup|category|status|deadline|subtype)\.[a-z_]+\b/, `${p} shows a raw catalogue key`);
      }
      await open(page, '/intake');
      assert.match(await page.textContent('h1'), /Take a call/);
      await shot('intake-en');
    });
  });
});
