import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, closedPort, type Upstream } from './support/upstream';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'));
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1].replace(/&quot;/g, '"');

describe('synchronous proxy over HTTP: answers, faults, journal', () => {
  let gw: GatewayProcess;
  let echo: Upstream, hang: Upstream, garbage: Upstream, big: Upstream, faulty: Upstream;
  const upstreams: Upstream[] = [];
  let synSink: ChildProcess | undefined;

  beforeAll(async () => {
    echo = await startUpstream((body, _req, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'none';
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(ANSWER.replace(/>REQ</g, `>${id}<`));
    });
    hang = await startUpstream(() => undefined);
    garbage = await startUpstream((_b, _q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable'));
    big = await startUpstream((_b, _q, res) => res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024, 0x41)));
    faulty = await startUpstream((_b, _q, res) => res.writeHead(500, { 'content-type': 'text/xml' }).end(
      '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>provider says no</faultstring></S:Fault></S:Body></S:Envelope>'));
    upstreams.push(echo, hang, garbage, big, faulty);
    const refused = await closedPort();
    // a port whose connects hang (test/support/syn-sink.py), for the connect timeout
    synSink = spawn('/usr/bin/python3', [join(__dirname, 'support', 'syn-sink.py')]);
    const sinkPort = await new Promise<number>((resolve) => synSink!.stdout!.once('data', (c: Buffer) => resolve(Number(String(c).trim()))));
    const registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200001', { type: 'http', url: echo.url }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200002', { type: 'http', url: `http://127.0.0.1:${refused}/x` }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200003', { type: 'http', url: hang.url, readTimeoutMs: 700 }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200004', { type: 'http', url: garbage.url }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200005', { type: 'http', url: big.url, maxAnswerBytes: 100000 }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200006', { type: 'http', url: faulty.url }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0200007', { type: 'http', url: `http://127.0.0.1:${sinkPort}/x`, connectTimeoutMs: 500 }) },
    ]);
    gw = await startGateway({ services: registry, args: ['--max-request-bytes', '200000'] });
  });

  afterAll(async () => {
    synSink?.kill();
    await gw?.stop();
    for (const u of upstreams) await u.close();
  });

  const call = (sid: string, body: string | Buffer = REQUEST, headers: Record<string, string> = {}) =>
    post(`${gw.url}/gateway/services/${sid}`, body, headers);

  /** The journal entries of the most recent exchange of a SID. */
  const lastExchange = async (sid: string) => {
    const rows = await readJournal(gw.db, 'sid = ?', [sid]);
    const id = rows[rows.length - 1]?.exchange_id;
    return rows.filter((r) => r.exchange_id === id);
  };

  test('a request reaches the provider with the node header, the Body byte for byte, and the answer comes back stamped', async () => {
    const before = echo.requests.length;
    const res = await call('SID0200001', REQUEST, { SOAPAction: '"urn:test:echo:Echo"' });
    expect(res.status).toBe(200);
    const got = echo.requests[before];
    const fwd = got.body.toString('utf8');
    expect(got.headers.soapaction).toBe('"urn:test:echo:Echo"');
    const header = /<smev:Header [^>]*wsu:Id="ID-[0-9a-f-]{36}"[^>]*><smev:NodeId>00<\/smev:NodeId><smev:MessageId>([0-9A-F-]{36})<\/smev:MessageId><smev:TimeStamp>[^<]+<\/smev:TimeStamp><smev:MessageClass>REQUEST<\/smev:MessageClass><\/smev:Header>/.exec(fwd);
    expect(header).not.toBeNull();
    const body = (s: string) => s.slice(s.indexOf('<soapenv:Body'), s.indexOf('</soapenv:Envelope>'));
    expect(body(fwd)).toBe(body(REQUEST.toString('utf8')));
    // the node's signature block (actor recipient) over the smev:Header and the Body comes first
    const nodeBlock = /<wsse:Security [^>]*soapenv:actor="http:\/\/smev\.gosuslugi\.ru\/actors\/recipient">[\s\S]*?<\/wsse:Security>/.exec(fwd);
    expect(nodeBlock).not.toBeNull();
    const headerId = /wsu:Id="(ID-[0-9a-f-]{36})"/.exec(header![0])![1];
    expect(nodeBlock![0]).toContain(`<ds:Reference URI="#${headerId}">`);
    expect(nodeBlock![0]).toContain('<ds:Reference URI="#body">');
    // the only changes: those two blocks, in a soap:Header opened to take them
    expect(fwd.replace(header![0], '').replace(nodeBlock![0], '')).toBe(REQUEST.toString('utf8').replace('<soapenv:Header/>', '<soapenv:Header></soapenv:Header>'));

    expect(res.text).toContain('<smev:MessageClass>RESPONSE</smev:MessageClass>');
    expect(res.text).toContain(`<smev:RequestIdRef>${header![1]}</smev:RequestIdRef>`);

    const legs = await lastExchange('SID0200001');
    expect(legs.map((l) => l.direction)).toEqual(['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']);
    expect(legs[0]).toMatchObject({ operation: 'Echo', sender: 'MINZ01001', recipient: 'ECHO01001', originator: 'MINZ01001', status: 'REQUEST', case_number: 'CASE-42', revision: 'rev111111' });
    expect(legs[0].raw.equals(REQUEST)).toBe(true);
    expect(legs[0].sha256).toBe(createHash('sha256').update(REQUEST).digest('hex'));
    expect(legs[1]).toMatchObject({ message_id: header![1], status: 'REQUEST' });
    expect(legs[1].raw.toString()).toBe(fwd);
    expect(legs[2]).toMatchObject({ status: 'RESULT', http_status: 200, request_id_ref: header![1], sender: 'ECHO01001' });
    expect(legs[2].duration_ms).toBeGreaterThan(0);
    expect(legs[3]).toMatchObject({ status: 'RESULT', http_status: 200, fault_code: null });
    expect(legs[3].raw.toString()).toBe(res.text);
    expect(legs.every((l) => l.size === l.raw.length)).toBe(true);
  });

  test('the journal holds the exchange before the reply is sent', async () => {
    const res = await call('SID0200001');
    const id = /<smev:MessageId>([^<]+)</.exec(res.text)![1];
    expect(await readJournal(gw.db, 'message_id = ?', [id])).toHaveLength(1);
  });

  const faults: [string, string, () => Promise<{ status: number; text: string }>, RegExp, number, string[]][] = [
    ['unknown SID', 'SID0999999', () => call('SID0999999'),
      /^No policies found for service "SID0999999"\. Make sure the service is registered correctly and the gateway policies are up to date\.$/, 500,
      ['consumer->gateway', 'gateway->consumer']],
    ['unknown service version', 'SID0200001', () => post(`${gw.url}/gateway/services/SID0200001/9.99`, REQUEST),
      /^No policies found for service "SID0200001\/9\.99"/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['unknown operation', 'SID0200001', () => call('SID0200001', REQUEST.toString().replace(/EchoRequest/g, 'Other')),
      /^GW-1004: Service SID0200001 has no operation for element \{urn:test:echo\}Other; its operations are: Echo \(\{urn:test:echo\}EchoRequest\)$/, 500,
      ['consumer->gateway', 'gateway->consumer']],
    ['provider refuses the connection', 'SID0200002', () => call('SID0200002'),
      /^Cannot perform client request$/, 500, ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']],
    ['provider hangs', 'SID0200003', () => call('SID0200003'),
      /^GW-2001: The provider did not answer within 700 ms$/, 500, ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']],
    ['provider answers garbage', 'SID0200004', () => call('SID0200004'),
      /^GW-2003: The provider answer is not a SOAP envelope \(HTTP 200\): /, 500, ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']],
    ['provider answer too large', 'SID0200005', () => call('SID0200005'),
      /^GW-2002: The provider answer exceeds 100000 bytes$/, 500, ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']],
    ['provider never completes the connection', 'SID0200007', () => call('SID0200007'),
      /^GW-2004: Cannot perform client request: no connection to the provider within 500 ms$/, 500, ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']],
    ['an operation element without smev:Message', 'SID0200001', () => call('SID0200001', REQUEST.toString().replace(/<smev:Message>[\s\S]*<\/smev:MessageData>/, '<e:Text>hi</e:Text>')),
      /^GW-1006: The operation element \{urn:test:echo\}EchoRequest carries no smev:Message of a known revision/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['malformed XML', 'SID0200001', () => call('SID0200001', '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a></b>'),
      /^GW-1001: Message is not well-formed XML: Opening and ending tag mismatch: a line 1 and b \(line 1, column \d+\)$/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['a body that is not SOAP', 'SID0200001', () => call('SID0200001', '<order><item/></order>'),
      /^GW-1002: Message is not a SOAP 1\.1 envelope: the document element is \{\}order, not a SOAP 1\.1 Envelope$/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['a JSON body', 'SID0200001', () => call('SID0200001', '{"hello": 1}', { 'content-type': 'application/json' }),
      /^GW-1001: Message is not well-formed XML: Start tag expected/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['SOAP 1.2', 'SID0200001', () => call('SID0200001', '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'),
      /^GW-1002: Message is not a SOAP 1\.1 envelope: a SOAP 1\.2 envelope/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['an empty Body', 'SID0200001', () => call('SID0200001', '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>'),
      /^GW-1003: The SOAP Body is empty/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['an external entity', 'SID0200001', () => call('SID0200001', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${REQUEST.toString().replace(/^<\?xml[^>]*>/, '').replace('Привет', '&e;')}`),
      /^GW-1001: Message is not well-formed XML: a DOCTYPE declaration is not allowed in a SOAP message \(line 1\)$/, 500, ['consumer->gateway', 'gateway->consumer']],
    ['a request over the size limit', 'SID0200001', () => call('SID0200001', REQUEST.toString().replace('Привет', 'x'.repeat(300000))),
      /^GW-1010: Message too large: \d+ bytes, the limit is 200000$/, 413, ['consumer->gateway', 'gateway->consumer']],
  ];

  test.each(faults)('%s: a precise fault, journaled, and the process stays up', async (_name, sid, send, text, http, legs) => {
    const before = echo.requests.length;
    const res = await send();
    expect(res.status).toBe(http);
    expect(res.text).toMatch(/<soap:Fault><faultcode>soap:(Client|Server)<\/faultcode>/);
    expect(faultstring(res.text)).toMatch(text);
    const journaled = await lastExchange(sid);
    expect(journaled.map((l) => l.direction)).toEqual(legs);
    expect(journaled[journaled.length - 1].raw.toString()).toBe(res.text);
    expect(journaled[journaled.length - 1].fault_code).toBeTruthy();
    if (sid === 'SID0200001') expect(echo.requests.length).toBe(before);
    expect(gw.alive()).toBe(true);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  test('a SOAPAction the WSDL does not know is let through (clients send all sorts)', async () => {
    expect((await call('SID0200001', REQUEST, { SOAPAction: 'urn:test:echo:Other' })).status).toBe(200);
    expect((await call('SID0200001', REQUEST, { SOAPAction: '"urn:test:echo:Echo"' })).status).toBe(200);
  });

  test("a provider's SOAP fault reaches the consumer unchanged, with HTTP 500", async () => {
    const res = await call('SID0200006');
    expect(res.status).toBe(500);
    expect(faultstring(res.text)).toBe('provider says no');
    expect((await lastExchange('SID0200006')).map((l) => [l.direction, l.status])).toEqual([
      ['consumer->gateway', 'REQUEST'], ['gateway->provider', 'REQUEST'], ['provider->gateway', 'FAULT'], ['gateway->consumer', 'FAULT'],
    ]);
  });

  test('GET on a service address without ?wsdl says how to use it', async () => {
    const res = await fetch(`${gw.url}/gateway/services/SID0200001`);
    expect(res.status).toBe(405);
    expect(faultstring(await res.text())).toMatch(/^GW-1011: Use POST/);
  });

  test('a provider timeout does not hold other exchanges', async () => {
    const slow = call('SID0200003');
    const fast = await call('SID0200001');
    expect(fast.status).toBe(200);
    expect((await slow).status).toBe(500);
  });
});
