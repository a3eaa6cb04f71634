import { join } from 'node:path';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { sql } from './support/store';
import { readFileSync } from 'node:fs';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Accepted means durable: under a load of thousands of messages the real gateway process is
 * SIGKILLed and restarted several times. Then: every durably accepted message reached the provider
 * (a redelivery after a crash carries the same MessageId: recognisable), none was lost, and
 * every consumer who got an ACCEPT gets its answer.
 */
describe('guaranteed delivery survives SIGKILL under load', () => {
  const MESSAGES = Number(process.env.SMEV2_KILL_TEST_MESSAGES ?? 2000);
  const KILLS = 3;
  let provider: Upstream;
  const delivered = new Map<string, number>();
  let gw: GatewayProcess;

  beforeAll(async () => {
    provider = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())![1]!;
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${id}<`));
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await provider?.close();
  });

  test(`${MESSAGES} messages, ${KILLS} kills: accepted = delivered + dead-lettered, every consumer answered`, async () => {
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0900001', { type: 'http', url: provider.url }), delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 500, maxAttempts: 50 } } }]);
    // the items in work at once: what a crash can leave to be delivered again
    const CONCURRENCY = 16;
    const env = { SMEV2_DELIVERY_LEASE_MS: '1500', SMEV2_DELIVERY_CONCURRENCY: String(CONCURRENCY) };
    gw = await startGateway({ services: registry, env });
    const { port, db, keys } = gw;
    const start = () => startGateway({ services: registry, env, port, db, keys });

    const tickets: string[] = [];
    let refused = 0;
    let next = 0;
    let restarting: Promise<void> | undefined;
    const send = async () => {
      while (next < MESSAGES) {
        next++;
        try {
          const r = await post(`http://127.0.0.1:${port}/gateway/services/SID0900001`, REQUEST);
          if (r.status === 200 && field(r.text, 'Status') === 'ACCEPT') tickets.push(field(r.text, 'RequestIdRef')!);
          else refused++;
        } catch {
          refused++; // the gateway was down: a consumer would send again
          await (restarting ?? sleep(50));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, send));
    for (let k = 0; k < KILLS; k++) {
      await sleep(700 + Math.random() * 800);
      gw.child.kill('SIGKILL');
      await gw.stop();
      restarting = start().then((g) => { gw = g; });
      await restarting;
      restarting = undefined;
    }
    await load;

    // every durably accepted message is worked off: nothing pending once the leases of the dead run out
    const rows = () => sql<{ id: string; status: string }>(db, "SELECT id, status FROM outbox WHERE kind = 'deliver'");
    for (let i = 0; i < 300 && (await rows()).some((r) => r.status !== 'done' && r.status !== 'dead'); i++) await sleep(200);
    const accepted = await rows();
    const dead = accepted.filter((r) => r.status === 'dead');
    const done = accepted.filter((r) => r.status === 'done');
    const duplicates = [...delivered.values()].filter((n) => n > 1).length;
    process.stderr.write(`kill test: ${MESSAGES} sent, ${tickets.length} ACCEPT seen, ${refused} refused while down, ${accepted.length} accepted durably, ${delivered.size} delivered, ${duplicates} redelivered after a crash (same MessageId), ${dead.length} dead\n`);

    expect(tickets.length).toBeGreaterThan(MESSAGES / 2);
    expect(done.length + dead.length).toBe(accepted.length); // nothing left in between
    // accepted = delivered exactly once (by MessageId) + dead-lettered
    expect(new Set([...delivered.keys()])).toEqual(new Set(done.map((r) => r.id)));
    expect(dead).toEqual([]);
    // every ACCEPT a consumer saw was durable
    const durable = new Set(accepted.map((r) => r.id));
    expect(tickets.filter((t) => !durable.has(t))).toEqual([]);
    // a redelivery happens only in a crash window: at most what was in work when the process died
    expect(duplicates).toBeLessThanOrEqual(KILLS * CONCURRENCY);
    // and every consumer gets its answer
    const sample = tickets.filter((_, i) => i % Math.ceil(tickets.length / 200) === 0);
    for (const t of sample) {
      const r = await post(`${gw.url}/gateway/services/SID0900001`, REQUEST.replace('>REQUEST<', '>PING<').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${t}</smev:OriginRequestIdRef><smev:CaseNumber>`));
      expect(field(r.text, 'Status')).toBe('RESULT');
      expect(field(r.text, 'RequestIdRef')).toBe(t);
    }
  }, 240000);
});
