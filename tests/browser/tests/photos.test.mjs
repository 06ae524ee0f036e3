// Photos from the field: the field worker on a phone adds a photo to an order; it shows on the
// order page and in the printed 维修单. A file that is not JPEG or PNG is refused by its bytes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, withPage, loginOk, open, pathOf, submitAndWait, unique, horizontalOverflow, heatOrderForField } from '../lib.mjs';

// A 2x2 red PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

describe('photos from the field', () => {
  let browser;
  let order;
  before(async () => {
    browser = await launchBrowser();
    order = await heatOrderForField(`暖气片漏水-照片-${unique()}`);
  });
  after(async () => { await browser?.close(); });

  test('field worker adds a photo on a phone; it shows on the order and the 维修单', async (t) => {
    await withPage(browser, t, { phone: true }, async ({ page, shot }) => {
      await loginOk(page, 'heat-field');
      await open(page, `/orders/${order.id}`);
      assert.match(await page.textContent('#no-photos'), /暂无照片/);
      await page.setInputFiles('#photo-file', { name: 'leak.png', mimeType: 'image/png', buffer: PNG });
      await shot('photo-chosen');
      await submitAndWait(page, '#do-photo');
      assert.equal(pathOf(page).split('?')[0], `/orders/${order.id}`);
      assert.match(await page.textContent('.flash'), /上传照片/);
      const img = page.locator('#photos img').first();
      await img.waitFor();
      // The image really loads from the server once in view (the page loads photos lazily).
      await img.scrollIntoViewIfNeeded();
      await page.waitForFunction(() => { const i = document.querySelector('#photos img'); return i && i.complete && i.naturalWidth === 2; });
      assert.match(await page.textContent('#timeline'), /现场照片/);
      const o = await horizontalOverflow(page);
      assert.ok(o.scroll <= o.view, `order page scrolls sideways: ${o.scroll}px in ${o.view}px`);
      await shot('photo-added');

      // A GIF named .jpg: refused by its bytes, the error names the field.
      await open(page, `/orders/${order.id}`);
      await page.setInputFiles('#photo-file', { name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('GIF89a-not-a-photo') });
      const r = await submitAndWait(page, '#do-photo');
      assert.equal(r.status(), 400);
      assert.match(await page.textContent('main'), /photo/);
      await shot('photo-refused');
    });
  });

  test('the printed 维修单 carries the photo', async (t) => {
    await withPage(browser, t, {}, async ({ page, shot }) => {
      await loginOk(page, 'heat-handler');
      await open(page, `/orders/${order.id}/print`);
      await page.locator('#print-photos img').first().waitFor();
      await page.emulateMedia({ media: 'print' });
      assert.ok(await page.locator('#print-photos img').first().isVisible(), 'photo visible in print');
      await shot('print-with-photo');
    });
  });
});
