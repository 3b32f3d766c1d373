// The HTTP contract (shared/API.md), called with the session cookie. State-changing
// requests carry Origin (browsers add it to same-origin fetches), which the CSRF rule
// of the contract asks for.

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status === 0 ? 'network' : 'http_' + status);
    this.details = Array.isArray(e.details) ? e.details : [];
    this.syncEventId = e.sync_event_id || null;
  }
}

const listeners = new Set();
/** fn(kind) is called with 'signed_out' on a 401 unauthorized and 'reauth' on a
 *  401 spotify_reauth_required, whatever request met it. */
export function onAuthProblem(fn) {
  listeners.add(fn);
}

/** api('GET', '/api/me') -> parsed JSON (null for 204). Throws ApiError.
 *  opts: {body, ifMatch, headers, quiet (no auth event)}. */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers['If-Match'] = `"${opts.ifMatch}"`;
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: 'The server cannot be reached. Check your connection and try again.' } });
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !opts.quiet) {
      const kind = err.code === 'spotify_reauth_required' ? 'reauth' : 'signed_out';
      for (const fn of listeners) fn(kind, err);
    }
    throw err;
  }
  return data;
}

/** Does the server serve this GET route? false on 404 (a feature not built yet, or
 *  405), true on anything else. */
export async function probe(path) {
  try {
    await api('GET', path, { quiet: true });
    return true;
  } catch (e) {
    return !(e.status === 404 || e.status === 405);
  }
}

const WORDS = {
  network: 'The server cannot be reached. Check your connection and try again.',
  sync_in_progress: 'A sync of this base playlist is running. Changes wait until it has finished.',
  version_mismatch: 'This was changed elsewhere since you opened it. Reload to see the latest version, then make your change again.',
  conflict: 'That already exists.',
  not_found: 'Not found: it may have been deleted.',
  rate_limited: 'Spotify’s rate limit was reached.',
  spotify_error: 'Spotify answered with an error.',
  metadata_unavailable: 'A metadata source (MusicBrainz) could not be reached.',
  spotify_reauth_required: 'Your Spotify sign-in must be renewed.',
  unauthorized: 'You are signed out.',
  forbidden: 'The server refused this request from this page (origin check).',
  validation_failed: 'Some values need attention.',
  payload_too_large: 'That is too large for the server.',
  unavailable: 'The server is busy or shutting down. Try again in a moment.',
};

/** A sentence for the user: what happened, in words, with the server's reason. */
export function explainError(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const base = WORDS[err.code] || `The server answered ${err.status}.`;
  // The server's own message adds a reason where ours is generic; for these codes it
  // would only repeat ours with ids in it.
  const plain = ['network', 'sync_in_progress', 'version_mismatch', 'unauthorized', 'forbidden'];
  const msg = err.message && err.message !== base && !plain.includes(err.code) ? ` (${err.message})` : '';
  return base + msg;
}
