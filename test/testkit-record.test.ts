// `smev2-gateway record` as a tester runs it: the real CLI as a proxy in front of a real
// upstream (our gateway serving the demo SIDs, or a bare provider), then the recorded cases
// loaded into emulated SIDs and replayed against them: the round trip of the fixture format.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startGateway, runCli, type GatewayProcess } from './support/gateway';
import { demoServices } from './support/demo';
import { readJournal } from './support/journal';
import { startUpstream, type Upstream } from './support/upstream';
import { ROOT, } from './support/paths';
import { ECHO_BUNDLE } from './support/registry';
import { startRecord, type Proxy } from './support/record';

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

describe('record through a proxy in front of the demo gateway, then replay the recording against emulated SIDs', () => {
  let gw: GatewayProcess;
  let emulated: GatewayProcess | undefined;
  let proxy: Proxy;
  let tmp: string;
  let out: string;
  beforeAll(async () => {
    // the recorder is a proxy on loopback: the gateway trusts its X-Forwarded-Host (docs/fixtures.md)
    gw = await startGateway({ env: { SMEV2_TRUST_PROXY: '127.0.0.1' } });
    tmp = mkdtempSync(join(tmpdir(), 'smev2-record-'));
    out = join(tmp, 'recorded');
    proxy = await startRecord(['--upstream', gw.url, '--out', out]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await emulated?.stop();
    await gw?.stop();
  });

  test('the proxy is transparent: every demo fixture replayed through it passes, answers byte for byte the gateway’s', async () => {
    const r = await runCli(['replay', 'fixtures', '--target', proxy.url, '--poll-interval', '50']);
    expect(r.code).toBe(0);
    // credentials go to the upstream, never to disk; the answer is the gateway's own bytes
    const request = readFileSync(join(ROOT, 'fixtures/SID0003623/found/request.xml'));
    const res = await fetch(`${proxy.url}/gateway/services/SID0003623`, {
      method: 'POST', body: request,
      headers: { 'content-type': 'text/xml; charset=utf-8', authorization: 'Basic dGVzdGVyOlRPUFNFQ1JFVA==', cookie: 'session=TOPSECRET-COOKIE' },
    });
    const body = Buffer.from(await res.arrayBuffer());
    const sent = (await readJournal(gw.db, "direction = 'gateway->consumer'")).pop()!;
    expect(body.equals(sent.raw)).toBe(true);
    // the WSDL is served through the proxy too, with the proxy's address in it
    const wsdl = await (await fetch(`${proxy.url}/gateway/services/SID0003623?wsdl`)).text();
    expect(wsdl).toContain(`location="${proxy.url}/gateway/services/SID0003623"`);
  });

  test('each exchange is a case; an ACCEPT and its PINGs one asynchronous case; no credentials written', async () => {
    const stopped = await proxy.stop();
    expect(stopped.code).toBe(0);
    const demo = demoServices();
    const total = demo.reduce((n, s) => n + s.cases.length, 0) + 1;
    expect(stopped.output).toContain(`stopped: ${total} case(s) recorded`);
    for (const f of filesUnder(out)) {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toMatch(/TOPSECRET|dGVzdGVyOlRPUFNFQ1JFVA|PRIVATE KEY/);
    }
    for (const s of demo) {
      const dirs = readdirSync(join(out, s.sid)).map((d) => join(out, s.sid, d));
      for (const c of s.cases) {
        // the recorded request is the fixture's, byte for byte
        const dir = dirs.find((d) => readFileSync(join(d, 'request.xml')).equals(readFileSync(join(c.dir, 'request.xml'))));
        expect(dir).toMatch(new RegExp(`/recorded-\\d{3}-${c.finalStatus.toLowerCase()}$`));
        const y = parse(readFileSync(join(dir!, 'case.yaml'), 'utf8'));
        expect(Object.keys(y.match).every((k: string) => k.startsWith('AppData/'))).toBe(true);
        expect(y.volatile).toEqual(expect.arrayContaining(['Message/Date', 'Message/RequestIdRef', 'Message/OriginRequestIdRef']));
        expect(readFileSync(join(dir!, 'answer.xml'), 'utf8')).toContain(`Status>${c.finalStatus}<`);
        if (c.ping) {
          expect(y.async).toEqual({ processPolls: c.processPolls, accept: 'accept.xml' });
          expect(readFileSync(join(dir!, 'accept.xml'), 'utf8')).toContain('Status>ACCEPT<');
          expect(readFileSync(join(dir!, 'ping.xml'), 'utf8')).toContain('Status>PING<');
        } else {
          expect(existsSync(join(dir!, 'ping.xml'))).toBe(false);
        }
      }
    }
  });

  test('the recorded cases feed the emulator, and replay against the emulated SIDs passes', async () => {
    const registry = join(tmp, 'wsdl');
    for (const s of demoServices()) {
      cpSync(join(ROOT, 'wsdl', s.sid), join(registry, s.sid), { recursive: true });
      const def = join(registry, s.sid, 'service.yaml');
      writeFileSync(def, readFileSync(def, 'utf8').replace(/cases: .*/, `cases: ../../recorded/${s.sid}`));
    }
    emulated = await startGateway({ services: registry });
    const r = await runCli(['replay', out, '--target', emulated.url, '--poll-interval', '50']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ cases: (\d+) passed, 0 failed/);
    // and the recording still describes the original gateway
    const again = await runCli(['replay', out, '--target', gw.url, '--poll-interval', '50']);
    expect(again.code).toBe(0);
  });
});

describe('record against a provider directly', () => {
  let provider: Upstream;
  const answer = readFileSync(join(ECHO_BUNDLE, 'answer.xml'));
  beforeAll(async () => {
    provider = await startUpstream((_body, _req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'set-cookie': 'JSESSIONID=PROVIDER-SESSION; Path=/' });
      res.end(answer);
    });
  });
  afterAll(async () => {
    await provider?.close();
  });

  test('the provider gets the request and its credentials; the consumer gets the answer unchanged; the case replays against the provider', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'smev2-record-')), 'fixtures');
    const proxy = await startRecord(['--upstream', provider.url, '--sid', 'SID0500001', '--out', out]);
    const request = readFileSync(join(ECHO_BUNDLE, 'request.xml'));
    try {
      const res = await fetch(`${proxy.url}/anything`, {
        method: 'POST', body: request,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:test:echo:Echo"', authorization: 'Bearer SECRET-TOKEN' },
      });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(answer)).toBe(true);
      expect(res.headers.get('set-cookie')).toBe('JSESSIONID=PROVIDER-SESSION; Path=/');
      expect(provider.requests[0].headers.authorization).toBe('Bearer SECRET-TOKEN');
      expect(provider.requests[0].body.equals(request)).toBe(true);
    } finally {
      const { output } = await proxy.stop();
      expect(output).toContain('recorded SID0500001/recorded-001-result: REQUEST → RESULT (HTTP 200');
    }
    const dir = join(out, 'SID0500001', 'recorded-001-result');
    expect(readdirSync(dir).sort()).toEqual(['answer.xml', 'case.yaml', 'request.xml']);
    expect(readFileSync(join(dir, 'request.xml')).equals(request)).toBe(true);
    expect(readFileSync(join(dir, 'answer.xml')).equals(answer)).toBe(true);
    const y = parse(readFileSync(join(dir, 'case.yaml'), 'utf8'));
    expect(y.match).toEqual({ 'AppData/Text': 'Привет & hello' });
    expect(y.soapAction).toBe('urn:test:echo:Echo');
    for (const f of filesUnder(out)) expect(readFileSync(f, 'utf8')).not.toMatch(/SECRET-TOKEN|PROVIDER-SESSION/);
    // replay straight against the provider's endpoint (a URL with a path is taken as it is)
    const r = await runCli(['replay', out, '--target', provider.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 case: 1 passed, 0 failed');
    expect(provider.requests[1].headers.soapaction).toBe('"urn:test:echo:Echo"');
  });
});

