// Temperature measurement (测温, seed 000 §五) on a phone: the field worker records a reading on a
// service/temperature order, the customer refuses to sign (noted), the reading is shown in
// words (valid, below the standard), then the printed measurement record (测温记录单) is saved
// as a PDF artifact. The server's manual clock stands at 10:00 Beijing, inside 08:00–21:00.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  launchBrowser, withPage, loginOk, open, submitAndWait, horizontalOverflow, apiToken, api,
  unique, ARTIFACTS, PHONE,
} from '../lib.mjs';

/** A temperature order dispatched to heat-handler's unit, accepted and assigned to heat-field. */
async function temperatureOrder(description) {
  const agent = await apiToken('heat-agent');
  const handler = await apiToken('heat-handler');
  const field = await apiToken('heat-field');
  const me = await api(agent, 'GET', '/api/v1/me');
  const hme = await api(handler, 'GET', '/api/v1/me');
  const fme = await api(field, 'GET', '/api/v1/me');
  const o = await api(agent, 'POST', '/api/v1/orders', {
    company_id: me.company_id, category: 'service', subtype: 'temperature', channel: 'phone', description,
    customer: { name: '测温用户', phone: '13900002222', address: '和平里小区5号楼2单元302室', community: '和平里小区' },
  });
  await api(agent, 'POST', `/api/v1/orders/${o.id}/dispatch`, { unit_id: hme.unit_id });
  await api(handler, 'POST', `/api/v1/orders/${o.id}/accept`, {});
  await api(handler, 'POST', `/api/v1/orders/${o.id}/assign`, { user_id: fme.id });
  return { id: o.id, number: o.number };
}

describe('temperature measurement on a phone', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('a reading with a refusal, then the printed record as a PDF', async (t) => {
    const o = await temperatureOrder(`申请入户测温 ${unique()}`);
    await withPage(browser, t, { phone: true, viewport: PHONE }, async ({ page, shot }) => {
      await loginOk(page, 'heat-field');
      await open(page, `/orders/${o.id}`);
      const form = page.locator('#form-measure');
      await form.scrollIntoViewIfNeeded();
      assert.equal(await page.inputValue('#m-stage'), 'first');
      await page.fill('#m-room', '16.2');
      await page.fill('#m-outdoor', '-4');
      await page.fill('#m-device', 'TES-1310 #7');
      await page.check('#m-doors');
      await page.check('#m-centre');
      await page.check('#m-refused');
      await page.fill('#m-refusal', '用户认为读数偏低不准，拒绝签字，约定复测');
      await shot('form');
      await submitAndWait(page, '#do-measure');
      assert.match(new URL(page.url()).search, /done=measurements/);
      const reading = page.locator('#readings li.reading').first();
      await reading.scrollIntoViewIfNeeded();
      assert.equal(await reading.getAttribute('data-valid'), 'valid');
      assert.equal(await reading.getAttribute('data-below'), 'below');
      const text = await reading.textContent();
      // In words, not colour alone.
      assert.match(text, /有效/);
      assert.match(text, /低于标准/);
      assert.match(text, /16\.2/);
      assert.match(text, /拒绝签字/);
      assert.match(text, /约定复测/);
      // The cause check runs.
      assert.match(await page.textContent('body'), /查明原因/);
      const o2 = await horizontalOverflow(page);
      assert.ok(o2.scroll <= o2.view, `the order page scrolls sideways: ${o2.scroll}px in ${o2.view}px`);
      await shot('reading');

      await page.click('#measure-print');
      await page.waitForURL(/\/measurements\/print$/);
      await page.locator('#measure-sheet').waitFor();
      assert.match(await page.textContent('#ms-number'), new RegExp(o.number));
      const row = page.locator('#ms-readings tr.ms-reading').first();
      assert.match(await row.textContent(), /首次测温/);
      assert.match(await row.locator('.ms-signature').textContent(), /拒绝签字.*约定复测/);
      await shot('record');
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, 'measure-record.pdf');
      const pdf = await page.pdf({ path: file, format: 'A4', landscape: true, printBackground: true });
      assert.ok(pdf.length > 1000, `the PDF is ${pdf.length} bytes`);
      assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
    });
  });
});
