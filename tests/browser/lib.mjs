// Shared helpers of the browser tests: playwright-core driving Debian's Chromium against the
// Rexian server that run.sh started. A test file looks like:
//
//   import { test, describe, before, after } from 'node:test';
//   import assert from 'node:assert/strict';
//   import { launchBrowser, withPage, login, DEMO_PASSWORD } from '../lib.mjs';
//
//   describe('my screen', () => {
//     let browser;
//     before(async () => { browser = await launchBrowser(); });
//     after(async () => { await browser?.close(); });
//
//     test('does something', async (t) => {
//       await withPage(browser, t, {}, async ({ page, shot }) => {
//         await login(page, 'heat-agent', DEMO_PASSWORD);
//         await shot('home');
//       });
//     });
//   });
//
// withPage gives every test a fresh browser context (no cookies), fails the test if the page
// sent any request to a host other than the server, or threw an uncaught script error, and
// keeps a screenshot of the page when the test failed.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Where screenshots go (gitignored). */
export const ARTIFACTS = process.env.REXIAN_ARTIFACTS || path.join(HERE, 'artifacts');

/** The server under test, e.g. http://127.0.0.1:40123 (set by run.sh). */
export const BASE_URL = (process.env.REXIAN_BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const BASE = new URL(BASE_URL);

/** Password of every `--demo` login. */
export const DEMO_PASSWORD = process.env.REXIAN_DEMO_PASSWORD || 'demo-pass-2026';

/** Password of the first `admin` user (run.sh sets REXIAN_ADMIN_PASSWORD for the server). */
export const ADMIN_PASSWORD = process.env.REXIAN_ADMIN_PASSWORD || '';

export const CHROMIUM = process.env.REXIAN_CHROMIUM || '/usr/bin/chromium';

/** Viewports. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * Starts headless Chromium. Playwright's launch() gives every browser a new, empty user data
 * dir in the temp directory and removes it on close.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}

/** A browser context; `phone: true` emulates a phone (390x844, touch, mobile viewport meta). */
export async function newContext(browser, opts = {}) {
  const { phone = false, viewport, locale = 'zh-CN', ...rest } = opts;
  const ctx = await browser.newContext({
    baseURL: BASE_URL,
    viewport: viewport || (phone ? PHONE : DESKTOP),
    locale,
    timezoneId: 'Asia/Shanghai',
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 3 } : {}),
    ...rest,
  });
  ctx.setDefaultTimeout(10_000);
  ctx.setDefaultNavigationTimeout(15_000);
  return ctx;
}

/** True when `url` is the server under test (or a local scheme that never leaves the browser). */
export function isLocalUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (['data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  if (u.protocol === 'ws:' || u.protocol === 'wss:') {
    return u.host === BASE.host;
  }
  return u.origin === BASE.origin;
}

/**
 * Watches a context for requests going anywhere but the server: they are blocked (the product
 * must never reach the internet) and recorded. Also records uncaught page errors.
 * Returns { foreign: string[], pageErrors: string[], console: string[] }.
 */
