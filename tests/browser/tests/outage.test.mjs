// Outage notices at intake (issue 17): a published notice over the caller's community shows as
// soon as the address is typed, and one click answers and closes the call with it.
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
});
