// The admin's policy and calendar screens: an override with a fault shows its line and reason;
// a good one checks and saves. The calendar screen lists the years, warns of a missing one, and
// checks and installs a year file chosen from disk.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, submitAndWait, ADMIN_PASSWORD } from '../lib.mjs';

describe('policies and calendar', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('admin checks a bad override, then saves a good one', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'admin', ADMIN_PASSWORD);
      await page.click('#nav-policies');
      await page.waitForURL('**/admin/policies');
      const section = page.locator('section.policy', { hasText: '北辰热力有限公司' });
      const id = (await section.getAttribute('id')).replace('policy-', '');
      assert.match(await section.locator('pre.code').textContent(), /amber_share/);
      await section.locator('textarea').fill('# 预警比例\namber_share = = 0.7\n');
      const r1 = await submitAndWait(page, `#check-${id}`);
      assert.equal(r1.status(), 422);
      assert.match(await page.textContent(`#outcome-${id}`), /第 2 行：/);
      assert.match(await page.inputValue(`#override-${id}`), /= = 0\.7/, 'the text is kept');
      await shot('bad-override');
      // The preset's own share again: a valid override that changes nothing for other tests.
      await page.fill(`#override-${id}`, 'amber_share = 0.8\n');
      const r2 = await submitAndWait(page, `#check-${id}`);
      assert.equal(r2.status(), 200);
      assert.match(await page.textContent(`#outcome-${id}`), /检查通过/);
      const r3 = await submitAndWait(page, `#save-${id}`);
      assert.equal(r3.status(), 200);
      assert.match(await page.textContent(`#outcome-${id}`), /已保存/);
      await open(page, '/admin/policies');
      assert.equal((await page.inputValue(`#override-${id}`)).trim(), 'amber_share = 0.8');
      await shot('saved');
    });
  });

  test('admin sees the calendar years and installs a year file', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'admin', ADMIN_PASSWORD);
      await page.click('#nav-calendar');
      await page.waitForURL('**/admin/calendar');
      assert.match(await page.textContent('#cal-years'), /2026/);
      const year = new Date().getFullYear() + 1;
      // The shipped calendar has no data for next year yet: the admin is warned.
      assert.match(await page.textContent('#cal-warning'), new RegExp(String(year)));
      await shot('calendar');
      await page.fill('#cal-text', `[[year]]\nyear = ${year}\nholidays = ["${year}-13-01"]\nworkdays = []\n`);
      const r1 = await submitAndWait(page, '#cal-check');
      assert.equal(r1.status(), 422);
      assert.match(await page.textContent('#cal-outcome'), new RegExp(`year ${year}`));
      const good = `[[year]]\nyear = ${year}\nholidays = ["${year}-01-01"]\nworkdays = []\n`;
      await page.fill('#cal-text', '');
      await page.setInputFiles('#cal-file', { name: `cn-${year}.toml`, mimeType: 'text/plain', buffer: Buffer.from(good) });
      await page.waitForFunction(() => document.getElementById('cal-text').value.includes('[[year]]'));
      const r2 = await submitAndWait(page, '#cal-check');
      assert.equal(r2.status(), 200);
      assert.match(await page.textContent('#cal-outcome'), new RegExp(String(year)));
      const r3 = await submitAndWait(page, '#cal-install');
      assert.equal(r3.status(), 200);
      assert.match(await page.textContent('#cal-installed'), new RegExp(String(year)));
      await shot('installed');
    });
  });
});
