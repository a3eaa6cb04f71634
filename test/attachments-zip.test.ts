import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { inspectZip, type InspectOptions } from '../src/attachments/inspect';
import { buildZip, ZipReadError, type ZipEntry } from '../src/attachments/zip';
import { InflateMeter } from '../src/attachments/guard';
import { signFile, type FileSigner } from '../src/attachments/cms-sign';
import { DEFAULT_ZIP_LIMITS, type ZipReport } from '../src/attachments/model';
import { newKey, certificatePem, type KeyAlgorithm } from '../src/signature/identity';
import { issueCertificate } from '../src/signature/certs';
import { TrustStore } from '../src/signature/trust';
import { toPem } from '../src/crypto/asn1';
import { CORPUS } from './support/paths';
import { gostEngineAvailable, openssl } from './gost-support';

/**
 * AppDocument ZIPs (issue 16): the verdicts of real SMEV 2 attachments (corpus/attachments/EXPECTED.tsv,
 * decided with OpenSSL's gost engine) computed from the bytes alone, signatures made and checked
 * here with fresh keys of every algorithm, and ZIPs built on the fly to be refused: bombs, path
 * traversal, broken archives, unsigned files, manifests against their schema.
 */
const ATTACHMENTS = join(CORPUS, 'attachments');
const EXPECTED = join(ATTACHMENTS, 'EXPECTED.tsv');
const O: InspectOptions = { limits: DEFAULT_ZIP_LIMITS, at: new Date(), where: 'the test message' };
const faults = (r: ZipReport) => r.problems.map((p) => p.fault);
const fileOf = (r: ZipReport, name: string) => r.files.find((f) => f.name === name);

