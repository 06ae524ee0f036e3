// Outage notices at intake (issue 17): a published notice over the caller's community shows as
// soon as the address is typed, and one click answers and closes the call with it; a wave of calls
// from one community shows on the queue as one incident whose count grows live.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf, apiToken, api, unique } from '../lib.mjs';

describe('outage notices at intake', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('an agent closes a call from the outage area with the notice in three actions', async (t) => {
    const agent = await apiToken('power-agent');
    const me = await api(agent, 'GET', '/api/v1/me');
    const community = `停电测试小区${unique()}`;
    const cause = `10kV线路故障-${unique()}`;
    const now = new Date();
    const n = await api(agent, 'POST', '/api/v1/outages', {
      company_id: me.company_id, kind: 'fault', cause, area: { communities: [community] },
      start_at: now.toISOString(), expected_end_at: new Date(now.getTime() + 4 * 3600e3).toISOString(),
    });
    await api(agent, 'POST', `/api/v1/outages/${n.id}/publish`, {});

    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-agent');
      await open(page, '/intake');
      // 1: the caller's phone; 2: the address, in another spelling of the building.
      await page.fill('#phone', '13700002222');
      await page.locator('#address').pressSequentially(`${community}３栋2单元`);
      const banner = page.locator('#outage-banner .outage-notice');
      await banner.waitFor({ timeout: 5000 });
      assert.match(await banner.textContent(), new RegExp(cause));
      await shot('banner');
      // 3: answer with the notice and close.
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        banner.locator('button.answer-outage').click(),
      ]);
      assert.match(pathOf(page), /^\/orders\/\d+/);
      assert.equal((await page.textContent('#order-status')).trim(), '已办结');
      await shot('closed-with-notice');
    });
    const after = await api(agent, 'GET', `/api/v1/outages/${n.id}`);
    assert.equal(after.contacts.length, 1, JSON.stringify(after));
  });
  test('the queue shows a wave of calls as one incident whose count grows live', async (t) => {
    const agent = await apiToken('power-agent');
    const me = await api(agent, 'GET', '/api/v1/me');
    const community = `群发测试小区${unique()}`;
    const call = (i) => api(agent, 'POST', '/api/v1/orders', {
      company_id: me.company_id, category: 'repair', subtype: 'outage', channel: 'phone',
      description: '家里停电了', customer: { phone: `1370000${String(i).padStart(4, '0')}`, community },
    });
    // The power preset groups 10 calls of one community within 60 minutes.
    for (let i = 0; i < 10; i++) await call(i);
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-agent');
      await open(page, '/queues/mine');
      const chip = page.locator('#queue-incidents .incident-chip', { hasText: community });
      await chip.waitFor({ timeout: 5000 });
      assert.equal((await chip.locator('.incident-count').textContent()).trim(), '10');
      const tagged = page.locator('.order-row .incident-tag', { hasText: community });
      assert.ok((await tagged.count()) >= 1, 'the incident\'s orders are tagged');
      await shot('incident-on-queue');
      // One more call: the live queue counts it without a reload.
      await page.locator('#live[data-live="on"]').waitFor();
      await call(10);
      await chip.locator('.incident-count', { hasText: /^11$/ }).waitFor({ timeout: 12_000 });
      await shot('incident-grew');
      // The chip leads to the incident board.
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), chip.click()]);
      assert.match(pathOf(page), /^\/outages/);
    });
  });
});
