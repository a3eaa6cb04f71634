import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { startUrls, type Config } from './config';
import { dialectOfUrl, openStore, runMigrations } from './store';
import { METRICS_REQ, METRICS_RES } from './metrics/cluster-scrape';
import { bootstrapTrust } from './signature/bootstrap';
import { sessionSecret } from './admin/auth';

/**
 * `smev2-gateway start --workers N`: N processes of the gateway on one machine, sharing its port
 * (node:cluster; the primary accepts connections and hands them to the workers in turn). A plain
 * `start` runs one per core (`auto`, os.availableParallelism()); `--workers 1`, or a machine of
 * one core, runs one process and no primary (src/cli/main.ts).
 *
 * The primary runs no gateway. Before forking it runs the store's migrations and makes the demo
 * keys and the console's session secret, once (N processes doing any of it at once would race). It restarts a worker that dies,
 * with a log line saying which, and answers the workers' requests for the cluster's metrics.
 *
 * Work in the background: on PostgreSQL every worker claims outbox items (SKIP LOCKED); on SQLite
 * one worker, the leader, runs the delivery worker; the workers share the file's one write lock
 * and wait for it without blocking their event loops (src/store/connection.ts). The provider availability checks and the
 * retention schedule run in the leader on either store; the other workers read availability
 * from the store. The leader is the first worker, and whichever replaces it.
 */

/** The environment variable by which the primary tells a worker it is the leader. */
const LEADER_ENV = 'SMEV2_CLUSTER_LEADER';

/** Is this process a worker of `start --workers`? */
export const isClusterWorker = () => cluster.isWorker;

/** What this process runs in the background besides serving HTTP (gateway.ts). */
export function backgroundRoles(database: string): { delivery: boolean; monitors: boolean } {
  if (!cluster.isWorker) return { delivery: true, monitors: true };
  const leader = process.env[LEADER_ENV] === '1';
  return { delivery: leader || dialectOfUrl(database).concurrentClaims, monitors: leader };
}

/** Listen on the port and close again: throws the listen error (EADDRINUSE, EACCES) the workers would each meet. */
function probeListen(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Run the primary: migrations, keys, N workers kept running until SIGINT or SIGTERM. Returns the exit code. */
export async function runPrimary(config: Config, workers: number, log: Logger): Promise<number> {
  const dialect = dialectOfUrl(config.database);
  const store = await openStore(config.database, { migrate: false });
  try {
    const ran = await runMigrations(store);
    if (ran.length) log.info({ migrations: ran }, 'migrations ran');
  } finally {
    await store.destroy();
  }
  if (config.port !== 0) await probeListen(config.port, config.host); // a port in use: one clear error here, not one per worker
  bootstrapTrust(config.keysDir, config.systemsDir, log);
  // every worker must sign and check console sessions with one secret: make it here, not in N racing workers
  sessionSecret(join(config.keysDir, 'session.secret'), config.sessionSecret);

  log.info({ workers, store: dialect.label, delivery: dialect.concurrentClaims ? 'every worker' : 'the leader' }, 'starting workers');
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: { type?: string; id?: string }) => {
    if (m?.type !== METRICS_REQ) return;
    aggregator.clusterMetrics().then(
      (body) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, body }),
      (e: Error) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, error: e.message }));
  });

  const leaders = new Set<Worker>();
  const listening = new Set<Worker>();
  const started = new Map<Worker, number>();
  let everyListening = false;
  let stopping = false;
  let failures = 0;
  const fork = (leader: boolean) => {
    const w = cluster.fork({ [LEADER_ENV]: leader ? '1' : '0', SMEV2_LOG_FORMAT: config.logFormat }); // a worker logs in the primary's format (its stdout is the primary's)
    if (leader) leaders.add(w);
    started.set(w, Date.now());
    return w;
  };

  return new Promise<number>((resolve) => {
    const stop = (code: number, signal?: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: stopping every worker');
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      if (!alive.length) return resolve(code);
      const kill = setTimeout(() => { for (const w of alive) w.process.kill('SIGKILL'); }, 30_000);
      let left = alive.length;
      for (const w of alive) {
        w.once('exit', () => {
          if (--left > 0) return;
          clearTimeout(kill);
          log.info('every worker stopped');
          resolve(code);
        });
        w.process.kill('SIGTERM');
      }
    };
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    process.once('SIGTERM', () => stop(0, 'SIGTERM'));

    cluster.on('listening', (w, address) => {
      listening.add(w);
      log.info({ worker: w.id, pid: w.process.pid, leader: leaders.has(w) }, 'worker listening');
      if (!everyListening && listening.size === workers) {
        everyListening = true;
        log.info({ ...startUrls(config, address.port), port: address.port, workers, pids: [...listening].map((x) => x.process.pid) }, 'every worker listening');
      }
    });
    cluster.on('exit', (w, code, signal) => {
      const leader = leaders.delete(w);
      const wasListening = listening.delete(w);
      const lived = Date.now() - (started.get(w) ?? Date.now());
      started.delete(w);
      if (stopping) return;
      if (!wasListening && !everyListening) {
        // a worker that never started: the registry, the systems or the port is wrong, and every worker would fail alike
        log.fatal({ worker: w.id, pid: w.process.pid, code, signal }, 'a worker could not start: stopping (its messages are above)');
        process.stderr.write(`error: a worker could not start (exit code ${code ?? signal}); its messages are above\n`);
        stop(1);
        return;
      }
      // a worker that keeps dying young is restarted less and less often (up to every 10 s)
      failures = lived < 5000 ? failures + 1 : 0;
      const delayMs = failures ? Math.min(10_000, 100 * 2 ** failures) : 0;
      log.error({ worker: w.id, pid: w.process.pid, code, signal, leader, livedMs: lived, restartInMs: delayMs }, 'worker died: starting another');
      setTimeout(() => { if (!stopping) fork(leader); }, delayMs);
    });

    for (let i = 0; i < workers; i++) fork(i === 0);
  });
}