function corpusRows(): { source: string; attachment: string; expected: string }[] {
  if (!existsSync(EXPECTED)) {
    const msg = `the attachments corpus is not at ${EXPECTED} (expected ../shared/smev2/corpus/attachments beside the project)`;
    if (process.env.CI === 'true') throw new Error(`${msg}: CI must have it`);
    process.stderr.write(`${msg}: corpus verdicts not checked\n`);
    return [];
  }
  return readFileSync(EXPECTED, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'))
    .filter((c) => c[2] === 'pkcs7-detached').map((c) => ({ source: c[0]!, attachment: c[1]!, expected: c[3]! }));
}

/** The first smev:AppDocument/BinaryData of an envelope, read independently (xmldom): the ZIP. */
function binaryData(envelope: string): Buffer {
  const doc = new DOMParser().parseFromString(readFileSync(envelope, 'utf8'), 'text/xml');
  const el = doc.getElementsByTagNameNS('*', 'BinaryData')[0];
  if (!el?.textContent) throw new Error(`${envelope} has no BinaryData`);
  return Buffer.from(el.textContent.replace(/\s+/g, ''), 'base64');
}

/**
 * The ZIP of a row and the file whose signature it judges: an envelope's BinaryData #1, or a
 * `.sig` lying beside its file (zipped here with the file, as an AppDocument carries them).
 */
async function zipOfRow(row: { source: string; attachment: string }): Promise<{ zip: Buffer; file: string }> {
  const source = join(ATTACHMENTS, row.source);
  if (row.source.endsWith('.xml')) {
    const sig = row.attachment.replace(/^BinaryData#1\//, '');
    return { zip: binaryData(source), file: sig.replace(/\.sig$/, '') };
  }
  const dir = join(source, '..');
  const sigName = row.source.split('/').pop()!;
  return {
    zip: await buildZip([row.attachment, sigName].map((name) => ({ name, bytes: readFileSync(join(dir, name)) }))),
    file: row.attachment,
  };
}

const rows = corpusRows();

describe(`corpus: every pkcs7-detached verdict of ${EXPECTED}`, () => {
  test('the table has ok and fail rows, from envelopes and from loose files', () => {
    if (!rows.length) return;
    expect(rows.map((r) => r.expected)).toEqual(expect.arrayContaining(['ok', 'fail']));
    expect(rows.some((r) => r.source.endsWith('.xml'))).toBe(true);
    expect(rows.some((r) => r.source.endsWith('.sig'))).toBe(true);
  });

  // test.each refuses an empty table: without the corpus (outside CI) the rows are simply not run
  if (rows.length) test.each(rows.map((r) => [`${r.source} ${r.attachment}`, r] as const))('%s', async (_name, row) => {
    const { zip, file } = await zipOfRow(row);
    const report = await inspectZip({ bytes: zip }, O);
    const verdict = fileOf(report, file)?.signature;
    expect(verdict).toBeDefined();
    expect(verdict!.outcome).toBe(row.expected);
    if (row.expected === 'ok') {
      expect(verdict!.algorithm).toBe('GOST R 34.10-2001 / GOST R 34.11-94');
      expect(faults(report)).toEqual([]);
    } else {
      expect(faults(report)).toEqual(['attachmentSignatureInvalid']);
    }
  });

  test('the 24-byte .sig is refused as OpenSSL does: not a CMS structure', async () => {
    const row = rows.find((r) => r.expected === 'fail');
    if (!row) return;
    const { zip, file } = await zipOfRow(row);
    const v = fileOf(await inspectZip({ bytes: zip }, O), file)!.signature!;
    expect(v.reason).toMatch(/^not a CMS structure: cannot read a ContentInfo from 24 bytes/);
  });

  test('corpus signers are not in our registry: ok cryptography, untrusted certificate, GW-5007', async () => {
    const row = rows.find((r) => r.expected === 'ok' && r.source.endsWith('.sig'));
    if (!row) return;
    const { zip, file } = await zipOfRow(row);
    const report = await inspectZip({ bytes: zip }, { ...O, trust: new TrustStore(), at: new Date('2013-01-01T00:00:00Z') });
    const v = fileOf(report, file)!.signature!;
    expect(v).toMatchObject({ outcome: 'ok', certificate: { trusted: false } });
    expect(v.signer).toContain('CN=');
    expect(report.problems).toEqual([{ fault: 'attachmentSignatureInvalid', params: { sig: `${file}.sig`, file, reason: expect.stringMatching(/is not trusted for any registered system/) } }]);
  });

  test('the Request_Reestr under req_<code>.xml is not judged against the manifest schema', async () => {
    const row = rows.find((r) => r.source.endsWith('.sig'));
    if (!row) return;
    const { zip, file } = await zipOfRow(row);
    const f = fileOf(await inspectZip({ bytes: zip }, O), file)!;
    expect(f.kind).toBe('request');
    expect(f.schema).toBeUndefined();
  });
});

// ------------------------------------------------------------------ signatures made here
const ALGORITHMS: [KeyAlgorithm, string][] = [
  ['gost2001', 'GOST R 34.10-2001 / GOST R 34.11-94'],
  ['gost2012-256', 'GOST R 34.10-2012 (256) / Streebog-256'],
  ['gost2012-512', 'GOST R 34.10-2012 (512) / Streebog-512'],
  ['rsa', 'RSA / SHA-256'],
];

interface Identity extends FileSigner {
  pem: string;
  certPem: string;
}

function identity(alg: KeyAlgorithm, cn = `attachments ${alg}`): Identity {
  const k = newKey(alg);
  const cert = issueCertificate({ subject: { CN: cn }, spki: k.spki, issuerKey: k.key });
  return { key: k.key, certificate: cert.der, pem: k.pem, certPem: certificatePem(cert) };
}

const DOCUMENT = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><doc>${'Сведения о заявителе; '.repeat(200)}</doc>`);

async function signedZip(bytes: Buffer, sig: Buffer, name = 'doc.xml'): Promise<ZipReport> {
  return inspectZip({ bytes: await buildZip([{ name, bytes }, { name: `${name}.sig`, bytes: sig }]) }, O);
}

/** Index of the UTCTime content of the signingTime attribute in a .sig made by signFile. */
function signingTimeAt(sig: Buffer): number {
  const oid = Buffer.from('06092a864886f70d010905', 'hex');
  const at = sig.indexOf(oid);
  expect(at).toBeGreaterThan(0);
  return at + oid.length + 4; // SET tag+length, UTCTime tag+length
}

describe.each(ALGORITHMS)('signFile and inspectZip round trip: %s', (alg, label) => {
  const id = identity(alg);
  const sig = signFile(DOCUMENT, id, { at: new Date('2024-05-06T07:08:09Z') });

  test('verifies, with its algorithm, signer and signing time', async () => {
    const v = fileOf(await signedZip(DOCUMENT, sig), 'doc.xml')!.signature!;
    expect(v).toEqual({ outcome: 'ok', algorithm: label, signer: `CN=attachments ${alg}`, signedAt: '2024-05-06T07:08:09.000Z' });
  });

  test('one byte of the file changed: the messageDigest attribute no longer matches', async () => {
    const changed = Buffer.from(DOCUMENT);
    changed[100] ^= 0x01;
    const r = await signedZip(changed, sig);
    expect(fileOf(r, 'doc.xml')!.signature).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/^the messageDigest attribute \([0-9a-f]+\) is not the .* digest of the file \([0-9a-f]+\): the file was changed after signing$/) });
    expect(r.problems).toEqual([{ fault: 'attachmentSignatureInvalid', params: { sig: 'doc.xml.sig', file: 'doc.xml', reason: expect.stringContaining('messageDigest') } }]);
  });

  test('one byte of the signature value changed: does not verify', async () => {
    const bad = Buffer.from(sig);
    bad[bad.length - 1] ^= 0x01; // the value is the last OCTET STRING of the structure
    const v = fileOf(await signedZip(DOCUMENT, bad), 'doc.xml')!.signature!;
    expect(v.outcome).toBe('fail');
    expect(v.reason).toMatch(alg === 'rsa' ? /RSA signature value does not open/ : /^the signature value does not verify with the public key of CN=attachments/);
  });

  test('one signed attribute changed (the signing time): does not verify', async () => {
    const bad = Buffer.from(sig);
    const at = signingTimeAt(bad);
    bad[at + 1] = bad[at + 1] === 0x34 ? 0x35 : 0x34; // 24 -> 25: another year, still a valid UTCTime
    const v = fileOf(await signedZip(DOCUMENT, bad), 'doc.xml')!.signature!;
    expect(v.outcome).toBe('fail');
    expect(v.signedAt).toBe('2025-05-06T07:08:09.000Z');
    expect(v.reason).toMatch(/does not (verify|open)/);
  });

  test('PEM and bare base64 of the DER are read as senders wrote them', async () => {
    for (const text of [toPem(sig, 'PKCS7'), sig.toString('base64')]) {
      expect(fileOf(await signedZip(DOCUMENT, Buffer.from(text)), 'doc.xml')!.signature!.outcome).toBe('ok');
    }
  });

  test("signed with another key than the certificate's: does not verify", async () => {
    const other = identity(alg);
    const forged = signFile(DOCUMENT, { key: other.key, certificate: id.certificate });
    const v = fileOf(await signedZip(DOCUMENT, forged), 'doc.xml')!.signature!;
    expect(v.outcome).toBe('fail');
    expect(v.signer).toBe(`CN=attachments ${alg}`);
  });
});

describe('trust: the signer certificate judged by the registry at the message time', () => {
  let dir = '';
  const id = identity('gost2012-256', 'TRST01001');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'smev2-zip-trust-'));
    mkdirSync(join(dir, 'systems'));
    writeFileSync(join(dir, 'signer.pem'), id.certPem);
    writeFileSync(join(dir, 'systems', 'TRST01001.yaml'), 'mnemonic: TRST01001\nname: Test\ncertificates: ["../signer.pem"]\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a pinned certificate: trusted, its system named; another Sender: GW-5007 with why', async () => {
    const trust = TrustStore.load(join(dir, 'systems'), join(dir, 'keys'));
    const zip = await buildZip([{ name: 'a.xml', bytes: DOCUMENT }, { name: 'a.xml.sig', bytes: signFile(DOCUMENT, id) }]);
    const ok = await inspectZip({ bytes: zip }, { ...O, trust, sender: 'TRST01001' });
    expect(fileOf(ok, 'a.xml')!.signature).toMatchObject({ outcome: 'ok', system: 'TRST01001', certificate: { trusted: true } });
    expect(ok.problems).toEqual([]);
    const other = await inspectZip({ bytes: zip }, { ...O, trust, sender: 'MINZ01001' });
    expect(other.problems).toEqual([{ fault: 'attachmentSignatureInvalid', params: { sig: 'a.xml.sig', file: 'a.xml', reason: expect.stringMatching(/belongs to TRST01001, but the message's Sender is MINZ01001/) } }]);
  });
});

// ------------------------------------------------------------------ OpenSSL's gost engine, both ways
const engine = gostEngineAvailable();
(engine ? describe : describe.skip)('cross-checked with openssl cms and the gost engine', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'smev2-zip-openssl-'));
    writeFileSync(join(dir, 'doc.xml'), DOCUMENT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(ALGORITHMS)('%s: our .sig verifies with openssl cms -verify', (alg) => {
    const id = identity(alg);
    writeFileSync(join(dir, `${alg}.sig`), signFile(DOCUMENT, id));
    const r = openssl(['cms', '-verify', '-engine', 'gost', '-binary', '-noverify', '-inform', 'DER', '-in', join(dir, `${alg}.sig`), '-content', join(dir, 'doc.xml'), '-out', '/dev/null']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('CMS Verification successful') });
  });

  test.each(ALGORITHMS.flatMap(([alg, label]) => [[alg, label, 'with signed attributes'], [alg, label, 'without (-noattr)']]))('%s: openssl cms -sign %s verifies with ours (%s)', async (alg, label, how) => {
    const id = identity(alg);
    const [key, cert, out] = ['key.pem', 'cert.pem', 'openssl.sig'].map((f) => join(dir, `${alg}-${f}`)) as [string, string, string];
    writeFileSync(key, id.pem);
    writeFileSync(cert, id.certPem);
    const args = ['cms', '-sign', '-engine', 'gost', '-binary', '-in', join(dir, 'doc.xml'), '-signer', cert, '-inkey', key, '-outform', 'DER', '-out', out];
    const r = openssl(how.startsWith('without') ? [...args, '-noattr'] : args);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    const v = fileOf(await signedZip(DOCUMENT, readFileSync(out)), 'doc.xml')!.signature!;
    expect(v).toMatchObject({ outcome: 'ok', algorithm: label });
    const changed = Buffer.from(DOCUMENT);
    changed[7] ^= 0x20;
    expect(fileOf(await signedZip(changed, readFileSync(out)), 'doc.xml')!.signature!.outcome).toBe('fail');
  });
});

// ------------------------------------------------------------------ ZIPs refused
/** Replace every occurrence of `from` by `to` (same length) in a ZIP: names yazl would not write. */
function patchName(zip: Buffer, from: string, to: string): Buffer {
  expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to));
  const out = Buffer.from(zip);
  const f = Buffer.from(from);
  for (let at = out.indexOf(f); at >= 0; at = out.indexOf(f, at + 1)) Buffer.from(to).copy(out, at);
  return out;
}

/** The offset of the central directory entry of `name`. */
function centralEntry(zip: Buffer, name: string): number {
  for (let at = zip.indexOf(Buffer.from('504b0102', 'hex')); at >= 0; at = zip.indexOf(Buffer.from('504b0102', 'hex'), at + 4)) {
    if (zip.toString('utf8', at + 46, at + 46 + zip.readUInt16LE(at + 28)) === name) return at;
  }
  throw new Error(`no central directory entry ${name}`);
}

const bomb = (r: ZipReport) => {
  expect(r.files).toEqual([]);
  expect(faults(r)).toEqual(['attachmentZipBomb']);
  return String(r.problems[0]!.params.reason);
};
const broken = (r: ZipReport) => {
  expect(faults(r)).toEqual(['attachmentZipBroken']);
  expect(r.problems[0]!.params.where).toBe('the test message');
  return String(r.problems[0]!.params.reason);
};

describe('zip bombs are refused before inflating, and while inflating (GW-5006)', () => {
  test('more entries than the limit', async () => {
    const zip = await buildZip(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, bytes: Buffer.from(`file ${i}`) })));
    expect(bomb(await inspectZip({ bytes: zip }, { ...O, limits: { ...DEFAULT_ZIP_LIMITS, maxEntries: 10 } }))).toBe('11 entries, more than the limit of 10 (SMEV2_ZIP_MAX_ENTRIES)');
  });

  test('an entry whose declared ratio is past the limit (10 MiB of zeros)', async () => {
    const zip = await buildZip([{ name: 'ok.txt', bytes: Buffer.from('fine') }, { name: 'zeros.bin', bytes: Buffer.alloc(10 * 1024 * 1024) }]);
    expect(bomb(await inspectZip({ bytes: zip }, O))).toMatch(/^entry "zeros\.bin" declares 10,485,760 bytes from [\d,]+ compressed, a ratio of [\d,.]+, more than the limit of 200 \(SMEV2_ZIP_MAX_RATIO\)$/);
  });

  test('more declared bytes together than the limit', async () => {
    const zip = await buildZip([1, 2, 3].map((i) => ({ name: `r${i}.bin`, bytes: randomBytes(512 * 1024) })));
    expect(bomb(await inspectZip({ bytes: zip }, { ...O, limits: { ...DEFAULT_ZIP_LIMITS, maxBytes: 1024 * 1024 } })))
      .toBe('its entries declare more than 1,048,576 bytes uncompressed together (1,572,864 by entry "r3.bin"), the limit (SMEV2_ZIP_MAX_BYTES)');
  });

  test('a lying header: the entry inflates past the size its central directory declares', async () => {
    const text = Buffer.from(randomBytes(50_000).toString('hex'));
    const zip = await buildZip([{ name: 'liar.txt', bytes: text }]);
    zip.writeUInt32LE(1000, centralEntry(zip, 'liar.txt') + 24); // uncompressed size
    expect(bomb(await inspectZip({ bytes: zip }, O))).toMatch(/^entry liar\.txt: too many bytes in the stream\. expected 1000\. got at least \d+$/);
  });

  test('the inflate meter holds the limits on its own, whatever the library counted', () => {
    const entry = (name: string, uncompressedSize: number, compressedSize: number) => ({ name, uncompressedSize, compressedSize }) as ZipEntry;
    const limits = { maxEntries: 10, maxRatio: 100, maxBytes: 3000 };
    const refusal = (feed: () => void) => {
      try {
        feed();
      } catch (e) {
        expect(e).toBeInstanceOf(ZipReadError);
        expect((e as ZipReadError).kind).toBe('bomb');
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refusal(() => new InflateMeter(limits).counter(entry('a', 10, 5))(Buffer.alloc(11))))
      .toBe('entry "a" inflates to more than the 10 bytes its header declares (11 so far): a lying header');
    expect(refusal(() => new InflateMeter(limits).counter(entry('b', 5000, 10))(Buffer.alloc(1001))))
      .toBe('entry "b" inflates 10 compressed bytes to 1,001 so far, a ratio of 100.1, more than the limit of 100 (SMEV2_ZIP_MAX_RATIO)');
    const meter = new InflateMeter(limits);
    meter.counter(entry('c', 2000, 1000))(Buffer.alloc(2000));
    expect(refusal(() => meter.counter(entry('d', 2000, 1000))(Buffer.alloc(1001))))
      .toBe('its entries inflate to more than 3,000 bytes together (at entry "d"), the limit (SMEV2_ZIP_MAX_BYTES)');
  });

  test.each([
    ['../evil.xml', 'climbs out of the archive (a ".." segment)'],
    ['/etc/cron.d', 'is an absolute path'],
    ['..\\..\\evil.xml', 'climbs out of the archive (a ".." segment, with backslashes)'],
    ['C:\\boot.ini', 'is an absolute path (a drive letter)'],
  ])('a name outside the archive: %s', async (name, why) => {
    const placeholder = 'X'.repeat(name.length);
    const zip = patchName(await buildZip([{ name: placeholder, bytes: Buffer.from('x') }]), placeholder, name);
    expect(bomb(await inspectZip({ bytes: zip }, O))).toBe(`entry "${name}" ${why}`);
  });

  test('a backslash name that stays inside is listed, not refused', async () => {
    const zip = patchName(await buildZip([{ name: 'dirXfile.xml', bytes: Buffer.from('x') }]), 'dirXfile.xml', 'dir\\file.xml');
    const r = await inspectZip({ bytes: zip }, O);
    expect(r.problems).toEqual([]);
    expect(r.files.map((f) => f.name)).toEqual(['dir\\file.xml']);
  });
});

describe('ZIPs that do not read are refused as broken (GW-5005)', () => {
  test('not a ZIP at all', async () => {
    expect(broken(await inspectZip({ bytes: randomBytes(300) }, O))).toMatch(/^End of central directory record signature not found/);
  });

  test('empty input', async () => {
    expect(broken(await inspectZip({ bytes: Buffer.alloc(0) }, O))).toMatch(/^End of central directory record signature not found/);
  });

  test('truncated: the first half of a ZIP', async () => {
    const zip = await buildZip([{ name: 'doc.xml', bytes: DOCUMENT }]);
    expect(broken(await inspectZip({ bytes: zip.subarray(0, zip.length >> 1) }, O))).toMatch(/^End of central directory record signature not found/);
  });

  test('a stored entry with one byte changed: its CRC-32 does not match', async () => {
    const zip = Buffer.from(await new Promise<Buffer>((resolve) => {
      // yazl stores when asked to (compress: false): the data is then the file's bytes as they are
      const yazl = require('yazl') as typeof import('yazl');
      const z = new yazl.ZipFile();
      z.addBuffer(Buffer.from('the stored file, to be damaged'), 'stored.txt', { compress: false });
      z.end();
      const parts: Buffer[] = [];
      z.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts)));
    }));
    zip[zip.indexOf('damaged')] ^= 0x01;
    expect(broken(await inspectZip({ bytes: zip }, O))).toMatch(/^entry stored\.txt: CRC-32 of its data is 0x[0-9a-f]{8}, its header says 0x[0-9a-f]{8}$/);
  });

  test('deflated data damaged: the library\'s reason', async () => {
    const zip = await buildZip([{ name: 'doc.xml', bytes: DOCUMENT }]);
    const start = 30 + 'doc.xml'.length;
    for (let i = start + 10; i < start + 40; i++) zip[i] ^= 0xff;
    expect(broken(await inspectZip({ bytes: zip }, O))).toMatch(/^entry doc\.xml: /);
  });

  test('two entries of one name', async () => {
    const zip = patchName(await buildZip([{ name: 'a.xml', bytes: Buffer.from('1') }, { name: 'b.xml', bytes: Buffer.from('2') }]), 'b.xml', 'a.xml');
    expect(broken(await inspectZip({ bytes: zip }, O))).toBe('two entries are named "a.xml"');
  });
});

describe('signatures required, and .sig files without their file', () => {
  test('requireSignatures: a file without .sig is GW-5008; without the setting it is listed only', async () => {
    const id = identity('gost2012-256');
    const zip = await buildZip([
      { name: 'signed.xml', bytes: DOCUMENT },
      { name: 'signed.xml.sig', bytes: signFile(DOCUMENT, id) },
      { name: 'scan.pdf', bytes: Buffer.from('%PDF-1.4 not really') },
    ]);
    const strict = await inspectZip({ bytes: zip }, { ...O, requireSignatures: true });
    expect(strict.problems).toEqual([{ fault: 'attachmentUnsigned', params: { file: 'scan.pdf' } }]);
    expect(strict.files.map((f) => [f.name, f.kind, f.signature?.outcome])).toEqual([['signed.xml', 'file', 'ok'], ['signed.xml.sig', 'signature', undefined], ['scan.pdf', 'file', undefined]]);
    expect((await inspectZip({ bytes: zip }, O)).problems).toEqual([]);
  });

  test('a .sig whose file is not in the archive is GW-5007', async () => {
    const zip = await buildZip([{ name: 'gone.xml.sig', bytes: signFile(DOCUMENT, identity('rsa')) }]);
    expect((await inspectZip({ bytes: zip }, O)).problems).toEqual([{ fault: 'attachmentSignatureInvalid', params: { sig: 'gone.xml.sig', file: 'gone.xml', reason: 'the file it signs, gone.xml, is not in the archive' } }]);
  });

  test('every entry is listed with its size and SHA-256; a file path gives the same report as the bytes', async () => {
    const zip = await buildZip([{ name: 'doc.xml', bytes: DOCUMENT }, { name: 'doc.xml.sig', bytes: signFile(DOCUMENT, identity('gost2001')) }]);
    const dir = mkdtempSync(join(tmpdir(), 'smev2-zip-path-'));
    try {
      writeFileSync(join(dir, 'a.zip'), zip);
      const fromPath = await inspectZip({ path: join(dir, 'a.zip') }, O);
      expect(fromPath).toEqual(await inspectZip({ bytes: zip }, O));
      expect(fromPath.size).toBe(zip.length);
      expect(fromPath.files[0]).toMatchObject({ name: 'doc.xml', size: DOCUMENT.length, sha256: require('node:crypto').createHash('sha256').update(DOCUMENT).digest('hex'), kind: 'file' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the request manifest req_<RequestCode>.xml against the request/rev111111 schema (GW-5009)', () => {
  const NS = 'http://smev.gosuslugi.ru/request/rev111111';
  const manifest = (doc: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><req:AppliedDocuments xmlns:req="${NS}">${doc}</req:AppliedDocuments>`);
  const DOC = '<req:AppliedDocument><req:Name>Паспорт</req:Name><req:URL>doc.xml</req:URL><req:Type>text/xml</req:Type></req:AppliedDocument>';
  const code = 'req_5e1b7f8a-6d6a-4c2a-9a4e-0c1f0d4e2b11.xml';

  test('a valid manifest: schema ok', async () => {
    const f = fileOf(await inspectZip({ bytes: await buildZip([{ name: code, bytes: manifest(DOC) }]) }, O), code)!;
    expect(f).toMatchObject({ kind: 'request', schema: { outcome: 'ok', namespace: NS } });
  });

  test('a manifest without URL: GW-5009 naming the schema error', async () => {
    const r = await inspectZip({ bytes: await buildZip([{ name: code, bytes: manifest(DOC.replace('<req:URL>doc.xml</req:URL>', '')) }]) }, O);
    expect(fileOf(r, code)!.schema).toMatchObject({ outcome: 'fail', reason: expect.stringContaining('Type') });
    expect(r.problems).toEqual([{ fault: 'attachmentManifestInvalid', params: { file: code, namespace: NS, reason: expect.stringMatching(/line 1: .*Type/) } }]);
  });

  test('a manifest that is not well-formed: GW-5009', async () => {
    const r = await inspectZip({ bytes: await buildZip([{ name: code, bytes: Buffer.from(manifest(DOC).toString().replace('</req:AppliedDocuments>', '')) }]) }, O);
    expect(r.problems).toEqual([{ fault: 'attachmentManifestInvalid', params: { file: code, namespace: NS, reason: expect.stringMatching(/^not well-formed XML: /) } }]);
  });

  test('a document of another namespace under that name is not judged', async () => {
    const r = await inspectZip({ bytes: await buildZip([{ name: code, bytes: Buffer.from('<Request_Reestr><eDocument/></Request_Reestr>') }]) }, O);
    expect(fileOf(r, code)!.schema).toBeUndefined();
    expect(r.problems).toEqual([]);
  });
});
