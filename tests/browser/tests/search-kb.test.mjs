// Search and the knowledge base: the search page answers as the agent types (synonyms, order
// numbers), the intake suggests published articles from the caller's words, and a supervisor
// writes an article that waits for another person's review.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf, submitAndWait, unique, apiToken, api } from '../lib.mjs';

describe('search and knowledge base', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('the search page finds orders and articles as the agent types', async (t) => {
    // An order to find by its words and its number.
    const token = await apiToken('heat-agent');
    const me = await api(token, 'GET', '/api/v1/me');
    const tag = unique();
    const order = await api(token, 'POST', '/api/v1/orders', {
      company_id: me.company_id, category: 'repair', subtype: 'not_warm', channel: 'phone',
      description: `客厅温度低，暖气片冰凉 ${tag}`, customer: { phone: '13512345678', address: '幸福里小区7号楼3单元502' },
    });
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-agent');
      await page.click('#nav-search');
      assert.equal(pathOf(page), '/search');
      // A synonym of the caller's words finds the order (暖气不热 → 温度低/冰凉).
      await page.fill('#search-q', `暖气不热 ${tag}`);
      await page.locator('#search-list .result-order').first().waitFor();
      assert.match(await page.textContent('#search-list'), new RegExp(order.number));
      await shot('synonym');
      // Its number, and an address fragment.
      await page.fill('#search-q', order.number);
      await page.locator(`#search-list a[href="/orders/${order.id}"]`).waitFor();
      await page.fill('#search-q', '7号楼3单元');
      await page.locator(`#search-list a[href="/orders/${order.id}"]`).waitFor();
      // The phrasebook is in the knowledge base: 听不清 finds what to say.
      await page.selectOption('#search-kind', 'article');
      await page.fill('#search-q', '听不清');
      await page.locator('#search-list .result-article').first().waitFor();
      assert.match(await page.textContent('#search-list'), /听不清/);
      await shot('phrasebook');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#search-list .result-article a').first().click()]);
      assert.match(pathOf(page), /^\/kb\/\d+$/);
      assert.match(await page.textContent('#kb-body'), /对不起/);
      assert.equal((await page.textContent('#kb-state')).trim(), '已发布');
      // Nothing found reads as such.
      await open(page, '/search');
      await page.fill('#search-q', `不存在的内容${tag}`);
      await page.locator('#search-none').waitFor();
    });
  });

  test('the intake suggests articles from the caller\'s words', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'power-agent');
      await open(page, '/intake');
      await page.click('#description');
      await page.keyboard.type('家里突然没电了，邻居家也一样', { delay: 20 });
      await page.locator('#suggest-list').waitFor();
      assert.match(await page.textContent('#suggest-list'), /停电时如何答复用户/);
      await shot('suggestions');
      // The knowledge base lists the phrasebook and links the checklists.
      await page.click('#nav-kb');
      await page.click('#kbcat-phrasebook');
      assert.match(await page.textContent('#kb-list'), /首问语/);
      await page.click('#kb-checklists');
      assert.equal(pathOf(page), '/kb/checklists');
    });
  });

  test('a supervisor\'s article waits for another reviewer', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'gas-supervisor');
      await open(page, '/kb');
      await page.click('#kb-new');
      const title = `冬季燃气安全提示 ${unique()}`;
      await page.selectOption('#kb-category', 'notice');
      await page.fill('#kb-new-title', title);
      await page.fill('#kb-new-body', '入冬后请检查燃气软管是否老化，发现煤气味请立即关阀开窗。');
      await page.fill('#kb-new-tags', '燃气安全、漏气');
      await submitAndWait(page, '#kb-create');
      assert.match(pathOf(page), /^\/kb\/\d+\?done=created$/);
      assert.equal((await page.textContent('#kb-state')).trim(), '草稿');
      await submitAndWait(page, '#kb-submit');
      assert.equal((await page.textContent('#kb-state')).trim(), '待审核');
      // The author cannot publish their own text.
      await submitAndWait(page, '#kb-approve');
      assert.match(await page.textContent('#kb-error'), /审核人/);
      assert.match(await page.textContent('#kb-events'), /提交审核/);
      await shot('review');
      // Agents do not see it yet.
      const token = await apiToken('gas-agent');
      const found = await api(token, 'GET', `/api/v1/search?kind=article&q=${encodeURIComponent(title)}`);
      assert.equal(found.items.length, 0);
    });
  });
});
