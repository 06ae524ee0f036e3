// (a) The login page is Chinese first, whatever the browser's language; it switches to English
// and back, and the choice is kept on the next visit.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, open, pathOf } from '../lib.mjs';

describe('login page language', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('Chinese first, switch to English and back', async (t) => {
    // An English browser: the product still starts in Chinese (the language is a cookie).
    await withPage(browser, t, { locale: 'en-US' }, async ({ page, shot }) => {
      const resp = await open(page, '/login');
      assert.equal(resp.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.match(await page.title(), /登录/);
      assert.equal((await page.textContent('#submit')).trim(), '登录');
      assert.match(await page.textContent('section.login'), /登录名/);
      await shot('zh');

      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'English' }).click()]);
      assert.equal(pathOf(page), '/login', 'the switch returns to the page it was on');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.equal((await page.textContent('#submit')).trim(), 'Sign in');
      assert.doesNotMatch(await page.textContent('section.login'), /登录/);
      await shot('en');

      // Kept on the next visit.
      await open(page, '/login');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');

      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '中文' }).click()]);
      assert.equal(pathOf(page), '/login');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.equal((await page.textContent('#submit')).trim(), '登录');
      await shot('zh-again');
    });
  });
});
