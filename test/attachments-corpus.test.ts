import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startGateway, runCli, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { readJournal } from './support/journal';
import { CORPUS, corpusAvailable } from './support/paths';
import { REQUEST } from './support/signing';
import { buildZip } from '../src/attachments/zip';
import type { AppDocumentReport } from '../src/attachments/model';

/**
 * Every verdict of corpus/attachments/EXPECTED.tsv (decided with OpenSSL's gost engine, not with
 * the project) reproduced twice: by the gateway over HTTP, each source travelling as a
 * provider's answer through the real process and its verdicts read from the journal; and by
 * `smev2-gateway verify` on the same bytes.
 */

interface Row { source: string; attachment: string; check: string; expected: 'ok' | 'fail' }

const available = corpusAvailable();
const dir = join(CORPUS, 'attachments');
const rows: Row[] = available
  ? readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => { const [source, attachment, check, expected] = l.split('\t'); return { source: source!, attachment: attachment!, check: check!, expected: expected as Row['expected'] }; })
  : [];

/** What travels for a row: the HTTP body and its Content-Type, and which file's verdict is read. */
async function message(r: Row): Promise<{ contentType: string; body: Buffer; file?: string }> {
  const path = join(dir, r.source);
  if (r.check === 'AppDocument/DigestValue') {
    const ct = readFileSync(join(dir, r.source.replace(/[^/]+$/, 'content-type.txt')), 'utf8').trim();
    return { contentType: ct, body: readFileSync(path) };
  }
  if (r.source.endsWith('.xml')) { // an envelope whose inline AppDocument (BinaryData #1) holds the file and its .sig
    return { contentType: 'text/xml; charset=utf-8', body: readFileSync(path), file: r.attachment.replace(/^BinaryData#1\//, '').replace(/\.sig$/, '') };
  }
  // a file and its detached signature, as they travel: both in the ZIP of an inline AppDocument
  const zip = await buildZip([{ name: r.attachment, bytes: readFileSync(join(dir, r.source.replace(/[^/]+$/, r.attachment))) }, { name: basename(r.source), bytes: readFileSync(path) }]);
  const envelope = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8').replace(/<\/smev:AppData>/, `</smev:AppData><smev:AppDocument><smev:RequestCode>${r.attachment}</smev:RequestCode><smev:BinaryData>${zip.toString('base64')}</smev:BinaryData></smev:AppDocument>`);
  if (!envelope.includes('<smev:AppDocument>')) throw new Error('the echo answer has no AppData to put an AppDocument after');
  return { contentType: 'text/xml; charset=utf-8', body: Buffer.from(envelope), file: r.attachment };
}

/** The verdict a row asks for, out of what the gateway found in one AppDocument. */
function verdictOf(r: Row, doc: AppDocumentReport | undefined, file?: string): string {
  if (!doc) return 'no AppDocument found';
  if (r.check === 'AppDocument/DigestValue') return doc.digest ? (doc.digest.ok ? 'ok' : 'fail') : 'no DigestValue';
  const f = doc.zip?.files.find((x) => x.name === file);
  return f?.signature ? f.signature.outcome : `no signature verdict for ${file}`;
}

let gw: GatewayProcess;
let server: Server;
let answer: { contentType: string; body: Buffer } = { contentType: 'text/xml', body: Buffer.alloc(0) };
const work = mkdtempSync(join(tmpdir(), 'smev2-attachments-corpus-'));

(available ? describe : describe.skip)(`corpus attachment verdicts (${join(dir, 'EXPECTED.tsv')})`, () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.body.length }).end(answer.body));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // the corpus's own envelope signatures fail (edited, expired, unknown CAs): judged and passed,
    // so that the attachments are judged too; their verdicts are journaled, not enforced
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0616101', { type: 'http', url }), signature: 'report', attachments: { policy: 'report' } } }]);
    gw = await startGateway({ services: registry });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await new Promise((ok) => server?.close(ok));
  });

  test('the file lists every kind of check', () => {
    expect(rows.length).toBeGreaterThanOrEqual(7);
    expect(new Set(rows.map((r) => r.check))).toEqual(new Set(['AppDocument/DigestValue', 'pkcs7-detached']));
    expect(new Set(rows.map((r) => r.expected))).toEqual(new Set(['ok', 'fail']));
  });

  test.each(rows.map((r) => [`${r.source} ${r.attachment} ${r.check}`, r] as const))('%s', async (_name, r) => {
    const m = await message(r);
    // 1. the gateway, over HTTP: the source is the provider's answer to a consumer's call
    answer = m;
    const before = (await readJournal(gw.db, "direction = 'provider->gateway'")).length;
    const reply = await post(`${gw.url}/gateway/services/SID0616101`, REQUEST.replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`));
    expect(reply.status).toBe(200);
    const legs = await readJournal(gw.db, "direction = 'provider->gateway'");
    expect(legs.length).toBe(before + 1);
    const att = JSON.parse(String((legs[legs.length - 1] as unknown as { attachments: string | null }).attachments ?? '{}')) as { documents?: AppDocumentReport[] };
    expect(verdictOf(r, att.documents?.[0], m.file)).toBe(r.expected);

    // 2. verify, on the same bytes
    const file = join(work, `${Math.random().toString(36).slice(2)}.body`);
    writeFileSync(file, m.body);
    const v = await runCli(['verify', file, '--content-type', m.contentType, '--keys', gw.keys]);
    const out = v.stdout;
    if (r.check === 'AppDocument/DigestValue') {
      expect(out).toMatch(new RegExp(`DigestValue \\S+: ${r.expected === 'ok' ? 'ok' : 'FAIL'}`));
    } else {
      const line = out.split('\n').find((l) => l.startsWith(`  file ${m.file} `));
      expect(line).toBeDefined();
      expect(line).toMatch(r.expected === 'ok' ? /signature \S+\.sig .* ok(;|$)/ : /signature \S+\.sig .*FAIL/);
    }
  });
});
