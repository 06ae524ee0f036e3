// The report screen: the month's KPIs with server-drawn SVG charts, and its exports.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open } from '../lib.mjs';

describe('reports', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('supervisor sees the KPIs and the charts render', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-supervisor');
      await page.click('#nav-reports');
      await page.waitForSelector('#kpi-total');
      // The demo seeded this month's orders: the intake is not zero.
      const intake = Number((await page.textContent('#kpi-total div:first-child b')).trim());
      assert.ok(intake > 0, `intake ${intake}`);
      // Two SVG charts with one bar per group, drawn with real sizes.
      const charts = page.locator('svg.bars');
      assert.equal(await charts.count(), 2);
      const bars = await charts.first().locator('rect').count();
      assert.ok(bars >= 1, 'bars drawn');
      const box = await charts.first().locator('rect').first().boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, 'a bar has a size on screen');
      await shot('by-unit');
      await page.selectOption('#report-by', 'category');
      await Promise.all([page.waitForNavigation(), page.click('#report-filter button[type=submit]')]);
      assert.ok((await page.locator('#report-table tbody tr').count()) >= 3, 'one row per category');
      await shot('by-category');
      // The Excel export downloads a workbook.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
      assert.match(download.suggestedFilename(), /\.xlsx$/);
    });
  });

  test('an agent has no reports link', async (t) => {
    await withPage(browser, t, {}, async ({ page }) => {
      await loginOk(page, 'heat-agent');
      assert.equal(await page.locator('#nav-reports').count(), 0);
      const resp = await open(page, '/reports');
      assert.equal(resp.status(), 403);
    });
  });
});
