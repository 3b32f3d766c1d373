// Shared helpers of the browser tests: Debian's Chromium through playwright-core (no
// browser download), sign-in through the Spotify emulator, exact checks, screenshots.
// The Python side (tests/e2e/web_app.py) starts the emulator and the server and passes:
//   APP_URL, EMU_URL, API_MODE, EXPECT_FILE (JSON it computed), RESULT_FILE (JSON we
//   write back), SHOT_DIR (screenshots), SLOW (timeouts factor, 3 under ASan).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const env = {
  app: process.env.APP_URL,
  emu: process.env.EMU_URL,
  mode: process.env.API_MODE || 'development',
  expect: process.env.EXPECT_FILE ? JSON.parse(fs.readFileSync(process.env.EXPECT_FILE, 'utf8')) : {},
  shots: process.env.SHOT_DIR || null,
  slow: Number(process.env.SLOW || 1),
};
if (!env.app) throw new Error('APP_URL is not set (run through tests/e2e/test_web_app_*.py)');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const T = 15000 * env.slow; // default wait

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh Chromium with its own empty profile. Uncaught page errors fail the test. */
export async function launch(viewport = DESKTOP) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playrouter-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS, viewport,
  });
  ctx.setDefaultTimeout(T);
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const close = async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw new Error('uncaught errors in the page: ' + errors.join(' | '));
  };
  return { ctx, page, close };
}

export function check(cond, msg) {
  if (!cond) throw new Error('check failed: ' + msg);
}

export function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export async function text(page, selector) {
  return (await page.locator(selector).first().textContent({ timeout: T })).trim();
}

/** Waits until the element's text equals `want` (or matches a RegExp). */
export async function waitText(page, selector, want, what) {
  const loc = page.locator(selector).first();
  const deadline = Date.now() + T;
  let got = null;
  while (Date.now() < deadline) {
    got = (await loc.count()) ? ((await loc.textContent()) || '').trim() : null;
    if (got !== null && (want instanceof RegExp ? want.test(got) : got === String(want))) return got;
    await page.waitForTimeout(50);
  }
  throw new Error(`${what || selector}: expected ${want}, got ${JSON.stringify(got)}`);
}

/** A screenshot into SHOT_DIR, named after the screen, the mode and the viewport.
 *  Toasts (transient notices) are cleared first so they do not cover the screen. */
export async function shot(page, name) {
  if (!env.shots) return;
  await page.evaluate(() => document.getElementById('status')?.replaceChildren());
  fs.mkdirSync(env.shots, { recursive: true });
  const vp = page.viewportSize();
  await page.screenshot({ path: path.join(env.shots, `${name}-${env.mode}-${vp.width}x${vp.height}.png`) });
}

/** Sign in through the real flow: the app's button -> /api/auth/login -> the
 *  emulator's /authorize (auto-approves demo) -> the callback's 303 -> the app. */
export async function signIn(page) {
  await page.goto(env.app + '/');
  await page.click('[data-role=signin]');
  await waitText(page, '[data-role=user]', 'Demo User', 'signed-in user name');
}

/** A call to the API from the page (the session cookie, the page's Origin). */
export async function api(page, method, p, body) {
  return page.evaluate(async ([m, u, b]) => {
    const r = await fetch(u, { method: m, headers: b ? { 'Content-Type': 'application/json' } : {}, body: b ? JSON.stringify(b) : undefined });
    const t = await r.text();
    return { status: r.status, body: t ? JSON.parse(t) : null };
  }, [method, p, body]);
}

/** The emulator's admin API (tools/spotify-emulator/README.md). */
export async function admin(method, p, body) {
  const r = await fetch(env.emu + '/__admin' + p, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const t = await r.text();
  if (r.status >= 400) throw new Error(`admin ${method} ${p}: ${r.status} ${t}`);
  return t ? JSON.parse(t) : null;
}

export function writeResult(obj) {
  if (process.env.RESULT_FILE) fs.writeFileSync(process.env.RESULT_FILE, JSON.stringify(obj, null, 2));
}

/** Runs main() and exits 0, or prints the error and exits 1. */
export function run(name, main) {
  const t0 = Date.now();
  main().then(() => {
    console.log(`${name} (${env.mode}): ok in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.exit(0);
  }, (e) => {
    console.error(`${name} (${env.mode}): FAILED: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  });
}

/** Fills the condition at `path` of the rule builder. value: a string, or [lo, hi]
 *  for between, or 'yes'/'no' for a bool. */
export async function condition(page, p, fieldName, op, value) {
  const at = `[data-path="${p}"]`;
  await page.selectOption(`${at} [data-role=field]`, fieldName);
  await page.selectOption(`${at} [data-role=op]`, op);
  if (Array.isArray(value)) {
    await page.fill(`${at} [data-role=value-lo]`, String(value[0]));
    await page.fill(`${at} [data-role=value-hi]`, String(value[1]));
  } else if (value === 'yes' || value === 'no') {
    await page.selectOption(`${at} [data-role=value]`, value === 'yes' ? 'true' : 'false');
  } else if (value !== undefined) {
    await page.fill(`${at} [data-role=value]`, String(value));
  }
}