export async function guardContext(ctx) {
  const seen = { foreign: [], pageErrors: [], console: [] };
  await ctx.route(
    (url) => !isLocalUrl(url.href),
    async (route) => {
      seen.foreign.push(`${route.request().method()} ${route.request().url()}`);
      await route.abort('blockedbyclient');
    },
  );
  const watch = (page) => {
    page.on('request', (req) => {
      if (!isLocalUrl(req.url())) seen.foreign.push(`${req.method()} ${req.url()}`);
    });
    page.on('websocket', (ws) => {
      if (!isLocalUrl(ws.url())) seen.foreign.push(`WS ${ws.url()}`);
    });
    page.on('pageerror', (err) => seen.pageErrors.push(String(err?.stack || err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') seen.console.push(`${msg.type()}: ${msg.text()}`);
    });
  };
  ctx.pages().forEach(watch);
  ctx.on('page', watch);
  return seen;
}

/** Fails when the guard saw a request to another host or an uncaught script error. */
export function assertClean(seen) {
  const foreign = [...new Set(seen.foreign)];
  assert.deepEqual(foreign, [], `the page sent requests to hosts other than ${BASE.host}:\n  ${foreign.join('\n  ')}`);
  assert.deepEqual(seen.pageErrors, [], `uncaught script errors on the page:\n${seen.pageErrors.join('\n')}`);
}

function slug(s) {
  return String(s)
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'test';
}

/**
 * Returns shot(name): saves a full-page screenshot as artifacts/<group>/<NN>-<name>.png and
 * returns its path.
 */
export function screenshotter(page, group) {
  const dir = path.join(ARTIFACTS, slug(group));
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (name, opts = {}) => {
    n += 1;
    const file = path.join(dir, `${String(n).padStart(2, '0')}-${slug(name)}.png`);
    await page.screenshot({ path: file, fullPage: true, ...opts });
    return file;
  };
}

/** The group name of a node:test context: "<file> <suite> <test>". */
function groupOf(t) {
  const file = process.argv[1] ? path.basename(process.argv[1]).replace(/\.test\.mjs$|\.mjs$/, '') : '';
  return [file, t?.fullName || t?.name || 'test'].filter(Boolean).join(' ');
}

/**
 * Runs `fn({ page, context, shot, seen })` in a fresh context and page; the context is closed
 * afterwards. On failure a screenshot "FAILED" is kept. After `fn` the test fails if the page
 * reached another host or threw an uncaught script error.
 */
export async function withPage(browser, t, opts, fn) {
  const context = await newContext(browser, opts || {});
  const seen = await guardContext(context);
  const page = await context.newPage();
  const shot = screenshotter(page, groupOf(t));
  try {
    await fn({ page, context, shot, seen });
  } catch (err) {
    try {
      const f = await shot('FAILED');
      const note = `failed on ${page.url()}; screenshot ${path.relative(process.cwd(), f)}`;
      if (typeof t?.diagnostic === 'function') t.diagnostic(note);
      console.error(note);
    } catch {
      /* the page may be gone */
    }
    throw err;
  } finally {
    await context.close().catch(() => {});
  }
  assertClean(seen);
}

/** Goes to `p` (a path on the server) and returns the main response. */
export async function open(page, p) {
  return page.goto(p.startsWith('http') ? p : BASE_URL + p);
}

/** The path (and query) the page is on. */
export function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/**
 * Signs in through the login form and waits for the navigation that follows. Does not assert
 * the outcome: check pathOf(page) or use loginOk.
 */
export async function login(page, loginName, password) {
  if (!pathOf(page).startsWith('/login')) await open(page, '/login');
  await page.fill('#login', loginName);
  await page.fill('#password', password);
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('#submit'),
  ]);
  return resp;
}

/** Signs in and asserts that the browser landed on the home page. */
export async function loginOk(page, loginName, password = DEMO_PASSWORD) {
  await login(page, loginName, password);
  assert.equal(pathOf(page), '/', `login of ${loginName} should land on /, is on ${page.url()}`);
  await page.locator('#roles').waitFor();
}

/** Clicks a submit button and waits for the page it posts to. Returns the main response. */
export async function submitAndWait(page, locator) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator(locator).first().click()]);
  return resp;
}

/** The scroll width and the viewport width of the page (horizontal scrolling when scroll > view). */
export async function horizontalOverflow(page) {
  return page.evaluate(() => ({
    scroll: Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0),
    view: document.documentElement.clientWidth,
  }));
}

/** A suffix making names created by a test unique on a shared server. */
export function unique() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/** Signs in through the API; returns the bearer token. */
export async function apiToken(loginName, password = DEMO_PASSWORD) {
  const r = await fetch(`${BASE_URL}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: loginName, password }),
  });
  const v = await r.json();
  assert.ok(v.token, `API login of ${loginName}: ${r.status} ${JSON.stringify(v)}`);
  return v.token;
}

/** One API call with a bearer token; returns the JSON body (asserts a 2xx status). */
export async function api(token, method, p, body) {
  const r = await fetch(`${BASE_URL}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * A fresh heating repair order made through the API, dispatched to the unit of heat-handler,
 * accepted and assigned to heat-field. Returns { id, number }.
 */
export async function heatOrderForField(description) {
  const agent = await apiToken('heat-agent');
  const handler = await apiToken('heat-handler');
  const field = await apiToken('heat-field');
  const me = await api(agent, 'GET', '/api/v1/me');
  const hme = await api(handler, 'GET', '/api/v1/me');
  const fme = await api(field, 'GET', '/api/v1/me');
  const o = await api(agent, 'POST', '/api/v1/orders', {
    company_id: me.company_id, category: 'repair', subtype: 'leak', channel: 'phone', description,
    customer: { name: '照片测试', phone: '13900001111', address: '和平里小区5号楼1单元101室', community: '和平里小区' },
  });
  await api(agent, 'POST', `/api/v1/orders/${o.id}/dispatch`, { unit_id: hme.unit_id });
  await api(handler, 'POST', `/api/v1/orders/${o.id}/accept`, {});
  await api(handler, 'POST', `/api/v1/orders/${o.id}/assign`, { user_id: fme.id });
  return { id: o.id, number: o.number };
}
