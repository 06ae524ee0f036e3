// The assessment ledger: an assessor adds a manual deduction with a reason, reverses it with a
// reason, and downloads the monthly statement.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, submitAndWait, unique } from '../lib.mjs';

describe('assessment ledger', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('assessor adds an entry and reverses it', async (t) => {
    const reason = `抢修迟到 ${unique()}`;
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-assessor');
      await page.click('#nav-ledger');
      await page.waitForURL('**/ledger');
      const unit = page.locator('#entry-subject option[value^="unit:"]').first();
      await page.selectOption('#entry-subject', await unit.getAttribute('value'));
      await page.fill('#entry-points', '-2');
      await page.fill('#entry-reason', reason);
      await shot('entry-form');
      await submitAndWait(page, '#entry-submit');
      assert.match(await page.textContent('.flash'), /已录入/);
      const row = page.locator('#entries tr.entry-row', { hasText: reason });
      assert.equal((await row.locator('.points').textContent()).trim(), '-2');
      const id = await row.getAttribute('data-id');
      assert.ok((await page.locator('#statement tbody tr').count()) >= 1, 'statement line');

      await page.fill(`#reverse-reason-${id}`, '核实为用户原因，冲销');
      await submitAndWait(page, `#reverse-${id}`);
      assert.match(await page.textContent('.flash'), /已冲销/);
      const reversal = page.locator('#entries tr.entry-row', { hasText: '核实为用户原因' });
      assert.equal((await reversal.locator('.points').textContent()).trim(), '2');
      assert.match(await reversal.textContent(), new RegExp(`冲销 #${id}`));
      assert.match(await page.locator(`#entries tr[data-id="${id}"]`).textContent(), /已冲销/);
      assert.equal(await page.locator(`#reverse-${id}`).count(), 0, 'reversed once');
      await shot('reversed');

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#statement-xlsx')]);
      assert.match(download.suggestedFilename(), /\.xlsx$/);
    });
  });

  test('a supervisor reads the ledger without the entry form', async (t) => {
    await withPage(browser, t, {}, async ({ page }) => {
      await loginOk(page, 'heat-supervisor');
      await page.click('#nav-ledger');
      await page.waitForURL('**/ledger');
      assert.equal(await page.locator('#entry-form').count(), 0);
      const resp = await open(page, '/ledger?month=2026-13');
      assert.equal(resp.status(), 400, 'a bad month names the field');
      assert.match(await page.textContent('main'), /month/);
    });
  });
});
