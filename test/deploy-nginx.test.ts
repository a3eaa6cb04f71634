import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, closedPort, type Upstream } from './support/upstream';
import { PG_BASE_URL, postgresAvailable, freshDatabase, dropDatabase, pgQuery } from './support/postgres';
import { ROOT } from './support/paths';

/**
 * docs/deploy.md, run: Debian's nginx with the repository's own site configuration
 * (docs/deploy/nginx.conf, only its addresses changed) in front of three gateway processes on
 * one PostgreSQL. Load goes through nginx; one gateway is SIGKILLed mid-run; every message a
 * consumer saw accepted is delivered exactly once, by MessageId, and the journal is one chain.
 * The consumer system has a callback address and there are subscriptions (the operators' file
 * and the system's own): each accepted message's answer reaches the callback once, by its
 * RequestIdRef, and each event (accepted, delivered, answer ready) is queued once per
 * subscription and reaches it once, by its id. nginx runs unprivileged in a temp prefix (its own
 * pid file, error log, temp paths).
 */
const NGINX = '/usr/sbin/nginx';
const SITE = join(ROOT, 'docs', 'deploy', 'nginx.conf');

function nginxAvailable(): boolean {
  if (existsSync(NGINX)) return true;
  const msg = `nginx not found at ${NGINX} (Debian's package: apt-get install nginx; .ci/run installs it)`;
  if (process.env.CI === 'true') throw new Error(`${msg}: CI must run the deployment test`);
  process.stderr.write(`${msg}: the deployment test is not run\n`);
  return false;
}

const available = postgresAvailable() && nginxAvailable();
if (available) process.stderr.write(`deployment test: ${NGINX} with ${SITE}, PostgreSQL on ${PG_BASE_URL!.replace(/\/\/[^@]*@/, '//***@')}\n`);
const describeIt = available ? describe : describe.skip;

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ping = (ticket: string) => REQUEST.replace('>REQUEST<', '>PING<').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${ticket}</smev:OriginRequestIdRef><smev:CaseNumber>`);

/** The repository's site configuration with this listen port and these instances; fails if either is not where the file has it. */
function siteFor(listen: number, instances: number[]): string {
  const text = readFileSync(SITE, 'utf8');
  const servers = /^( *)server 127\.0\.0\.1:\d+ (.*);\n(?:\1server 127\.0\.0\.1:\d+ .*;\n)*/m.exec(text);
  if (!servers) throw new Error(`${SITE}: no upstream server lines to point at the test's instances`);
  const listenLine = /^ *listen 80;$/m;
  if (!listenLine.test(text)) throw new Error(`${SITE}: no "listen 80;" to point at the test's port`);
  return text
    .replace(servers[0], instances.map((p) => `${servers[1]}server 127.0.0.1:${p} ${servers[2]};\n`).join(''))
    .replace(listenLine, `    listen 127.0.0.1:${listen};`);
}

interface Nginx { url: string; dir: string; child: ChildProcess; logs: () => string; stop: () => Promise<void> }

/** nginx, unprivileged, in a prefix of its own: the test's main configuration includes the site file. */
async function startNginx(instances: number[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-nginx-'));
  chmodSync(dir, 0o755); // run as root, nginx's workers are `nobody` and make their temp folders here
  const port = await closedPort();
  writeFileSync(join(dir, 'smev2-gateway.conf'), siteFor(port, instances));
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format upstreams '$status $upstream_addr $upstream_status $request_method $request_uri';
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/smev2-gateway.conf;
}
`);
  const check = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const t = spawn(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
    let out = '';
    t.stderr.on('data', (c) => (out += c));
    t.on('exit', (code) => resolve({ code, out }));
  });
  if (check.code !== 0) throw new Error(`nginx -t refused the configuration:\n${check.out}`);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch { /* not listening yet */ }
    if (i > 100) throw new Error(`nginx did not answer in 10 s:\n${out}`);
    await sleep(100);
  }
  return {
    url, dir, child,
    logs: () => `${out}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT'); // graceful
      await exited;
    },
  };
}

/** What a receiver got, by the id that names it: when each copy arrived (ms since the epoch). */
class Arrivals {
  readonly at = new Map<string, number[]>();
  add(id: string): void {
    this.at.set(id, [...(this.at.get(id) ?? []), Date.now()]);
  }
  /** ids that arrived more than once, with their arrival times */
  repeated(): [string, number[]][] {
    return [...this.at].filter(([, t]) => t.length > 1);
  }
}

const RECEIVER_MS = 25;

interface GatewayEvent { id: string; type: string; ticket?: string; sid: string; consumer?: string }

