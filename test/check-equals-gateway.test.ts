// `smev2-gateway check` composes the gateway's own inbound stages (issue 15): on every corpus
// envelope and on a message for each class of the fault catalogue the inbound stages raise, its
// verdict ("gateway: refuses with …" or "passes it on") is the fault the running gateway answers.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { runCli } from './support/gateway';
import { startSigningBench, codeOf, type SigningBench } from './support/signing';
import { URI } from '../src/signature/algorithms';
import { buildZip } from '../src/attachments/zip';
import { signFile } from '../src/attachments/cms-sign';

const CORPUS = join(__dirname, '..', '..', 'shared', 'smev2', 'corpus', 'envelopes');
const haveCorpus = existsSync(CORPUS);
if (!haveCorpus && process.env.CI === 'true') throw new Error(`the corpus is missing: looked in ${CORPUS}`);
if (!haveCorpus) process.stderr.write(`corpus not found at ${CORPUS}: its envelopes are not checked\n`);

describe('check gives the gateway’s verdict', () => {
  let b: SigningBench;
  beforeAll(async () => {
    b = await startSigningBench();
  }, 60000);
  afterAll(async () => b?.stop());

  /**
   * The gateway's answer to each body (sent in turn), and `check`'s verdict on all of them in one
   * run per SID: the fault code, the node's uncoded text, or ok.
   */
  async function both(sid: string, bodies: (string | Buffer)[]): Promise<{ http: string; check: string }[]> {
    const http: string[] = [];
    const files: string[] = [];
    for (const body of bodies) {
      http.push(codeOf((await b.call(sid, body)).text));
      const file = join(b.work, `c-${randomUUID()}.xml`);
      writeFileSync(file, body);
      files.push(file);
    }
    const r = await runCli(['check', ...files, '--sid', sid, '--services', b.registry, '--systems', b.systems, '--keys', b.gw.keys]);
    const sections = new Map(r.stdout.split(/^== /m).slice(1).map((sec) => [sec.slice(0, sec.indexOf('\n')), sec] as const));
    return files.map((f, i) => {
      const sec = bodies.length > 1 ? sections.get(f) ?? '' : r.stdout;
      const line = /^gateway: (.*)$/m.exec(sec)?.[1] ?? `no verdict line (exit ${r.code}): ${r.stdout}${r.stderr}`;
      const check = line === 'passes it on to the provider' ? 'ok' : /^refuses with ([A-Z]+-\d+):/.exec(line)?.[1] ?? line.replace(/^refuses with /, '');
      return { http: http[i]!, check };
    });
  }

  test('a message for each class of fault the inbound stages raise, and a good one', async () => {
    const req = () => b.request();
    // an inline AppDocument of `zip`, signed with the envelope
    const withDocument = (zip: Buffer) => b.sign(req().replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req_1</smev:RequestCode><smev:BinaryData>${zip.toString('base64')}</smev:BinaryData></smev:AppDocument>`));
    const file = Buffer.from(`<doc>${randomUUID()}</doc>`);
    const signed = await buildZip([{ name: 'a.xml', bytes: file }, { name: 'a.xml.sig', bytes: signFile(file, b.signer('MINZ01001')) }]);
    const forged = await buildZip([{ name: 'a.xml', bytes: Buffer.from('<doc>other</doc>') }, { name: 'a.xml.sig', bytes: signFile(file, b.signer('MINZ01001')) }]);
    const unsigned = await buildZip([{ name: 'a.xml', bytes: file }]);
    const cases: [string, string, () => string | Buffer, string][] = [
      ['signed and valid', 'SID0610003', () => b.sign(req()), 'ok'],
      ['unsigned', 'SID0610003', () => req(), 'SMEV-100008'],
      ['Body edited after signing', 'SID0610003', () => b.sign(req()).replace(/(<e:Text>)[^<]*/, `$1${randomUUID()}`), 'SMEV-100003'],
      ['RSA-SHA1', 'SID0610003', () => b.sign(b.request('RSAT01001'), 'RSAT01001', { signatureUri: URI.rsaSha1, digestUri: URI.sha1 }), 'GW-3003'],
      ['another Recipient', 'SID0610003', () => b.sign(req().replace(/(<smev:Recipient><smev:Code>)ECHO01001/, '$1MVDR01001')), 'GW-4002'],
      ['Status RESULT from a consumer', 'SID0610003', () => b.sign(req().replace('>REQUEST<', '>RESULT<')), 'GW-4003'],
      ['an element the schema does not have', 'SID0610003', () => b.sign(req().replace('<smev:TypeCode>', '<smev:Foo>x</smev:Foo><smev:TypeCode>')), 'SMEV-102000'],
      ['an unregistered Sender', 'SID0610003', () => b.sign(req().replace(/(<smev:Sender><smev:Code>)MINZ01001/, '$1ABCD01234')), 'GW-4001'],
      ['an operation the SID does not have', 'SID0610003', () => b.sign(req().replace(/e:EchoRequest/g, 'e:Other')), 'GW-1004'],
      ['no smev:Message', 'SID0610003', () => req().replace(/<smev:Message>[\s\S]*<\/smev:Message>/, ''), 'GW-1006'],
      ['not SOAP', 'SID0610003', () => '<a xmlns="urn:x"/>', 'GW-1002'],
      ['not XML', 'SID0610003', () => '<soapenv:Envelope', 'GW-1001'],
      ['UTF-16', 'SID0610003', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.sign(req()), 'utf16le')]), 'GW-1017'],
      ['nested too deep', 'SID0610003', () => req().replace('<e:Text>', `<e:Text>${'<e:N>'.repeat(150)}${'</e:N>'.repeat(150)}`), 'GW-1012'],
      ['an unknown SID', 'SID0619999', () => b.sign(req()), 'No policies found for service "SID0619999". Make sure the service is registered correctly and the gateway policies are up to date.'],
      ['policy report passes what enforce refuses', 'SID0610004', () => req(), 'ok'],
      ['an AppDocument with its file signed', 'SID0610005', () => withDocument(signed), 'ok'],
      ['an AppDocument whose .sig is over other bytes', 'SID0610005', () => withDocument(forged), 'GW-5007'],
      ['an AppDocument with an unsigned file', 'SID0610005', () => withDocument(unsigned), 'GW-5008'],
      ['an AppDocument that is no ZIP', 'SID0610005', () => withDocument(Buffer.from('not a zip at all')), 'GW-5005'],
    ];
    for (const sid of [...new Set(cases.map((c) => c[1]))]) {
      const mine = cases.filter((c) => c[1] === sid);
      const verdicts = await both(sid, mine.map(([, , body]) => body()));
      mine.forEach(([name, , , expected], i) => expect([name, verdicts[i]]).toEqual([name, { http: expected, check: expected }]));
    }
  });

  (haveCorpus ? test : test.skip)('every corpus envelope, at a SID with every check enforced', async () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThanOrEqual(30);
    const verdicts = await both('SID0610003', files.map((f) => readFileSync(join(CORPUS, f))));
    files.forEach((f, i) => expect([f, verdicts[i]!.check]).toEqual([f, verdicts[i]!.http]));
  });
});
