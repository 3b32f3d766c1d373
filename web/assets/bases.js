// The list of base playlists and the picker that adds one from the user's Spotify
// playlists (GET /api/spotify/playlists) or their Liked Songs.
import { api, explainError } from './api.js';
import { h, add, clear, modal, fmtTime, spinner, plural } from './dom.js';

export function autoSyncText(min) {
  if (!min) return 'auto-sync off';
  if (min % 1440 === 0) return `auto-sync every ${plural(min / 1440, 'day')}`;
  if (min % 60 === 0) return `auto-sync every ${plural(min / 60, 'hour')}`;
  return `auto-sync every ${min} min`;
}

export async function basesView(root, go) {
  const list = h('div', { class: 'cards', dataset: { role: 'bases' } }, spinner());
  root.append(
    h('div', { class: 'row spread' },
      h('h1', {}, 'Base playlists'),
      h('button', { type: 'button', class: 'btn primary', dataset: { role: 'add-base' }, onclick: async () => {
        const created = await addBaseDialog();
        if (created) go(`#/base/${created.id}`);
      } }, '+ Add a base')),
    h('p', { class: 'muted' }, 'A base is a playlist you fill by hand (or your Liked Songs). Its child playlists are filled by their rules.'),
    list);
  let items = [];
  try {
    let cursor = null;
    do {
      const page = await api('GET', '/api/base-playlists' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
      items = items.concat(page.items);
      cursor = page.next_cursor;
    } while (cursor);
  } catch (e) {
    add(clear(list), h('p', { class: 'error', role: 'alert' }, 'Your base playlists could not be loaded: ', explainError(e)));
    return;
  }
  clear(list);
  if (!items.length) {
    list.append(h('div', { class: 'empty' }, h('p', {}, 'No base playlist yet.'), h('p', { class: 'muted' }, 'Add one from your Spotify playlists to start.')));
    return;
  }
  for (const b of items) {
    list.append(h('a', { class: 'card link', href: `#/base/${b.id}`, dataset: { base: b.id } },
      h('h2', {}, b.name),
      h('p', { class: 'muted' }, b.source === 'liked' ? 'Liked Songs' : 'Spotify playlist', ' · ', b.routing === 'first_match' ? 'first match' : 'all matching children', ' · ', autoSyncText(b.auto_sync_minutes)),
      h('p', { class: 'small' }, 'Last synced: ', fmtTime(b.last_synced_at))));
  }
}

/** The picker. Resolves with the created BasePlaylist, or null. */
export function addBaseDialog() {
  return modal('Add a base playlist', (close) => {
    const rows = h('ul', { class: 'picker', role: 'listbox', 'aria-label': 'Your Spotify playlists', dataset: { role: 'picker' } });
    const more = h('div');
    const err = h('div', { role: 'alert' });
    let chosen = null;
    const nameIn = h('input', { id: 'base-name', type: 'text', placeholder: 'the Spotify name', maxlength: 100 });
    const routing = h('select', { id: 'base-routing' },
      h('option', { value: 'all' }, 'every child whose rule matches'),
      h('option', { value: 'first_match' }, 'only the first matching child'));
    const createBtn = h('button', { type: 'submit', class: 'btn primary', disabled: true, dataset: { role: 'create-base' } }, 'Add base');

    const choose = (li, value) => {
      rows.querySelectorAll('[aria-selected="true"]').forEach((x) => x.setAttribute('aria-selected', 'false'));
      li.setAttribute('aria-selected', 'true');
      chosen = value;
      createBtn.disabled = false;
      nameIn.placeholder = value.name;
    };
    const option = (value, title, sub, usedBy) => {
      const li = h('li', { role: 'option', tabindex: '0', 'aria-selected': 'false', 'aria-disabled': usedBy ? 'true' : null, dataset: { playlist: value.spotify_playlist_id || 'liked' } },
        h('span', { class: 'title' }, title), h('span', { class: 'muted small' }, sub),
        usedBy ? h('span', { class: 'badge' }, usedBy.kind === 'base' ? 'already a base' : 'a child’s playlist') : null);
      if (!usedBy) {
        li.addEventListener('click', () => choose(li, value));
        li.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            choose(li, value);
          }
        });
      }
      li.addEventListener('keydown', (e) => {
        const sib = e.key === 'ArrowDown' ? li.nextElementSibling : e.key === 'ArrowUp' ? li.previousElementSibling : null;
        if (sib) {
          e.preventDefault();
          sib.focus();
        }
      });
      return li;
    };
    rows.append(option({ source: 'liked', name: 'Liked Songs' }, 'Liked Songs', 'the tracks you saved on Spotify'));

    const load = async (cursor) => {
      add(clear(more), spinner('Loading your playlists…'));
      try {
        const page = await api('GET', '/api/spotify/playlists' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
        for (const p of page.items) {
          const sub = [p.owner_name || p.owner_id, p.tracks_total === null ? null : plural(p.tracks_total, 'track'), p.collaborative ? 'collaborative' : null, p.public ? 'public' : 'private'].filter(Boolean).join(' · ');
          rows.append(option({ spotify_playlist_id: p.spotify_playlist_id, name: p.name }, p.name || p.spotify_playlist_id, sub, p.used_by));
        }
        clear(more);
        if (page.next_cursor) more.append(h('button', { type: 'button', class: 'btn small', dataset: { role: 'more' }, onclick: () => load(page.next_cursor) }, 'More playlists'));
      } catch (e) {
        add(clear(more), h('p', { class: 'error' }, 'Your Spotify playlists could not be listed: ', explainError(e)));
      }
    };
    load(null);

    return h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      if (!chosen) return;
      const body = chosen.source === 'liked' ? { source: 'liked' } : { spotify_playlist_id: chosen.spotify_playlist_id };
      if (nameIn.value.trim()) body.name = nameIn.value.trim();
      body.routing = routing.value;
      createBtn.disabled = true;
      try {
        close(await api('POST', '/api/base-playlists', { body }));
      } catch (ex) {
        createBtn.disabled = false;
        let msg = explainError(ex);
        if (chosen.source === 'liked' && ex.code === 'validation_failed')
          msg = 'This server cannot make a base from Liked Songs yet. ' + msg;
        if (ex.code === 'conflict') msg = chosen.source === 'liked' ? 'You already have a Liked Songs base.' : 'You already have a base on this playlist.';
        add(clear(err), h('p', { class: 'error' }, msg), ex.details.length ? h('ul', { class: 'errors' }, ex.details.map((d) => h('li', {}, `${d.path}: ${d.message}`))) : null);
      }
    } },
      h('p', { class: 'muted small' }, 'Choose the playlist whose tracks your child playlists will be filled from.'),
      rows, more,
      h('div', { class: 'grid2' },
        h('div', {}, h('label', { for: 'base-name' }, 'Name (optional)'), nameIn),
        h('div', {}, h('label', { for: 'base-routing' }, 'A track goes to'), routing)),
      err,
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Cancel'),
        createBtn));
  });
}