describeIt('deployment: nginx (docs/deploy/nginx.conf) in front of three gateways on one PostgreSQL', () => {
  let provider: Upstream, callbacks: Upstream, hooks: Upstream;
  let nginx: Nginx | undefined;
  const delivered = new Arrivals(); // at the provider, by MessageId
  const called = new Arrivals(); // at the consumer's callback address, by the answer's RequestIdRef
  const notified = new Arrivals(); // at the subscribers, by event id
  const events = new Map<string, GatewayEvent & { via: string }>();
  const gateways: GatewayProcess[] = [];
  let database: string | undefined;

  beforeAll(async () => {
    provider = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'none';
      delivered.add(id);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${id}<`));
    });
    // the receivers take a moment to answer, so that the killed instance dies holding callbacks
    // and events it has posted but not yet seen answered
    callbacks = await startUpstream((body, _q, res) => {
      called.add(field(body.toString(), 'RequestIdRef') ?? 'none');
      setTimeout(() => res.writeHead(200).end('ok'), RECEIVER_MS);
    });
    hooks = await startUpstream((body, req, res) => {
      const e = JSON.parse(body.toString()) as GatewayEvent;
      notified.add(e.id);
      events.set(e.id, { ...e, via: new URL(req.url!, 'http://x').searchParams.get('via') ?? '' });
      setTimeout(() => res.writeHead(204).end(), RECEIVER_MS);
    });
  });
  afterAll(async () => {
    await nginx?.stop();
    for (const g of gateways) await g.stop().catch(() => undefined);
    for (const u of [provider, callbacks, hooks]) await u?.close();
    if (database) await dropDatabase(database).catch(() => undefined);
  });

  test('load through nginx, one gateway SIGKILLed mid-run: every accepted message delivered exactly once, its callback and events once, one linear chain', async () => {
    const MESSAGES = Number(process.env.SMEV2_DEPLOY_TEST_MESSAGES ?? 900);
    const SENDERS = 12;
    const CONCURRENCY = 16;
    database = await freshDatabase();
    // the consumer (MINZ01001) has a callback address and a subscription of its own to answers;
    // the operators subscribe to every event
    const work = mkdtempSync(join(tmpdir(), 'smev2-deploy-'));
    const systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), `mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\ncallback: ${callbacks.url}\n` +
      `subscriptions:\n  - url: ${hooks.url}?via=system\n    events: [answer-ready]\n`);
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    writeFileSync(join(work, 'subscriptions.yaml'), `- url: ${hooks.url}?via=file\n  events: ["*"]\n`);
    const args = ['--systems', systems, '--subscriptions', join(work, 'subscriptions.yaml')];
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0970001', { type: 'http', url: provider.url }), delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 500, maxAttempts: 50 } } }]);
    // the lease: long enough that a live instance never loses an item it works on (a repeat would be
    // counted against the kill), short enough that the killed one's come back soon
    // SMEV2_TRUST_PROXY: nginx's address, as docs/deploy.md's unit sets it (here nginx is on loopback)
    const env = { SMEV2_DELIVERY_LEASE_MS: '3000', SMEV2_DELIVERY_CONCURRENCY: String(CONCURRENCY), SMEV2_TRUST_PROXY: '127.0.0.1' };
    const first = await startGateway({ services: registry, db: database, env, args });
    gateways.push(first, ...(await Promise.all([1, 2].map(() => startGateway({ services: registry, db: database, env, args, keys: first.keys })))));
    const victim = gateways[1]!;
    nginx = await startNginx(gateways.map((g) => g.port));

    // the WSDL published through nginx names nginx's address, not an instance's
    const wsdl = await (await fetch(`${nginx.url}/gateway/services/SID0970001?wsdl`)).text();
    expect(wsdl).toContain(`location="${nginx.url}/gateway/services/SID0970001"`);

    const tickets: string[] = [];
    let refused = 0;
    let next = 0;
    let killed = false;
    let killedAt = Infinity;
    const send = async () => {
      while (next < MESSAGES) {
        next++;
        try {
          const r = await post(`${nginx!.url}/gateway/services/SID0970001`, REQUEST);
          if (r.status === 200 && field(r.text, 'Status') === 'ACCEPT') tickets.push(field(r.text, 'RequestIdRef')!);
          else refused++; // 502 from nginx: the instance died under this request; a consumer sends again
        } catch {
          refused++;
        }
        if (!killed && next >= MESSAGES / 3) {
          killed = true;
          killedAt = Date.now();
          victim.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, send));
    await victim.stop();

    // the queue settles: every delivery, callback and event done (or dead)
    const all = () => pgQuery<{ id: string; kind: string; status: string }>(database!, 'SELECT id, kind, status FROM outbox');
    let outbox = await all();
    for (let i = 0; i < 300 && outbox.some((r) => r.status !== 'done' && r.status !== 'dead'); i++) {
      await sleep(200);
      outbox = await all();
    }
    const of = (kind: string) => outbox.filter((r) => r.kind === kind);
    const accepted = of('deliver');
    const done = accepted.filter((r) => r.status === 'done');
    const dead = outbox.filter((r) => r.status === 'dead');
    const duplicates = delivered.repeated().length;
    // which instance nginx gave each SOAP request to, from its access log
    const perInstance = new Map<string, number>();
    for (const line of readFileSync(join(nginx.dir, 'access.log'), 'utf8').split('\n')) {
      const m = /^200 (\S+) 200 POST \/gateway\/services\/SID0970001$/.exec(line);
      if (m) perInstance.set(m[1]!, (perInstance.get(m[1]!) ?? 0) + 1);
    }
    process.stderr.write(`nginx, 3 instances on PostgreSQL: ${MESSAGES} sent, ${tickets.length} ACCEPT seen (${[...perInstance.values()].join('/')} per instance), ${refused} refused, ` +
      `${accepted.length} accepted durably, ${delivered.at.size} delivered, ${duplicates} redelivered after the kill (same MessageId), ${dead.length} dead; ` +
      `${of('callback').length} callbacks queued, ${called.at.size} received, ${called.repeated().length} twice; ` +
      `${of('event').length} events queued, ${notified.at.size} received, ${notified.repeated().length} twice\n`);

    expect(tickets.length).toBeGreaterThan(MESSAGES * 0.8);
    expect(perInstance.size).toBe(3); // nginx spread the load over every instance
    expect(done.length + dead.length).toBe(accepted.length);
    expect(dead).toEqual([]);
    // every accepted message reached the provider, by MessageId, and nothing else did
    expect(new Set(delivered.at.keys())).toEqual(new Set(done.map((r) => r.id)));
    // every ACCEPT a consumer saw was durable
    const durable = new Set(accepted.map((r) => r.id));
    expect(tickets.filter((t) => !durable.has(t))).toEqual([]);

    // callbacks: one queued per delivered message, and each answer reached the consumer's
    // callback address, by its RequestIdRef (the ticket); nothing else did
    expect(of('callback').map((r) => r.id).sort()).toEqual(done.map((r) => `callback-${r.id}`).sort());
    expect(new Set(called.at.keys())).toEqual(new Set(done.map((r) => r.id)));

    // events: per delivered message and subscription, one of each type (by type and ticket), each
    // with its own id; every queued event reached its subscriber, and nothing else did
    const expected = new Map<string, number>();
    for (const r of done) {
      for (const type of ['accepted', 'delivered', 'answer-ready']) expected.set(`file ${type} ${r.id}`, 1);
      expected.set(`system answer-ready ${r.id}`, 1);
    }
    const got = new Map<string, number>();
    for (const e of events.values()) got.set(`${e.via} ${e.type} ${e.ticket}`, (got.get(`${e.via} ${e.type} ${e.ticket}`) ?? 0) + 1);
    const wrong = [...new Set([...expected.keys(), ...got.keys()])].filter((k) => expected.get(k) !== got.get(k)).map((k) => `${k}: ${got.get(k) ?? 0}`);
    expect(wrong).toEqual([]);
    expect(new Set(notified.at.keys())).toEqual(new Set(of('event').map((r) => r.id)));

    // a second arrival, at any receiver, only for what the killed instance held when it died (its
    // lease ran out): the same id again, first sent before the kill, at most its concurrency in all
    const repeated = [...delivered.repeated(), ...called.repeated(), ...notified.repeated()];
    expect(repeated.filter(([, t]) => t[0]! > killedAt + 1000 || t.length > 2)).toEqual([]);
    expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY);
    // through nginx, the survivors answer any ticket, whichever instance accepted it
    for (const t of tickets.filter((_, i) => i % Math.ceil(tickets.length / 60) === 0)) {
      const r = await post(`${nginx.url}/gateway/services/SID0970001`, ping(t));
      expect(field(r.text, 'Status')).toBe('RESULT');
    }
    expect(nginx.logs()).not.toMatch(/\[(emerg|alert|crit)\]/);
    await nginx.stop();
    for (const g of [gateways[0]!, gateways[2]!]) await g.stop();

    // three writers, one journal: a single linear hash chain in id order
    const verify = await runCli(['journal', 'verify', '--db', database]);
    expect(verify.stdout).toMatch(/^journal intact: \d+ entries verified/);
    expect(verify.code).toBe(0);
    const [{ n }] = await pgQuery<{ n: string }>(database, 'SELECT COUNT(*) AS n FROM journal');
    const [{ forks }] = await pgQuery<{ forks: string }>(database, 'SELECT COUNT(*) - COUNT(DISTINCT prev_hash) AS forks FROM journal');
    expect(Number(n)).toBeGreaterThan(tickets.length * 2);
    expect(Number(forks)).toBe(0);
  }, 240000);
});
