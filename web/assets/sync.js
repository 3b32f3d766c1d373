// Syncs: start one, watch its progress live (SSE, or polling where the server has no
// stream), show the per-child result, the history with paging, retry.
import { api, ApiError, explainError } from './api.js';
import { h, add, clear, announce, fmtTime, fmtDuration, plural } from './dom.js';

const PHASES = {
  queued: 'Waiting for a free sync worker',
  check: 'Checking what changed on Spotify',
  read_base: 'Reading the base playlist',
  metadata: 'Fetching track metadata',
  musicbrainz: 'Asking MusicBrainz',
  evaluate: 'Evaluating the rules',
  read_children: 'Reading the child playlists',
  write_children: 'Writing the child playlists',
  finish: 'Finishing',
  done: 'Done',
};

// null: not tried yet; false: this server has no event stream (404): poll.
let streamWorks = null;
export function syncTransport() {
  return streamWorks === false ? 'polling' : streamWorks ? 'stream' : 'unknown';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Follows sync event `id` until it has finished; onUpdate(event, transport) on every
 *  change. Resolves with the final SyncEvent. Uses GET /api/sync-events/{id}/stream
 *  (EventSource) and falls back to polling GET /api/sync-events/{id} every second when
 *  the stream cannot be opened (a server without it answers 404). */
export function watchSync(id, onUpdate) {
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (ev) => {
      if (!finished) {
        finished = true;
        resolve(ev);
      }
    };
    const poll = async () => {
      let failures = 0;
      while (!finished) {
        try {
          const ev = await api('GET', `/api/sync-events/${encodeURIComponent(id)}`);
          failures = 0;
          onUpdate(ev, 'polling');
          if (ev.status !== 'in_progress') return finish(ev);
        } catch (e) {
          if (e instanceof ApiError && (e.status === 401 || e.status === 404 || ++failures > 30)) {
            finished = true;
            return reject(e);
          }
        }
        await sleep(1000);
      }
    };
    if (streamWorks === false || !window.EventSource) {
      poll();
      return;
    }
    const es = new EventSource(`/api/sync-events/${encodeURIComponent(id)}/stream`);
    let got = false;
    const onData = (m) => {
      got = true;
      streamWorks = true;
      try {
        return JSON.parse(m.data);
      } catch (e) {
        return null;
      }
    };
    es.addEventListener('progress', (m) => {
      const ev = onData(m);
      if (ev) onUpdate(ev, 'stream');
    });
    es.addEventListener('done', (m) => {
      es.close();
      const ev = onData(m);
      if (ev) {
        onUpdate(ev, 'stream');
        finish(ev);
      } else poll();
    });
    es.onerror = () => {
      if (finished) return es.close();
      if (es.readyState === EventSource.CLOSED || !got) {
        es.close();
        if (!got && es.readyState === EventSource.CLOSED) streamWorks = false;
        poll();
      }
    };
  });
}

