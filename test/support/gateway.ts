import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths';
import { dbUrl as urlOf, freshStore, onPostgres } from './store';

export interface GatewayProcess {
  url: string;
  port: number;
  /** the SQLite file, or the PostgreSQL URL when started with one */
  db: string;
  /** the store's URL as passed to --db */
  dbUrl: string;
  /** this gateway's keys folder (node, demo CA, demo systems) */
  keys: string;
  child: ChildProcess;
  logs: () => string;
  stop: () => Promise<number | null>;
  alive: () => boolean;
}

/**
 * Start the real gateway process (the built CLI) on a free port with a fresh store of the pass's
 * kind (test/support/store.ts: a SQLite file, or a new PostgreSQL database under
 * SMEV2_TEST_STORE=postgres), or on the store `db` names: a SQLite file path or a postgres:// URL.
 * One process (`--workers 1`) unless the args say `--workers`: a plain start runs one per core,
 * and most tests want one process's logs and in-process state; with `--workers` among the args
 * it waits until every worker listens.
 */
export async function startGateway(opts: { services?: string; args?: string[]; env?: Record<string, string>; port?: number; db?: string; keys?: string; plain?: boolean } = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-gw-'));
  const db = opts.db ?? (onPostgres ? await freshStore() : join(dir, 'journal.sqlite'));
  const keys = opts.keys ?? join(dir, 'keys');
  const dbUrl = urlOf(db);
  // plain: no --workers at all, as a user starts it (one per core: one process on a machine of one core)
  const given = (opts.args ?? []).indexOf('--workers');
  const cluster = given >= 0 ? opts.args![given + 1] !== '1' : opts.plain === true && availableParallelism() > 1;
  const ready = cluster ? /"port":(\d+).*"msg":"every worker listening"/ : /"port":(\d+).*"msg":"gateway listening"/;
  const args = ['bin/smev2-gateway.js', 'start', '--port', String(opts.port ?? 0), '--host', '127.0.0.1', '--db', dbUrl, '--keys', keys,
    '--services', opts.services ?? join(ROOT, 'wsdl'), ...(given >= 0 || opts.plain ? [] : ['--workers', '1']), ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 30 s:\n${out}`)), 30000);
    const onData = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData); // the log grows: do not search it again on every chunk
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${out}`));
    });
  });
  let exited = false;
  let exitCode: number | null = null;
  const exitP = new Promise<void>((r) => child.once('exit', (c) => { exited = true; exitCode = c; r(); }));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    dbUrl,
    keys,
    child,
    logs: () => out,
    alive: () => !exited,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exitP;
      return exitCode;
    },
  };
}

/** Run the CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/smev2-gateway.js', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/xml; charset=utf-8', ...headers } });
  return { status: res.status, text: await res.text() };
}

/** A bash script run from the project's root, as a user types it (the README's recipes). */
export function runBash(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One request on a connection of its own (no keep-alive): a cluster hands each connection to the next worker. GET without a body. */
export function freshConnection(url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: body === undefined ? 'GET' : 'POST', agent: false, headers: body === undefined ? {} : { 'content-type': 'text/xml; charset=utf-8' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
