// Shift handover item by item (issue 18, `001` 交接班): the outgoing shift sees what it hands
// over and hands over with a note; the incoming shift must tick every item before it can take
// over; the items then head its queue, and the handover prints with them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf, apiToken, api, unique, submitAndWait } from '../lib.mjs';

describe('shift handover', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('the outgoing lists, the incoming acknowledges every item and takes over', async (t) => {
    const agent = await apiToken('power-agent');
    const me = await api(agent, 'GET', '/api/v1/me');
    const tag = unique();
    const o = await api(agent, 'POST', '/api/v1/orders', {
      company_id: me.company_id, category: 'repair', subtype: 'outage', channel: 'phone',
      description: `交接测试停电 ${tag}`, customer: { name: '交接', phone: '13700005555', address: '幸福小区1号楼' },
    });
    const note = `3号楼用户下午回电 ${tag}`;

    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-agent');
      await open(page, '/handover');
      // The product lists what is open, the new order among it.
      await page.locator('#handover-preview', { hasText: o.number }).waitFor({ timeout: 5000 });
      await page.fill('#handover-form textarea[name=note]', note);
      await shot('outgoing');
      await submitAndWait(page, '#hand-over');
      assert.match(pathOf(page), /^\/handover/);
    });
    const list = await api(agent, 'GET', `/api/v1/handovers?company_id=${me.company_id}`);
    const h = list.items.find((x) => x.note === note);
    assert.ok(h, JSON.stringify(list.items.map((x) => x.note)));
    assert.ok(h.items.some((i) => i.kind === 'order' && i.id === o.id), 'the order is handed over');

    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-dispatcher');
      await open(page, '/handover');
      const form = page.locator(`#accept-${h.id}`);
      await form.waitFor();
      assert.match(await form.textContent(), new RegExp(tag));
      const boxes = form.locator('input[name=ack]');
      const n = await boxes.count();
      assert.equal(n, h.items.length);
      const button = form.locator('button.accept');
      // None may be skipped: the button waits for the last tick.
      assert.equal(await button.isDisabled(), true);
      for (let i = 0; i < n - 1; i += 1) await boxes.nth(i).check();
      assert.equal(await button.isDisabled(), true);
      await boxes.nth(n - 1).check();
      assert.equal(await button.isDisabled(), false);
      await form.locator('input[name=note]').fill('已逐项确认');
      await shot('incoming-ticked');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
      // The items head the incoming user's queue.
      assert.match(pathOf(page), /^\/queues/);
      const block = page.locator('#handed-to-me');
      await block.waitFor();
      assert.match(await block.textContent(), new RegExp(o.number));
      await shot('queue');

      // The printable handover: no navigation, the items and who took over.
      await open(page, `/handovers/${h.id}/print`);
      assert.equal(await page.locator('header.top').count(), 0);
      assert.match(await page.textContent('#hs-items'), new RegExp(o.number));
      assert.match(await page.textContent('#hs-accepted-by'), /李建国/);
      await shot('print');

      // The day's duty log shows the handover and its acceptance, and prints without navigation.
      await open(page, `/duty_log?company_id=${me.company_id}&print=1`);
      assert.equal(await page.locator('header.top').count(), 0);
      const log = await page.textContent('#duty-lines');
      assert.match(log, new RegExp(tag));
      assert.match(log, /已逐项确认/);
      await shot('duty-log-print');
    });
    const after = await api(agent, 'GET', `/api/v1/handovers/${h.id}`);
    assert.ok(after.accepted_at, JSON.stringify(after));
  });
});
