// Strategy: one fetch wrapper for the JSON API (see the API contract). Every non-GET request
// carries the X-CSRF-Token learnt from POST /api/login or GET /api/me; a failed request
// throws an ApiError whose message is the server's human-readable error message.

let csrfToken = null;
let mePromise = null;

/** An API failure: `status` is the HTTP status (0 when the server was unreachable). */
export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || `The server answered ${response.status} ${response.statusText}.`,
      error.details || [],
    );
  }
  return data;
}

/** Call the API; retries once with a fresh CSRF token when the server rejected the old one. */
export async function api(method, path, body) {
  if (method !== 'GET' && csrfToken === null && path !== '/api/login') {
    await me().catch(() => null);
  }
  try {
    return await send(method, path, body);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'csrf_failed') {
      mePromise = null;
      await me();
      return send(method, path, body);
    }
    throw err;
  }
}

/** The logged-in user (cached); rejects with an ApiError of status 401 when logged out. */
export function me() {
  if (mePromise === null) {
    mePromise = send('GET', '/api/me').then((result) => {
      csrfToken = result.csrf_token;
      return result.user;
    });
    mePromise.catch(() => {
      mePromise = null;
    });
  }
  return mePromise;
}

/** Log in; resolves to the user. */
export async function login(username, password) {
  const result = await send('POST', '/api/login', { username, password });
  csrfToken = result.csrf_token;
  mePromise = Promise.resolve(result.user);
  return result.user;
}

/** Log out and go back to the login page, even when the server is unreachable. */
export async function logout() {
  try {
    await api('POST', '/api/logout');
  } finally {
    csrfToken = null;
    mePromise = null;
    window.location.assign('/');
  }
}

/** Build a query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The path segment for an id, escaped. */
export function seg(value) {
  return encodeURIComponent(String(value));
}
