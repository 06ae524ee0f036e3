// Away periods of the A/B roles (issue 18, 004 AB角): a supervisor records that field worker A is
// away; A's order moves to B, B sees it in the queue marked 代A处理 and on the order page, and
// when A is back early the order returns to A.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, withPage, loginOk, open, submitAndWait, apiToken, api, unique, ADMIN_PASSWORD, DEMO_PASSWORD,
} from '../lib.mjs';

describe('away periods', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test("an away period moves A's order to B, and it comes back when A returns", async (t) => {
    // A is the gas field worker; B a new field worker of the same team, A's partner.
    const admin = await apiToken('admin', ADMIN_PASSWORD);
    const agent = await apiToken('gas-agent');
    const handler = await apiToken('gas-handler');
    const a = await api(await apiToken('gas-field'), 'GET', '/api/v1/me');
    const bLogin = `gas-b-${unique()}`;
    const b = await api(admin, 'POST', '/api/v1/users', {
      login: bLogin, name: `B角${unique()}`, password: DEMO_PASSWORD, roles: ['field_worker'],
      unit_id: a.unit_id, company_id: a.company_id,
    });
    await api(admin, 'PUT', `/api/v1/users/${a.id}/partner`, { partner_id: b.id });
    const o = await api(agent, 'POST', '/api/v1/orders', {
      company_id: a.company_id, category: 'repair', subtype: 'meter', channel: 'phone',
      description: `燃气表不走字 ${unique()}`, customer: { name: '代理测试', phone: '13900002222', community: '城北花园' },
    });
    await api(agent, 'POST', `/api/v1/orders/${o.id}/dispatch`, { unit_id: a.unit_id });
    await api(handler, 'POST', `/api/v1/orders/${o.id}/assign`, { user_id: a.id });

    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'gas-supervisor');
      await open(page, `/away?user_id=${a.id}`);
      assert.match(await page.textContent('#away-partner'), new RegExp(b.name));
      // From now (the form's default) until tomorrow, at a training.
      const from = await page.inputValue('#away-new input[name=from]');
      const until = new Date(Date.parse(`${from}:00Z`) + 24 * 3600e3).toISOString().slice(0, 16);
      await page.fill('#away-new input[name=until]', until);
      await page.selectOption('#away-new select[name=reason]', 'training');
      await page.fill('#away-new input[name=note]', '抢修技能培训');
      await submitAndWait(page, '#away-new button[type=submit]');
      const row = page.locator('#away-list tbody tr').first();
      assert.equal((await row.locator('td.phase').textContent()).trim(), '外出中');
      await shot('recorded');
    });
    assert.equal((await api(agent, 'GET', `/api/v1/orders/${o.id}`)).assignee_id, b.id);

    // B sees it, marked as handled for A, in the queue and on the order page.
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, bLogin);
      await open(page, '/queues/mine');
      const card = page.locator(`.order-row[data-number="${o.number}"]`);
      await card.waitFor();
      assert.match(await card.textContent(), new RegExp(`代${a.name}处理`));
      await shot('b-queue');
      await open(page, `/orders/${o.id}`);
      const who = await page.textContent('#order-assignee');
      assert.match(who, new RegExp(b.name));
      assert.match(who, new RegExp(`代\\s*${a.name}\\s*处理`));
      await shot('b-order');
    });

    // A is back early: the supervisor ends the period; the order is A's again.
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'gas-supervisor');
      await open(page, `/away?user_id=${a.id}`);
      await submitAndWait(page, '#away-list tbody tr:first-child button.end');
      const row = page.locator('#away-list tbody tr').first();
      assert.equal((await row.locator('td.phase').textContent()).trim(), '已结束');
      await shot('ended');
    });
    const back = await api(agent, 'GET', `/api/v1/orders/${o.id}`);
    assert.equal(back.assignee_id, a.id);
    const moves = back.events.filter((e) => e.type === 'assignee_changed').map((e) => e.data.reason);
    assert.deepEqual(moves, ['away', 'return']);
    await withPage(browser, t, {}, async ({ page }) => {
      await loginOk(page, bLogin);
      await open(page, '/queues/mine');
      assert.equal(await page.locator(`.order-row[data-number="${o.number}"]`).count(), 0);
    });
  });
});
