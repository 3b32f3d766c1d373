// The rule builder: edits a Rule (API.md) as a tree of groups (all / any), negations
// (not) and conditions (field, operator, value). Every node carries its JSON Pointer
// (data-path, relative to the child's `filter`), so a validation error of the server
// at /filter/<pointer>/<member> is shown at that very control.
import { h, add, clear } from './dom.js';
import { fields, field, OPS, OP_LABELS, SUGGEST, defaultValue } from './fields.js';

let uid = 0;

export class RuleBuilder {
  /** rule: the filter (copied); onChange(rule) after every edit. */
  constructor(rule, onChange) {
    this.rule = structuredClone(rule ?? { all: [] });
    this.onChange = onChange;
    this.errors = new Map();
    this.highlight = null;
    this.el = h('div', { class: 'rule-builder' });
    this.render();
  }

  set(rule) {
    this.rule = structuredClone(rule ?? { all: [] });
    this.render();
  }

  /** errors: Map of pointer (relative to the filter) -> message. */
  setErrors(errors) {
    this.errors = errors;
    this.render();
  }

  /** Marks the node at `path` (an explain answer's path). */
  setHighlight(path) {
    this.highlight = path;
    this.render();
  }

  changed(rerender) {
    if (rerender) this.render();
    this.onChange(structuredClone(this.rule));
  }

  render() {
    this.shown = new Set();
    const tree = this.node(this.rule, '');
    const rest = [...this.errors].filter(([p]) => !this.shown.has(p));
    add(clear(this.el),
      rest.length ? h('ul', { class: 'errors', role: 'alert' }, rest.map(([p, m]) => h('li', {}, `${p || '/'}: ${m}`))) : null,
      tree,
      this.unavailableNote(),
    );
  }

  unavailableNote() {
    const off = fields().filter((f) => !f.available);
    if (!off.length) return null;
    return h('details', { class: 'note' },
      h('summary', {}, `${off.length} field${off.length === 1 ? ' is' : 's are'} unavailable on this server — why?`),
      h('ul', {}, off.map((f) => h('li', {}, h('strong', {}, f.label), ': ', f.reason || 'not served'))));
  }

  // ---- tree editing ---------------------------------------------------------

  replace(path, node) {
    if (path === '') {
      this.rule = node;
      return;
    }
    const i = path.lastIndexOf('/');
    const parent = ptr(this.rule, path.slice(0, i));
    parent[unescape(path.slice(i + 1))] = node;
  }

  remove(path) {
    const i = path.lastIndexOf('/');
    const parentPath = path.slice(0, i);
    const parent = ptr(this.rule, parentPath);
    if (Array.isArray(parent)) parent.splice(Number(unescape(path.slice(i + 1))), 1);
    else if (parentPath === '') this.rule = { all: [] }; // the child of a root `not`
    else this.remove(parentPath); // the child of a `not`: the `not` goes too
  }

  // ---- rendering ------------------------------------------------------------

  errorFor(path, id) {
    const msg = this.errors.get(path);
    if (msg === undefined) return null;
    this.shown.add(path);
    return h('p', { class: 'field-error', id, role: 'alert' }, msg);
  }

  node(node, path) {
    const mark = this.highlight !== null && this.highlight === path ? ' highlight' : '';
    if (node && typeof node === 'object' && (Array.isArray(node.all) || Array.isArray(node.any)))
      return this.group(node, path, mark);
    if (node && typeof node === 'object' && 'not' in node) {
      return h('div', { class: 'rule-not' + mark, dataset: { path } },
        h('div', { class: 'row' },
          h('span', { class: 'badge' }, 'NOT'),
          h('button', { type: 'button', class: 'btn small', dataset: { role: 'unnegate' }, onclick: () => { this.replace(path, node.not); this.changed(true); } }, 'Remove “not”')),
        this.errorFor(path, 'e' + ++uid),
        this.node(node.not, path + '/not'));
    }
    if (node && typeof node === 'object' && 'field' in node) return this.condition(node, path, mark);
    return h('div', { class: 'rule-raw' + mark, dataset: { path } },
      h('code', {}, JSON.stringify(node)),
      this.errorFor(path, 'e' + ++uid),
      h('button', { type: 'button', class: 'btn small', onclick: () => { this.replace(path, { all: [] }); this.changed(true); } }, 'Replace with a group'));
  }

