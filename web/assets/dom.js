// Small DOM helpers: element builder, announcements, dialogs, formatting.

/** h('button', {class: 'x', onclick: fn}, 'text', child) -> element.
 *  Attributes: on* are listeners, `class`, `for`, boolean true/false attributes,
 *  `dataset` an object; null/undefined/false children are skipped. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Empties el, then appends children (null/false skipped, unlike Element.append). */
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Element.append that skips null/undefined/false. */
export function add(el, ...children) {
  append(el, children);
  return el;
}

/** Announces a message in the page's status region (and to screen readers). */
export function announce(msg, kind = 'info') {
  const box = document.getElementById('status');
  if (!box) return;
  const item = h('div', { class: 'toast toast-' + kind, role: kind === 'error' ? 'alert' : 'status' }, msg);
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 10000 : 4000);
}

export function debounce(fn, ms) {
  let t = null;
  const d = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  d.cancel = () => clearTimeout(t);
  return d;
}

/** A modal <dialog>; resolves with the value given to close(value), or null. */
export function modal(title, build) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'modal', 'aria-label': title });
    let result = null;
    const close = (value) => {
      result = value === undefined ? null : value;
      dlg.close();
    };
    dlg.append(h('h2', {}, title), build(close));
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** A yes/no question; resolves true when confirmed. */
export function confirmDialog(title, text, yes = 'Confirm', danger = true) {
  return modal(title, (close) =>
    h('div', {},
      h('p', {}, text),
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
        h('button', { type: 'button', class: danger ? 'btn danger' : 'btn primary', onclick: () => close(true) }, yes))),
  ).then((v) => v === true);
}

export function fmtTime(iso) {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtDuration(fromIso, toIso) {
  if (!fromIso || !toIso) return '';
  const s = Math.max(0, (new Date(toIso) - new Date(fromIso)) / 1000);
  return s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}

/** m:ss of a duration in milliseconds ('' when unknown). */
export function fmtMs(ms) {
  if (typeof ms !== 'number' || !(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A link that opens a track on Spotify: "Song — Artist, Artist" when `info` (its entry
 *  in the preview's `tracks` map) has a name, else the id. A uri that is no track (a
 *  local file, an episode) is shown as it is, without a link. */
export function trackLink(id, info) {
  if (id.includes(':')) return h('span', { class: 'mono' }, id);
  const attrs = { href: 'https://open.spotify.com/track/' + encodeURIComponent(id), target: '_blank', rel: 'noopener noreferrer' };
  if (!info || !info.name) return h('a', { ...attrs, class: 'mono' }, id);
  const artists = (info.artist_names || []).join(', ');
  return h('a', { ...attrs, class: 'track', title: id },
    h('span', { dataset: { role: 'track-name' } }, info.name),
    artists ? h('span', { class: 'muted' }, ' — ', artists) : null);
}

export function spinner(label = 'Loading…') {
  return h('p', { class: 'muted', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', label);
}
