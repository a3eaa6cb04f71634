import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { sql } from './support/store';
import { ROOT } from './support/paths';
import { openZip } from '../src/attachments/zip';
import { readMultipart, Spool, DEFAULT_MULTIPART_LIMITS } from '../src/http/multipart';
import { tmpdir } from 'node:os';

/**
 * A journal entry's attachments through the admin API (issue 16 item 4), on the real gateway:
 * requests composed with attached files (POST /admin/compose/send: zipped, each signed as the
 * system with its own key, inline or as an MTOM part), then listed with their verdicts and
 * downloaded (a part, the AppDocument's ZIP, one file inside it) by whoever may read raw bodies.
 */

const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const OPERATOR = basic('operator', 'operator-test');
const AUDITOR = basic('auditor', 'auditor-test');
const SID = 'SID0616101';
const LIMIT = 256 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const REQUEST_NS = 'http://smev.gosuslugi.ru/request/rev111111';
const MANIFEST = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><req:AppliedDocuments xmlns:req="${REQUEST_NS}"><req:AppliedDocument><req:Name>Справка</req:Name><req:URL>справка.xml</req:URL><req:Type>text/xml</req:Type></req:AppliedDocument></req:AppliedDocuments>`);

/** The echo bundle's request, fresh (its operation is no form: the composer sends it as a whole envelope). */
const echoRequest = () => readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8')
  .replace(/<smev:Date>[^<]*</, `<smev:Date>${new Date().toISOString()}<`)
  .replace(/<e:Text>[^<]*</, `<e:Text>${randomBytes(8).toString('hex')}<`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('attachments in the admin API', () => {
  let gw: GatewayProcess;
  let up: Upstream;
  const api = async (path: string, headers: Record<string, string> = OPERATOR, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}/admin${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> ?? {}) } });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, json: (): Json => JSON.parse(body.toString('utf8')) };
  };
  const compose = (attachments: Record<string, unknown>, who = OPERATOR) => api('/compose/send', who, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sid: SID, signAs: 'MINZ01001', envelope: echoRequest(), attachments }),
  });
  /** The consumer's leg of a composed exchange. */
  const consumerLeg = async (exchangeId: string): Promise<Json> => {
    const legs = (await api(`/exchanges/${exchangeId}`)).json().legs as Json[];
    return legs.find((l) => l.direction === 'consumer->gateway');
  };

  const files = {
    'справка.xml': Buffer.from('<?xml version="1.0" encoding="UTF-8"?><справка>Иванова Мария Петровна</справка>'),
    'scan.bin': randomBytes(150_000),
  };
  const b64 = Object.entries(files).map(([name, bytes]) => ({ name, content: bytes.toString('base64') }));
  let mtom: { leg: Json; list: Json };

  beforeAll(async () => {
    up = await startUpstream((_body, _req, res) => { res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER); });
    const services = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition(SID, { type: 'http', url: up.url }), signature: 'report', attachments: { policy: 'enforce' } } }]);
    gw = await startGateway({ services, args: ['--admin-users', USERS], env: { SMEV2_COMPOSE_ATTACHMENT_BYTES: String(LIMIT) } });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  test('composed as MTOM: two files zipped with their signatures and the request document, sent as multipart/related; listed with every verdict ok', async () => {
    const r = await compose({ mode: 'mtom', requestCode: 'code-1', files: b64, requestDocument: MANIFEST.toString('base64') });
    expect([r.status, r.status === 200 ? '' : r.body.toString('utf8')]).toEqual([200, '']);
    const out = r.json();
    expect(out.fault).toBeNull();
    expect(out.attachments).toMatchObject({ mode: 'mtom', contentId: 'code-1.zip', files: ['req_code-1.xml', 'req_code-1.xml.sig', 'справка.xml', 'справка.xml.sig', 'scan.bin', 'scan.bin.sig'] });
    expect(out.request).toMatch(/<smev:AppDocument><smev:RequestCode>code-1<\/smev:RequestCode><smev:Reference><xop:Include [^>]*href="cid:code-1.zip"\/><\/smev:Reference><smev:DigestValue>[A-Za-z0-9+/=]{44}<\/smev:DigestValue><\/smev:AppDocument><\/smev:MessageData>/);
    // the provider got MTOM with the ZIP as its part
    const sent = up.requests[up.requests.length - 1]!;
    expect(String(sent.headers['content-type'])).toMatch(/^multipart\/related;/);
    const m = await readMultipart((async function* () { yield sent.body; })(), String(sent.headers['content-type']), DEFAULT_MULTIPART_LIMITS, new Spool(tmpdir()));
    expect(m.parts.map((p) => p.contentId)).toEqual(['code-1.zip']);

    const leg = await consumerLeg(out.exchangeId);
    const list = await api(`/journal/${leg.id}/attachments`);
    expect(list.status).toBe(200);
    const a = list.json();
    mtom = { leg, list: a };
    expect(a.verdict).toMatch(/^ok/);
    expect(a.parts).toHaveLength(1);
    expect(a.parts[0]).toMatchObject({ contentId: 'code-1.zip', contentType: 'application/zip', kept: 'kept', download: `/admin/journal/${leg.id}/attachments/parts/${a.parts[0].sha256}` });
    const doc = a.documents[0];
    expect(doc).toMatchObject({ source: 'cid:code-1.zip', digest: { ok: true }, download: `/admin/journal/${leg.id}/attachments/documents/0` });
    const byName = new Map((doc.zip.files as Json[]).map((f) => [f.name, f]));
    for (const [name, bytes] of Object.entries(files)) {
      expect(byName.get(name)).toMatchObject({ kind: 'file', size: bytes.length, sha256: sha(bytes), signature: { outcome: 'ok', certificate: { trusted: true } } });
      expect(byName.get(name).signature.signer).toMatch(/MINZ01001|Минздрав/);
      expect(byName.get(name).signature.algorithm).toBeTruthy();
    }
    expect(byName.get('req_code-1.xml')).toMatchObject({ kind: 'request', schema: { outcome: 'ok', namespace: REQUEST_NS }, signature: { outcome: 'ok' } });
    expect(byName.get('scan.bin.sig').kind).toBe('signature');
  });

  test('a part by its Content-ID or its SHA-256, the AppDocument\'s ZIP, and each file inside it: byte for byte, as downloads', async () => {
    const { leg, list } = mtom;
    const part = list.parts[0];
    const byCid = await api(`/journal/${leg.id}/attachments/parts/${encodeURIComponent(part.contentId)}`);
    expect(byCid.status).toBe(200);
    expect(sha(byCid.body)).toBe(part.sha256);
    expect(byCid.headers.get('content-disposition')).toBe('attachment; filename=code-1.zip');
    expect(byCid.headers.get('content-type')).toBe('application/zip');
    expect(byCid.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(sha((await api(part.download.replace(/^\/admin/, ''))).body)).toBe(part.sha256);
    const zip = await api(list.documents[0].download.replace(/^\/admin/, ''));
    expect(sha(zip.body)).toBe(part.sha256);
    // the ZIP holds what was attached
    const opened = await openZip({ bytes: zip.body });
    expect((await opened.list()).map((e) => e.name)).toEqual(['req_code-1.xml', 'req_code-1.xml.sig', 'справка.xml', 'справка.xml.sig', 'scan.bin', 'scan.bin.sig']);
    opened.close();
    for (const f of list.documents[0].zip.files as Json[]) {
      const got = await api(f.download.replace(/^\/admin/, ''));
      expect([f.name, got.status, sha(got.body)]).toEqual([f.name, 200, f.sha256]);
    }
    const one = await api(`/journal/${leg.id}/attachments/documents/0/file?name=${encodeURIComponent('справка.xml')}`);
    expect(one.body.equals(files['справка.xml'])).toBe(true);
    expect(one.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('справка.xml')}`);
    // what is not there
    expect((await api(`/journal/${leg.id}/attachments/documents/0/file?name=nothing.txt`)).json().error).toMatch(/has no file "nothing.txt": it has req_code-1.xml, /);
    expect((await api(`/journal/${leg.id}/attachments/parts/other@cid`)).status).toBe(404);
    expect((await api(`/journal/${leg.id}/attachments/documents/3`)).status).toBe(404);
    expect((await api(`/journal/${leg.id}/attachments/documents/0/file`)).status).toBe(400);
    expect((await api('/journal/99999999/attachments')).status).toBe(404);
  });

  test('inline BinaryData: the ZIP and its files downloaded from the envelope the journal kept', async () => {
    const r = await compose({ mode: 'inline', files: b64 });
    expect(r.status).toBe(200);
    const out = r.json();
    expect(out.attachments.contentId).toBeNull();
    expect(out.request).toMatch(/<smev:AppDocument><smev:RequestCode>[\w-]{36}<\/smev:RequestCode><smev:BinaryData>UEsDB/);
    const leg = await consumerLeg(out.exchangeId);
    const a = (await api(`/journal/${leg.id}/attachments`)).json();
    expect(a.parts).toEqual([]);
    expect(a.verdict).toMatch(/^ok/);
    expect(a.documents[0]).toMatchObject({ source: 'BinaryData' });
    const zip = await api(`/journal/${leg.id}/attachments/documents/0`);
    expect(sha(zip.body)).toBe(a.documents[0].sha256);
    const scan = await api(`/journal/${leg.id}/attachments/documents/0/file?name=scan.bin`);
    expect(scan.body.equals(files['scan.bin'])).toBe(true);
    // retention empties the envelope: its inline document is gone with it
    await sql(gw.db, 'UPDATE journal SET raw = ?, purged_at = ? WHERE id = ?', [Buffer.alloc(0), Date.now(), leg.id]);
    const gone = await api(`/journal/${leg.id}/attachments/documents/0/file?name=scan.bin`);
    expect(gone.status).toBe(410);
    expect(gone.json().error).toMatch(/purged by retention/);
  });

  test('who may: an auditor downloads (they read raw bodies); no one without a login; only an operator composes', async () => {
    const { leg, list } = mtom;
    expect((await api(`/journal/${leg.id}/attachments`, AUDITOR)).status).toBe(200);
    expect(sha((await api(`/journal/${leg.id}/attachments/parts/${list.parts[0].sha256}`, AUDITOR)).body)).toBe(list.parts[0].sha256);
    expect((await api(`/journal/${leg.id}/attachments/documents/0/file?name=scan.bin`, AUDITOR)).status).toBe(200);
    for (const p of [`/journal/${leg.id}/attachments`, `/journal/${leg.id}/attachments/parts/${list.parts[0].sha256}`, `/journal/${leg.id}/attachments/documents/0`]) {
      expect([p, (await api(p, {})).status]).toEqual([p, 401]);
    }
    const refused = await compose({ mode: 'mtom', files: b64 }, AUDITOR);
    expect(refused.status).toBe(403);
    expect(refused.json().error).toMatch(/auditor; this needs operator/);
  });

  test('the composer\'s limit: files past SMEV2_COMPOSE_ATTACHMENT_BYTES are refused with the setting named; names it would write itself are refused', async () => {
    const big = await compose({ mode: 'mtom', files: [{ name: 'big.bin', content: randomBytes(LIMIT + 1).toString('base64') }] });
    expect(big.status).toBe(413);
    expect(big.json().error).toMatch(/more than the composer's limit of 262,144 bytes \(SMEV2_COMPOSE_ATTACHMENT_BYTES\)/);
    const sig = await compose({ files: [{ name: 'a.sig', content: 'AAAA' }] });
    expect([sig.status, sig.json().error]).toEqual([400, expect.stringMatching(/the composer signs every file itself/)]);
    const path = await compose({ files: [{ name: '../a.txt', content: 'AAAA' }] });
    expect([path.status, path.json().error]).toEqual([400, expect.stringMatching(/without \/ or \\/)]);
    const mode = await compose({ mode: 'swa', files: b64 });
    expect([mode.status, mode.json().error]).toEqual([400, expect.stringMatching(/mode must be inline .* or mtom/)]);
  });

  test('a part purged by retention: 410, its size and hash still listed', async () => {
    const { leg, list } = mtom;
    const part = list.parts[0];
    // as retention does (AttachmentStore.purgeUnusedSince): the chunks deleted, the blob marked
    await sql(gw.db, 'DELETE FROM attachment_chunks WHERE sha256 = ?', [part.sha256]);
    await sql(gw.db, 'UPDATE attachment_blobs SET purged_at = ? WHERE sha256 = ?', [Date.now(), part.sha256]);
    const a = (await api(`/journal/${leg.id}/attachments`)).json();
    expect(a.parts[0]).toMatchObject({ kept: 'purged', size: part.size, sha256: part.sha256 });
    for (const p of [part.download.replace(/^\/admin/, ''), `/journal/${leg.id}/attachments/documents/0`, `/journal/${leg.id}/attachments/documents/0/file?name=scan.bin`]) {
      const r = await api(p);
      expect([p, r.status]).toEqual([p, 410]);
      expect(r.json().error).toMatch(/purged by retention/);
    }
  });
});
