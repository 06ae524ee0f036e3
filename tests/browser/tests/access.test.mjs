// (f) A non-admin opening an admin screen is refused: 403 and no table of users.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf } from '../lib.mjs';

describe('admin screens refuse non-admins', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('heat-agent gets 403 on /admin/users', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-agent');
      assert.equal(await page.locator('header.top a[href^="/admin"]').count(), 0, 'no admin links for an agent');

      for (const p of ['/admin/users', '/admin/units', '/admin/companies']) {
        const resp = await open(page, p);
        assert.equal(resp.status(), 403, `${p} answered ${resp.status()}`);
        assert.equal(pathOf(page), p);
        assert.equal(await page.locator('table').count(), 0, `${p} shows a table`);
        assert.equal(await page.locator('main form').count(), 0, `${p} shows an admin form`);
        assert.match(await page.textContent('main'), /出错了|forbidden/, `${p} shows the refusal page`);
        const body = await page.textContent('body');
        assert.doesNotMatch(body, /heat-admin|gas-agent/, `${p} leaks user data`);
        await shot(`refused-${p.split('/').pop()}`);
      }
    });
  });

  test('without a session /admin/users goes to /login', async (t) => {
    await withPage(browser, t, {}, async ({ page }) => {
      await open(page, '/admin/users');
      assert.equal(pathOf(page), '/login');
      assert.equal(await page.locator('#users').count(), 0);
    });
  });
});
