// (c) The admin creates a unit and a user through the forms and sees them in the tables; the
// new user then signs in.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, withPage, loginOk, login, open, pathOf, submitAndWait, unique, ADMIN_PASSWORD,
} from '../lib.mjs';

describe('admin screens', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  const id = unique();
  const unitName = `浏览器测试班组-${id}`;
  const userLogin = `bt-${id}`;
  const userName = `测试员${id}`;
  const userPassword = `pw-${id}-secret`;

  test('admin creates a unit and a user', async (t) => {
    assert.ok(ADMIN_PASSWORD, 'REXIAN_ADMIN_PASSWORD must be set (run.sh does)');
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'admin', ADMIN_PASSWORD);
      await shot('home');

      // The companies screen lists the demo companies.
      await open(page, '/admin/companies');
      assert.match(await page.textContent('#companies'), /北辰热力有限公司/);
      await shot('companies');

      // A unit under 城东供热分公司 of the heat company.
      await page.click('header.top a[href="/admin/units"]');
      await page.waitForURL('**/admin/units');
      const form = page.locator('form[action="/admin/units"]');
      await form.locator('select[name=company_id]').selectOption({ label: '北辰热力有限公司' });
      await form.locator('select[name=parent_id]').selectOption({ label: '北辰热力有限公司 / 城东供热分公司' });
      await form.locator('input[name=name]').fill(unitName);
      await form.locator('input[name=kind]').fill('repair_team');
      await shot('unit-form');
      const r1 = await submitAndWait(page, 'form[action="/admin/units"] button[type=submit]');
      assert.ok(r1.status() < 400, `creating the unit answered ${r1.status()}`);
      const unitRow = page.locator('#units tbody tr', { hasText: unitName });
      await unitRow.waitFor();
      assert.match(await unitRow.textContent(), /北辰热力有限公司/);
      assert.match(await unitRow.textContent(), /repair_team/);
      await shot('unit-created');

      // A user in the new unit, with the field worker role.
      await open(page, '/admin/users');
      const uf = page.locator('#new-user');
      await uf.locator('input[name=login]').fill(userLogin);
      await uf.locator('input[name=name]').fill(userName);
      await uf.locator('input[name=password]').fill(userPassword);
      await uf.locator('input[name=staff_no]').fill(`S${id}`);
      const unitOption = uf.locator('select[name=unit_id] option', { hasText: unitName });
      assert.equal(await unitOption.count(), 1, 'the new unit is offered in the users form');
      await uf.locator('select[name=unit_id]').selectOption(await unitOption.getAttribute('value'));
      await uf.locator('input[type=checkbox][name=roles][value=field_worker]').check();
      await shot('user-form');
      const r2 = await submitAndWait(page, '#new-user button[type=submit]');
      assert.ok(r2.status() < 400, `creating the user answered ${r2.status()}`);
      const userRow = page.locator(`#users tbody tr[data-login="${userLogin}"]`);
      await userRow.waitFor();
      const rowText = await userRow.textContent();
      assert.match(rowText, new RegExp(userName));
      assert.match(rowText, /现场人员|field_worker/);
      assert.match(rowText, new RegExp(unitName));
      await shot('user-created');
    });
  });

  test('the new user signs in', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await login(page, userLogin, userPassword);
      assert.equal(pathOf(page), '/', `the new user should land on home, is on ${page.url()}`);
      assert.match(await page.textContent('h1'), new RegExp(userName));
      const tags = await page.locator('#roles .tag').allTextContents();
      assert.deepEqual(tags.map((s) => s.trim()), ['现场人员']);
      assert.match(await page.textContent('dl.facts'), new RegExp(unitName));
      await shot('new-user-home');
    });
  });
});
