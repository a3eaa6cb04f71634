// `replay` against a provider directly, with envelopes shaped like real SMEV 2 traffic: the
// answers of ../shared/smev2/corpus/envelopes (every prefix style, real GOST signatures, some
// hand-edited after signing) are served by a bare HTTP provider and replayed with themselves as
// the expectation. Signatures are verified, never compared: a case passes exactly when the
// corpus's independently computed verdict says the answer's signatures hold. Then wrong
// expectations show their diffs. Read at test time from ../shared, never copied.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { runCli } from './support/gateway';
import { startUpstream, type Upstream } from './support/upstream';
import { CORPUS, corpusAvailable } from './support/paths';

const available = corpusAvailable();
const ENVELOPES = join(CORPUS, 'envelopes');
const REQUEST = 'gws-core__fss-request-1.xml';
const ANSWER = 'gws-core__fss-response-2.xml';
const NOT_ANSWERS = new Set(['REQUEST', 'PING']);

/** Corpus files that are one SOAP answer (a Status other than REQUEST/PING, or a fault), with their message verdict (none: unsigned). */
function corpusAnswers(): { file: string; verdict?: 'ok' | 'fail' }[] {
  const verdicts = new Map<string, 'ok' | 'fail'>();
  for (const line of readFileSync(join(ENVELOPES, 'EXPECTED.tsv'), 'utf8').split('\n')) {
    const [file, check, , expected] = line.split('\t');
    if (check === 'message') verdicts.set(file, expected as 'ok' | 'fail');
  }
  return readdirSync(ENVELOPES).filter((f) => f.endsWith('.xml')).sort().flatMap((file) => {
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(readFileSync(join(ENVELOPES, file), 'utf8'), 'text/xml');
    const root = doc.documentElement;
    if (root?.localName !== 'Envelope' || root.namespaceURI !== 'http://schemas.xmlsoap.org/soap/envelope/') return [];
    const status = Array.from(doc.getElementsByTagNameNS('*', 'Status')).find((e) => /smev\.gosuslugi\.ru\/rev/.test(e.namespaceURI ?? ''))?.textContent?.trim();
    const fault = doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Fault').length > 0;
    if (!fault && (!status || NOT_ANSWERS.has(status))) return [];
    // a signed file without an independent verdict is left out: nothing to agree with
    const signed = doc.getElementsByTagNameNS('http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd', 'Security').length > 0;
    if (signed && !verdicts.has(file)) return [];
    return [{ file, verdict: verdicts.get(file) }];
  });
}

const sid = (i: number) => `SID9${String(i + 1).padStart(6, '0')}`;

(available ? describe : describe.skip)('replay of corpus-shaped exchanges against a provider directly', () => {
  let provider: Upstream;
  const served = new Map<string, Buffer>();
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'smev2-corpus-replay-'));
    provider = await startUpstream((_body, req, res) => {
      const bytes = served.get(String(req.url).split('/').pop()!);
      res.writeHead(bytes ? 200 : 404, { 'content-type': 'text/xml; charset=utf-8' }).end(bytes ?? '');
    });
  });
  afterAll(async () => {
    await provider?.close();
  });
  const target = () => `${provider.url.replace(/\/provider$/, '')}/corpus/{SID}`;
  const writeCase = (root: string, s: string, name: string, answer: Buffer | string) => {
    const dir = join(root, s, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'request.xml'), readFileSync(join(ENVELOPES, REQUEST)));
    writeFileSync(join(dir, 'answer.xml'), answer);
    return dir;
  };

  test('every corpus answer replayed against itself passes exactly when its signatures hold', async () => {
    const answers = corpusAnswers();
    expect(answers.length).toBeGreaterThanOrEqual(15);
    const root = join(tmp, 'all');
    answers.forEach((a, i) => {
      const bytes = readFileSync(join(ENVELOPES, a.file));
      served.set(sid(i), bytes);
      writeCase(root, sid(i), a.file.replace(/\.xml$/, ''), bytes);
    });
    const r = await runCli(['replay', root, '--target', target(), '--concurrency', '8']);
    answers.forEach((a, i) => {
      const name = a.file.replace(/\.xml$/, '');
      const mark = a.verdict === 'fail' ? 'FAIL' : 'PASS';
      expect(`${a.file}: ${new RegExp(`^${sid(i)}\\s+${name.replace(/[.]/g, '\\.')}\\s+(\\w+)`, 'm').exec(r.stdout)?.[1]}`).toBe(`${a.file}: ${mark}`);
    });
    // a failure is a signature that does not verify, and nothing else
    const failed = answers.filter((a) => a.verdict === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('    '));
    expect(lines.length).toBeGreaterThanOrEqual(failed.length);
    for (const l of lines) expect(l).toMatch(/^ {4}Header\/Security\[actor=(smev|recipient)\]: the signature does not verify: /);
    expect(r.code).toBe(1);
  });

  test('wrong expectations on a corpus answer: each differing field named, prefixes of either side irrelevant', async () => {
    const original = readFileSync(join(ENVELOPES, ANSWER), 'utf8');
    served.set('SID9100001', Buffer.from(original));
    const expected = original
      .replace(/ns2:/g, 'smev:').replace(/xmlns:ns2=/g, 'xmlns:smev=').replace(/S:/g, 'soap:').replace('xmlns:S=', 'xmlns:soap=')
      .replace('<smev:Status>INVALID</smev:Status>', '<smev:Status>RESULT</smev:Status>')
      .replace('<smev:Code>FSSR01001</smev:Code>', '<smev:Code>FSSR01002</smev:Code>')
      .replace('Запрос с таким origRequestIdRef не найден!', 'Запрос не найден')
      .replace('<smev:ExchangeType>1</smev:ExchangeType>', '');
    const root = join(tmp, 'wrong');
    writeCase(root, 'SID9100001', 'fss-invalid', expected);
    const junit = join(tmp, 'wrong.xml');
    const r = await runCli(['replay', root, '--target', target(), '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain([
      '  answer.xml: 4 differences',
      '    Body/requestResponse/Message/Sender/Code: expected "FSSR01002", got "FSSR01001"',
      '    Body/requestResponse/Message/Status: expected "RESULT", got "INVALID"',
      '    Body/requestResponse/Message/ExchangeType: unexpected element ("1")',
      '    Body/requestResponse/MessageData/AppData/примечание: expected "Запрос не найден", got "Запрос с таким origRequestIdRef не найден!"',
    ].join('\n'));
    expect(readFileSync(junit, 'utf8')).toContain('<testcase classname="SID9100001" name="fss-invalid"');
    expect(readFileSync(junit, 'utf8')).toContain('<failure message="4 differences; answer.xml: Body/requestResponse/Message/Sender/Code: expected &quot;FSSR01002&quot;, got &quot;FSSR01001&quot;" type="mismatch">');
  });

  test('an answer altered after signing fails on its signature even when it is what was expected', async () => {
    const tampered = readFileSync(join(ENVELOPES, ANSWER), 'utf8').replace('<типОтвета>ОшибкаВЗапросе</типОтвета>', '<типОтвета>Ответ</типОтвета>');
    served.set('SID9100002', Buffer.from(tampered));
    const root = join(tmp, 'tampered');
    writeCase(root, 'SID9100002', 'altered', tampered);
    const r = await runCli(['replay', root, '--target', target()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain([
      '  answer.xml: 1 difference',
      '    Header/Security[actor=smev]: the signature does not verify: reference #bodyId-Z194FQRD-Q58F-O64Z-8X5I-X1QNVBN9SDD9: the DigestValue does not match the Body (it was altered after signing)',
    ].join('\n'));
  });
});
