// First load: every byte that crosses the wire for the initial page (HTML, CSS, every
// module, the icon, the API calls), from a cold cache, must stay within 200 KB.
import { env, launch, signIn, check, eq, run, writeResult } from './lib.mjs';

const BUDGET = 200 * 1024;

async function measure(page, url, ready) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const seen = new Map();
  cdp.on('Network.responseReceived', (e) => seen.set(e.requestId, { url: e.response.url, bytes: 0 }));
  cdp.on('Network.loadingFinished', (e) => {
    if (seen.has(e.requestId)) seen.get(e.requestId).bytes = e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForSelector(ready);
  await page.waitForLoadState('networkidle');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.detach();
  return [...seen.values()];
}

run('first-load', async () => {
  const { page, close } = await launch();
  const out = await measure(page, env.app + '/', '[data-screen=signin]');
  const total = out.reduce((s, r) => s + r.bytes, 0);
  const modules = out.filter((r) => r.url.endsWith('.js')).length;
  console.log(`first load (signed out): ${total} bytes in ${out.length} responses (${modules} modules)`);
  check(modules >= 10, 'every module was loaded: ' + modules);
  check(total <= BUDGET, `first load ${total} bytes > ${BUDGET}`);
  await signIn(page);
  const inside = await measure(page, env.app + '/', '[data-role=bases]');
  const total2 = inside.reduce((s, r) => s + r.bytes, 0);
  console.log(`first load (signed in): ${total2} bytes in ${inside.length} responses`);
  check(total2 <= BUDGET, `signed-in first load ${total2} bytes > ${BUDGET}`);
  // With the cache on, a reload asks the server again only for index.html (no-cache)
  // and the API: every asset URL is immutable. Counted on the server (/metrics).
  const assetGets = async () => {
    const m = await (await fetch(env.app + '/metrics')).text();
    return [...m.matchAll(/^playrouter_http_requests_total\{[^}]*route="\/assets\/\{build\}\/\{file\}"[^}]*\} (\d+)/gm)].reduce((s, x) => s + Number(x[1]), 0);
  };
  const before = await assetGets();
  check(before >= 2 * modules, 'the metrics count asset requests: ' + before);
  await page.reload({ waitUntil: 'networkidle' });
  await page.waitForSelector('[data-role=bases]');
  eq((await assetGets()) - before, 0, 'asset requests that reached the server on reload');
  writeResult({ signed_out_bytes: total, signed_in_bytes: total2 });
  await close();
});
