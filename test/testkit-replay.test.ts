// `smev2-gateway replay` as a tester runs it: the real CLI against the real gateway process with
// the default demo registry (what `npm start` serves), over HTTP on loopback.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { startGateway, runCli, type GatewayProcess } from './support/gateway';
import { demoServices } from './support/demo';
import { readJournal } from './support/journal';
import { ROOT } from './support/paths';
import { closedPort } from './support/upstream';

const CASES = demoServices().flatMap((s) => s.cases.filter((c) => {
  try {
    return !!readFileSync(join(c.dir, 'request.xml'));
  } catch {
    return false;
  }
}).map((c) => ({ sid: s.sid, ...c })));

function junit(file: string): { suites: Element[]; cases: Element[]; root: Element } {
  const doc = new DOMParser().parseFromString(readFileSync(file, 'utf8'), 'text/xml');
  const root = doc.documentElement!;
  return { root, suites: Array.from(doc.getElementsByTagName('testsuite')), cases: Array.from(doc.getElementsByTagName('testcase')) };
}

describe('replay against the demo gateway', () => {
  let gw: GatewayProcess;
  let tmp: string;
  beforeAll(async () => {
    gw = await startGateway();
    tmp = mkdtempSync(join(tmpdir(), 'smev2-replay-'));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('every bundled fixture passes, asynchronous chains followed to their final status; JUnit written', async () => {
    const file = join(tmp, 'all.xml');
    const r = await runCli(['replay', 'fixtures', '--target', gw.url, '--poll-interval', '50', '--junit', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${CASES.length} cases: ${CASES.length} passed, 0 failed`);
    for (const c of CASES) {
      const chain = c.ping ? ['ACCEPT', ...Array(c.processPolls).fill('PROCESS'), c.finalStatus].join(' ') : c.finalStatus;
      expect(r.stdout).toMatch(new RegExp(`^${c.sid}\\s+${c.name}\\s+PASS\\s+${chain}\\s`, 'm'));
    }
    expect(r.stdout).not.toMatch(/\r|\x1b\[/); // no progress bar when stdout is not a terminal
    const j = junit(file);
    expect(j.root.getAttribute('tests')).toBe(String(CASES.length));
    expect(j.root.getAttribute('failures')).toBe('0');
    expect(j.suites.map((s) => s.getAttribute('name'))).toEqual([...new Set(CASES.map((c) => c.sid))]);
    expect(j.cases.map((c) => `${c.getAttribute('classname')}/${c.getAttribute('name')}`)).toEqual(CASES.map((c) => `${c.sid}/${c.name}`));
    expect(j.cases.every((c) => c.getElementsByTagName('failure').length === 0)).toBe(true);
  });

  test('--sign-as sender signs every request on the fly; --systems judges the providers’ certificates', async () => {
    const before = (await readJournal(gw.db, "direction = 'consumer->gateway'")).length;
    const r = await runCli(['replay', 'fixtures/SID0003623', 'fixtures/SID0003456', '--target', gw.url, '--poll-interval', '50',
      '--sign-as', 'sender', '--keys', gw.keys, '--systems', join(ROOT, 'systems')]);
    expect(r.code).toBe(0);
    const legs = (await readJournal(gw.db, "direction = 'consumer->gateway'")).slice(before);
    expect(legs.length).toBeGreaterThanOrEqual(6);
    for (const leg of legs) {
      expect(leg.signature).toMatch(new RegExp(`^smev:ok ${leg.sender} `));
    }
    // the same answers judged against another demo CA: the provider's certificate is not trusted
    const other = await runCli(['replay', 'fixtures/SID0003623/found', '--target', gw.url, '--systems', join(ROOT, 'systems'), '--keys', join(tmp, 'no-keys')]);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain('Header/Security[actor=smev]: certificate untrusted: certificate O=Пенсионный фонд РФ, CN=PFRF01001');
  });

  test('deliberately wrong expectations: readable diffs, exit 1, JUnit failures holding the diff', async () => {
    const dir = join(tmp, 'wrong');
    for (const c of ['SID0003623/found', 'SID0003623/not-found', 'SID0003456/found', 'SID0003456/not-found']) cpSync(join(ROOT, 'fixtures', c), join(dir, c), { recursive: true });
    const edit = (f: string, fn: (s: string) => string) => writeFileSync(join(dir, f), fn(readFileSync(join(dir, f), 'utf8')));
    edit('SID0003623/found/answer.xml', (s) => s.replace('<Status>RESULT</Status>', '<Status>REJECT</Status>').replace('158-301-447 53', '158-301-447 54'));
    // other prefixes, same content: still equal
    edit('SID0003623/not-found/answer.xml', (s) => s.replace(/pfr:/g, 'x:').replace('xmlns:pfr=', 'xmlns:x=').replace(/soapenv:/g, 'S:').replace('xmlns:soapenv=', 'xmlns:S='));
    edit('SID0003456/found/accept.xml', (s) => s.replace('>582403140001274<', '>582403140009999<'));
    edit('SID0003456/found/answer.xml', (s) => s.replace('<resp:Found>true</resp:Found>', '<resp:Found>false</resp:Found>').replace(/\s*<resp:IssueDate>[^<]*<\/resp:IssueDate>/, ''));
    edit('SID0003456/not-found/case.yaml', (s) => `${s}expect: [ACCEPT, RESULT]\n`);
    const file = join(tmp, 'wrong.xml');
    const r = await runCli(['replay', dir, '--target', gw.url, '--poll-interval', '50', '--junit', file]);
    expect(r.code).toBe(1);
    const block = (id: string) => r.stdout.slice(r.stdout.indexOf(`FAIL ${id} `), r.stdout.indexOf('\n\n', r.stdout.indexOf(`FAIL ${id} `)));
    expect(block('SID0003623/found')).toContain([
      '  answer.xml: 2 differences',
      '    Body/ProcessResponse/Message/Status: expected "REJECT", got "RESULT"',
      '    Body/ProcessResponse/MessageData/AppData/ОтветСНИЛС/СтраховойНомер: expected "158-301-447 54", got "158-301-447 53"',
    ].join('\n'));
    expect(block('SID0003456/found')).toContain([
      '  chain: ACCEPT → PROCESS → PROCESS → RESULT',
      '  accept.xml: 1 difference',
      '    Body/ConvictionReceipt/MessageData/AppData/Acknowledgement/RegNumber: expected "582403140009999", got "582403140001274"',
      '  answer.xml: 2 differences',
      '    Body/ConvictionResult/MessageData/AppData/CriminalRecordResponse/Found: expected "false", got "true"',
      '    Body/ConvictionResult/MessageData/AppData/CriminalRecordResponse/IssueDate: unexpected element ("15.03.2024")',
    ].join('\n'));
    expect(block('SID0003456/not-found')).toContain('  chain: 1 difference\n    expected ACCEPT RESULT, got ACCEPT PROCESS RESULT');
    expect(r.stdout).not.toContain('FAIL SID0003623/not-found');
    expect(r.stdout).toMatch(/^SID0003623\s+found\s+FAIL\s+RESULT\s+2\s/m);
    expect(r.stdout).toContain('4 cases: 1 passed, 3 failed');

    const j = junit(file);
    expect(j.root.getAttribute('failures')).toBe('3');
    const failure = (name: string) => j.cases.find((c) => `${c.getAttribute('classname')}/${c.getAttribute('name')}` === name)!.getElementsByTagName('failure')[0];
    const f = failure('SID0003623/found');
    expect(f.getAttribute('message')).toBe('2 differences; answer.xml: Body/ProcessResponse/Message/Status: expected "REJECT", got "RESULT"');
    expect(f.textContent).toContain('Body/ProcessResponse/MessageData/AppData/ОтветСНИЛС/СтраховойНомер: expected "158-301-447 54", got "158-301-447 53"');
    expect(failure('SID0003456/found').textContent).toContain('CriminalRecordResponse/Found: expected "false", got "true"');
    expect(failure('SID0003623/not-found')).toBeUndefined();
  });

  test('a chain that does not finish in time fails with the statuses seen', async () => {
    const r = await runCli(['replay', 'fixtures/SID0003456/found', '--target', gw.url, '--timeout', '3', '--poll-interval', '1200']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/chain: 1 difference\n {4}no final status within 3 s: got ACCEPT PROCESS( PROCESS)?\n/);
  });
});

test('an unreachable target is an error for each case, in the table and in JUnit', async () => {
  const port = await closedPort();
  const file = join(mkdtempSync(join(tmpdir(), 'smev2-replay-')), 'err.xml');
  const r = await runCli(['replay', 'fixtures/SID0003623', '--target', `http://127.0.0.1:${port}`, '--junit', file]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(`ERROR SID0003623/found  (fixtures/SID0003623/found, `);
  expect(r.stdout).toContain(`cannot reach http://127.0.0.1:${port}/gateway/services/SID0003623: ECONNREFUSED`);
  expect(r.stdout).toContain('3 cases: 0 passed, 0 failed, 3 errors');
  expect(readFileSync(file, 'utf8')).toContain('<error message="cannot reach');
});
