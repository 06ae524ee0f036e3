// The roster (issue 18, 001 值班): the month view shows the demo power company's roster with the
// shift now marked, every page header shows the current shift, and a supervisor sets a day.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, apiToken, api, submitAndWait } from '../lib.mjs';

describe('roster', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('the month view shows the roster and the header the current shift', async (t) => {
    const agent = await apiToken('power-agent');
    const now = await api(agent, 'GET', '/api/v1/shifts/current');
    assert.equal(now.name, '全天');
    assert.ok(now.users.length > 0, `the demo rosters today: ${JSON.stringify(now)}`);
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-agent');
      // Every page's header: the shift's name and its 24 hours from 08:00 (001).
      const header = (await page.textContent('#current-shift')).trim();
      assert.match(header, /^当班: 全天 \d\d-\d\d 08:00–\d\d-\d\d 08:00$/);
      await open(page, '/roster');
      assert.equal((await page.textContent('#current-shift')).trim(), header);
      assert.deepEqual(await page.locator('#roster thead th').allTextContents(), ['日期', '全天']);
      // Today's line is marked and lists who is on the shift now.
      const today = page.locator(`#day-${now.date}`);
      assert.equal(await today.getAttribute('class'), 'today');
      const cell = (await today.locator('td.now').textContent()).trim();
      for (const u of now.users) assert.ok(cell.includes(u.name), `${cell} lists ${u.name}`);
      // Agents read it; only supervisors and administrators get the forms.
      assert.equal(await page.locator('#roster-day').count(), 0);
      await shot('month');
    });
  });

  test('a supervisor sets one day from the month view', async (t) => {
    const sup = await apiToken('power-supervisor');
    const month = await api(sup, 'GET', '/api/v1/roster');
    const last = month.days[month.days.length - 1].date;
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-supervisor');
      await open(page, '/roster');
      await page.fill('#roster-day input[name=date]', last);
      const agentOption = page.locator('#roster-day select[name=shift_0] option', { hasText: 'power-agent' });
      await page.selectOption('#roster-day select[name=shift_0]', await agentOption.getAttribute('value'));
      await submitAndWait(page, '#roster-day button[type=submit]');
      assert.match(await page.textContent('.flash'), /排班已保存/);
      assert.equal((await page.textContent(`#day-${last} td:nth-child(2)`)).trim(), '王晓梅');
      await shot('day-set');
    });
    const after = await api(sup, 'GET', `/api/v1/roster?month=${last.slice(0, 7)}`);
    const day = after.days.find((d) => d.date === last);
    assert.deepEqual(day.shifts[0].users.map((u) => u.login), ['power-agent']);
  });
});
