// Live queues over SSE: the dispatcher's queue listens on /queues/stream and shows an order made
// elsewhere at once, well before the next 10 s poll (which stays on as the fallback).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, unique, apiToken, api } from '../lib.mjs';

describe('live queues', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('a new order appears in the dispatch queue without waiting for the poll', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-dispatcher');
      await open(page, '/queues/dispatch');
      await page.locator('#live[data-live="on"]').waitFor();
      // Wait for a poll to go by, so the next one is about 10 s away.
      await page.waitForRequest((r) => r.url().includes('/queues/dispatch/rows'), { timeout: 12_000 });
      const started = Date.now();
      const agent = await apiToken('heat-agent');
      const me = await api(agent, 'GET', '/api/v1/me');
      const description = `暖气不热-实时-${unique()}`;
      const o = await api(agent, 'POST', '/api/v1/orders', {
        company_id: me.company_id, category: 'repair', subtype: 'leak', channel: 'phone', description,
        customer: { name: '实时测试', phone: '13900002222', address: '和平里小区6号楼' },
      });
      await page.locator('.order-row', { hasText: o.number }).waitFor({ timeout: 6_000 });
      const took = Date.now() - started;
      assert.ok(took < 6_000, `row appeared after ${took} ms`);
      await shot('live-row');
    });
  });
});
