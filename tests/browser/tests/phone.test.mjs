// (d) A field worker uses a phone: the home page fits a 390x844 screen without horizontal
// scrolling.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, horizontalOverflow, PHONE } from '../lib.mjs';

describe('field worker on a phone', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('login and home fit a 390x844 screen', async (t) => {
    await withPage(browser, t, { phone: true, viewport: PHONE }, async ({ page, shot }) => {
      await open(page, '/login');
      let o = await horizontalOverflow(page);
      assert.ok(o.scroll <= o.view, `login page scrolls sideways: ${o.scroll}px content in ${o.view}px`);
      await shot('login');

      await loginOk(page, 'heat-field');
      assert.match(await page.textContent('h1'), /刘强/);
      const tags = await page.locator('#roles .tag').allTextContents();
      assert.deepEqual(tags.map((s) => s.trim()), ['现场人员']);
      o = await horizontalOverflow(page);
      assert.equal(o.view, PHONE.width);
      assert.ok(o.scroll <= o.view, `home page scrolls sideways: ${o.scroll}px content in ${o.view}px`);
      // The logout button is on the screen, not off to the side.
      const box = await page.locator('#logout').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `logout button at ${JSON.stringify(box)}`);
      await shot('home');
    });
  });
});
