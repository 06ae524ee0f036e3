// Month-end closing: a supervisor closes last month, sees what was open at its end and the
// entries made; a month closes once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, submitAndWait, pathOf } from '../lib.mjs';

describe('month-end closing', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('supervisor closes last month once', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-supervisor');
      await page.click('#nav-month-end');
      await page.waitForURL('**/month_end');
      const month = await page.inputValue('#month-end-month');
      assert.match(month, /^\d{4}-\d{2}$/);
      await shot('not-closed');
      const r1 = await submitAndWait(page, '#month-end-run');
      assert.equal(r1.status(), 200);
      assert.equal(pathOf(page), `/month_end?month=${month}&done=1`);
      await page.locator('#month-end-result').waitFor();
      assert.match(await page.textContent('.flash'), /月底结算已完成/);
      // The demo's orders were all taken today: none was open at the end of last month.
      const open = Number((await page.textContent('#month-end-open')).trim());
      const made = Number((await page.textContent('#month-end-entries')).trim());
      assert.equal(await page.locator('#month-end-orders tbody tr').count(), open);
      assert.ok(made >= 0);
      // Closed once: no second run is offered, and the month is in the closed list.
      assert.equal(await page.locator('#month-end-run').count(), 0);
      assert.match(await page.textContent('#month-end-closed'), new RegExp(month));
      await shot('closed');
      // Closing it again with the form's own post is refused (409 naming the month).
      const again = await page.evaluate(async (m) => {
        const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
        const r = await fetch('/month_end', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, month: m }),
        });
        return { status: r.status, text: await r.text() };
      }, month);
      assert.equal(again.status, 409, 'a month closes once');
      assert.match(again.text, /already closed/);
      await page.click('#nav-ledger');
      await page.waitForURL('**/ledger');
    });
  });
});
