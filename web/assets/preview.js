// The preview of a base's children (POST …/preview): what a sync would write, and
// "why is this track (not) here?" (?explain=). The preview evaluates the children as
// SAVED on the server; the child editor says so while it holds unsaved edits.
import { api, explainError } from './api.js';
import { h, add, clear, trackLink, fmtMs, plural } from './dom.js';
import { tagButton } from './tags.js';

const FIRST = 25;

const REASONS = {
  not_in_base: 'the track is not in the base playlist',
  skipped_local: 'it is a local file, which Spotify’s API cannot add to a playlist',
  skipped_episode: 'it is a podcast episode, which is skipped',
  banned: 'it is banned from this child',
  pinned: 'it is pinned to this child',
  limit: 'the child’s limit cut it',
  matched_earlier_child: 'an earlier child took it (routing “first match”), or another child holds it (catch-all)',
  condition_true: 'this condition holds',
  condition_false: 'this condition does not hold',
  missing_value: 'the track has no value for this field',
  empty_all: 'the rule is empty: every track matches',
  empty_any: 'an empty “any” group matches nothing',
  all_true: 'every condition of this group holds',
  none_true: 'no condition of this group holds',
};

export function reasonText(ex) {
  return REASONS[ex.reason] || ex.reason;
}

/** Runs the preview of base `baseId`; resolves {children, byId, tracks}: tracks is the
 *  answer's map of track id -> {name, artist_names, duration_ms} (null from a server
 *  without it; an id of `remove` that is not in the base has no entry). */
export async function runPreview(baseId, explainId) {
  const q = explainId ? '?explain=' + encodeURIComponent(explainId) : '';
  const body = await api('POST', `/api/base-playlists/${encodeURIComponent(baseId)}/preview${q}`);
  const byId = new Map(body.children.map((c) => [c.child_playlist_id, c]));
  return { children: body.children, byId, tracks: body.tracks || null };
}

/** A track id from an id, a spotify:track: URI or an open.spotify.com link. */
export function trackIdFrom(text) {
  const s = String(text || '').trim();
  const m = s.match(/(?:spotify:track:|open\.spotify\.com\/(?:intl-[a-z]+\/)?track\/)([A-Za-z0-9]+)/);
  return m ? m[1] : s;
}

function trackRow(id, tracks, actions) {
  const info = tracks && tracks[id];
  const length = info && fmtMs(info.duration_ms);
  return h('li', { dataset: { track: id } }, trackLink(id, info),
    length ? h('span', { class: 'muted small' }, ' ', length) : null,
    h('span', { class: 'row-actions' }, actions(id)));
}

/** What the rows cannot name: every id (no map), or the ids shown without an entry. */
function unnamedNote(tracks, shown) {
  if (!tracks) return h('p', { class: 'muted small' }, 'Tracks are shown by their Spotify id (this server gives no names); each opens on Spotify.');
  if (!shown.some((id) => !tracks[id])) return null;
  return h('p', { class: 'muted small', dataset: { role: 'preview-unnamed' } },
    'A track shown by its Spotify id (or an entry by its uri) is not one of the base playlist’s tracks, so the preview has no name for it.');
}

/** The preview panel of one child (inside the child editor).
 *  opts: {baseId, childId, onExplain(explain|null), onPin(id), onBan(id), saved(): bool} */
export class ChildPreview {
  constructor(opts) {
    this.opts = opts;
    this.el = h('section', { class: 'card preview', 'aria-labelledby': 'pv-h', dataset: { role: 'preview' } });
    this.body = h('div', { 'aria-live': 'polite' });
    this.note = h('p', { class: 'note', hidden: true, dataset: { role: 'preview-stale' } });
    this.explainBox = h('div', { class: 'explain' });
    const input = h('input', { type: 'text', id: 'explain-id', placeholder: 'Track id or Spotify link', dataset: { role: 'explain-input' } });
    this.el.append(
      h('div', { class: 'row spread' }, h('h2', { id: 'pv-h' }, 'Preview'),
        h('button', { type: 'button', class: 'btn small', onclick: () => this.refresh() }, 'Refresh')),
      this.note, this.body,
      h('form', { class: 'row explain-form', onsubmit: (e) => { e.preventDefault(); this.explain(trackIdFrom(input.value)); } },
        h('label', { for: 'explain-id' }, 'Why is a track (not) here?'), input,
        h('button', { class: 'btn small', type: 'submit' }, 'Explain')),
      this.explainBox);
  }

