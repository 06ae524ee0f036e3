// The customer portal on a phone (issue 20): no login, plain forms (it opens inside WeChat's
// browser). A customer submits a demand and gets its number, tracks it by number and phone,
// reads the outage notice covering their address, and answers a callback link once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, open, apiToken, api, unique, horizontalOverflow, BASE_URL } from '../lib.mjs';

describe('customer portal', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('submit, track, outage notice and a callback link, on a phone', async (t) => {
    const agent = await apiToken('heat-agent');
    const me = await api(agent, 'GET', '/api/v1/me');
    const company = me.company_id;
    const community = `门户测试小区${unique()}`;
    const cause = `换热站检修-${unique()}`;
    const now = new Date();
    const n = await api(agent, 'POST', '/api/v1/outages', {
      company_id: company, kind: 'planned', cause, area: { communities: [community] },
      start_at: now.toISOString(), expected_end_at: new Date(now.getTime() + 6 * 3600e3).toISOString(),
    });
    await api(agent, 'POST', `/api/v1/outages/${n.id}/publish`, {});
    const phone = `139${String(Date.now()).slice(-8)}`;

    let number;
    await withPage(browser, t, { phone: true }, async ({ page, shot }) => {
      await open(page, `/p?company_id=${company}`);
      const o = await horizontalOverflow(page);
      assert.ok(o.scroll <= o.view, `fits the phone: ${JSON.stringify(o)}`);
      await shot('home');
      // Submit a demand.
      await page.selectOption('#p-category', 'repair');
      await page.fill('#p-description', '暖气片不热，屋里16度');
      await page.fill('#p-name', '李女士');
      await page.fill('#p-phone', phone);
      await page.fill('#p-address', `${community}3号楼2单元501`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#p-submit')]);
      number = (await page.textContent('#portal-number')).trim();
      assert.ok(number.length > 4, number);
      await shot('submitted');
      // Track it.
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#portal-track-link')]);
      assert.equal((await page.textContent('#portal-status')).trim(), '已受理');
      assert.match(await page.textContent('#portal-steps'), /已受理您的诉求/);
      await shot('tracked');
      // A wrong phone finds nothing.
      await open(page, `/p/track?company_id=${company}&number=${encodeURIComponent(number)}&phone=13000000000`);
      assert.match(await page.textContent('#portal-error'), /没有找到该工单/);
      // The outage notice of the address.
      await open(page, `/p?company_id=${company}`);
      await page.fill('#o-address', `${community}3号楼`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#portal-outage-form button')]);
      assert.match(await page.textContent('#portal-outages'), new RegExp(cause));
      await shot('outage');
    });

    // The centre handles it and sends a callback link.
    const dispatcher = await apiToken('heat-dispatcher');
    const handler = await apiToken('heat-handler');
    const callback = await apiToken('heat-callback');
    const hme = await api(handler, 'GET', '/api/v1/me');
    const found = await api(agent, 'GET', `/api/v1/orders?q=${encodeURIComponent(number)}`);
    const id = found.items[0].id;
    await api(dispatcher, 'POST', `/api/v1/orders/${id}/dispatch`, { unit_id: hme.unit_id });
    await api(handler, 'POST', `/api/v1/orders/${id}/accept`, {});
    await api(handler, 'POST', `/api/v1/orders/${id}/reply`, { result: '已排气，温度恢复' });
    await api(dispatcher, 'POST', `/api/v1/orders/${id}/review`, { approved: true });
    const link = await api(callback, 'POST', `/api/v1/orders/${id}/portal_link`, {});
    const url = link.url.startsWith('http') ? link.url : `${BASE_URL}${link.url}`;
    assert.ok(url.startsWith(BASE_URL), url);

    await withPage(browser, t, { phone: true, javaScriptEnabled: false }, async ({ page, shot }) => {
      await page.goto(url);
      await shot('survey');
      await page.check('input[name=satisfaction][value=satisfied]');
      await page.check('input[name=matches_reply][value=yes]');
      await page.fill('#p-note', '师傅很负责');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#portal-survey button')]);
      assert.match(await page.textContent('#portal-notice'), /感谢您的评价/);
      await shot('answered');
      // Once only.
      await page.goto(url);
      assert.match(await page.textContent('#portal-answered'), /已经答复过/);
      await shot('already-answered');
    });
    const o = await api(agent, 'GET', `/api/v1/orders/${id}`);
    const cb = o.events.filter((e) => e.type === 'callback');
    assert.equal(cb.length, 1, JSON.stringify(o.events));
    assert.equal(cb[0].data.satisfaction, 'satisfied');
  });
});
