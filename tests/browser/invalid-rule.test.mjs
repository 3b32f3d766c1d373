// An invalid rule: the server's validation errors are shown at the very field their
// JSON Pointer names; fields the API mode cannot serve are disabled with the reason.
import { env, launch, signIn, eq, check, text, waitText, shot, condition, api, run } from './lib.mjs';

const X = env.expect;

run('invalid-rule', async () => {
  const { page, close } = await launch();
  await signIn(page);
  const base = await api(page, 'POST', '/api/base-playlists', { spotify_playlist_id: X.base_spid });
  eq(base.status, 201, 'base created');
  await page.goto(`${env.app}/#/base/${base.body.id}/child/new`);
  await page.waitForSelector('[data-role=child-name]');

  // Extended-only fields: disabled in development mode, with the server's reason.
  const genre = await page.$eval('[data-path=""] [data-role=add-condition]', (b) => b.click()).then(() =>
    page.$eval('[data-path="/all/0"] [data-role=field] option[value=genre]', (o) => ({ disabled: o.disabled, title: o.title })));
  eq(genre.disabled, env.mode === 'development', 'genre disabled in development mode only');
  if (env.mode === 'development') check(/not available/.test(genre.title), 'reason in the option: ' + genre.title);

  // Two bad conditions and an empty name, saved at once.
  await condition(page, '/all/0', 'track_name', 'matches', '(unclosed');
  await page.click('[data-path=""] > .row [data-role=add-condition]');
  await condition(page, '/all/1', 'release_year', 'between', [2000, 1990]);
  await page.click('[data-role=save-child]');
  await waitText(page, '[data-role=form-error]', 'Not saved: fix the problems marked below.', 'form message');
  const at0 = await text(page, '[data-path="/all/0"] .field-error');
  check(/^invalid regular expression/.test(at0), 'regex error at /all/0: ' + at0);
  eq(await text(page, '[data-path="/all/1"] .field-error'), 'the lower bound is greater than the upper bound', 'between error at /all/1');
  eq(await page.getAttribute('[data-path="/all/1"] [data-role=value-lo]', 'aria-invalid'), 'true', 'value marked invalid');
  check(/must not be empty|name/i.test(await text(page, '#err_name')), 'name error at the name field');
  eq(await page.locator('.rule-builder > .errors').count(), 0, 'no error left unplaced');
  await shot(page, '10-invalid-rule');

  // Raw JSON with a field the mode may not serve.
  await page.click('details.card > summary');
  await page.fill('[data-role=raw]', JSON.stringify({ name: 'Raw', filter: { field: 'genre', op: 'eq', value: 'shoegaze' } }));
  await page.click('[data-role=raw-apply]');
  await page.waitForSelector('[data-path=""][class*=rule-cond]');
  await page.click('[data-role=save-child]');
  if (env.mode === 'development') {
    const msg = await waitText(page, '[data-path=""] .field-error', /not available/, 'genre refused at /field');
    check(msg.includes("field 'genre'"), msg);
  } else {
    await waitText(page, '[data-role=match-count]', String(X.genre_count), 'genre rule saved: preview count');
  }
  await close();
});
