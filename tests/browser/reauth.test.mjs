// Spotify sign-in must be renewed: the emulator revokes the user's refresh tokens and
// expires the access tokens; the next Spotify call (the picker) answers 401
// spotify_reauth_required and the app shows the re-sign-in screen; signing in again
// brings the user back.
import { env, launch, signIn, eq, waitText, shot, admin, run, PHONE } from './lib.mjs';

run('reauth', async () => {
  const { page, close } = await launch();
  await signIn(page);
  await page.waitForSelector('[data-role=bases]');
  await admin('POST', '/users/demo/expire-refresh-tokens');
  await admin('POST', '/tokens/expire');
  await page.click('[data-role=add-base]');
  await page.waitForSelector('[data-screen=reauth]');
  await waitText(page, '[data-screen=reauth] h1', 'Spotify sign-in must be renewed', 'reauth screen');
  await shot(page, '12-reauth');
  await page.setViewportSize(PHONE);
  await shot(page, '12-reauth');
  // The flag is kept by the server: a reload shows the same screen.
  await page.reload();
  await page.waitForSelector('[data-screen=reauth]');
  await page.click('[data-role=reauth]');
  await waitText(page, '[data-role=user]', 'Demo User', 'signed in again');
  await page.click('[data-role=add-base]');
  await page.waitForSelector(`[data-role=picker] [data-playlist="${env.expect.base_spid}"]`);
  eq(await page.locator('[data-screen=reauth]').count(), 0, 'no reauth screen any more');
  await close();
});
