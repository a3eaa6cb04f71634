import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];
const now = () => new Date().toISOString();
/** The echo request, dated now (the Date rule is on), with edits. */
const request = (edit: (s: string) => string = (s) => s) => edit(REQUEST.replace('2026-11-22T10:00:00.000+03:00', now()));

describe('format-logical control, access rights and hostile input', () => {
  let gw: GatewayProcess;
  let capture: Upstream, badSchema: Upstream, badStatus: Upstream, hang: Upstream;
  const systems = mkdtempSync(join(tmpdir(), 'smev2-systems-'));

  beforeAll(async () => {
    writeFileSync(join(systems, 'MINZ01001.yaml'), 'mnemonic: MINZ01001\nname: Минздрав\ngrants: { SID0700001: [Echo], SID0700002: "*", SID0700003: "*", SID0700004: "*", SID0700005: "*", SID0700006: "*" }\n');
    writeFileSync(join(systems, 'MINE01001.yaml'), 'mnemonic: MINE01001\nname: Минэкономразвития\ngrants: { SID0700001: [Other] }\n');
    writeFileSync(join(systems, 'PNZR01581.yaml'), 'mnemonic: PNZR01581\nname: Пенза\n');
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    const answer = (edit: (s: string) => string) => (_b: Buffer, _q: IncomingMessage, res: ServerResponse) =>
      void res.writeHead(200, { 'content-type': 'text/xml' }).end(edit(ANSWER));
    capture = await startUpstream(answer((s) => s));
    badSchema = await startUpstream(answer((s) => s.replace(/<smev:Sender>.*?<\/smev:Sender>/, '')));
    badStatus = await startUpstream(answer((s) => s.replace('<smev:Status>RESULT</smev:Status>', '<smev:Status>REQUEST</smev:Status>')));
    hang = await startUpstream(() => undefined);
    const def = (sid: string, url: string, extra: Record<string, unknown> = {}) => ({ bundle: ECHO_BUNDLE, def: { ...echoDefinition(sid, { type: 'http', url, readTimeoutMs: 3000 }), control: 'enforce', ...extra } });
    const registry = makeRegistry([
      def('SID0700001', capture.url),
      def('SID0700002', capture.url, { contour: 'productive' }),
      def('SID0700003', capture.url, { control: 'report' }),
      def('SID0700004', badSchema.url),
      def('SID0700005', badStatus.url),
      def('SID0700006', hang.url),
    ]);
    cpSync(ECHO_BUNDLE, join(registry, 'unused'), { recursive: true });
    gw = await startGateway({
      services: registry,
      args: ['--systems', systems, '--max-request-bytes', '3000000'],
      env: { SMEV2_MAX_ELEMENTS: '2000', SMEV2_MAX_DEPTH: '40', SMEV2_MAX_ATTRIBUTES: '20', SMEV2_MAX_HEADER_BYTES: '20000', SMEV2_REQUEST_TIMEOUT_MS: '3000', SMEV2_MAX_IN_FLIGHT: '3', SMEV2_MAX_DATE_SKEW_S: '600' },
    });
  }, 60000);

  afterAll(async () => {
    await gw?.stop();
    for (const u of [capture, badSchema, badStatus, hang]) await u?.close();
  });

  const call = (sid: string, body: string) => post(`${gw.url}/gateway/services/${sid}`, body);
  const lastExchange = async (sid: string) => {
    const rows = await readJournal(gw.db, 'sid = ?', [sid]);
    const id = rows[rows.length - 1]?.exchange_id;
    return rows.filter((r) => r.exchange_id === id);
  };

  test('a good request passes every check and the journal says so', async () => {
    const res = await call('SID0700001', request());
    expect(res.status).toBe(200);
    expect((await lastExchange('SID0700001')).map((l) => [l.direction, l.control])).toEqual([
      ['consumer->gateway', 'ok'], ['gateway->provider', null], ['provider->gateway', 'ok'], ['gateway->consumer', null],
    ]);
  });

  const refusals: [string, string, () => string, RegExp][] = [
    ['envelope schema: no Sender', 'SID0700001', () => request((s) => s.replace(/<smev:Sender>[\s\S]*?<\/smev:Sender>/, '')),
      /^SMEV-102000: Message does not conform to the schema \(envelope rev111111\): line \d+: Element '\{http:\/\/smev\.gosuslugi\.ru\/rev111111\}Recipient': This element is not expected\. Expected is \( \{http:\/\/smev\.gosuslugi\.ru\/rev111111\}Sender \)/],
    ['envelope schema: an unknown Status', 'SID0700001', () => request((s) => s.replace('>REQUEST<', '>SOMETHING<')),
      /^SMEV-102000: .*\(envelope rev111111\): line \d+: Element '\{http:\/\/smev\.gosuslugi\.ru\/rev111111\}Status': \[facet 'enumeration'\] The value 'SOMETHING' is not an element of the set/],
    ['payload schema: an element the WSDL does not allow', 'SID0700001', () => request((s) => s.replace('</e:EchoRequest>', '<e:Bogus/></e:EchoRequest>')),
      /^SMEV-102000: Message does not conform to the schema \(SID0700001 WSDL\/XSD\): line \d+: Element '\{urn:test:echo\}Bogus': This element is not expected/],
    ['Sender not a registered system', 'SID0700001', () => request((s) => s.replace(/MINZ01001/g, 'XXXX01001')),
      /^GW-4001: Sender XXXX01001 is not a registered information system$/],
    ['Recipient not the SID’s provider', 'SID0700001', () => request((s) => s.replace('<smev:Code>ECHO01001</smev:Code>', '<smev:Code>PFRF01001</smev:Code>')),
      /^GW-4002: Recipient PFRF01001 is not the provider of SID0700001 \(ECHO01001\)$/],
    ['a Status only providers send', 'SID0700001', () => request((s) => s.replace('>REQUEST<', '>RESULT<')),
      /^GW-4003: Status RESULT is not allowed from a consumer on operation Echo \(allowed: REQUEST\)$/],
    ['a Date far from the node’s clock', 'SID0700001', () => REQUEST.replace('2026-11-22T10:00:00.000+03:00', '2001-01-01T00:00:00Z'),
      /^GW-4004: Date 2001-01-01T00:00:00Z is \d+ s away from the node's clock \(allowed: 600 s\)$/],
    ['TestMsg on the productive contour', 'SID0700002', () => request((s) => s.replace('</smev:CaseNumber>', '</smev:CaseNumber><smev:TestMsg/>')),
      /^GW-4005: TestMsg is not allowed on the productive contour \(SID0700002\)$/],
    ['an operation the consumer has no grant for', 'SID0700001', () => request((s) => s.replace(/MINZ01001/g, 'MINE01001')),
      /^GW-4007: System MINE01001 may not call operation Echo of SID0700001$/],
    ['a SID the consumer may not use: the node’s own text', 'SID0700001', () => request((s) => s.replace(/MINZ01001/g, 'PNZR01581')),
      /^No policies found for service "SID0700001"\. Make sure the service is registered correctly and the gateway policies are up to date\.$/],
    ['nesting deeper than the limit', 'SID0700001', () => request((s) => s.replace('Привет &amp; hello', `${'<e:x>'.repeat(50)}${'</e:x>'.repeat(50)}`)),
      /^GW-1012: Message nested too deep: depth 41, the limit is 40$/],
    ['more elements than the limit', 'SID0700001', () => request((s) => s.replace('Привет &amp; hello', '<e:x/>'.repeat(3000))),
      /^GW-1013: Message has too many elements: more than 2000$/],
    ['more attributes than the limit', 'SID0700001', () => request((s) => s.replace('<e:Text>', `<e:Text ${Array.from({ length: 30 }, (_, i) => `a${i}="1"`).join(' ')}>`)),
      /^GW-1014: An element has too many attributes: 30, the limit is 20$/],
    ['a soap:Header larger than the limit', 'SID0700001', () => request((s) => s.replace('<soapenv:Header/>', `<soapenv:Header><x:Big xmlns:x="urn:x">${'A'.repeat(30000)}</x:Big></soapenv:Header>`)),
      /^GW-1015: soap:Header too large: more than 20000 bytes$/],
    ['billion laughs', 'SID0700001', () => `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>${request().replace(/^<\?xml[^>]*>/, '').replace('Привет', '&lol3;')}`,
      /^GW-1001: Message is not well-formed XML: a DOCTYPE declaration is not allowed in a SOAP message/],
  ];

  test.each(refusals)('%s: a precise fault, journaled, nothing reaches the provider', async (_name, sid, body, text) => {
    const before = capture.requests.length;
    const res = await call(sid, body());
    expect(res.status).toBe(500);
    expect(faultstring(res.text)).toMatch(text);
    const legs = await lastExchange(sid);
    expect(legs.map((l) => l.direction)).toEqual(['consumer->gateway', 'gateway->consumer']);
    expect(legs[1]!.fault_code).toBeTruthy();
    expect(capture.requests.length).toBe(before);
    expect(gw.alive()).toBe(true);
  });

  test('an empty self-closing <soapenv:Header/> does not count the Body as header: a request over the header limit passes', async () => {
    // The header limit here is 20,000 bytes; SoapUI and zeep send <soapenv:Header/> as it is in request.xml.
    const big = request((s) => s.replace('Привет &amp; hello', 'A'.repeat(40000)));
    expect(big).toContain('<soapenv:Header/>');
    for (const body of [big, big.replace('<soapenv:Header/>', '<soapenv:Header></soapenv:Header>')]) {
      const before = capture.requests.length;
      const res = await call('SID0700001', body);
      expect(faultstring(res.text)).toBeUndefined();
      expect(res.status).toBe(200);
      expect(capture.requests.length).toBe(before + 1);
    }
  });

  test('schema locations named in a message are never fetched', async () => {
    let connections = 0;
    const lure = net.createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => lure.listen(0, '127.0.0.1', () => r()));
    const port = (lure.address() as net.AddressInfo).port;
    const body = request((s) => s.replace('<e:EchoRequest>', `<e:EchoRequest xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:test:echo http://127.0.0.1:${port}/evil.xsd">`)
      .replace('<e:Text>', `<e:Text xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://127.0.0.1:${port}/evil2.xsd">`));
    const res = await call('SID0700001', body);
    await new Promise<void>((r) => lure.close(() => r()));
    expect(res.status).toBe(200);
    expect(connections).toBe(0);
  });

  test('a replayed MessageId is refused within the window', async () => {
    const withId = request((s) => s.replace('<soapenv:Header/>', '<soapenv:Header><smev:Header><smev:NodeId>99</smev:NodeId><smev:MessageId>6F1C2D8A-3B47-4E95-A0D2-5C8E7B1F9A34</smev:MessageId><smev:TimeStamp>2026-11-22T10:00:00Z</smev:TimeStamp><smev:MessageClass>REQUEST</smev:MessageClass></smev:Header></soapenv:Header>'));
    expect((await call('SID0700001', withId)).status).toBe(200);
    const again = await call('SID0700001', withId);
    expect(again.status).toBe(500);
    expect(faultstring(again.text)).toMatch(/^GW-4006: Replayed message: MessageId 6F1C2D8A-3B47-4E95-A0D2-5C8E7B1F9A34 was already received at \d{4}-/);
  });

  test('a provider answer that fails its schema: GW-2006, and the consumer does not get it', async () => {
    const res = await call('SID0700004', request());
    expect(res.status).toBe(500);
    expect(faultstring(res.text)).toMatch(/^GW-2006: The provider's answer does not conform to the schema \(envelope rev111111\): line \d+: Element '\{http:\/\/smev\.gosuslugi\.ru\/rev111111\}Recipient': This element is not expected/);
    expect((await lastExchange('SID0700004')).map((l) => [l.direction, l.control ? l.control.slice(0, 11) : null])).toEqual([
      ['consumer->gateway', 'ok'], ['gateway->provider', null], ['provider->gateway', 'GW-2006: Th'], ['gateway->consumer', null],
    ]);
  });

  test('a provider answer with a consumer’s Status: GW-2003', async () => {
    const res = await call('SID0700005', request());
    expect(faultstring(res.text)).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 200\): Status REQUEST is not an answer status/);
  });

  test('policy report: violations are journaled and the message passes', async () => {
    const res = await call('SID0700003', request((s) => s.replace('>REQUEST<', '>RESULT<').replace(/MINZ01001/g, 'MINE01001')));
    expect(res.status).toBe(200);
    const first = (await lastExchange('SID0700003'))[0]!;
    expect(first.control).toMatch(/^report: GW-4003: Status RESULT is not allowed/);
    expect(first.control).toMatch(/report: access: MINE01001 has no grant for SID0700003/);
  });

  test('a body that trickles in slower than the request timeout: GW-1016', async () => {
    const body = Buffer.from(request());
    const reply = await new Promise<string>((resolve) => {
      const sock = net.connect(gw.port, '127.0.0.1', () => {
        sock.write(`POST /gateway/services/SID0700001 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`);
        sock.write(body.subarray(0, 100));
      });
      let got = '';
      sock.on('data', (c) => (got += c));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(reply).toMatch(/GW-1016: The request body did not arrive within 3000 ms/);
    expect((await lastExchange('SID0700001')).at(-1)!.fault_code).toBe('GW-1016');
  });

  test('more exchanges in work than the bound: GW-9001, the others complete', async () => {
    const before = hang.requests.length;
    const slow = [1, 2, 3].map(() => call('SID0700006', request()));
    // all three are in work once the hanging provider holds them (not after some fixed time)
    for (const end = Date.now() + 20_000; hang.requests.length < before + 3; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > end) throw new Error(`the provider got ${hang.requests.length - before} of the 3 slow calls in 20 s`);
    }
    const extra = await call('SID0700001', request());
    expect(extra.status).toBe(503);
    expect(faultstring(extra.text)).toMatch(/^GW-9001: The gateway is busy: 3 messages in work, try again later$/);
    for (const r of await Promise.all(slow)) expect(faultstring(r.text)).toMatch(/^GW-2001/);
    expect((await call('SID0700001', request())).status).toBe(200);
  });

  test('a flood of hostile input: every request gets its fault, the process stays up, memory stays bounded', async () => {
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.child.pid}/status`, 'utf8'))![1]) * 1024;
    const hostile = refusals.filter(([, sid]) => sid === 'SID0700001').map(([, , body]) => body());
    hostile.push('<a>'.repeat(5000), 'x'.repeat(2_500_000), '\u0000\u0001garbage', '');
    // warm up, then measure
    for (const h of hostile) await call('SID0700001', h);
    const before = rss();
    let answered = 0;
    for (let round = 0; round < 15; round++) {
      const batch = await Promise.all(hostile.map((h) => call('SID0700001', h)));
      answered += batch.filter((r) => r.status >= 400 && /<soap:Fault>/.test(r.text)).length;
    }
    expect(answered).toBe(15 * hostile.length);
    expect(gw.alive()).toBe(true);
    const after = await call('SID0700001', request());
    expect([after.status, faultstring(after.text)]).toEqual([200, undefined]);
    const growth = rss() - before;
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  }, 120000);
});