/** The sync area of a base page. ctx: {base, children (for names), onFinished(ev)}. */
export class SyncPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = h('section', { class: 'card', 'aria-labelledby': 'sync-h' });
    this.status = h('div', { class: 'sync-status', 'aria-live': 'polite' });
    this.history = h('div', { class: 'history' });
    this.button = h('button', { type: 'button', class: 'btn primary', dataset: { role: 'sync' }, onclick: () => this.start() }, 'Sync now');
    this.el.append(
      h('div', { class: 'row spread' }, h('h2', { id: 'sync-h' }, 'Sync'), this.button),
      h('p', { class: 'muted small' }, 'Makes each child’s Spotify playlist hold exactly the tracks its rule picks from the base.'),
      this.status,
      h('h3', {}, 'History'),
      this.history);
    this.loadHistory();
    this.resume();
  }

  childName(id) {
    const c = (this.ctx.children() || []).find((x) => x.id === id);
    return c ? c.name : id;
  }

  /** A sync already running (started elsewhere, or before a reload): follow it. */
  async resume() {
    try {
      const st = await api('GET', `/api/base-playlists/${this.ctx.base.id}/sync-status`);
      if (st.active && st.sync_event) this.follow(st.sync_event.id, st.sync_event);
    } catch (e) {
      /* the history shows what is known */
    }
  }

  async start() {
    this.button.disabled = true;
    add(clear(this.status), h('p', {}, 'Starting…'));
    try {
      const ev = await api('POST', `/api/base-playlists/${this.ctx.base.id}/sync?wait=false`, {
        headers: { 'Idempotency-Key': crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random() },
      });
      await this.follow(ev.id, ev);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'sync_in_progress') {
        add(clear(this.status), h('p', { class: 'warn', role: 'alert' }, 'A sync of this base playlist is already running (started elsewhere or automatically). Following it below.'));
        if (e.syncEventId) await this.follow(e.syncEventId, null, true);
      } else {
        add(clear(this.status), h('p', { class: 'error', role: 'alert' }, 'The sync could not start: ', explainError(e)));
      }
    } finally {
      this.button.disabled = false;
    }
  }

  async follow(id, first, keep) {
    this.button.disabled = true;
    const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Sync progress' });
    const label = h('span', { dataset: { role: 'phase' } }, 'Starting…');
    const how = h('span', { class: 'muted small' });
    const box = h('div', { class: 'progress-box', dataset: { role: 'progress' } }, h('div', { class: 'row spread' }, label, how), bar);
    if (!keep) clear(this.status);
    this.status.append(box);
    const show = (ev, transport) => {
      const p = ev.progress || {};
      label.textContent = `${PHASES[p.phase] || p.phase || 'Working'}${p.total ? ` — ${p.done} of ${p.total}` : ''}`;
      if (p.total) {
        bar.max = p.total;
        bar.value = p.done;
      } else bar.removeAttribute('value');
      how.textContent = transport === 'stream' ? 'live' : 'checking every second (this server has no live event stream yet)';
    };
    if (first) show(first, syncTransport());
    try {
      const ev = await watchSync(id, show);
      box.remove();
      this.showResult(ev);
      this.loadHistory();
      if (this.ctx.onFinished) this.ctx.onFinished(ev);
    } catch (e) {
      box.remove();
      this.status.append(h('p', { class: 'error', role: 'alert' }, 'Lost track of the sync: ', explainError(e)));
    } finally {
      this.button.disabled = false;
    }
  }

  showResult(ev) {
    clear(this.status);
    if (ev.status === 'completed') {
      announce('Sync completed');
      this.status.append(h('p', { class: 'ok', dataset: { role: 'sync-done' } }, `Sync completed ${fmtTime(ev.completed_at)}: ${plural(ev.tracks_processed, 'base entry', 'base entries')} read, ${ev.tracks_skipped} skipped.`),
        this.childTable(ev));
    } else {
      announce('Sync failed', 'error');
      this.status.append(h('div', { class: 'error', role: 'alert', dataset: { role: 'sync-failed' } },
        h('p', {}, h('strong', {}, 'The sync failed: '), ev.error_message || 'no reason was given.'),
        h('p', { class: 'small' }, 'Nothing is left half-done for long: the next sync converges. ',
          h('button', { type: 'button', class: 'btn small', onclick: () => this.start() }, 'Retry'))));
    }
  }

  childTable(ev) {
    const rows = ev.children || [];
    if (!rows.length) return h('p', { class: 'muted' }, 'No child playlists were written.');
    return h('table', { class: 'result', dataset: { role: 'sync-result' } },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Child'), h('th', { scope: 'col', class: 'num' }, 'Matched'), h('th', { scope: 'col', class: 'num' }, 'Added'), h('th', { scope: 'col', class: 'num' }, 'Removed'))),
      h('tbody', {}, rows.map((c) => h('tr', { dataset: { child: c.child_playlist_id } },
        h('th', { scope: 'row' }, this.childName(c.child_playlist_id)),
        h('td', { class: 'num', dataset: { role: 'matched' } }, c.matched),
        h('td', { class: 'num', dataset: { role: 'added' } }, '+' + c.added),
        h('td', { class: 'num', dataset: { role: 'removed' } }, '−' + c.removed)))));
  }

  async loadHistory(cursor) {
    if (!cursor) clear(this.history);
    const more = this.history.querySelector('.more');
    if (more) more.remove();
    try {
      const page = await api('GET', `/api/base-playlists/${this.ctx.base.id}/sync-events?limit=5${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
      if (!cursor && !page.items.length) this.history.append(h('p', { class: 'muted' }, 'No sync yet.'));
      let list = this.history.querySelector('ol');
      if (!list) this.history.append((list = h('ol', { class: 'events', dataset: { role: 'history' } })));
      for (const ev of page.items) list.append(this.historyItem(ev));
      if (page.next_cursor)
        this.history.append(h('button', { type: 'button', class: 'btn small more', dataset: { role: 'older' }, onclick: () => this.loadHistory(page.next_cursor) }, 'Older syncs'));
    } catch (e) {
      this.history.append(h('p', { class: 'error' }, 'The history could not be loaded: ', explainError(e)));
    }
  }

  historyItem(ev) {
    const changed = (ev.children || []).reduce((s, c) => s + c.added + c.removed, 0);
    const status = ev.status === 'completed' ? 'completed' : ev.status === 'failed' ? 'failed' : 'running';
    return h('li', { class: 'event ' + status, dataset: { event: ev.id } },
      h('details', {},
        h('summary', {},
          h('span', { class: 'badge ' + status }, status),
          ` ${fmtTime(ev.started_at)} · ${ev.trigger === 'auto' ? 'automatic' : 'manual'}`,
          ev.status === 'completed' ? ` · ${plural(changed, 'change')} · ${fmtDuration(ev.started_at, ev.completed_at)}` : '',
          ev.status === 'failed' ? ` · ${ev.error_message || ''}` : ''),
        ev.status === 'completed' ? this.childTable(ev) : null,
        h('p', { class: 'muted small' }, `${ev.tracks_processed} entries read, ${ev.tracks_skipped} skipped, ${ev.total_api_requests} Spotify requests, cache ${ev.cache_hits} hits / ${ev.cache_misses} misses.`)));
  }
}
