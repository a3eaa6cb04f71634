import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * PostgreSQL for the tests: a server given by a base URL in SMEV2_TEST_PG_URL (a role that may
 * CREATE DATABASE; `.ci/run` starts a throw-away cluster on loopback with
 * scripts/pg-test-cluster.sh and sets it). Each gateway gets a fresh database made from it.
 */
export const PG_BASE_URL = process.env.SMEV2_TEST_PG_URL;
if (PG_BASE_URL?.startsWith('export ')) {
  // SMEV2_TEST_PG_URL=$(scripts/pg-test-cluster.sh start) now captures the shell line `start` prints
  throw new Error(`SMEV2_TEST_PG_URL holds a shell line, "${PG_BASE_URL}", not a URL: set it with \`source <(scripts/pg-test-cluster.sh start)\` or SMEV2_TEST_PG_URL=$(scripts/pg-test-cluster.sh url)`);
}

/**
 * Is PostgreSQL there to test on? Under CI=true a missing SMEV2_TEST_PG_URL fails the suite;
 * elsewhere the PostgreSQL tests are reported as not run, saying where they looked.
 */
export function postgresAvailable(): boolean {
  if (PG_BASE_URL) return true;
  const msg = 'PostgreSQL tests: SMEV2_TEST_PG_URL is not set (the tests look only there, e.g. postgres://postgres@127.0.0.1:55432/postgres; `source <(scripts/pg-test-cluster.sh start)` starts one and sets it)';
  if (process.env.CI === 'true') throw new Error(`${msg}: CI must run them (.ci/run sets it)`);
  process.stderr.write(`${msg}: PostgreSQL tests not run\n`);
  return false;
}

function withDatabase(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh, empty database on the test server; returns its URL. */
export async function freshDatabase(prefix = 'smev2_test'): Promise<string> {
  if (!PG_BASE_URL) throw new Error('SMEV2_TEST_PG_URL is not set');
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const c = new Client({ connectionString: PG_BASE_URL });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return withDatabase(PG_BASE_URL, name);
}

/** Drop a database `freshDatabase` made (connections to it are ended first). */
export async function dropDatabase(url: string): Promise<void> {
  if (!PG_BASE_URL) return;
  const name = new URL(url).pathname.slice(1);
  const c = new Client({ connectionString: PG_BASE_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/** One query on a database, through `pg` (as an auditor would read it), in a session in UTC. */
export async function pgQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
