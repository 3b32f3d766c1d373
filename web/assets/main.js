// playrouter's browser app: session, screens, hash routes.
//   #/                          the base playlists
//   #/base/{id}                 one base: children, settings, sync
//   #/base/{id}/child/{id|new}  the child editor
import { api, onAuthProblem, explainError } from './api.js';
import { h, add, clear } from './dom.js';
import { loadFields } from './fields.js';
import { initTags } from './tags.js';
import { basesView } from './bases.js';
import { baseView } from './base.js';
import { childView } from './child.js';

const THEME_KEY = 'playrouter.theme';
const main = document.getElementById('main');
const userBox = document.getElementById('user');
let me = null;
let blocked = false; // a sign-in screen is showing

// ---- theme: the system's (prefers-color-scheme) unless the user chose one ----
function applyTheme(t) {
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  const btn = document.getElementById('theme');
  const names = { light: 'Light', dark: 'Dark', system: 'Auto' };
  btn.textContent = `◐ ${names[t] || 'Auto'}`;
  btn.setAttribute('aria-label', `Colour theme: ${names[t] || 'as the system'} (change)`);
}
document.getElementById('theme').addEventListener('click', () => {
  const order = ['system', 'light', 'dark'];
  const cur = localStorage.getItem(THEME_KEY) || 'system';
  const next = order[(order.indexOf(cur) + 1) % order.length];
  localStorage.setItem(THEME_KEY, next);
  applyTheme(next);
});
applyTheme(localStorage.getItem(THEME_KEY) || 'system');

// ---- screens outside the app ----
function signInScreen(why) {
  blocked = true;
  me = null;
  clear(userBox);
  add(clear(main), h('section', { class: 'hero', dataset: { screen: 'signin' } },
    h('h1', {}, 'Keep your Spotify playlists organised'),
    h('p', {}, 'Fill one base playlist by hand. playrouter fills your other playlists from it by rules: “90s indie”, “short and not explicit”, “everything else”.'),
    why ? h('p', { class: 'warn', role: 'alert' }, why) : null,
    h('a', { class: 'btn primary big', href: '/api/auth/login', dataset: { role: 'signin' } }, 'Sign in with Spotify')));
}

function reauthScreen() {
  blocked = true;
  add(clear(main), h('section', { class: 'hero', dataset: { screen: 'reauth' }, role: 'alert' },
    h('h1', {}, 'Spotify sign-in must be renewed'),
    h('p', {}, 'Spotify no longer accepts playrouter’s access to your account (it was revoked, or it expired). Your bases, children and history are safe; nothing syncs until you sign in again.'),
    h('a', { class: 'btn primary big', href: '/api/auth/login', dataset: { role: 'reauth' } }, 'Sign in with Spotify again'),
    h('p', {}, h('button', { type: 'button', class: 'btn', onclick: signOut }, 'Sign out instead'))));
}

onAuthProblem((kind) => {
  if (kind === 'reauth') reauthScreen();
  else signInScreen('Your session has ended. Sign in again to continue.');
});

async function signOut() {
  try {
    await api('POST', '/api/auth/logout', { quiet: true });
  } catch (e) {
    /* signed out either way */
  }
  signInScreen('You are signed out.');
}

function header() {
  add(clear(userBox),
    h('span', { class: 'who', dataset: { role: 'user' } }, me.display_name || me.spotify_user_id),
    h('button', { type: 'button', class: 'btn small', dataset: { role: 'signout' }, onclick: signOut }, 'Sign out'));
}

// ---- routes ----
export function go(hash, force) {
  if (location.hash === hash && force) route();
  else location.hash = hash;
}

async function route() {
  if (blocked || !me) return;
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  clear(main);
  window.scrollTo(0, 0);
  if (parts[0] === 'base' && parts[1] && parts[2] === 'child' && parts[3]) await childView(main, go, parts[1], parts[3]);
  else if (parts[0] === 'base' && parts[1]) await baseView(main, go, parts[1]);
  else await basesView(main, go);
  const h1 = main.querySelector('h1');
  document.title = h1 ? `${h1.textContent} · playrouter` : 'playrouter';
}
window.addEventListener('hashchange', route);

async function start() {
  try {
    me = await api('GET', '/api/me', { quiet: true });
  } catch (e) {
    if (e.status === 401) return signInScreen(null);
    add(clear(main), h('p', { class: 'error', role: 'alert' }, 'playrouter cannot start: ', explainError(e)));
    return;
  }
  header();
  if (me.spotify_reauth_required) return reauthScreen();
  await Promise.all([loadFields(), initTags()]);
  route();
}
start();
