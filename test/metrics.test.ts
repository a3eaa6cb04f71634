import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { closedPort } from './support/upstream';
import { ROOT } from './support/paths';
import { sql } from './support/store';

const DEMO = join(ROOT, 'wsdl', 'SID0003623');
const CASES = join(ROOT, 'fixtures', 'SID0003623');
const request = (c: string) => readFileSync(join(CASES, c, 'request.xml'), 'utf8');
const smevStatus = (xml: string) => /<(?:\w+:)?Status>([A-Z]+)</.exec(xml)![1]!;

interface Sample { name: string; labels: Record<string, string>; value: number }
function samples(text: string): Sample[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l)!;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    return { name: m[1]!, labels, value: Number(m[3]) };
  });
}
/** The value of the one sample with exactly these labels (undefined when absent). */
function value(all: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = all.filter((s) => s.name === name && Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

describe('/metrics: Prometheus exposition', () => {
  let gw: GatewayProcess;
  const scrape = async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return samples(await res.text());
  };

  beforeAll(async () => {
    const demo = parse(readFileSync(join(DEMO, 'service.yaml'), 'utf8'));
    const refused = await closedPort();
    const registry = makeRegistry([
      // the registry's SID folder is tmpdir()/smev2-registry-XXXXXX/SID0003623; cases are relative to it
      { bundle: DEMO, def: { ...demo, adapter: { type: 'emulator', cases: relative(join(tmpdir(), 'r', 'SID0003623'), CASES) } } },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0900002', { type: 'http', url: `http://127.0.0.1:${refused}/x` }) },
    ]);
    gw = await startGateway({ services: registry, env: { SMEV2_AVAILABILITY_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('exchanges are counted by SID, operation, Status and fault, with latency per SID', async () => {
    const answers: string[] = [];
    for (const c of ['found', 'found', 'not-found', 'business-error']) answers.push((await post(`${gw.url}/gateway/services/SID0003623`, request(c))).text);
    const malformed = await post(`${gw.url}/gateway/services/SID0003623`, '<broken');
    expect(malformed.text).toContain('GW-1001');
    const unknown = await post(`${gw.url}/gateway/services/SID9999999`, request('found'));
    expect(unknown.text).toContain('No policies found for service');
    const down = await post(`${gw.url}/gateway/services/SID0900002`, readFileSync(join(ECHO_BUNDLE, 'request.xml')));
    expect(down.text).toContain('Cannot perform client request');

    const m = await scrape();
    const byStatus = new Map<string, number>();
    for (const a of answers) byStatus.set(smevStatus(a), (byStatus.get(smevStatus(a)) ?? 0) + 1);
    for (const [status, n] of byStatus) {
      expect(value(m, 'smev2_requests_total', { sid: 'SID0003623', operation: 'Process', status, fault: 'none' })).toBe(n);
    }
    expect(value(m, 'smev2_requests_total', { sid: 'SID0003623', operation: 'unknown', status: 'FAULT', fault: 'GW-1001' })).toBe(1);
    expect(value(m, 'smev2_requests_total', { sid: 'unknown', operation: 'unknown', status: 'FAULT', fault: 'unknownService' })).toBe(1);
    expect(value(m, 'smev2_requests_total', { sid: 'SID0900002', operation: 'Echo', status: 'FAULT', fault: 'providerUnreachable' })).toBe(1);
    // every exchange counted once, nowhere else
    expect(m.filter((s) => s.name === 'smev2_requests_total').reduce((a, s) => a + s.value, 0)).toBe(7);

    expect(value(m, 'smev2_request_duration_seconds_count', { sid: 'SID0003623' })).toBe(5);
    expect(value(m, 'smev2_request_duration_seconds_count', { sid: 'SID0900002' })).toBe(1);
    expect(value(m, 'smev2_request_duration_seconds_bucket', { sid: 'SID0003623', le: '+Inf' })).toBe(5);
    expect(value(m, 'smev2_request_duration_seconds_sum', { sid: 'SID0003623' })).toBeGreaterThan(0);
    expect(value(m, 'smev2_request_duration_seconds_bucket', { sid: 'SID0003623', le: '30' })).toBe(5);
  });

  test('outbox depth and dead letters are read from the store at each scrape', async () => {
    let m = await scrape();
    for (const s of ['pending', 'polling', 'done', 'dead']) expect(value(m, 'smev2_outbox_items', { status: s })).toBe(0);
    expect(value(m, 'smev2_outbox_dead_letters')).toBe(0);
    const now = Date.now();
    for (const [id, status] of [['M1', 'dead'], ['M2', 'dead'], ['M3', 'done']]) {
      await sql(gw.db, `INSERT INTO outbox (id, kind, sid, status, attempts, max_attempts, created_at, expires_at, next_at, updated_at, payload)
        VALUES (?, 'deliver', 'SID0900002', ?, 3, 3, ?, ?, ?, ?, ?)`, [id, status, now, now + 3600e3, now + 3600e3, now, Buffer.from('<x/>')]);
    }
    m = await scrape();
    expect(value(m, 'smev2_outbox_items', { status: 'dead' })).toBe(2);
    expect(value(m, 'smev2_outbox_items', { status: 'done' })).toBe(1);
    expect(value(m, 'smev2_outbox_items', { status: 'pending' })).toBe(0);
    expect(value(m, 'smev2_outbox_dead_letters')).toBe(2);
  });

  test('provider availability per SID, from the availability monitor', async () => {
    const m = await scrape();
    expect(value(m, 'smev2_provider_up', { sid: 'SID0003623' })).toBe(1); // emulated: in process
    expect(value(m, 'smev2_provider_up', { sid: 'SID0900002' })).toBe(0); // connection refused
    expect(value(m, 'smev2_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