describe('record: a chain abandoned before its final answer is not a case', () => {
  let gw: GatewayProcess;
  let emulated: GatewayProcess | undefined;
  let proxy: Proxy;
  let tmp: string;
  let out: string;
  beforeAll(async () => {
    gw = await startGateway();
    tmp = mkdtempSync(join(tmpdir(), 'smev2-record-open-'));
    out = join(tmp, 'recorded');
    proxy = await startRecord(['--upstream', gw.url, '--out', out]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await emulated?.stop();
    await gw?.stop();
  });

  test('the abandoned chain is kept apart in .incomplete/, the emulator answers with the complete one, and the stop line says so', async () => {
    const sid = 'SID0003456';
    const found = join(ROOT, 'fixtures', sid, 'found');
    // a REQUEST answered with ACCEPT whose PINGs never come: the chain stays open
    const abandoned = await fetch(`${proxy.url}/gateway/services/${sid}`, { method: 'POST', body: readFileSync(join(found, 'request.xml')), headers: { 'content-type': 'text/xml; charset=utf-8' } });
    expect(await abandoned.text()).toContain('Status>ACCEPT<');
    // the same request again, this time PINGed to its RESULT
    const complete = await runCli(['replay', found, '--target', proxy.url, '--poll-interval', '50']);
    expect(complete.code).toBe(0);
    const stopped = await proxy.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.output).toContain(`stopped: 1 case(s) recorded; 1 chain(s) left without a final answer, kept apart and not cases (the emulator would otherwise answer with them): ${sid}/.incomplete/recorded-001-accept`);

    // the SID folder holds the complete chain only; the open one waits in .incomplete/ with the same match
    expect(readdirSync(join(out, sid)).sort()).toEqual(['.incomplete', 'recorded-002-result']);
    const open = join(out, sid, '.incomplete', 'recorded-001-accept');
    expect(readdirSync(open).sort()).toEqual(['accept.xml', 'case.yaml', 'request.xml']);
    const done = parse(readFileSync(join(out, sid, 'recorded-002-result', 'case.yaml'), 'utf8'));
    expect(parse(readFileSync(join(open, 'case.yaml'), 'utf8')).match).toEqual(done.match);
    expect(done.async).toEqual({ processPolls: 2, accept: 'accept.xml' });

    // an emulated SID on the recording answers the request with the complete chain, and replay of the recording passes
    const registry = join(tmp, 'wsdl');
    cpSync(join(ROOT, 'wsdl', sid), join(registry, sid), { recursive: true });
    const def = join(registry, sid, 'service.yaml');
    writeFileSync(def, readFileSync(def, 'utf8').replace(/cases: .*/, `cases: ${join(out, sid)}`));
    emulated = await startGateway({ services: registry });
    const r = await runCli(['replay', out, '--target', emulated.url, '--poll-interval', '50']);
    expect(r.stdout).toMatch(/1 cases?: 1 passed, 0 failed/);
    expect(r.code).toBe(0);
  });
});