  group(node, path, mark) {
    const kind = Array.isArray(node.all) ? 'all' : 'any';
    const list = node[kind];
    const sel = h('select', { 'aria-label': 'Group kind', dataset: { role: 'group-kind' }, onchange: (e) => {
      const other = e.target.value;
      this.replace(path, { [other]: list });
      this.changed(true);
    } },
      h('option', { value: 'all', selected: kind === 'all' }, 'all of'),
      h('option', { value: 'any', selected: kind === 'any' }, 'any of'));
    const add = (n) => () => {
      list.push(n());
      this.changed(true);
      const last = this.el.querySelector(`[data-path="${cssEscape(`${path}/${kind}/${list.length - 1}`)}"] select, [data-path="${cssEscape(`${path}/${kind}/${list.length - 1}`)}"] input`);
      if (last) last.focus();
    };
    const errId = 'e' + ++uid;
    return h('fieldset', { class: 'rule-group' + mark, dataset: { path } },
      h('legend', {}, 'Tracks matching ', sel, list.length === 0 ? (kind === 'all' ? ' (nothing yet: every track)' : ' (nothing yet: no track)') : ''),
      this.errorFor(path, errId),
      this.errorFor(`${path}/${kind}`, errId + 'k'),
      h('ol', { class: 'rule-list' }, list.map((child, i) => h('li', {}, this.node(child, `${path}/${kind}/${i}`)))),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'btn small', dataset: { role: 'add-condition' }, onclick: add(() => ({ field: 'artist_name', op: 'eq', value: '' })) }, '+ Condition'),
        h('button', { type: 'button', class: 'btn small', dataset: { role: 'add-group' }, onclick: add(() => ({ any: [] })) }, '+ Group'),
        path !== '' ? h('button', { type: 'button', class: 'btn small', onclick: () => { this.replace(path, { not: node }); this.changed(true); } }, 'Negate') : null,
        path !== '' ? h('button', { type: 'button', class: 'btn small danger-text', 'aria-label': 'Remove group', onclick: () => { this.remove(path); this.changed(true); } }, 'Remove group') : null));
  }

  condition(node, path, mark) {
    const f = field(node.field);
    const type = f ? f.type : 'string';
    const ops = OPS[type];
    const ids = { field: 'f' + ++uid, op: 'o' + uid, value: 'v' + uid };
    const fieldSel = h('select', { 'aria-label': 'Field', dataset: { role: 'field' }, 'aria-describedby': ids.field + 'e', onchange: (e) => {
      const nf = field(e.target.value);
      node.field = e.target.value;
      if (!OPS[nf.type].includes(node.op)) node.op = OPS[nf.type][0];
      const v = defaultValue(nf.type, node.op);
      if (v === undefined) delete node.value; else if (nf.type !== type) node.value = v;
      this.changed(true);
      this.focus(path, 'field');
    } }, fields().map((x) => h('option', { value: x.name, selected: x.name === node.field, disabled: !x.available && x.name !== node.field, title: x.reason || '' }, x.label + (x.available ? '' : ' (unavailable)'))));
    if (!f) fieldSel.append(h('option', { value: node.field, selected: true }, node.field));
    const opSel = h('select', { 'aria-label': 'Operator', dataset: { role: 'op' }, onchange: (e) => {
      const before = node.op;
      node.op = e.target.value;
      const shape = (op) => (op === 'between' ? 'pair' : op === 'in' || op === 'not_in' ? 'list' : op === 'exists' || op === 'missing' ? 'none' : op === 'in_the_last' ? 'days' : 'one');
      if (shape(before) !== shape(node.op)) {
        const v = defaultValue(type, node.op);
        if (v === undefined) delete node.value; else node.value = v;
      }
      this.changed(true);
      this.focus(path, 'op');
    } }, ops.map((op) => h('option', { value: op, selected: op === node.op }, OP_LABELS[op])));
    if (!ops.includes(node.op)) opSel.append(h('option', { value: node.op, selected: true }, node.op));
    const valueErrors = [...this.errors].filter(([p]) => p === path + '/value' || p.startsWith(path + '/value/'));
    valueErrors.forEach(([p]) => this.shown.add(p));
    const unavailable = f && !f.available ? h('p', { class: 'field-error' }, f.reason) : null;
    return h('div', { class: 'rule-cond' + mark, dataset: { path } },
      h('div', { class: 'cond-row' },
        h('div', { class: 'cond-cell' }, fieldSel, this.errorFor(path + '/field', ids.field + 'e'), unavailable),
        h('div', { class: 'cond-cell' }, opSel, this.errorFor(path + '/op', ids.op + 'e')),
        h('div', { class: 'cond-cell grow' }, this.valueEditor(node, type, path),
          valueErrors.map(([p, m]) => h('p', { class: 'field-error', role: 'alert' }, p === path + '/value' ? m : `${p.slice(path.length + 7)}: ${m}`))),
        h('div', { class: 'cond-cell actions' },
          h('button', { type: 'button', class: 'btn small', title: 'Negate this condition', onclick: () => { this.replace(path, { not: node }); this.changed(true); } }, 'Not'),
          h('button', { type: 'button', class: 'btn small danger-text', 'aria-label': 'Remove condition', dataset: { role: 'remove' }, onclick: () => { this.remove(path); this.changed(true); } }, '✕'))),
      this.errorFor(path, 'e' + ++uid));
  }

  focus(path, role) {
    const el = this.el.querySelector(`[data-path="${cssEscape(path)}"] [data-role="${role}"]`);
    if (el) el.focus();
  }

  valueEditor(node, type, path) {
    const op = node.op;
    const set = (v) => {
      node.value = v;
      this.changed(false);
    };
    const invalid = this.errors.has(path + '/value') ? 'true' : null;
    if (op === 'exists' || op === 'missing') return h('span', { class: 'muted' }, '—');
    if (type === 'bool')
      return h('select', { 'aria-label': 'Value', dataset: { role: 'value' }, onchange: (e) => set(e.target.value === 'true') },
        h('option', { value: 'true', selected: node.value === true }, 'yes'),
        h('option', { value: 'false', selected: node.value === false }, 'no'));
    const kind = type === 'date' && op !== 'in_the_last' ? 'date' : type === 'number' || op === 'in_the_last' ? 'number' : 'text';
    const parse = (s) => (kind === 'number' ? parseNumber(s) : s);
    if (op === 'between') {
      const v = Array.isArray(node.value) ? node.value : [null, null];
      const one = (i, label) => h('input', { type: kind, 'aria-label': label, 'aria-invalid': invalid, dataset: { role: i ? 'value-hi' : 'value-lo' }, step: kind === 'number' ? 'any' : null, value: v[i] ?? '', oninput: (e) => {
        const nv = Array.isArray(node.value) ? [...node.value] : [null, null];
        nv[i] = parse(e.target.value);
        set(nv);
      } });
      return h('div', { class: 'row tight' }, one(0, 'From'), h('span', {}, 'and'), one(1, 'To'));
    }
    if (op === 'in' || op === 'not_in') {
      const v = Array.isArray(node.value) ? node.value : [];
      return h('textarea', { rows: Math.min(6, Math.max(2, v.length + 1)), 'aria-label': 'Values, one per line', 'aria-invalid': invalid, dataset: { role: 'value' }, placeholder: 'one value per line', value: v.join('\n'), oninput: (e) => {
        set(e.target.value.split('\n').map((s) => s.trim()).filter((s) => s !== '').map(parse));
      } });
    }
    const listId = SUGGEST[node.field] ? 'dl-' + node.field : null;
    const input = h('input', { type: kind, 'aria-label': op === 'in_the_last' ? 'Days' : 'Value', 'aria-invalid': invalid, dataset: { role: 'value' }, step: kind === 'number' ? 'any' : null, min: op === 'in_the_last' ? '0' : null, list: listId, value: node.value ?? '', oninput: (e) => set(parse(e.target.value)) });
    if (!listId) return input;
    return h('span', {}, input, h('datalist', { id: listId }, SUGGEST[node.field].map((s) => h('option', { value: s }))));
  }
}

function parseNumber(s) {
  if (String(s).trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : s; // the server says what is wrong with it
}

function unescape(token) {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function ptr(doc, path) {
  let cur = doc;
  if (!path) return cur;
  for (const t of path.split('/').slice(1)) cur = cur[unescape(t)];
  return cur;
}

function cssEscape(s) {
  return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/"/g, '\\"');
}
