// (b) A wrong password shows the error and stays on the login page; the right one lands on the
// home page with the user's name and role tags.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, login, pathOf, DEMO_PASSWORD } from '../lib.mjs';

describe('login', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('wrong password shows the error, right password lands on home', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      const bad = await login(page, 'heat-supervisor', 'not-the-password');
      assert.equal(bad.status(), 401);
      assert.equal(pathOf(page), '/login');
      const err = page.locator('section.login [role=alert]');
      await err.waitFor();
      assert.equal((await err.textContent()).trim(), '登录名或密码错误');
      assert.equal(await page.locator('#roles').count(), 0);
      assert.equal(await page.locator('#logout').count(), 0);
      await shot('wrong-password');

      await login(page, 'heat-supervisor', DEMO_PASSWORD);
      assert.equal(pathOf(page), '/');
      assert.match(await page.textContent('h1'), /欢迎，赵敏/);
      const tags = await page.locator('#roles .tag').allTextContents();
      assert.deepEqual(tags.map((s) => s.trim()), ['值班长/主任']);
      assert.match(await page.textContent('header.top .who'), /heat-supervisor/);
      // Not an admin: no admin links.
      assert.equal(await page.locator('header.top a[href^="/admin"]').count(), 0);
      await shot('home');
    });
  });
});
