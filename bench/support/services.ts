// The processes a run starts, all on loopback: the bench provider, nginx in front of it, and the
// gateway as the real process (bin/smev2-gateway.js start), each stopped by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, oneProcess } from './fixtures';
import { childPids } from './proc';

export interface Service {
  name: string;
  pid: number;
  url: string;
  /** the pids whose memory is the service's (nginx: its worker) */
  measured: () => number[];
  /** the gateway's latency probe (latency-probe.js): its output file */
  probe?: string;
  output: () => string;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Every process a run started and has not stopped, to stop them when the run is interrupted. */
const running = new Set<ChildProcess>();

export function stopAllOnExit(): void {
  const stop = (signal: NodeJS.Signals) => {
    for (const c of running) c.kill('SIGTERM');
    process.stderr.write(`\n${signal}: stopped ${running.size} process(es) the bench had started\n`);
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function track(child: ChildProcess): { output: () => string; exited: Promise<number | null>; alive: () => boolean } {
  let out = '';
  let alive = true;
  running.add(child);
  child.stdout?.on('data', (c) => (out = (out + c).slice(-20000)));
  child.stderr?.on('data', (c) => (out = (out + c).slice(-20000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { alive = false; running.delete(child); r(code); }));
  return { output: () => out, exited, alive: () => alive };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, alive: () => boolean): Promise<void> {
  if (!alive()) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => alive() && child.kill('SIGKILL'), 30000);
  await exited;
  clearTimeout(timer);
}

/** GET url until it answers 2xx, or the process exits, or the time is up. */
/** Until `n` distinct pids have answered /healthz (each on a connection of its own: the cluster hands them out in turn). */
async function waitWorkers(port: number, n: number, alive: () => boolean, ms: number): Promise<boolean> {
  if (n <= 1) return true;
  const pids = new Set<number>();
  const end = Date.now() + ms;
  while (pids.size < n && Date.now() < end && alive()) {
    const pid = await new Promise<number | undefined>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => { try { resolve((JSON.parse(body) as { pid: number }).pid); } catch { resolve(undefined); } });
      }).on('error', () => resolve(undefined));
    });
    if (pid) pids.add(pid);
    else await new Promise((r) => setTimeout(r, 100));
  }
  return pids.size >= n;
}

async function waitUp(url: string, alive: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && alive()) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export async function startProvider(answersDir: string): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, '.tmp', 'bench', 'bench', 'provider.js'), '--answers', answersDir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  if (!(await waitUp(`http://127.0.0.1:${port}/stats`, t.alive, 10000))) throw new Error(`the bench provider did not start:\n${t.output()}`);
  return { name: 'provider', pid: child.pid!, url: `http://127.0.0.1:${port}/provider`, measured: () => [child.pid!], output: t.output, stop: () => stopChild(child, t.exited, t.alive) };
}

/** An unprivileged nginx's http-level lines: no access log, its temp folders inside `dir`. */
export function nginxPaths(dir: string): string {
  return ['access_log off;', ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`)].map((l) => `  ${l}`).join('\n');
}

/** nginx with one worker, proxy_pass with keep-alive to the provider: the pass-through limit. */
export async function startNginx(dir: string, upstreamUrl: string): Promise<Service> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const port = await freePort();
  const up = new URL(upstreamUrl);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
${nginxPaths(dir)}
  client_max_body_size 64m;
  client_body_buffer_size 256k;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  upstream provider { server ${up.host}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    location /nginx-health { return 200 "ok"; }
    location / {
      proxy_pass http://provider${up.pathname};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 60s;
    }
  }
}
`);
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  if (!(await waitUp(`http://127.0.0.1:${port}/nginx-health`, t.alive, 10000))) throw new Error(`nginx did not start:\n${t.output()}`);
  return {
    name: 'nginx', pid: child.pid!, url: `http://127.0.0.1:${port}/provider`,
    measured: () => childPids(child.pid!), output: t.output, stop: () => stopChild(child, t.exited, t.alive),
  };
}

export interface GatewayOptions {
  services: string;
  systems: string;
  keys: string;
  db: string;
  /** a PostgreSQL URL for --db instead of the SQLite file at `db` (which then only names the latency probe's file) */
  pg?: string;
  env?: Record<string, string>;
  /** node flags before the script, e.g. --cpu-prof */
  nodeArgs?: string[];
  /** another built checkout of the gateway to run (bench/ab.ts); default this one */
  root?: string;
  /** `--workers N`; default one process (oneProcess) */
  workers?: number;
}

export class GatewayRefused extends Error {}

/** The gateway as the real process; GatewayRefused when it exits at start (e.g. a registry it refuses). */
export async function startGateway(o: GatewayOptions): Promise<Service> {
  const port = await freePort();
  const probe = `${o.db}.latency.json`;
  const args = [...(o.nodeArgs ?? []), '-r', join(ROOT, 'bench', 'support', 'latency-probe.js'), join(o.root ?? ROOT, 'bin', 'smev2-gateway.js'), 'start', '--port', String(port), '--host', '127.0.0.1',
    '--services', o.services, '--systems', o.systems, '--keys', o.keys, '--db', o.pg ?? `sqlite:${o.db}`,
    ...(o.workers && o.workers > 1 ? ['--workers', String(o.workers)] : oneProcess(o.root))];
  const child = spawn(process.execPath, args, { cwd: o.root ?? ROOT, env: { ...process.env, LOG_LEVEL: 'warn', BENCH_LATENCY_FILE: probe, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  const workers = o.workers && o.workers > 1 ? o.workers : 1;
  if (!(await waitUp(`http://127.0.0.1:${port}/healthz`, t.alive, 60000)) || !(await waitWorkers(port, workers, t.alive, 60000))) {
    await stopChild(child, t.exited, t.alive);
    throw new GatewayRefused(t.output().trim() || 'the gateway did not start');
  }
  // several workers: the primary and its workers are measured together; the latency probe
  // answers for one process, so it is left out
  return {
    name: 'gateway', pid: child.pid!, url: `http://127.0.0.1:${port}/gateway/services/`,
    measured: () => (workers > 1 ? [child.pid!, ...childPids(child.pid!)] : [child.pid!]), probe: workers > 1 ? undefined : probe,
    output: t.output, stop: () => stopChild(child, t.exited, t.alive),
  };
}

/** The gateway's own latency since the last call (latency-probe.js); undefined without a probe. */
export async function probeLatency(s: Service): Promise<{ n: number; p50: number; p99: number; max: number; loopDelay?: { p50: number; p99: number; max: number } } | undefined> {
  if (!s.probe) return undefined;
  rmSync(s.probe, { force: true });
  process.kill(s.pid, 'SIGUSR2');
  // the gateway answers the signal when its event loop gets to it: after the backlog of a saturated run
  for (let i = 0; i < 500 && !existsSync(s.probe); i++) await new Promise((r) => setTimeout(r, 20));
  return existsSync(s.probe) ? JSON.parse(readFileSync(s.probe, 'utf8')) : undefined;
}