  setStale(stale) {
    this.note.hidden = !stale;
    this.note.textContent = stale ? 'This preview shows the saved rule. Your unsaved changes are not in it: save to see them here.' : '';
  }

  async refresh() {
    if (!this.opts.childId) {
      add(clear(this.body), h('p', { class: 'muted' }, 'Save the child to see which tracks it would hold.'));
      return;
    }
    this.body.setAttribute('aria-busy', 'true');
    const seq = (this.seq = (this.seq || 0) + 1);
    try {
      const pv = await runPreview(this.opts.baseId);
      if (seq !== this.seq) return;
      this.render(pv);
    } catch (e) {
      if (seq !== this.seq) return;
      add(clear(this.body), h('p', { class: 'error', role: 'alert' }, 'The preview could not be computed: ', explainError(e)));
    } finally {
      if (seq === this.seq) this.body.removeAttribute('aria-busy');
    }
  }

  render(pv) {
    const c = pv.byId.get(this.opts.childId);
    clear(this.body);
    if (!c) {
      add(this.body, h('p', { class: 'muted' }, 'This child is not in the preview (was it deleted?).'));
      return;
    }
    const actions = (id) => [
      h('button', { type: 'button', class: 'btn tiny', title: 'Why is this track here?', onclick: () => this.explain(id) }, 'Why?'),
      h('button', { type: 'button', class: 'btn tiny', title: 'Pin: always hold this track', onclick: () => this.opts.onPin(id) }, 'Pin'),
      h('button', { type: 'button', class: 'btn tiny', title: 'Ban: never hold this track', onclick: () => this.opts.onBan(id) }, 'Ban'),
      tagButton('tracks', id),
    ];
    const removeActions = (id) => [h('button', { type: 'button', class: 'btn tiny', title: 'Why is this track not here?', onclick: () => this.explain(id) }, 'Why not?')];
    const first = c.track_ids.slice(0, FIRST), toAdd = c.add.slice(0, 100), toRemove = c.remove.slice(0, 100);
    add(this.body,
      h('p', { class: 'big' }, h('strong', { dataset: { role: 'match-count' } }, String(c.track_ids.length)), ` ${c.track_ids.length === 1 ? 'track matches' : 'tracks match'}. `,
        h('span', { class: 'muted' }, 'The next sync would add ', h('strong', { dataset: { role: 'add-count' } }, String(c.add.length)), ' and remove ', h('strong', { dataset: { role: 'remove-count' } }, String(c.remove.length)), '.')),
      c.track_ids.length
        ? h('details', { open: true }, h('summary', {}, `First ${Math.min(FIRST, c.track_ids.length)} tracks`),
          h('ol', { class: 'tracks' }, first.map((id) => trackRow(id, pv.tracks, actions))))
        : null,
      c.add.length ? h('details', {}, h('summary', {}, `To add (${c.add.length})`), h('ul', { class: 'tracks' }, toAdd.map((id) => trackRow(id, pv.tracks, actions)))) : null,
      c.remove.length ? h('details', {}, h('summary', {}, `To remove (${c.remove.length})`), h('ul', { class: 'tracks' }, toRemove.map((id) => trackRow(id, pv.tracks, removeActions)))) : null,
      unnamedNote(pv.tracks, [...first, ...toAdd, ...toRemove]));
  }

  async explain(id) {
    if (!id) return;
    add(clear(this.explainBox), h('p', { class: 'muted' }, 'Asking…'));
    try {
      const pv = await runPreview(this.opts.baseId, id);
      const c = pv.byId.get(this.opts.childId);
      const ex = c && c.explain;
      clear(this.explainBox);
      if (!ex) {
        this.explainBox.append(h('p', { class: 'muted' }, 'The server gave no explanation for this child.'));
        return;
      }
      this.explainBox.append(h('p', { dataset: { role: 'explain-result' } },
        trackLink(id, pv.tracks && pv.tracks[id]), ex.matched ? ' is held: ' : ' is not held: ', h('strong', {}, reasonText(ex)),
        ex.path !== undefined ? h('span', { class: 'muted' }, ` (rule node ${ex.path || '/'}, highlighted above)`) : null));
      this.opts.onExplain(ex);
    } catch (e) {
      add(clear(this.explainBox), h('p', { class: 'error', role: 'alert' }, explainError(e)));
    }
  }
}

/** Match counts of every child of a base (for the base page). */
export function previewSummary(pv, childId) {
  const c = pv && pv.byId.get(childId);
  if (!c) return null;
  return `${plural(c.track_ids.length, 'track')} · next sync +${c.add.length} −${c.remove.length}`;
}
