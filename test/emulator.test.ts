import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
const code = (xml: string, party: string) => new RegExp(`<smev:${party}><smev:Code>([^<]*)</smev:Code>`).exec(xml)?.[1];

function withCases(dir: string, sid: string, cases: Record<string, { yaml: string; answer?: string }>): void {
  for (const [name, c] of Object.entries(cases)) {
    const d = join(dir, sid, 'cases', name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'case.yaml'), c.yaml);
    writeFileSync(join(d, 'answer.xml'), c.answer ?? ANSWER);
  }
}

describe('the emulated provider', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    const dir = makeRegistry([
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0500001', { type: 'emulator', cases: 'cases' }) },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0500002', { type: 'emulator', cases: 'cases' }), operations: { Echo: { mode: 'async' } } } },
    ]);
    withCases(dir, 'SID0500001', {
      hello: { yaml: 'match:\n  AppData/Text: /^Привет/\n  Message/Sender/Code: MINZ01001\n', answer: ANSWER.replace('>echo<', '>hello-answer<') },
      exact: { yaml: 'match:\n  AppData/Text: "exactly this"\n  Message/CaseNumber: "*"\n', answer: ANSWER.replace('>echo<', '>exact-answer<') },
      rejected: { yaml: 'priority: 5\nmatch:\n  AppData/Text: /^Привет/\n  Message/CaseNumber: REJECT-ME\n', answer: ANSWER.replace('RESULT', 'REJECT').replace('>echo<', '>rejected<') },
      attr: { yaml: 'match:\n  AppData/Text/@lang: en\n', answer: ANSWER.replace('>echo<', '>attr-answer<') },
    });
    withCases(dir, 'SID0500002', {
      slow: { yaml: 'match:\n  AppData/Text: /slow/\nasync:\n  processPolls: 2\n', answer: ANSWER.replace('>echo<', '>slow-result<') },
      timed: { yaml: 'match:\n  AppData/Text: /timed/\nasync:\n  processSeconds: 1\n', answer: ANSWER.replace('>echo<', '>timed-result<') },
    });
    gw = await startGateway({ services: dir });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const call = (sid: string, body: string) => post(`${gw.url}/gateway/services/${sid}`, body);

  test('answers with the matching case, filling the routing fields as a provider does', async () => {
    const res = await call('SID0500001', REQUEST);
    expect(res.status).toBe(200);
    expect(res.text).toContain('hello-answer');
    expect(code(res.text, 'Sender')).toBe('ECHO01001');
    expect(code(res.text, 'Recipient')).toBe('MINZ01001');
    expect(code(res.text, 'Originator')).toBe('MINZ01001');
    const nodeId = field(res.text, 'RequestIdRef');
    expect(nodeId).toMatch(/^[0-9A-F-]{36}$/);
    expect(field(res.text, 'OriginRequestIdRef')).toBe(nodeId);
    expect(field(res.text, 'Status')).toBe('RESULT');
    expect(field(res.text, 'Date')).not.toBe('2026-11-22T10:00:01.000+03:00');
    expect(res.text).not.toContain('<smev:TestMsg');
  });

  test('TestMsg is echoed, and an OriginRequestIdRef is kept', async () => {
    const req = REQUEST.replace('<smev:CaseNumber>CASE-42</smev:CaseNumber>',
      '<smev:OriginRequestIdRef>11111111-2222-3333-4444-555555555555</smev:OriginRequestIdRef><smev:CaseNumber>CASE-42</smev:CaseNumber><smev:TestMsg>Test query</smev:TestMsg>');
    const res = await call('SID0500001', req);
    expect(field(res.text, 'TestMsg')).toBe('Test query');
    expect(field(res.text, 'OriginRequestIdRef')).toBe('11111111-2222-3333-4444-555555555555');
    // fields come in schema order: OriginRequestIdRef before TestMsg
    expect(res.text.indexOf('<smev:RequestIdRef>')).toBeLessThan(res.text.indexOf('<smev:TestMsg>'));
  });

  test('regular expressions, presence, attributes and priority', async () => {
    expect((await call('SID0500001', REQUEST.replace('Привет &amp; hello', 'exactly this'))).text).toContain('exact-answer');
    expect((await call('SID0500001', REQUEST.replace('CASE-42', 'REJECT-ME'))).text).toContain('<smev:Status>REJECT</smev:Status>');
    expect((await call('SID0500001', REQUEST.replace('<e:Text>Привет &amp; hello', '<e:Text lang="en">hi'))).text).toContain('attr-answer');
  });

  test('no match: INVALID naming the closest case and the field that differed', async () => {
    const res = await call('SID0500001', REQUEST.replace('Привет &amp; hello', 'exactly that'));
    expect(res.status).toBe(200);
    expect(field(res.text, 'Status')).toBe('INVALID');
    expect(res.text).toContain('no emulated answer matches; closest case "exact" differs at AppData/Text: expected "exactly this", got "exactly that"');
    expect(code(res.text, 'Sender')).toBe('ECHO01001');
  });

  test('asynchronous: ACCEPT with a ticket, PROCESS for the configured polls, then the result', async () => {
    const accept = await call('SID0500002', REQUEST.replace('Привет &amp; hello', 'slow please'));
    expect(field(accept.text, 'Status')).toBe('ACCEPT');
    const origin = field(accept.text, 'RequestIdRef')!;
    expect(accept.text).toContain(`<emu:Ticket xmlns:emu="urn:smev2-gateway:emulator">${origin}</emu:Ticket>`);
    const ping = REQUEST.replace('REQUEST', 'PING').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${origin}</smev:OriginRequestIdRef><smev:CaseNumber>`);
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call('SID0500002', ping);
      statuses.push(field(r.text, 'Status')!);
      expect(field(r.text, 'OriginRequestIdRef')).toBe(origin);
      if (i === 3) expect(r.text).toContain('slow-result');
    }
    expect(statuses).toEqual(['PROCESS', 'PROCESS', 'RESULT', 'RESULT']);
  });

  test('asynchronous: a ticket quoted in AppData finds the chain too; time-based readiness', async () => {
    const accept = await call('SID0500002', REQUEST.replace('Привет &amp; hello', 'timed please'));
    const ticket = field(accept.text, 'RequestIdRef')!;
    const ping = REQUEST.replace('REQUEST', 'PING').replace('Привет &amp; hello', ticket);
    expect(field((await call('SID0500002', ping)).text, 'Status')).toBe('PROCESS');
    await new Promise((r) => setTimeout(r, 1100));
    const done = await call('SID0500002', ping);
    expect(field(done.text, 'Status')).toBe('RESULT');
    expect(done.text).toContain('timed-result');
  });

  test('a PING for an unknown chain is answered INVALID with the providers’ text', async () => {
    const ping = REQUEST.replace('REQUEST', 'PING').replace('<smev:CaseNumber>', '<smev:OriginRequestIdRef>00000000-0000-0000-0000-000000000000</smev:OriginRequestIdRef><smev:CaseNumber>');
    const res = await call('SID0500002', ping);
    expect(field(res.text, 'Status')).toBe('INVALID');
    expect(res.text).toContain('Запрос с таким origRequestIdRef не найден!');
  });
});
