// Checks of the harness itself: the guard against requests to other hosts must catch them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newContext, guardContext, assertClean, isLocalUrl, open, BASE_URL } from '../lib.mjs';

describe('harness', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('isLocalUrl', () => {
    assert.ok(isLocalUrl(`${BASE_URL}/assets/app.css`));
    assert.ok(isLocalUrl('data:image/png;base64,AAAA'));
    assert.ok(!isLocalUrl('https://cdn.example.com/htmx.js'));
    assert.ok(!isLocalUrl(BASE_URL.replace(/:\d+$/, ':1')), 'another port of the same host is another server');
  });

  test('a request to another host is blocked and fails the check', async () => {
    const ctx = await newContext(browser);
    try {
      const seen = await guardContext(ctx);
      const page = await ctx.newPage();
      await open(page, '/login');
      assertClean(seen);
      const out = await page.evaluate(async () => {
        const img = new Image();
        const loaded = new Promise((r) => { img.onload = () => r('loaded'); img.onerror = () => r('error'); });
        img.src = 'https://example.com/pixel.png';
        return loaded;
      });
      assert.equal(out, 'error', 'the request must not succeed');
      assert.ok(seen.foreign.some((r) => r.includes('https://example.com/pixel.png')), JSON.stringify(seen));
      assert.throws(() => assertClean(seen), /hosts other than/);
    } finally {
      await ctx.close();
    }
  });
});
