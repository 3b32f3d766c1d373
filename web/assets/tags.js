// The user's own tags on tracks and artists (API.md "Tags"), from the preview. A server
// without the tags routes (GET /api/tags answers 404) gets no tag buttons at all.
import { api, probe, explainError } from './api.js';
import { h, modal, announce } from './dom.js';

let available = false;

export async function initTags() {
  available = await probe('/api/tags');
  return available;
}

export function tagsAvailable() {
  return available;
}

/** A "Tag" button for a track (kind 'tracks') or an artist ('artists'), or null. */
export function tagButton(kind, id) {
  if (!available) return null;
  return h('button', { type: 'button', class: 'btn tiny', title: 'Tags of this track or its artist', onclick: () => editTags(kind, id) }, 'Tag');
}

async function currentTags(kind, id) {
  try {
    const body = await api('GET', `/api/tags/${kind}/${encodeURIComponent(id)}`);
    return body.tags || [];
  } catch (e) {
    if (e.status === 404) return [];
    throw e;
  }
}

export async function editTags(kind, id) {
  let existing = [];
  try {
    existing = await currentTags(kind, id);
  } catch (e) {
    announce(explainError(e), 'error');
    return;
  }
  await modal('Tags', (close) => {
    const kindSel = h('select', { id: 'tag-kind' },
      h('option', { value: 'tracks', selected: kind === 'tracks' }, 'this track'),
      h('option', { value: 'artists', selected: kind === 'artists' }, 'an artist (by id)'));
    const idIn = h('input', { id: 'tag-id', type: 'text', value: id, required: true });
    const tagsIn = h('input', { id: 'tag-list', type: 'text', value: existing.join(', '), placeholder: 'workout, summer' });
    const err = h('p', { class: 'field-error', role: 'alert' });
    kindSel.addEventListener('change', async () => {
      if (kindSel.value === 'artists') idIn.value = '';
      else idIn.value = id;
    });
    return h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      const tags = tagsIn.value.split(',').map((s) => s.trim()).filter(Boolean);
      try {
        const body = await api('PUT', `/api/tags/${kindSel.value}/${encodeURIComponent(idIn.value.trim())}`, { body: { tags } });
        announce(`Tags saved: ${body.tags.join(', ') || 'none'}`);
        close(body);
      } catch (ex) {
        err.textContent = ex.details && ex.details.length ? ex.details.map((d) => `${d.path}: ${d.message}`).join('; ') : explainError(ex);
      }
    } },
      h('p', { class: 'muted small' }, 'A track’s tags are its own and its artists’. Rules use them with the field “My tags”.'),
      h('label', { for: 'tag-kind' }, 'Tag'), kindSel,
      h('label', { for: 'tag-id' }, 'Spotify id'), idIn,
      h('label', { for: 'tag-list' }, 'Tags (comma-separated; empty removes them)'), tagsIn,
      err,
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Save tags')));
  });
}
