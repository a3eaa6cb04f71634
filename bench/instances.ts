// Instances on PostgreSQL behind nginx (`npm run bench:instances`, issue 20 item 6): scenario (d)
// of `npm run bench` (full pipeline, RSA-SHA256, 5 KB signed requests, the same fixtures, bench
// provider and wrk script) against 1, 2 and 3 gateway processes (`start --workers 1`, each on its
// own port) on ONE fresh PostgreSQL database, behind nginx with the repository's own site file
// (docs/deploy/nginx.conf, only its addresses changed), and for comparison one instance direct.
// Every answer must be a 200 (wrk counts the others) and, after the run, every exchange in the
// journal must have its 4 legs and no fault. The report is appended to bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { loadXml } from '../src/xml/libxml';
import { ROOT, SID, makeKeySet, makeSystems, makeRegistry, writeAnswers, makePool, writePool } from './support/fixtures';
import { startProvider, startGateway, stopAllOnExit, type Service } from './support/services';
import { startSiteNginx, NGINX } from './support/nginx-site';
import { writeWrkScript, runWrk } from './support/wrk';
import { CpuMeter, cpuModel, waitQuiet } from './support/proc';
import { runCryptoLine } from './support/crypto-line';
import { cleanUp, publish, runBench } from './support/launch';
import { fmt } from './support/report';

