// One base playlist: its settings, its children in position order (drag or arrow
// keys to reorder), what the next sync would do, and the sync itself.
import { api, explainError } from './api.js';
import { h, add, clear, announce, confirmDialog, fmtTime, spinner } from './dom.js';
import { describe } from './fields.js';
import { runPreview, previewSummary } from './preview.js';
import { SyncPanel } from './sync.js';
import { autoSyncText } from './bases.js';

const AUTO = [0, 15, 30, 60, 180, 360, 720, 1440, 10080];

export async function baseView(root, go, baseId) {
  root.append(spinner());
  let base;
  try {
    base = await api('GET', `/api/base-playlists/${encodeURIComponent(baseId)}`);
  } catch (e) {
    add(clear(root), h('p', { class: 'error', role: 'alert' }, 'This base playlist could not be loaded: ', explainError(e)), h('a', { href: '#/' }, 'Back to your bases'));
    return;
  }
  let children = [];
  let lastSync = null;
  const childList = h('ol', { class: 'children', dataset: { role: 'children' }, 'aria-describedby': 'reorder-help' });
  const liveMsg = h('p', { class: 'sr-only', 'aria-live': 'assertive' });
  const previewNote = h('p', { class: 'muted small', dataset: { role: 'preview-note' } });
  let preview = null;

  const loadChildren = async () => {
    const body = await api('GET', `/api/base-playlists/${base.id}/child-playlists`);
    children = body.items;
  };

  const refreshPreview = async () => {
    if (!children.length) {
      preview = null;
      previewNote.textContent = '';
      return;
    }
    previewNote.textContent = 'Computing what the next sync would do…';
    try {
      preview = await runPreview(base.id);
      previewNote.textContent = '';
    } catch (e) {
      preview = null;
      previewNote.textContent = 'No preview: ' + explainError(e);
    }
    renderChildren();
  };

  const move = async (child, to, focusAfter) => {
    if (to < 0 || to >= children.length || to === child.position) return;
    try {
      await api('PATCH', `/api/child-playlists/${child.id}`, { body: { position: to }, ifMatch: child.version });
      await loadChildren();
      renderChildren();
      liveMsg.textContent = `${child.name} moved to position ${to + 1} of ${children.length}.`;
      if (focusAfter) {
        const el = childList.querySelector(`[data-child="${child.id}"] .handle`);
        if (el) el.focus();
      }
      refreshPreview();
    } catch (e) {
      announce('Could not move the child: ' + explainError(e), 'error');
      await loadChildren().catch(() => {});
      renderChildren();
    }
  };

  let dragId = null;
  const renderChildren = () => {
    // A re-render (a preview arriving, say) keeps the keyboard focus where it was.
    const active = document.activeElement;
    const keep = active && childList.contains(active) && active.dataset.role ? [active.closest('[data-child]')?.dataset.child, active.dataset.role] : null;
    draw();
    if (keep) {
      const el = childList.querySelector(`[data-child="${keep[0]}"] [data-role="${keep[1]}"]`);
      if (el) el.focus();
    }
  };
  const draw = () => {
    clear(childList);
    if (!children.length) {
      childList.append(h('li', { class: 'empty' }, 'No child playlist yet. Add one: it gets a rule, and a sync fills its Spotify playlist.'));
      return;
    }
    for (const c of children) {
      const result = lastSync && (lastSync.children || []).find((x) => x.child_playlist_id === c.id);
      const handle = h('button', { type: 'button', class: 'handle', 'aria-label': `Reorder ${c.name} (position ${c.position + 1} of ${children.length}); arrow keys move it`, dataset: { role: 'handle' }, onkeydown: (e) => {
        if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
          e.preventDefault();
          move(c, c.position + (e.key === 'ArrowUp' ? -1 : 1), true);
        }
      } }, '⠿');
      const li = h('li', { class: 'child', draggable: 'true', dataset: { child: c.id, position: c.position } },
        handle,
        h('div', { class: 'child-main' },
          h('a', { class: 'child-name', href: `#/base/${base.id}/child/${c.id}` }, c.name),
          c.catch_all ? h('span', { class: 'badge' }, 'catch-all') : null,
          h('p', { class: 'muted small rule-summary' }, describe(c.filter),
            c.sort ? ` · sorted by ${c.sort.by.replace(/_/g, ' ')} ${c.sort.order === 'desc' ? '↓' : '↑'}` : '',
            c.limit !== null && c.limit !== undefined ? ` · at most ${c.limit}` : '',
            c.pinned_track_ids.length ? ` · ${c.pinned_track_ids.length} pinned` : '',
            c.banned_track_ids.length ? ` · ${c.banned_track_ids.length} banned` : ''),
          h('p', { class: 'small', dataset: { role: 'child-preview' } }, previewSummary(preview, c.id) || ''),
          result ? h('p', { class: 'small muted' }, `Last sync: ${result.matched} matched, +${result.added} −${result.removed}`) : null),
        h('div', { class: 'child-actions' },
          h('a', { class: 'btn small', href: `#/base/${base.id}/child/${c.id}` }, 'Edit'),
          h('button', { type: 'button', class: 'btn small', dataset: { role: 'restore' }, onclick: () => restore(c) }, 'Restore'),
          h('button', { type: 'button', class: 'btn small danger-text', onclick: () => removeChild(c) }, 'Delete')));
      li.addEventListener('dragstart', (e) => {
        dragId = c.id;
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', c.id);
        li.classList.add('dragging');
      });
      li.addEventListener('dragend', () => li.classList.remove('dragging'));
      li.addEventListener('dragover', (e) => {
        if (!dragId || dragId === c.id) return;
        e.preventDefault();
        li.classList.add('drop-target');
      });
      li.addEventListener('dragleave', () => li.classList.remove('drop-target'));
      li.addEventListener('drop', (e) => {
        e.preventDefault();
        li.classList.remove('drop-target');
        const moving = children.find((x) => x.id === dragId);
        dragId = null;
        if (moving) move(moving, c.position, false);
      });
      childList.append(li);
    }
  };

  const restore = async (c) => {
    const ok = await confirmDialog(`Restore “${c.name}”?`, 'This puts back on Spotify what this child’s playlist held before the last sync that changed it. The next sync will apply the rule again.', 'Restore', false);
    if (!ok) return;
    try {
      const r = await api('POST', `/api/child-playlists/${c.id}/restore`);
      announce(`Restored “${c.name}”: ${r.track_ids.length} tracks (+${r.added} −${r.removed}).`);
      statusLine.textContent = `Restored “${c.name}”: it holds ${r.track_ids.length} tracks again (+${r.added} −${r.removed}).`;
      refreshPreview();
    } catch (e) {
      const msg = e.status === 404 && e.code === 'not_found' ? 'Nothing to restore: no sync has changed this child’s playlist yet.' : explainError(e);
      statusLine.textContent = `Restore of “${c.name}” failed: ${msg}`;
      announce(msg, 'error');
    }
  };

  const removeChild = async (c) => {
    const ok = await confirmDialog(`Delete “${c.name}”?`, 'The child and its rule are deleted here. Its Spotify playlist stays on your account as it is.', 'Delete');
    if (!ok) return;
    try {
      await api('DELETE', `/api/child-playlists/${c.id}`, { ifMatch: c.version });
      await loadChildren();
      renderChildren();
      refreshPreview();
    } catch (e) {
      announce(explainError(e), 'error');
    }
  };

  const statusLine = h('p', { class: 'small', role: 'status', dataset: { role: 'base-status' } });

  // ---- settings ----
  const nameIn = h('input', { id: 'b-name', type: 'text', value: base.name, maxlength: 100, required: true });
  const routingSel = h('select', { id: 'b-routing' },
    h('option', { value: 'all', selected: base.routing === 'all' }, 'every child whose rule matches'),
    h('option', { value: 'first_match', selected: base.routing === 'first_match' }, 'only the first matching child'));
  const autoSel = h('select', { id: 'b-auto' }, [...new Set([...AUTO, base.auto_sync_minutes])].sort((a, b) => a - b).map((m) =>
    h('option', { value: m, selected: m === base.auto_sync_minutes }, m ? autoSyncText(m).replace('auto-sync ', '') : 'off')));
  const settingsErr = h('div', { role: 'alert' });
  const settings = h('form', { class: 'card stack', 'aria-labelledby': 'set-h', onsubmit: async (e) => {
    e.preventDefault();
    clear(settingsErr);
    try {
      base = await api('PATCH', `/api/base-playlists/${base.id}`, { body: { name: nameIn.value, routing: routingSel.value, auto_sync_minutes: Number(autoSel.value) }, ifMatch: base.version });
      title.textContent = base.name;
      announce('Settings saved');
      refreshPreview();
    } catch (ex) {
      add(settingsErr, h('p', { class: 'error' }, explainError(ex)), ex.details.length ? h('ul', { class: 'errors' }, ex.details.map((d) => h('li', {}, `${d.path}: ${d.message}`))) : null);
    }
  } },
    h('h2', { id: 'set-h' }, 'Settings'),
    h('label', { for: 'b-name' }, 'Name'), nameIn,
    h('label', { for: 'b-routing' }, 'A track goes to'), routingSel,
    h('label', { for: 'b-auto' }, 'Automatic sync'), autoSel,
    h('p', { class: 'muted small' }, 'An automatic sync runs only when something changed since the last one.'),
    settingsErr,
    h('div', { class: 'row spread' },
      h('button', { type: 'submit', class: 'btn primary' }, 'Save settings'),
      h('button', { type: 'button', class: 'btn danger', dataset: { role: 'delete-base' }, onclick: async () => {
        const ok = await confirmDialog(`Delete the base “${base.name}”?`, `Its ${children.length} child playlist${children.length === 1 ? '' : 's'} and its sync history are deleted here. Every Spotify playlist stays on your account as it is.`, 'Delete base');
        if (!ok) return;
        try {
          await api('DELETE', `/api/base-playlists/${base.id}`, { ifMatch: base.version });
          announce('Base deleted');
          go('#/');
        } catch (ex) {
          announce(explainError(ex), 'error');
        }
      } }, 'Delete base')));

  const title = h('h1', {}, base.name);
  const sync = new SyncPanel({
    base,
    children: () => children,
    onFinished: async (ev) => {
      lastSync = ev;
      base = await api('GET', `/api/base-playlists/${base.id}`).catch(() => base);
      lastSynced.textContent = 'Last synced: ' + fmtTime(base.last_synced_at);
      renderChildren();
      refreshPreview();
    },
  });
  const lastSynced = h('span', {}, 'Last synced: ' + fmtTime(base.last_synced_at));
  add(clear(root),
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Bases'), ' / ', base.name),
    h('div', { class: 'row spread' }, title),
    h('p', { class: 'muted' }, base.source === 'liked' ? 'Liked Songs' : h('a', { href: `https://open.spotify.com/playlist/${encodeURIComponent(base.spotify_playlist_id)}`, target: '_blank', rel: 'noopener noreferrer' }, 'Open on Spotify'), ' · ', lastSynced),
    h('div', { class: 'columns' },
      h('div', { class: 'col' },
        h('section', { class: 'card', 'aria-labelledby': 'ch-h' },
          h('div', { class: 'row spread' }, h('h2', { id: 'ch-h' }, 'Child playlists'),
            h('a', { class: 'btn primary', href: `#/base/${base.id}/child/new`, dataset: { role: 'add-child' } }, '+ Add a child')),
          h('p', { id: 'reorder-help', class: 'muted small' }, 'In position order: with “only the first matching child” the order decides. Drag a child, or focus its ⠿ handle and press ↑ or ↓.'),
          previewNote, statusLine, childList, liveMsg),
        settings),
      h('div', { class: 'col' }, sync.el)));
  try {
    await loadChildren();
  } catch (e) {
    childList.append(h('li', { class: 'error' }, 'The children could not be loaded: ', explainError(e)));
    return;
  }
  renderChildren();
  refreshPreview();
}
