// (e) Logout returns to the login page, and the session is gone: / redirects to /login.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf, submitAndWait } from '../lib.mjs';

describe('logout', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('logout returns to /login and / then redirects to /login', async (t) => {
    await withPage(browser, t, {}, async ({ page, context, shot }) => {
      await loginOk(page, 'heat-dispatcher');
      await shot('home');
      const cookieBefore = (await context.cookies()).find((c) => c.httpOnly && c.name !== 'lang');
      assert.ok(cookieBefore, 'a session cookie after login');

      await submitAndWait(page, '#logout');
      assert.equal(pathOf(page), '/login');
      assert.equal(await page.locator('#login').count(), 1);
      await shot('after-logout');

      const resp = await open(page, '/');
      assert.equal(pathOf(page), '/login', 'home without a session goes to /login');
      assert.equal(resp.status(), 200);
      assert.equal(await page.locator('#roles').count(), 0);

      // The old session token is revoked on the server, not only dropped by the browser.
      await context.addCookies([{ ...cookieBefore }]);
      await open(page, '/');
      assert.equal(pathOf(page), '/login', 'the logged-out session must not work again');
      await shot('old-session-refused');
    });
  });
});
