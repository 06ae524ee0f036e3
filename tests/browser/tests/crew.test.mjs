// The crew on its way (001) on a phone: the field worker sets off with an expected arrival, the
// agent's order page says so in words ("已出发，预计 10:40 到达", never just "dispatched"); in a
// basement without signal the worker taps 已到场, the form is kept in the browser (待发送) and
// sent when the network returns (已发送); the agent then sees the crew on site. The visit booked
// for the customer's time (上门预约) shows on the order and on the phone's task.
// Sorts before supervise.test.mjs: the manual clock stays at 10:00 Beijing time.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, withPage, loginOk, open, pathOf, submitAndWait, unique, horizontalOverflow,
  heatOrderForField,
} from '../lib.mjs';

describe('the crew on its way', () => {
  let browser;
  let order;
  before(async () => {
    browser = await launchBrowser();
    order = await heatOrderForField(`暖气片漏水-出发测试-${unique()}`);
  });
  after(async () => { await browser?.close(); });

  test('the agent books a visit for the customer', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-agent');
      await open(page, `/orders/${order.id}`);
      assert.match(await page.textContent('#order-crew'), /已指派，尚未出发/);
      await page.click('#book-visit summary');
      // Today 11:30 in the page's (server's) day: the manual clock is at 10:00.
      const day = await page.evaluate(() => {
        const now = Number(document.querySelector('[data-now]').dataset.now);
        return new Date(now + 8 * 3600 * 1000).toISOString().slice(0, 10);
      });
      await page.fill('#appointment-time', `${day}T11:30`);
      await page.fill('#appointment-note', '业主上午在家');
      await submitAndWait(page, '#do-appointment');
      assert.match(pathOf(page), new RegExp(`^/orders/${order.id}`));
      assert.match(await page.textContent('#order-appointment'), /预约上门 11:30 · 业主上午在家 · 待上门/);
      assert.match(await page.textContent('#deadlines'), /预约上门/);
      await shot('visit-booked');
    });
  });

  test('the worker sets off with an ETA, then arrives without signal', async (t) => {
    await withPage(browser, t, { phone: true }, async ({ page, context, shot }) => {
      await loginOk(page, 'heat-field');
      await page.click('#nav-field');
      await page.waitForURL('**/field');
      const job = page.locator(`.job[data-number="${order.number}"]`);
      await job.waitFor();
      assert.match(await job.locator('.appt-line').textContent(), /预约上门 11:30/);
      assert.match(await job.locator('.crew-line').textContent(), /已指派，尚未出发/);
      await job.locator('input.eta').fill('10:40');
      await shot('set-off-filled');
      await submitAndWait(page, `.job[data-number="${order.number}"] button.set-off`);
      assert.match(pathOf(page), /^\/field\?done=set_off/);
      assert.match(await page.textContent('.flash'), /已记录出发/);
      const after = page.locator(`.job[data-number="${order.number}"]`);
      assert.match(await after.locator('.crew-line').textContent(), /已出发，预计 10:40 到达/);
      const o = await horizontalOverflow(page);
      assert.ok(o.scroll <= o.view, `task list scrolls sideways: ${o.scroll}px in ${o.view}px`);
      await shot('set-off');

      // The agent, asked where the crew is, reads the state and the expected arrival.
      await withPage(browser, t, {}, async ({ page: agent }) => {
        await loginOk(agent, 'heat-agent');
        await open(agent, `/orders/${order.id}`);
        assert.match(await agent.textContent('#order-crew'), /已出发，预计 10:40 到达/);
        assert.equal(await agent.getAttribute('#order-crew', 'data-crew'), 'set_off');
      });

      // A heat station's basement: no signal. The form is kept and waits.
      await context.setOffline(true);
      await page.locator('#offline-banner').waitFor({ state: 'visible' });
      const form = after.locator('form.on-site-form');
      await form.locator('button.on-site').click();
      await page.waitForFunction(
        (n) => document.querySelector(`.job[data-number="${n}"] form.on-site-form`)?.dataset.sync === 'pending',
        order.number,
      );
      assert.equal((await form.locator('.sync-state').textContent()).trim(), '待发送');
      const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('rexian.outbox') || '[]').length);
      assert.equal(kept, 1, 'the form is kept in the browser');
      await shot('offline-pending');

      // Signal again: it is sent by itself.
      await context.setOffline(false);
      await page.waitForFunction(
        (n) => document.querySelector(`.job[data-number="${n}"] form.on-site-form`)?.dataset.sync === 'sent',
        order.number,
        { timeout: 15_000 },
      );
      assert.equal((await form.locator('.sync-state').textContent()).trim(), '已发送');
      assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('rexian.outbox') || '[]').length), 0);
      await page.locator('#offline-banner').waitFor({ state: 'hidden' });
      await shot('sent');

      await open(page, '/field');
      const now = page.locator(`.job[data-number="${order.number}"]`);
      assert.match(await now.locator('.crew-line').textContent(), /已到场/);
      assert.equal(await now.locator('form.done-form').count(), 1, 'done comes next');
    });
  });

  test('the agent sees the crew on site and the visit kept', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-agent');
      await open(page, `/orders/${order.id}`);
      assert.match(await page.textContent('#order-crew'), /刘强 · 已到场 10:0\d/);
      assert.match(await page.textContent('#order-appointment'), /已按约到场/);
      assert.match(await page.textContent('#timeline'), /现场人员出发/);
      assert.equal((await page.textContent('#order-status')).trim(), '处理中');
      await shot('agent-on-site');
    });
  });
});
