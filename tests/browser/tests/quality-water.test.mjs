// The water-quality test (003:3) on a phone: the field worker records the sample, then the lab's
// result with its report number, then replies; the order shows the test and that the service is
// free of charge (003 序言 全程零收费). Sorts before supervise.test.mjs (which moves the clock).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, withPage, loginOk, open, pathOf, submitAndWait, unique, horizontalOverflow,
  apiToken, api, PHONE,
} from '../lib.mjs';

describe('water-quality test on a phone', () => {
  let browser;
  let order;
  before(async () => {
    browser = await launchBrowser();
    const agent = await apiToken('water-agent');
    const handler = await apiToken('water-handler');
    const field = await apiToken('water-field');
    const me = await api(agent, 'GET', '/api/v1/me');
    const hme = await api(handler, 'GET', '/api/v1/me');
    const fme = await api(field, 'GET', '/api/v1/me');
    order = await api(agent, 'POST', '/api/v1/orders', {
      company_id: me.company_id, category: 'service', subtype: 'water_quality', channel: 'phone',
      description: `自来水发黄有异味，申请水质化验 ${unique()}`,
      customer: { name: '水质测试', phone: '13900003333', address: '城北花园2号楼1单元302室', community: '城北花园' },
    });
    await api(agent, 'POST', `/api/v1/orders/${order.id}/dispatch`, { unit_id: hme.unit_id });
    await api(handler, 'POST', `/api/v1/orders/${order.id}/accept`, {});
    await api(handler, 'POST', `/api/v1/orders/${order.id}/assign`, { user_id: fme.id });
  });
  after(async () => { await browser?.close(); });

  test('sample → lab result → reply, free of charge', async (t) => {
    await withPage(browser, t, { phone: true, viewport: PHONE }, async ({ page, shot }) => {
      await loginOk(page, 'water-field');
      await open(page, `/orders/${order.id}`);
      assert.match(await page.textContent('#water-free'), /免费/);
      // The reply waits for the lab result: only the sample form is offered first.
      assert.equal(await page.locator('#form-lab_result').count(), 0);
      await page.fill('#sample-point', '厨房水龙头');
      await shot('sample');
      await submitAndWait(page, '#do-sample');
      assert.equal(pathOf(page).split('?')[0], `/orders/${order.id}`);
      assert.match(await page.textContent('.flash'), /取样/);
      assert.match(await page.textContent('#water-facts'), /厨房水龙头/);
      assert.match(await page.textContent('#timeline'), /提取水样/);

      await page.fill('#lab-report-no', 'SZ-2026-0815');
      await page.selectOption('#lab-passed', 'true');
      await submitAndWait(page, '#do-lab_result');
      const facts = await page.textContent('#water-facts');
      assert.match(facts, /SZ-2026-0815/);
      assert.match(facts, /合格/);
      assert.match(await page.textContent('#timeline'), /水质化验结果/);
      let o = await horizontalOverflow(page);
      assert.ok(o.scroll <= o.view, `order page scrolls sideways: ${o.scroll}px in ${o.view}px`);
      await shot('lab-result');

      await page.fill('#reply-result', '水样经检测合格（报告 SZ-2026-0815），已电话告知用户');
      await submitAndWait(page, '#do-reply');
      await shot('replied');
    });
    const field = await apiToken('water-field');
    const agent = await apiToken('water-agent');
    const v = await api(agent, 'GET', `/api/v1/orders/${order.id}`);
    assert.equal(v.status, 'replied');
    assert.equal(v.free_of_charge, true);
    assert.equal(v.water_quality.report_no, 'SZ-2026-0815');
    assert.equal(v.water_quality.passed, true);
    assert.equal(v.water_quality.point, '厨房水龙头');
    assert.ok(field);
  });
});
