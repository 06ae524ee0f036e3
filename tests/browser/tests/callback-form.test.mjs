// The callback form (回访单, seed 000 appendix): the callback agent records a callback with the
// form's fields, opens the form and prints it (PDF from Chromium's print path).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, withPage, loginOk, open, submitAndWait, BASE_URL, DEMO_PASSWORD, ARTIFACTS, unique } from '../lib.mjs';

/** Calls the JSON API as a demo user. */
async function api(login, method, p, body) {
  const s = await fetch(`${BASE_URL}/api/v1/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: DEMO_PASSWORD }),
  });
  const { token } = await s.json();
  const r = await fetch(`${BASE_URL}${p}`, {
    method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

describe('callback form', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('callback agent records a callback and prints the 回访单', async (t) => {
    // An order of the gas demo company, taken to review through the API.
    const me = await api('gas-agent', 'GET', '/api/v1/me');
    const handler = await api('gas-handler', 'GET', '/api/v1/me');
    const tag = unique();
    const o = await api('gas-agent', 'POST', '/api/v1/orders', {
      company_id: me.company_id, category: 'repair', subtype: 'leak', channel: 'phone',
      description: `表后阀门漏气 ${tag}`, customer: { name: '钱女士', phone: '13700001234', address: '城北路66号' },
    });
    await api('gas-dispatcher', 'POST', `/api/v1/orders/${o.id}/dispatch`, { unit_id: handler.unit_id });
    await api('gas-handler', 'POST', `/api/v1/orders/${o.id}/accept`, {});
    await api('gas-handler', 'POST', `/api/v1/orders/${o.id}/reply`, { result: '更换阀门密封圈，试压合格' });
    await api('gas-dispatcher', 'POST', `/api/v1/orders/${o.id}/review`, { approved: true });

    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'gas-callback');
      await open(page, `/orders/${o.id}`);
      await page.check('#cb-reached');
      await page.selectOption('#cb-satisfaction', 'satisfied');
      await page.selectOption('#cb-matches', 'true');
      await page.selectOption('#cb-method', 'on_site');
      await page.fill('#cb-remaining', '无');
      await page.fill('#cb-opinion', '维修及时，态度好');
      await submitAndWait(page, '#do-callback');
      await shot('after-callback');
      await page.click('#callback-form-link');
      await page.waitForSelector('#callback-form');
      assert.match(await page.textContent('#cf-number'), new RegExp(`${o.number}-HF1`));
      assert.match(await page.textContent('#cf-method'), /☑ 现场/);
      assert.equal((await page.textContent('#cf-result')).trim(), '更换阀门密封圈，试压合格');
      assert.equal((await page.textContent('#cf-opinion')).trim(), '维修及时，态度好');
      await shot('callback-form');
      // Printing: the print stylesheet hides the chrome; Chromium renders the form to PDF.
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header.top').isVisible(), false, 'no navigation on paper');
      assert.equal(await page.locator('#callback-form').isVisible(), true);
      const pdf = await page.pdf({ format: 'A4' });
      const file = path.join(ARTIFACTS, `callback-form-${o.number}.pdf`);
      writeFileSync(file, pdf);
      assert.ok(statSync(file).size > 5000, 'a real PDF page');
    });
  });
});
