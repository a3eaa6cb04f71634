// @ts-check
/**
 * The admin API (/admin, contract: /admin/openapi.json) as the console calls it: the session
 * cookie goes along by itself; every change says X-Requested-With, as requireRole wants.
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} method
 * @param {string} path under /admin
 * @param {any} [body] sent as JSON
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-requested-with'] = 'smev2-console';
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, `the gateway did not answer (${e instanceof Error ? e.message : e})`);
  }
  if (res.status === 401 && !path.startsWith('/login')) {
    location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'the session has ended: log in again');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, (data && typeof data.error === 'string' ? data.error : text.slice(0, 300)) || `HTTP ${res.status}`);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