const { values: opt } = parseArgs({
  options: {
    instances: { type: 'string', default: '1,2,3' },
    conns: { type: 'string', default: '32,128' },
    duration: { type: 'string', default: '8' },
    pg: { type: 'string' },
    'quiet-wait': { type: 'string', default: '60' },
    'no-crypto': { type: 'boolean', default: false },
    'no-append': { type: 'boolean', default: false },
    results: { type: 'string', default: join(ROOT, 'bench', 'RESULTS.md') },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const USAGE = `npm run bench:instances -- [options]
  --instances LIST  gateway instances behind nginx, each in turn (default 1,2,3); 1 instance direct is measured too
  --conns LIST      wrk connections (default 32,128); --duration S seconds per run (default 8)
  --pg URL          a PostgreSQL role that may CREATE DATABASE (default: scripts/pg-test-cluster.sh url, the
                    throw-away cluster, started if needed); a fresh database is made for the run and dropped after
  --quiet-wait S    before each measurement wait up to S s for other work on the machine to stop (default 60)
  --no-crypto       skip the crypto-only line (and its limit column)
  --no-append       print only; --results FILE where to append (default bench/RESULTS.md); --keep the work folder and database
`;

const log = (s: string) => process.stderr.write(`${s}\n`);
const POOL = 4000; // signed 5 KB requests, cycled (the replay guard's window is 1 s)

interface Row {
  front: 'direct' | 'nginx';
  instances: number;
  conns: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** cores used by the gateways together, by nginx, by everything else on the machine */
  gwCores: number;
  nginxCores: number;
  others: number;
}

function list(name: string, v: string): number[] {
  const xs = v.split(',').map(Number);
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) {
    log(`--${name} takes positive whole numbers, comma-separated; got "${v}"\n\n${USAGE}`);
    process.exit(2);
  }
  return [...new Set(xs)].sort((a, b) => a - b);
}

function sh(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : undefined;
}

async function pgQuery<T>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

const withDb = (base: string, db: string) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();

/** The journal after the run: exchanges, and those without exactly the 4 legs of an answered exchange or with a fault. */
async function journalCheck(url: string): Promise<{ exchanges: number; legs: number; wrong: number; faults: number; notResult: number }> {
  // the journal writes in batches: wait until the count stops moving
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const [{ n }] = await pgQuery<{ n: string }>(url, 'SELECT COUNT(*) AS n FROM journal');
    if (Number(n) === last) break;
    last = Number(n);
    await new Promise((r) => setTimeout(r, 500));
  }
  const [r] = await pgQuery<Record<string, string>>(url, `SELECT COUNT(*) AS exchanges, COALESCE(SUM(legs), 0) AS legs,
      COUNT(*) FILTER (WHERE legs <> 4 OR directions <> 4) AS wrong, COALESCE(SUM(faults), 0) AS faults, COUNT(*) FILTER (WHERE results <> 1) AS not_result
    FROM (SELECT exchange_id, COUNT(*) AS legs, COUNT(DISTINCT direction) AS directions, COUNT(fault_code) AS faults,
      COUNT(*) FILTER (WHERE direction = 'gateway->consumer' AND status = 'RESULT') AS results FROM journal GROUP BY exchange_id) x`);
  return { exchanges: Number(r!.exchanges), legs: Number(r!.legs), wrong: Number(r!.wrong), faults: Number(r!.faults), notResult: Number(r!.not_result) };
}

async function main(): Promise<void> {
  if (opt.help) return void process.stdout.write(USAGE);
  const counts = list('instances', opt.instances);
  const connsList = list('conns', opt.conns);
  const seconds = Number(opt.duration);
  if (!existsSync(NGINX) || !sh('sh', ['-c', 'command -v wrk'])) throw new Error(`needs ${NGINX} and wrk (Debian packages nginx, wrk: apt-get install -y nginx wrk)`);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('the gateway is not built: run `node scripts/build-if-needed.js` (npm run bench:instances does it)');
  stopAllOnExit();
  await loadXml();
  const base = opt.pg ?? sh(join(ROOT, 'scripts', 'pg-test-cluster.sh'), ['url'])?.split('\n').pop();
  if (!base) throw new Error('no PostgreSQL: scripts/pg-test-cluster.sh url failed (apt-get install postgresql), or give --pg URL');
  const dbName = `smev2_bench_instances_${Date.now().toString(36)}`;
  await pgQuery(base, `CREATE DATABASE ${dbName}`);
  const db = withDb(base, dbName);
  const [{ server_version: pgVersion }] = await pgQuery<{ server_version: string }>(db, 'SHOW server_version');

  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-instances-'));
  const started = new Date();
  const t0 = performance.now();
  log(`work folder ${work}, database ${db.replace(/\/\/[^@]*@/, '//***@')}`);
  const date = started.toISOString();
  const keys = makeKeySet(join(work, 'keys'), 'rsa');
  const systems = makeSystems(join(work, 'systems'));
  const answers = join(work, 'answers');
  writeAnswers(answers, keys, date);
  const pool = makePool(POOL, 5 * 1024, keys.consumer, date);
  const poolFile = join(work, 'pool-5k.bin');
  writePool(poolFile, pool);
  const script = writeWrkScript(work);
  log(`pool: ${pool.heads.length} requests of ${pool.size} bytes, each signed`);

  const gateways: Service[] = [];
  let provider: Service | undefined;
  let nginx: Service | undefined;
  const rows: Row[] = [];
  let answered = 0; // 2xx answers counted by wrk and the probes, all runs
  let inFlight = 0; // requests wrk may have left unanswered at its end (at most its connections per run)
  const quiet = { waits: 0, ms: 0, gaveUp: 0 };
  try {
    let crypto: number | undefined;
    if (!opt['no-crypto']) {
      const request = join(work, 'request.xml');
      writeFileSync(request, Buffer.concat([pool.heads[0]!, pool.tail]));
      await waitQuiet(Number(opt['quiet-wait']));
      crypto = (await runCryptoLine({ keys: keys.dir, systems, request, answer: join(answers, 'answer-5k.xml') })).limit;
      log(`crypto line rsa 5k: limit ${fmt.f0(crypto)} req/s per process`);
    }
    provider = await startProvider(answers);
    const registry = makeRegistry(join(work, 'registry'), provider.url, 'enforce');
    const startInstance = async () => {
      const dir = join(work, `gw-${gateways.length + 1}`);
      mkdirSync(dir, { recursive: true });
      // one after another: the first makes the schema; SMEV2_TRUST_PROXY as docs/deploy.md's unit sets it
      gateways.push(await startGateway({
        services: registry, systems, keys: keys.dir, db: join(dir, 'journal'), pg: db, workers: 1,
        env: { SMEV2_REPLAY_WINDOW_S: '1', SMEV2_TRUST_PROXY: '127.0.0.1' },
      }));
    };
    const runs: { front: Row['front']; n: number }[] = [{ front: 'direct', n: 1 }, ...counts.map((n) => ({ front: 'nginx' as const, n }))];
    for (const { front, n } of runs) {
      while (gateways.length < n) await startInstance();
      await nginx?.stop();
      nginx = front === 'nginx' ? await startSiteNginx(join(work, `nginx-${n}`), gateways.slice(0, n).map((g) => Number(new URL(g.url).port))) : undefined;
      const url = `${nginx?.url ?? gateways[0]!.url.replace(/\/gateway\/services\/$/, '')}/gateway/services/${SID}`;
      const name = `${front === 'direct' ? 'direct, ' : 'nginx, '}${n} instance${n > 1 ? 's' : ''}`;
      // one checked request: 200, a RESULT, the node's and the provider's signature blocks
      const res = await fetch(url, { method: 'POST', body: Buffer.concat([pool.heads[pool.heads.length - 1]!, pool.tail]), headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:test:echo:Echo"' } });
      const text = await res.text();
      const blocks = (text.match(/<wsse:Security /g) ?? []).length;
      if (res.status !== 200 || !/<[\w:]*Status>RESULT</.test(text) || blocks !== 2) throw new Error(`${name}: the probe request got HTTP ${res.status}, ${blocks} Security blocks: ${text.slice(0, 600)}`);
      answered++;
      // warm-up (JIT, the pool's connections to PostgreSQL, nginx's to the instances), not recorded
      const warm = await runWrk({ script, pool: poolFile, url, connections: Math.max(...connsList), seconds: 2 });
      answered += warm.requests - warm.non2xx;
      inFlight += Math.max(...connsList);
      for (const conns of connsList) {
        const q = await waitQuiet(Number(opt['quiet-wait']));
        if (q.waitedMs > 600) quiet.waits++;
        quiet.ms += q.waitedMs;
        if (q.gaveUp) { quiet.gaveUp++; log(`the machine stayed busy (${fmt.f2(q.cores)} cores used by others): measuring anyway`); }
        const gwPids = gateways.slice(0, n).map((g) => g.pid);
        const ngPids = nginx ? [nginx.pid, ...nginx.measured()] : [];
        const cpu = new CpuMeter([...gwPids, ...ngPids]);
        const w = await runWrk({ script, pool: poolFile, url, connections: conns, seconds });
        const c = cpu.stop();
        const sum = (pids: number[]) => pids.reduce((a, p) => a + (c.cores.get(p) ?? 0), 0);
        answered += w.requests - w.non2xx;
        inFlight += conns;
        const row: Row = { front, instances: n, conns, rps: w.rps, p50Ms: w.p50Ms, p99Ms: w.p99Ms, requests: w.requests, non2xx: w.non2xx, socketErrors: w.socketErrors, gwCores: sum(gwPids), nginxCores: sum(ngPids), others: c.others };
        rows.push(row);
        log(`${name}, c=${conns}: ${fmt.f0(row.rps)} req/s, p50 ${fmt.f1(row.p50Ms)} ms, p99 ${fmt.f1(row.p99Ms)} ms, gateways ${fmt.f2(row.gwCores)} cores, nginx ${fmt.f2(row.nginxCores)}, ` +
          `others ${fmt.f2(row.others)}${row.non2xx + row.socketErrors ? `, ERRORS ${row.non2xx} non-2xx + ${row.socketErrors} socket` : ''}`);
      }
    }
    await nginx?.stop();
    nginx = undefined;
    for (const g of gateways) await g.stop();
    const j = await journalCheck(db);
    const errors = rows.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
    // every answered exchange journaled whole; beyond them only what wrk left in flight when it stopped
    const journalOk = j.wrong === 0 && j.faults === 0 && j.notResult === 0 && j.exchanges >= answered && j.exchanges <= answered + inFlight;
    const check = `journal: ${j.exchanges} exchanges, ${j.legs} legs; ${j.wrong} without exactly 4 legs, ${j.faults} legs with a fault code, ${j.notResult} without a RESULT to the consumer; ` +
      `${answered} 2xx answers counted by wrk and the probes (the journal may hold up to ${inFlight} more, answered after wrk stopped counting): ${journalOk ? 'consistent' : '**INCONSISTENT**'}`;
    log(check);

    const one = (conns: number) => rows.find((r) => r.front === 'nginx' && r.instances === 1 && r.conns === conns) ?? rows.find((r) => r.instances === 1 && r.conns === conns);
    const cores = availableParallelism();
    const table = [
      `| front | instances | conns | req/s | p50 ms | p99 ms | errors / non-2xx | gateways' cores | nginx cores | rest of the machine, cores | × nginx, 1 instance |${crypto ? ' crypto limit × min(instances, cores) |' : ''}`,
      `|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|${crypto ? '--:|' : ''}`,
      ...rows.map((r) => `| ${r.front} | ${r.instances} | ${r.conns} | ${fmt.f0(r.rps)} | ${fmt.f1(r.p50Ms)} | ${fmt.f1(r.p99Ms)} | ${r.socketErrors} / ${r.non2xx} | ${fmt.f2(r.gwCores)} | ${fmt.f2(r.nginxCores)} | ${fmt.f2(r.others)} | ` +
        `${fmt.f2(r.rps / (one(r.conns)?.rps ?? NaN))} |${crypto ? ` ${fmt.f0(crypto * Math.min(r.instances, cores))} |` : ''}`),
    ].join('\n');
    const commit = sh('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown';
    const dirty = sh('git', ['status', '--porcelain']);
    const report = [
      `## Instances on PostgreSQL behind nginx, run of ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      `commit ${commit}${dirty ? ` + uncommitted changes (${dirty.split('\n').length} paths)` : ''}; ${cpus().length} × ${cpuModel()} (${cores} cores available); node ${process.version}; ` +
      `${(sh(NGINX, ['-v']) ?? 'nginx ?').replace('nginx version: ', '')}; PostgreSQL ${pgVersion} (scripts/pg-test-cluster.sh: fsync and synchronous_commit off); ${(sh('wrk', ['--version']) ?? 'wrk').split('\n')[0]!.split(' [')[0]}.`,
      '',
      `Scenario (d) of \`npm run bench\`: full pipeline, RSA-SHA256, ${POOL} signed ${fmt.f0(pool.size)}-byte requests cycled, the bench provider; each instance \`start --workers 1\` on its own port, ` +
      `all on one fresh PostgreSQL database; nginx (one worker per core) with docs/deploy/nginx.conf, only its addresses changed. ${seconds} s per wrk run (2 threads) after a 2 s warm-up per configuration; ` +
      `everything on loopback on this machine, sharing its ${cores} cores with wrk, nginx, the provider and PostgreSQL. Before each run the harness waited for the machine to be quiet ` +
      `(${quiet.waits} waits, ${fmt.f0(quiet.ms / 1000)} s in all, ${quiet.gaveUp} gave up); the rest of the machine is wrk, the provider, PostgreSQL and anyone else. "× nginx, 1 instance": req/s over that of one instance behind nginx at the same connections. ` +
      `${crypto ? `Crypto limit: the crypto-only line (bench/crypto-line.ts) of one process, ${fmt.f0(crypto)} req/s, times min(instances, cores).` : 'Crypto line not run (--no-crypto).'} ` +
      `Total time ${fmt.f0((performance.now() - t0) / 1000)} s.`,
      '',
      table,
      '',
      `Check: ${errors} errors and non-2xx answers in the measured runs; ${check}.`,
    ].join('\n');
    const clean = !errors && journalOk;
    publish(report, opt.results, !opt['no-append'] && clean);
    if (!clean) throw new Error(`the run measured errors or faults (above): its figures are not of the gateway working${opt['no-append'] ? '' : ', so they were not appended'}`);
    if (!opt['no-append']) log(`appended to ${opt.results}`);
  } finally {
    await nginx?.stop();
    for (const g of gateways) await g.stop();
    await provider?.stop();
    if (!opt.keep) await pgQuery(base, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e) => log(`could not drop ${dbName}: ${(e as Error).message}`));
    else log(`kept database ${db}`);
    cleanUp(work, opt.keep);
  }
}

runBench('bench:instances', main);
