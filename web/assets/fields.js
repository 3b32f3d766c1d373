// The rule language's fields and operators (API.md "Rule (the filter)").
// Which fields this server can serve comes from GET /api/rule-fields (docs/web.md);
// a server without that route gets the table below, every field enabled, and a field
// the server then refuses (400 at …/field saying "not available") is disabled with
// the server's own reason from then on.
import { api } from './api.js';

const TABLE = [
  ['track_name', 'string', 'Track name'],
  ['artist_name', 'string', 'Artist name', true],
  ['album_name', 'string', 'Album name'],
  ['album_type', 'string', 'Album type'],
  ['release_year', 'number', 'Release year'],
  ['release_date', 'date', 'Release date'],
  ['added_at', 'date', 'Added to the base'],
  ['added_by', 'string', 'Added by (user id)'],
  ['duration_ms', 'number', 'Duration (ms)'],
  ['explicit', 'bool', 'Explicit'],
  ['genre', 'string', 'Genre', true],
  ['popularity', 'number', 'Track popularity'],
  ['artist_popularity', 'number', 'Artist popularity'],
  ['album_popularity', 'number', 'Album popularity'],
  ['label', 'string', 'Record label'],
  ['original_year', 'number', 'Original year'],
  ['tag', 'string', 'My tags', true],
  ['track_number', 'number', 'Track number'],
  ['disc_number', 'number', 'Disc number'],
  ['track_id', 'string', 'Track id'],
  ['artist_id', 'string', 'Artist id', true],
  ['album_id', 'string', 'Album id'],
  ['isrc', 'string', 'ISRC'],
];

export const OPS = {
  string: ['eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with', 'matches', 'in', 'not_in', 'exists', 'missing'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'exists', 'missing'],
  date: ['before', 'after', 'between', 'in_the_last', 'exists', 'missing'],
  bool: ['eq', 'exists', 'missing'],
};

export const OP_LABELS = {
  eq: 'is', neq: 'is not', contains: 'contains', not_contains: 'does not contain',
  starts_with: 'starts with', ends_with: 'ends with', matches: 'matches (regex)',
  in: 'is one of', not_in: 'is none of', gt: '>', gte: '≥', lt: '<', lte: '≤',
  between: 'is between', before: 'is before', after: 'is after', in_the_last: 'is in the last (days)',
  exists: 'has a value', missing: 'has no value',
};

/** Suggestions for a field's values (a <datalist>). */
export const SUGGEST = { album_type: ['album', 'single', 'compilation'] };

const byName = new Map(TABLE.map(([name, type, label, several]) =>
  [name, { name, type, label, several: !!several, available: true, reason: null, known: false }]));

let source = 'built-in';
export function fieldsSource() {
  return source;
}

/** Loads availability from the server once signed in (a 404 keeps the built-in table). */
export async function loadFields() {
  try {
    const body = await api('GET', '/api/rule-fields', { quiet: true });
    source = `server (${body.api_mode} mode)`;
    for (const f of body.items) {
      const cur = byName.get(f.field) || { name: f.field, label: f.field.replace(/_/g, ' ') };
      byName.set(f.field, { ...cur, type: f.type, several: f.several, available: f.available, reason: f.reason, known: true });
    }
    // Fields of API.md the server's table lacks (a feature not built yet).
    for (const f of byName.values()) {
      if (!f.known) {
        f.available = false;
        f.reason = `this server does not know the field '${f.name}' yet`;
      }
    }
  } catch (e) {
    source = 'built-in (the server does not list its fields)';
  }
}

export function fields() {
  return [...byName.values()];
}

export function field(name) {
  return byName.get(name) || null;
}

/** A refusal of the server (details of a 400) may say a field is not available in
 *  its API mode: remember it so the builder shows it disabled with that reason. */
export function learnFromDetails(details, filterValue, prefix = '/filter') {
  for (const d of details || []) {
    if (!d.path || !d.path.startsWith(prefix) || !d.path.endsWith('/field')) continue;
    if (!/not available|not known|unknown field/i.test(d.message || '')) continue;
    const node = pointerGet(filterValue, d.path.slice(prefix.length, -'/field'.length));
    const f = node && byName.get(node.field);
    if (f) {
      f.available = false;
      f.reason = d.message;
    }
  }
}

/** The value at a JSON Pointer ('' = the whole document). */
export function pointerGet(doc, ptr) {
  if (!ptr) return doc;
  let cur = doc;
  for (const raw of ptr.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A default value for a field/op pair. */
export function defaultValue(type, op) {
  if (op === 'exists' || op === 'missing') return undefined;
  if (op === 'in' || op === 'not_in') return [];
  if (op === 'between') return type === 'date' ? ['', ''] : [null, null];
  if (op === 'in_the_last') return 30;
  if (type === 'number') return null;
  if (type === 'bool') return true;
  return '';
}

/** A short human reading of a rule, for lists. */
export function describe(rule, depth = 0) {
  if (!rule || typeof rule !== 'object') return '?';
  if (Array.isArray(rule.all)) {
    if (rule.all.length === 0) return 'every track';
    const parts = rule.all.map((r) => describe(r, depth + 1));
    return depth && parts.length > 1 ? `(${parts.join(' and ')})` : parts.join(' and ');
  }
  if (Array.isArray(rule.any)) {
    if (rule.any.length === 0) return 'no track';
    const parts = rule.any.map((r) => describe(r, depth + 1));
    return depth && parts.length > 1 ? `(${parts.join(' or ')})` : parts.join(' or ');
  }
  if (rule.not !== undefined) return `not ${describe(rule.not, depth + 1)}`;
  const f = byName.get(rule.field);
  const label = f ? f.label.toLowerCase() : rule.field;
  const op = OP_LABELS[rule.op] || rule.op;
  if (rule.op === 'exists' || rule.op === 'missing') return `${label} ${op}`;
  let v = rule.value;
  if (Array.isArray(v)) v = rule.op === 'between' ? v.join(' and ') : v.join(', ');
  return `${label} ${op} ${JSON.stringify(v) === undefined ? '' : typeof v === 'string' ? v : String(v)}`;
}
