/**
 * The journal store's URL (`--db`, `DATABASE_URL`): which ones the gateway understands, and what a
 * user is told when the value is not one of them or its PostgreSQL server cannot be reached.
 */

/** Where the store's URL came from, as a user would name it. */
export type StoreUrlSource = '--db' | 'DATABASE_URL' | 'the default';

export const SUPPORTED_STORES =
  'sqlite:<file> (e.g. sqlite:data/gateway.sqlite; a bare file path is a SQLite file too), ' +
  'postgres://user[:password]@host[:port]/database, postgresql://user[:password]@host[:port]/database';

/** The URL with its password masked, for messages and logs. */
export const maskStoreUrl = (url: string) => url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');

/**
 * Refuse a store URL the gateway would misread: anything with a scheme other than sqlite:,
 * postgres:// and postgresql:// (mysql://, http://, a typo such as postgress://). A bare path
 * (no scheme) stays a SQLite file, as it always was.
 */
export function checkStoreUrl(url: string, from: StoreUrlSource): void {
  const where = from === 'the default' ? 'the default store' : from;
  if (url.trim() === '') throw new Error(`${where} is empty: give a store, one of ${SUPPORTED_STORES}`);
  if (/^postgres(ql)?:\/\/[^/]/i.test(url) || /^sqlite:./i.test(url)) return;
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1]; // two letters at least: C:\ is a Windows path
  if (scheme === undefined) return; // a bare path: a SQLite file
  const hint = /^(postgres|postgresql)$/i.test(scheme) ? ' (a PostgreSQL URL is postgres://user@host:port/database, with the //)'
    : /^(pg|postgre|postgress|postgresq|psql|pgsql)$/i.test(scheme) ? ' (did you mean postgres://?)'
      : /^(sqllite|sqlite3|sql|lite|sqlit)$/i.test(scheme) ? ' (did you mean sqlite:?)' : '';
  throw new Error(
    `${where} "${maskStoreUrl(url)}" is not a store the gateway supports: scheme "${scheme}:"${hint}.\n` +
    `Supported: ${SUPPORTED_STORES}.\n` +
    `Fix ${from === 'the default' ? '--db or DATABASE_URL' : from}${from === 'DATABASE_URL' ? ' (or pass --db, which wins over it)' : ''}.`);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * A store that could not be opened, as what failed, with the host, port and the URL's source,
 * and what to do next; undefined when `e` is not such an error.
 */
export function describeStoreError(e: unknown, url: string, from: StoreUrlSource): string | undefined {
  const err = e as { code?: string; message?: string };
  if (!/^postgres(ql)?:\/\//i.test(url) || !err || typeof err !== 'object') return undefined;
  let host = '?';
  let port = '5432';
  let database = '';
  try {
    const u = new URL(url);
    host = u.hostname || 'localhost';
    port = u.port || '5432';
    database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  } catch { /* a URL pg could not read either: its own message says so */ }
  const source = from === 'the default' ? 'the default' : from;
  const msg = String(err.message ?? e);
  const timedOut = /timeout|timed out/i.test(msg);
  const cut = /Connection terminated/i.test(msg);
  if ((err.code && UNREACHABLE.has(err.code)) || timedOut || cut) {
    const why = err.code === 'ECONNREFUSED' ? 'nothing listens there (connection refused)'
      : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `the host name ${host} does not resolve`
        : timedOut || err.code === 'ETIMEDOUT' ? 'no answer in time'
          : cut ? 'the connection was cut before the server answered (no PostgreSQL there, or a firewall)' : `${err.code}: ${msg}`;
    return `error: cannot reach the PostgreSQL server at ${host}:${port} (the store from ${source}: ${maskStoreUrl(url)}): ${why}.\n` +
      `Start the PostgreSQL server, or fix the host and port in ${source === 'the default' ? '--db' : source}; ` +
      `to run without PostgreSQL, use a SQLite file: --db sqlite:data/gateway.sqlite.\n`;
  }
  if (err.code === '28P01' || err.code === '28000') {
    return `error: the PostgreSQL server at ${host}:${port} refused the login (the store from ${source}: ${maskStoreUrl(url)}): ${msg}.\n` +
      `Fix the user and password in ${source === 'the default' ? '--db' : source}.\n`;
  }
  if (err.code === '3D000') {
    return `error: the PostgreSQL server at ${host}:${port} has no database "${database}" (the store from ${source}: ${maskStoreUrl(url)}).\n` +
      `Create it (createdb ${database}) or name another in ${source === 'the default' ? '--db' : source}.\n`;
  }
  return undefined;
}
