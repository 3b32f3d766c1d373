// The child playlist editor: name, rule (builder or raw JSON), sort, limit, catch-all,
// pinned and banned tracks; validation errors at the field their JSON Pointer names;
// the preview beside it.
import { api, explainError } from './api.js';
import { h, add, clear, announce, confirmDialog, debounce, spinner } from './dom.js';
import { fields, learnFromDetails } from './fields.js';
import { RuleBuilder } from './rule-builder.js';
import { ChildPreview, trackIdFrom } from './preview.js';

const EDITABLE = ['name', 'filter', 'sort', 'limit', 'catch_all', 'pinned_track_ids', 'banned_track_ids'];
const LIVE_KEY = 'playrouter.liveSave';

function pick(child) {
  const out = {};
  for (const k of EDITABLE) out[k] = structuredClone(child[k]);
  return out;
}

const NEW_CHILD = { name: '', filter: { all: [] }, sort: null, limit: null, catch_all: false, pinned_track_ids: [], banned_track_ids: [] };

export async function childView(root, go, baseId, childId) {
  root.append(spinner());
  let base, saved = null;
  try {
    base = await api('GET', `/api/base-playlists/${encodeURIComponent(baseId)}`);
    if (childId !== 'new') saved = await api('GET', `/api/child-playlists/${encodeURIComponent(childId)}`);
  } catch (e) {
    add(clear(root), h('p', { class: 'error', role: 'alert' }, 'This child playlist could not be loaded: ', explainError(e)), h('a', { href: '#/' }, 'Back to your bases'));
    return;
  }
  let draft = saved ? pick(saved) : structuredClone(NEW_CHILD);
  let saving = false;

  // ---- error slots, one per JSON Pointer prefix of the body ----
  const slots = new Map();
  const slot = (path) => {
    const el = h('p', { class: 'field-error', role: 'alert', hidden: true, id: 'err' + path.replace(/\W/g, '_') });
    slots.set(path, el);
    return el;
  };
  const formErr = h('div', { role: 'alert', dataset: { role: 'form-error' } });
  const showErrors = (details) => {
    for (const el of slots.values()) {
      el.hidden = true;
      el.textContent = '';
    }
    const rule = new Map();
    const rest = [];
    for (const d of details) {
      const p = d.path || '';
      if (p === '/filter' || p.startsWith('/filter/')) {
        rule.set(p.slice(7), d.message);
        continue;
      }
      const key = [...slots.keys()].find((k) => p === k || p.startsWith(k + '/'));
      if (key) {
        const el = slots.get(key);
        el.hidden = false;
        el.textContent = (el.textContent ? el.textContent + ' ' : '') + (p === key ? d.message : `${p.slice(key.length + 1)}: ${d.message}`);
      } else rest.push(d);
    }
    if (slots.get('/filter') && rule.has('')) {
      slots.get('/filter').hidden = false;
      slots.get('/filter').textContent = rule.get('');
      rule.delete('');
    }
    builder.setErrors(rule);
    if (rest.length) formErr.append(h('ul', { class: 'errors' }, rest.map((d) => h('li', {}, `${d.path || 'body'}: ${d.message}`))));
    const first = root.querySelector('.field-error:not([hidden])');
    if (first) first.scrollIntoView({ block: 'center', behavior: 'smooth' });
  };

  // ---- controls ----
  const nameIn = h('input', { id: 'c-name', type: 'text', maxlength: 100, required: true, value: draft.name, dataset: { role: 'child-name' }, oninput: (e) => update({ name: e.target.value }) });
  const sortBy = h('select', { id: 'c-sort', dataset: { role: 'sort-by' }, onchange: () => update({ sort: sortBy.value ? { by: sortBy.value, order: sortOrder.value } : null }) },
    h('option', { value: '' }, 'base order'),
    fields().map((f) => h('option', { value: f.name, disabled: !f.available, title: f.reason || '' }, f.label + (f.available ? '' : ' (unavailable)'))));
  const sortOrder = h('select', { id: 'c-order', 'aria-label': 'Sort order', onchange: () => { if (sortBy.value) update({ sort: { by: sortBy.value, order: sortOrder.value } }); } },
    h('option', { value: 'asc' }, 'ascending'), h('option', { value: 'desc' }, 'descending'));
  const limitIn = h('input', { id: 'c-limit', type: 'number', min: 0, max: 10000, step: 1, placeholder: 'no limit', dataset: { role: 'limit' }, oninput: (e) => update({ limit: e.target.value === '' ? null : Number(e.target.value) }) });
  const catchAll = h('input', { id: 'c-catch', type: 'checkbox', dataset: { role: 'catch-all' }, onchange: (e) => update({ catch_all: e.target.checked }) });
  const idsArea = (id, key) => h('textarea', { id, rows: 3, class: 'mono', placeholder: 'one track id or Spotify link per line', oninput: (e) => update({ [key]: e.target.value.split('\n').map(trackIdFrom).filter(Boolean) }) });
  const pinnedIn = idsArea('c-pinned', 'pinned_track_ids');
  const bannedIn = idsArea('c-banned', 'banned_track_ids');
  const rawIn = h('textarea', { id: 'c-raw', rows: 14, class: 'mono', spellcheck: 'false', dataset: { role: 'raw' } });
  const rawErr = h('p', { class: 'field-error', role: 'alert' });
  const saveBtn = h('button', { type: 'submit', class: 'btn primary', dataset: { role: 'save-child' } }, saved ? 'Save' : 'Create child');
  const saveState = h('span', { class: 'muted small', 'aria-live': 'polite', dataset: { role: 'save-state' } });
  const liveBox = h('input', { id: 'c-live', type: 'checkbox', checked: localStorage.getItem(LIVE_KEY) === '1', onchange: (e) => localStorage.setItem(LIVE_KEY, e.target.checked ? '1' : '0') });

  const builder = new RuleBuilder(draft.filter, (rule) => update({ filter: rule }, true));

  const fill = () => {
    nameIn.value = draft.name;
    sortBy.value = draft.sort ? draft.sort.by : '';
    sortOrder.value = draft.sort ? draft.sort.order || 'asc' : 'asc';
    limitIn.value = draft.limit === null || draft.limit === undefined ? '' : draft.limit;
    catchAll.checked = !!draft.catch_all;
    pinnedIn.value = (draft.pinned_track_ids || []).join('\n');
    bannedIn.value = (draft.banned_track_ids || []).join('\n');
    rawIn.value = JSON.stringify(draft, null, 2);
  };

  const dirty = () => !saved || JSON.stringify(draft) !== JSON.stringify(pick(saved));
  const liveSave = debounce(() => {
    if (liveBox.checked && saved && dirty() && !saving) save(true);
  }, 900);

  function update(patch, fromBuilder) {
    Object.assign(draft, patch);
    if (!fromBuilder && 'filter' in patch) builder.set(draft.filter);
    if (document.activeElement !== rawIn) rawIn.value = JSON.stringify(draft, null, 2);
    const d = dirty();
    saveState.textContent = d ? (saved ? 'Unsaved changes' : 'Not created yet') : 'Saved';
    preview.setStale(d && !!saved);
    liveSave();
  }

  async function save(quiet) {
    saving = true;
    saveBtn.disabled = true;
    clear(formErr);
    saveState.textContent = 'Saving…';
    const body = structuredClone(draft);
    try {
      if (saved) {
        saved = await api('PATCH', `/api/child-playlists/${saved.id}`, { body, ifMatch: saved.version });
      } else {
        saved = await api('POST', `/api/base-playlists/${base.id}/child-playlists`, { body });
        history.replaceState(null, '', `#/base/${base.id}/child/${saved.id}`);
        preview.opts.childId = saved.id;
        saveBtn.textContent = 'Save';
        deleteBtn.hidden = false;
        playlistLine.replaceChildren(playlistLink(saved));
        title.textContent = `Edit “${saved.name}”`;
        crumb.textContent = saved.name;
      }
      showErrors([]);
      // Keep what the user typed since the request left; take what the server normalised.
      if (JSON.stringify(draft) === JSON.stringify(body)) draft = pick(saved);
      update({}, false);
      if (!quiet) announce('Saved');
      preview.refresh();
    } catch (e) {
      saveState.textContent = 'Not saved';
      if (e.code === 'validation_failed') {
        const before = fields().filter((f) => !f.available).length;
        learnFromDetails(e.details, body.filter);
        if (fields().filter((f) => !f.available).length !== before) builder.render();
        formErr.append(h('p', { class: 'error' }, 'Not saved: fix the problems marked below.'));
        showErrors(e.details);
      } else if (e.code === 'version_mismatch') {
        formErr.append(h('p', { class: 'error' }, explainError(e), ' ', h('button', { type: 'button', class: 'btn small', onclick: () => go(location.hash, true) }, 'Reload')));
      } else {
        formErr.append(h('p', { class: 'error', dataset: { code: e.code } }, 'Not saved: ', explainError(e)));
      }
    } finally {
      saving = false;
      saveBtn.disabled = false;
    }
  }

  const preview = new ChildPreview({
    baseId: base.id,
    childId: saved ? saved.id : null,
    onExplain: (ex) => builder.setHighlight(ex.path === undefined ? null : ex.path),
    onPin: (id) => {
      if (!draft.pinned_track_ids.includes(id)) update({ pinned_track_ids: [...draft.pinned_track_ids, id] });
      pinnedIn.value = draft.pinned_track_ids.join('\n');
      announce(`Pinned ${id}${liveBox.checked ? '' : ': save to apply'}`);
    },
    onBan: (id) => {
      if (!draft.banned_track_ids.includes(id)) update({ banned_track_ids: [...draft.banned_track_ids, id] });
      bannedIn.value = draft.banned_track_ids.join('\n');
      announce(`Banned ${id}${liveBox.checked ? '' : ': save to apply'}`);
    },
  });

  const deleteBtn = h('button', { type: 'button', class: 'btn danger-text', hidden: !saved, onclick: async () => {
    if (!(await confirmDialog(`Delete “${saved.name}”?`, 'The child and its rule are deleted here. Its Spotify playlist stays on your account as it is.', 'Delete'))) return;
    try {
      await api('DELETE', `/api/child-playlists/${saved.id}`, { ifMatch: saved.version });
      go(`#/base/${base.id}`);
    } catch (e) {
      announce(explainError(e), 'error');
    }
  } }, 'Delete child');

  const playlistLink = (c) => h('a', { href: `https://open.spotify.com/playlist/${encodeURIComponent(c.spotify_playlist_id)}`, target: '_blank', rel: 'noopener noreferrer' }, 'its Spotify playlist');
  const playlistLine = h('span', {}, saved ? playlistLink(saved) : 'a new private playlist on your Spotify account, named after the child');

  const form = h('form', { class: 'stack', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(false); } },
    formErr,
    h('section', { class: 'card stack' },
      h('label', { for: 'c-name' }, 'Name'), nameIn, slot('/name'),
      h('p', { class: 'muted small' }, 'Writes to ', playlistLine, '.'), slot('/spotify_playlist_id')),
    h('section', { class: 'card', 'aria-labelledby': 'rule-h' },
      h('h2', { id: 'rule-h' }, 'Rule'), slot('/filter'), builder.el),
    h('section', { class: 'card stack', 'aria-labelledby': 'opt-h' },
      h('h2', { id: 'opt-h' }, 'Order and size'),
      h('div', { class: 'grid2' },
        h('div', {}, h('label', { for: 'c-sort' }, 'Sort by'), h('div', { class: 'row tight' }, sortBy, sortOrder), slot('/sort')),
        h('div', {}, h('label', { for: 'c-limit' }, 'Limit'), limitIn, slot('/limit'))),
      h('div', { class: 'check' }, catchAll, h('label', { for: 'c-catch' }, 'Catch-all: receive the base tracks no other child holds (narrowed by the rule)')), slot('/catch_all'),
      h('div', { class: 'grid2' },
        h('div', {}, h('label', { for: 'c-pinned' }, 'Pinned tracks (always held)'), pinnedIn, slot('/pinned_track_ids')),
        h('div', {}, h('label', { for: 'c-banned' }, 'Banned tracks (never held)'), bannedIn, slot('/banned_track_ids')))),
    h('details', { class: 'card', ontoggle: (e) => { if (e.target.open) rawIn.value = JSON.stringify(draft, null, 2); } },
      h('summary', {}, 'Raw JSON'),
      h('p', { class: 'muted small' }, 'The child as the API takes it. Edit and apply; the builder follows.'),
      rawIn, rawErr,
      h('button', { type: 'button', class: 'btn small', dataset: { role: 'raw-apply' }, onclick: () => {
        try {
          const v = JSON.parse(rawIn.value);
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
          const unknown = Object.keys(v).filter((k) => !EDITABLE.includes(k));
          if (unknown.length) throw new Error(`unknown member${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
          rawErr.textContent = '';
          draft = { ...structuredClone(NEW_CHILD), ...v };
          fill();
          builder.set(draft.filter);
          update({}, true);
        } catch (e) {
          rawErr.textContent = 'Not applied: ' + e.message;
        }
      } }, 'Apply JSON')),
    h('div', { class: 'row spread form-actions' },
      h('div', { class: 'row' }, saveBtn, saveState),
      h('div', { class: 'row' },
        h('span', { class: 'check' }, liveBox, h('label', { for: 'c-live', title: 'Saves about a second after each edit, so the preview follows as you type' }, 'Save as I type')),
        deleteBtn)));

  const title = h('h1', {}, saved ? `Edit “${saved.name}”` : 'New child playlist');
  const crumb = h('span', {}, saved ? saved.name : 'new child');
  add(clear(root),
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Bases'), ' / ', h('a', { href: `#/base/${base.id}` }, base.name), ' / ', crumb),
    title,
    h('div', { class: 'columns editor' }, h('div', { class: 'col wide' }, form), h('div', { class: 'col' }, preview.el)));
  fill();
  update({}, true);
  preview.refresh();
  if (!saved) nameIn.focus();
}
