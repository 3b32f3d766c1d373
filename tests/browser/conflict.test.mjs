// A sync conflict: a sync started elsewhere holds the base; the app says so in words
// (409 sync_in_progress), follows that sync to its end, and refuses edits meanwhile.
import { env, launch, signIn, eq, check, text, waitText, shot, api, admin, run } from './lib.mjs';

const X = env.expect;

run('conflict', async () => {
  const { page, close } = await launch();
  await signIn(page);
  const base = await api(page, 'POST', '/api/base-playlists', { spotify_playlist_id: X.base_spid });
  const child = await api(page, 'POST', `/api/base-playlists/${base.body.id}/child-playlists`, { name: 'All', filter: { all: [] } });
  eq(child.status, 201, 'child created');
  await page.goto(`${env.app}/#/base/${base.body.id}`);
  await page.waitForSelector(`[data-child="${child.body.id}"]`);
  await admin('PUT', '/latency', { ms: 700 * env.slow }); // the sync below takes seconds
  const started = await api(page, 'POST', `/api/base-playlists/${base.body.id}/sync?wait=false`);
  eq(started.status, 202, 'sync started elsewhere');

  // An edit while it runs: refused, in words.
  await page.click(`[data-child="${child.body.id}"] .danger-text`);
  await page.click('dialog .btn.danger');
  await waitText(page, '.toast-error', /A sync of this base playlist is running/, 'delete refused');
  // Sync now: 409, said in words, then the running sync is followed to its end.
  await page.click('[data-role=sync]');
  await waitText(page, '.sync-status .warn', /already running/, '409 in words');
  await shot(page, '11-sync-conflict');
  await page.waitForSelector('[data-role=progress]');
  await admin('DELETE', '/latency');
  await page.waitForSelector('[data-role=sync-done]', { timeout: 90000 * env.slow });
  eq(await text(page, `[data-role=sync-result] tr[data-child="${child.body.id}"] [data-role=matched]`), String(X.all_count), 'the followed sync\'s result');
  eq(await page.locator(`[data-role=children] [data-child="${child.body.id}"]`).count(), 1, "the child was not deleted");
  const ev = await api(page, 'GET', `/api/sync-events/${started.body.id}`);
  eq(ev.body.status, 'completed', 'the sync that was followed');
  check(ev.body.id === (await api(page, 'GET', `/api/base-playlists/${base.body.id}/sync-status`)).body.sync_event.id, 'no second sync started');
  await close();
});
