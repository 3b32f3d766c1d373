// The main flow: sign in, a base from the picker, two children made with the rule
// builder, their live preview counts, reorder (keyboard and drag), a sync watched to
// the end, its history entry, a restore. EXPECT_FILE (computed by the Python side from
// the emulator's catalogue with tests/e2e/rules_reference.py) gives the exact counts;
// the Python side checks the playlists on the emulator afterwards.
import { env, launch, signIn, eq, check, text, waitText, shot, condition, writeResult, run, api, admin, PHONE, DESKTOP } from './lib.mjs';

const X = env.expect;

async function childOrder(page) {
  return page.$$eval('[data-role=children] [data-child]', (els) => els.map((e) => e.querySelector('.child-name').textContent));
}

run('flow', async () => {
  const { page, close } = await launch(DESKTOP);
  await page.goto(env.app + '/');
  await page.waitForSelector('[data-screen=signin]');
  await shot(page, '01-signin');
  await signIn(page);
  await page.waitForSelector('[data-role=bases] .empty');
  await shot(page, '02-bases-empty');

  // A base from the picker.
  await page.click('[data-role=add-base]');
  const option = `[data-role=picker] [data-playlist="${X.base_spid}"]`;
  await page.waitForSelector(option);
  eq(await page.locator('[data-role=picker] [role=option]').count(), X.picker_count + 1, 'picker rows (Liked Songs + playlists)');
  await shot(page, '03-picker');
  await page.focus(option);
  await page.keyboard.press('Enter');
  eq(await page.getAttribute(option, 'aria-selected'), 'true', 'chosen with the keyboard');
  await page.click('[data-role=create-base]');
  await page.waitForSelector('[data-role=children] .empty');
  const baseId = page.url().match(/#\/base\/([^/]+)$/)[1];
  eq(await text(page, 'h1'), X.base_name, 'base page title');

  // Child A: release year between 1990 and 1999.
  const children = {};
  for (const spec of X.children) {
    await page.click('[data-role=add-child]');
    await page.waitForSelector('[data-role=child-name]');
    await page.fill('[data-role=child-name]', spec.name);
    for (let i = 0; i < spec.conditions.length; i++) {
      await page.click('[data-path=""] > .row [data-role=add-condition]');
      const [f, op, v] = spec.conditions[i];
      await condition(page, `/all/${i}`, f, op, v);
    }
    if (spec.sort) {
      await page.selectOption('[data-role=sort-by]', spec.sort.by);
      await page.selectOption('#c-order', spec.sort.order);
    }
    if (spec.limit !== null) await page.fill('[data-role=limit]', String(spec.limit));
    await page.click('[data-role=save-child]');
    // The live preview of the saved child: exact counts.
    await waitText(page, '[data-role=match-count]', String(spec.expected_count), `${spec.name}: preview match count`);
    eq(await text(page, '[data-role=add-count]'), String(spec.expected_count), `${spec.name}: preview adds`);
    eq(await text(page, '[data-role=remove-count]'), '0', `${spec.name}: preview removes`);
    const shown = await page.$$eval('[data-role=preview] .tracks li[data-track]', (els) => els.slice(0, 25).map((e) => e.dataset.track));
    eq(shown, spec.expected_first, `${spec.name}: first tracks of the preview`);
    // By name and artists (the answer's tracks map), still a link to Spotify.
    const firstRow = `[data-role=preview] .tracks li[data-track="${spec.expected_first[0]}"]`;
    check(await page.isVisible(`${firstRow} [data-role=track-name]`), `${spec.name}: the first track's name is visible`);
    eq(await text(page, `${firstRow} [data-role=track-name]`), spec.expected_first_name, `${spec.name}: first track's name`);
    eq(await text(page, `${firstRow} a`), spec.expected_first_label, `${spec.name}: first track's name and artists`);
    eq(await page.getAttribute(`${firstRow} a`, 'href'), `https://open.spotify.com/track/${spec.expected_first[0]}`, `${spec.name}: first track's link`);
    check(!(await page.isVisible('[data-role=preview-unnamed]')), `${spec.name}: every row named`);
    const childId = page.url().match(/\/child\/([^/]+)$/)[1];
    children[spec.key] = { id: childId, name: spec.name };
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, `04-child-${spec.key}`);
    // Why is the first track here? The explain answer highlights the deciding node.
    await page.fill('[data-role=explain-input]', spec.expected_first[0]);
    await page.keyboard.press('Enter');
    await waitText(page, '[data-role=explain-result]', /is held:/, `${spec.name}: explain`);
    check(await page.locator('.rule-builder .highlight').count() === 1, `${spec.name}: one rule node highlighted`);
    await page.click(`.crumbs a[href="#/base/${baseId}"]`);
    await page.waitForSelector(`[data-child="${childId}"]`);
  }
  eq(await childOrder(page), X.children.map((c) => c.name), 'children in position order');
  for (const spec of X.children)
    await waitText(page, `[data-child="${children[spec.key].id}"] [data-role=child-preview]`, `${spec.expected_count} tracks · next sync +${spec.expected_count} −0`, `${spec.name}: summary on the base page`);

  // Reorder with the keyboard, then back with a drag.
  const [a, b] = X.children.map((c) => children[c.key]);
  await page.focus(`[data-child="${b.id}"] [data-role=handle]`);
  await page.keyboard.press('ArrowUp');
  await page.waitForFunction((id) => document.querySelector('[data-role=children] [data-child]')?.dataset.child === id, b.id);
  eq(await childOrder(page), [b.name, a.name], 'after ArrowUp');
  check(await page.evaluate(() => document.activeElement?.dataset.role) === 'handle', 'focus stays on the handle');
  await page.dragAndDrop(`[data-child="${a.id}"] [data-role=handle]`, `[data-child="${b.id}"]`);
  await page.waitForFunction((id) => document.querySelector('[data-role=children] [data-child]')?.dataset.child === id, a.id);
  eq(await childOrder(page), [a.name, b.name], 'after the drag');

  // Sync, watched to the end.
  await shot(page, '05-base-before-sync');
  await page.click('[data-role=sync]');
  await page.waitForSelector('[data-role=sync-done]', { timeout: 60000 * env.slow });
  for (const spec of X.children) {
    const row = `[data-role=sync-result] tr[data-child="${children[spec.key].id}"]`;
    eq([await text(page, `${row} [data-role=matched]`), await text(page, `${row} [data-role=added]`), await text(page, `${row} [data-role=removed]`)],
      [String(spec.expected_count), '+' + spec.expected_count, '−0'], `${spec.name}: sync result`);
  }
  await page.waitForSelector('[data-role=history] [data-event]');
  eq(await page.locator('[data-role=history] [data-event]').count(), 1, 'one history entry');
  check((await text(page, '[data-role=history] [data-event] .badge')) === 'completed', 'history entry completed');
  await shot(page, '06-base-synced');

  // Restore child B: its playlist held nothing before the sync.
  const bSpec = X.children[1];
  await page.click(`[data-child="${b.id}"] [data-role=restore]`);
  await page.click('dialog .btn.primary');
  await waitText(page, '[data-role=base-status]', `Restored “${bSpec.name}”: it holds 0 tracks again (+0 −${bSpec.expected_count}).`, 'restore message');

  // The preview agrees: the next sync would put child B's tracks back.
  await waitText(page, `[data-child="${b.id}"] [data-role=child-preview]`, `${bSpec.expected_count} tracks · next sync +${bSpec.expected_count} −0`, 'preview after the restore');

  // Phone width and the dark theme.
  await page.setViewportSize(PHONE);
  await shot(page, '07-base-phone');
  // A track that only child A's playlist holds (added on "Spotify"): the preview would
  // remove it and has no name for it, so its row shows the id, and a note says why.
  const aSpid = (await api(page, 'GET', `/api/child-playlists/${a.id}`)).body.spotify_playlist_id;
  const foreignUri = 'spotify:track:' + X.foreign_id;
  await admin('POST', `/playlists/${aSpid}/items`, { uris: [foreignUri] });
  await page.goto(`${env.app}/#/base/${baseId}/child/${a.id}`);
  await waitText(page, '[data-role=match-count]', String(X.children[0].expected_count), 'child A preview on a phone');
  await waitText(page, '[data-role=remove-count]', '1', 'the foreign track is to be removed');
  await page.click('[data-role=preview] details:has(ul.tracks li[data-track="' + X.foreign_id + '"]) > summary');
  const foreignRow = `[data-role=preview] .tracks li[data-track="${X.foreign_id}"]`;
  eq(await text(page, `${foreignRow} a`), X.foreign_id, 'a track without an entry is shown by its id');
  eq(await page.locator(`${foreignRow} [data-role=track-name]`).count(), 0, 'no name for it');
  check(await page.isVisible('[data-role=preview-unnamed]'), 'the note on unnamed tracks');
  await shot(page, '08-child-phone');
  await admin('DELETE', `/playlists/${aSpid}/items`, { uris: [foreignUri], positions: [] });
  await page.click('[data-role=preview] .row.spread button');
  await waitText(page, '[data-role=remove-count]', '0', 'the foreign track gone again');
  // Live preview while editing: with "Save as I type" each edit is saved (debounced)
  // and the preview follows; back to 1999 afterwards.
  await page.check('#c-live');
  await page.fill('[data-path="/all/0"] [data-role=value-hi]', '1994');
  await waitText(page, '[data-role=match-count]', String(X.live_count), 'live preview after 1999 -> 1994');
  await waitText(page, '[data-role=save-state]', 'Saved', 'saved as typed');
  await page.fill('[data-path="/all/0"] [data-role=value-hi]', '1999');
  await waitText(page, '[data-role=match-count]', String(X.children[0].expected_count), 'live preview back at 1999');
  await page.uncheck('#c-live');
  // Without it, an edit marks the preview as showing the saved rule.
  await page.fill('[data-path="/all/0"] [data-role=value-lo]', '1991');
  check(await page.isVisible('[data-role=preview-stale]'), 'stale preview note shown');
  await page.fill('[data-path="/all/0"] [data-role=value-lo]', '1990');
  check(!(await page.isVisible('[data-role=preview-stale]')), 'note gone when the draft equals the saved child');
  await page.setViewportSize(DESKTOP);
  await page.click('#theme'); // system -> light
  await page.click('#theme'); // light -> dark
  eq(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'dark theme chosen');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  eq(bg, 'rgb(18, 22, 20)', 'dark background');
  await shot(page, '09-child-dark');
  await page.reload();
  await waitText(page, '[data-role=match-count]', String(X.children[0].expected_count), 'after reload');
  eq(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'theme kept across reloads');

  writeResult({ base_id: baseId, children });
  await close();
});
