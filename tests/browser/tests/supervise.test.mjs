// The supervisor's screen: overdue orders grouped by unit with countdown badges, and an
// extension request approved from the screen. Moves the shared manual clock 40 minutes forward,
// so it runs last (files run in name order).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, withPage, loginOk, open, pathOf, submitAndWait, apiToken, api, unique,
  ADMIN_PASSWORD,
} from '../lib.mjs';

describe('supervisor screen', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('supervisor sees overdue orders by unit and approves an extension', async (t) => {
    const agent = await apiToken('heat-agent');
    const handler = await apiToken('heat-handler');
    // The test clock is shared by every company: the group administrator moves it.
    const admin = await apiToken('admin', ADMIN_PASSWORD);
    const me = await api(agent, 'GET', '/api/v1/me');
    const hme = await api(handler, 'GET', '/api/v1/me');
    const o = await api(agent, 'POST', '/api/v1/orders', {
      company_id: me.company_id, category: 'repair', subtype: 'leak', channel: 'phone',
      description: `督办测试 ${unique()} 楼道暖气管漏水`,
      customer: { name: '督办测试', phone: '13900002222', address: '和平里小区3号楼2单元201室', community: '和平里小区' },
    });
    await api(agent, 'POST', `/api/v1/orders/${o.id}/dispatch`, { unit_id: hme.unit_id });
    // A leak is due on site within 30 min (000:四.5(4)): 40 minutes later it is overdue.
    const { now } = await api(admin, 'POST', '/api/v1/admin/clock/advance', { seconds: 40 * 60 });
    const until = new Date(Date.parse(now) + 5 * 3600 * 1000).toISOString();
    const ext = await api(handler, 'POST', `/api/v1/orders/${o.id}/extensions`, { until, reason: '需更换主管道阀门，等待备件' });

    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-supervisor');
      await page.click('#nav-supervise');
      await page.waitForURL('**/supervise');
      // The unit's row counts the order as overdue, and its card carries a red badge.
      const unitRow = page.locator(`#sup-units tr[data-unit="${hme.unit_id}"]`);
      await unitRow.waitFor();
      assert.ok(Number((await unitRow.locator('.n-red').textContent()).trim()) >= 1, 'red count');
      const card = page.locator(`.sup-group[data-unit="${hme.unit_id}"] li[data-number="${o.number}"]`);
      await card.waitFor();
      assert.match(await card.locator('.badge.cd').getAttribute('class'), /\bred\b/);
      assert.match(await card.locator('.cd-text').textContent(), /超时/);
      await shot('overdue-by-unit');

      // The pending extension, approved from here; the screen comes back without it.
      const row = page.locator('#sup-extensions tr.ext-row', { hasText: o.number });
      assert.match(await row.textContent(), /需更换主管道阀门/);
      await shot('extension-pending');
      const resp = await submitAndWait(page, `#sup-ext-approve-${ext.extension_id}`);
      assert.equal(resp.status(), 200);
      assert.equal(pathOf(page), '/supervise?done=extension_approve');
      assert.match(await page.textContent('.flash'), /批准延期/);
      assert.equal(await page.locator(`#sup-ext-approve-${ext.extension_id}`).count(), 0);
      await shot('extension-approved');

      // The order's page shows the moved deadline and the approval in its timeline.
      const full = await api(agent, 'GET', `/api/v1/orders/${o.id}`);
      assert.ok(full.events.some((e) => e.type === 'extension_approved'), 'approval event');
      await open(page, `/orders/${o.id}`);
      assert.match(await page.textContent('#extensions'), /已批准/);
    });
  });

  test('an agent has no supervisor screen', async (t) => {
    await withPage(browser, t, {}, async ({ page }) => {
      await loginOk(page, 'heat-agent');
      assert.equal(await page.locator('#nav-supervise').count(), 0);
      const resp = await open(page, '/supervise');
      assert.equal(resp.status(), 403);
    });
  });
});
