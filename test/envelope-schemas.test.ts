// The project's own SMEV 2 envelope schemas (xsd/) against the official ones (../shared/smev2/xsd):
// both sets are compiled with libxml2 through an input provider that serves local files only,
// and every SMEV block of the corpus and of a generated set of mutated envelopes must get the
// same verdict (valid or invalid) from ours as from the official schema of the same revision
// and variant. See docs/envelope-schemas.md.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadXml, xml, safeParseOptions, type XmlDocument, type XmlElement } from '../src/xml/libxml';
import { CORPUS, ROOT, SHARED, corpusAvailable } from './support/paths';
import { envelopeCases, manifestCases, NS, type Block, type Revision } from './support/mutations';

type Lib = Awaited<ReturnType<typeof loadXml>>;
type XsdValidator = InstanceType<Lib['XsdValidator']>;
type XmlInputProvider = Parameters<Lib['xmlRegisterInputProvider']>[0];

const OURS = join(ROOT, 'xsd');
const OFFICIAL = join(SHARED, 'xsd');

interface Variant {
  id: string;
  schema: string;
  imports: string[];
}
interface Manifest {
  format: number;
  namespaces: Record<string, { revision: string; validate: string[]; rule: string; variants: Variant[] }>;
  files: string[];
}
const manifest = JSON.parse(readFileSync(join(OURS, 'index.json'), 'utf8')) as Manifest;

/** The official schema each of ours mirrors (file names as they are in ../shared/smev2/xsd). */
const OFFICIAL_OF: Record<string, string[]> = {
  rev110801: ['smev-r110801.xsd'],
  rev111111: ['smev-r111111-v1.0.xsd'],
  'rev111111-oktmo': ['smev-r111111-oktmo-variant.xsd'],
  rev120315: ['smev-r120315-v2.5.6.xsd'],
  'rev120315-service': ['smev-r120315-v2.5.3-service-variant.xsd'],
  // the three published copies of the manifest schema differ only in their version attribute
  'request-rev111111': ['smev-request-r111111-v1.0.xsd', 'smev-request-r111111-v2.4.xsd', 'smev-request-r111111-v2.4.4-variant.xsd'],
};

function officialAvailable(): boolean {
  const ok = Object.values(OFFICIAL_OF).every((files) => files.every((f) => existsSync(join(OFFICIAL, f))));
  if (!ok) {
    const msg = `official SMEV 2 schemas not found at ${OFFICIAL} (expected ../shared/smev2/xsd beside the project)`;
    if (process.env.CI === 'true') throw new Error(`${msg}: CI must have them`);
    process.stderr.write(`${msg}: schema comparison not run\n`);
  }
  return ok;
}

/**
 * Serves .xsd files from the allowed folders only, and nothing else: no URL scheme other than
 * file:, no relative name, no path outside the folders. Every name libxml2 asks for is
 * recorded, and every refusal too. `aliases` maps a missing file to a present one (the two
 * spyne-smev variants import "xop-include.xsd", which their publication ships as include.xsd).
 */
class LocalSchemaFiles implements XmlInputProvider {
  roots: string[] = [];
  aliases = new Map<string, string>();
  readonly asked: string[] = [];
  readonly refused: string[] = [];
  private readonly files = new Map<number, { buf: Buffer; off: number }>();
  private nextFd = 1;

  resolve(name: string): string | undefined {
    let p: string;
    if (name.startsWith('file://')) {
      try {
        p = fileURLToPath(name);
      } catch {
        return undefined;
      }
    } else if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(name)) {
      return undefined; // http:, https:, ftp:, urn:, data:, ...
    } else {
      p = name;
    }
    if (!isAbsolute(p)) return undefined;
    p = normalize(p);
    p = this.aliases.get(p) ?? p;
    if (!p.endsWith('.xsd') || !this.roots.some((r) => p.startsWith(r + sep))) return undefined;
    return existsSync(p) ? p : undefined;
  }

  match = (name: string): boolean => {
    this.asked.push(name);
    const ok = this.resolve(name) !== undefined;
    if (!ok) this.refused.push(name);
    return ok;
  };

  open = (name: string): number | undefined => {
    const p = this.resolve(name);
    if (!p) return undefined;
    const fd = this.nextFd++;
    this.files.set(fd, { buf: readFileSync(p), off: 0 });
    return fd;
  };

  read = (fd: number, buf: Uint8Array): number => {
    const f = this.files.get(fd);
    if (!f) return -1;
    const n = Math.min(buf.byteLength, f.buf.length - f.off);
    buf.set(f.buf.subarray(f.off, f.off + n));
    f.off += n;
    return n;
  };

  close = (fd: number): boolean => {
    this.files.delete(fd);
    return true;
  };
}

const provider = new LocalSchemaFiles();

/** A compiled schema. libxml2's compiled schema points into its document: both live together. */
interface Compiled {
  doc: XmlDocument;
  validator: XsdValidator;
  /** the files libxml2 opened to compile it (the schema itself first) */
  opened: string[];
}
const compiled: Compiled[] = [];

function compile(file: string, roots: string[]): Compiled {
  const { XmlDocument, XsdValidator, ParseOption: P } = xml();
  provider.roots = roots;
  const before = provider.asked.length;
  const refusedBefore = provider.refused.length;
  const doc = XmlDocument.fromBuffer(readFileSync(file), { url: file, option: P.XML_PARSE_NONET | P.XML_PARSE_NO_XXE });
  try {
    const validator = XsdValidator.fromDoc(doc);
    const c: Compiled = { doc, validator, opened: [file, ...provider.asked.slice(before)] };
    compiled.push(c);
    // a refused import would compile silently without it (and its lax wildcards would change)
    expect(provider.refused.slice(refusedBefore)).toEqual([]);
    return c;
  } catch (e) {
    doc.dispose();
    throw e;
  }
}

type Verdict = { ok: true } | { ok: false; error: string };

/** Parse afresh for every validation: libxml2 keeps the xs:ID values a validation saw in the
 * document, so a second validation of another block of the same document could fail on them. */
function verdict(v: XsdValidator, text: Buffer | string, pick: (doc: XmlDocument) => XmlElement): Verdict {
  const { XmlDocument, XmlValidateError } = xml();
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const doc = XmlDocument.fromBuffer(buf, { option: safeParseOptions() });
  try {
    v.validate(pick(doc));
    return { ok: true };
  } catch (e) {
    if (e instanceof XmlValidateError) {
      const d = e.details[0];
      return { ok: false, error: d ? `line ${d.line}: ${d.message.trim()}` : e.message };
    }
    throw e; // an internal error is not a verdict
  } finally {
    doc.dispose();
  }
}

const BLOCKS = ['Message', 'MessageData', 'Header'];
const REV_NS = [NS.rev110801, NS.rev111111, NS.rev120315];
const BLOCK_XPATH =
  `//*[${BLOCKS.map((b) => `local-name()='${b}'`).join(' or ')}]` + `[${REV_NS.map((n) => `namespace-uri()='${n}'`).join(' or ')}]`;

function nthBlock(i: number) {
  return (doc: XmlDocument): XmlElement => {
    const el = doc.find(BLOCK_XPATH)[i];
    if (!el || !(el instanceof xml().XmlElement)) throw new Error(`no block #${i}`);
    return el;
  };
}

function firstBlock(ns: string, block: Block) {
  return (doc: XmlDocument): XmlElement => {
    const el = doc.get(`//*[local-name()='${block}'][namespace-uri()='${ns}']`);
    if (!el || !(el instanceof xml().XmlElement)) throw new Error(`no ${block} in ${ns}`);
    return el;
  };
}

const rootElement = (doc: XmlDocument): XmlElement => doc.root;

interface Pair {
  variant: string;
  ours: XsdValidator;
  official: { file: string; validator: XsdValidator }[];
}
const pairs = new Map<string, Pair>(); // by variant id

interface Row {
  source: 'corpus' | 'mutation';
  id: string;
  variant: string;
  official: Verdict;
  ours: Verdict;
}

function compare(source: Row['source'], id: string, pair: Pair, text: Buffer | string, pick: (doc: XmlDocument) => XmlElement): Row[] {
  const ours = verdict(pair.ours, text, pick);
  return pair.official.map((o) => ({ source, id: `${id} [${o.file}]`, variant: pair.variant, official: verdict(o.validator, text, pick), ours }));
}

function disagreements(rows: Row[]): string[] {
  return rows
    .filter((r) => r.official.ok !== r.ours.ok)
    .map((r) => `${r.id}: official ${r.official.ok ? 'valid' : `invalid (${r.official.error})`}, ours ${r.ours.ok ? 'valid' : `invalid (${r.ours.error})`}`);
}

const summary: string[] = [];

const haveOfficial = officialAvailable();
const haveCorpus = haveOfficial && corpusAvailable();

beforeAll(async () => {
  await loadXml();
  expect(xml().xmlRegisterInputProvider(provider)).toBe(true);
  for (const [, ns] of Object.entries(manifest.namespaces)) {
    for (const v of ns.variants) {
      const ours = compile(join(OURS, v.schema), [OURS]);
      expect(ours.opened.map((f) => basename(f)).sort()).toEqual([v.schema, ...v.imports].sort());
      const official = haveOfficial
        ? OFFICIAL_OF[v.id]!.map((f) => {
            provider.aliases = new Map([[join(OFFICIAL, 'xop-include.xsd'), join(OFFICIAL, 'include.xsd')]]);
            const c = compile(join(OFFICIAL, f), [OFFICIAL]);
            provider.aliases = new Map();
            return { file: f, validator: c.validator };
          })
        : [];
      pairs.set(v.id, { variant: v.id, ours: ours.validator, official });
    }
  }
});

afterAll(() => {
  for (const c of compiled.splice(0)) {
    c.validator.dispose();
    c.doc.dispose();
  }
  // the provider registry belongs to this test file's instance of libxml2-wasm; no file is open
  xml().xmlCleanupInputProvider();
  if (summary.length) process.stderr.write(`\nenvelope schemas, ours vs official:\n${summary.map((l) => `  ${l}\n`).join('')}`);
});

describe('the project carries its own schemas', () => {
  const xsdFiles = readdirSync(OURS).filter((f) => f.endsWith('.xsd')).sort();

  test('xsd/index.json lists every schema of xsd/, and each variant names files that exist', () => {
    expect(manifest.format).toBe(1);
    expect([...manifest.files].sort()).toEqual(xsdFiles);
    for (const [ns, entry] of Object.entries(manifest.namespaces)) {
      expect(entry.rule).toBe('any-variant');
      expect(entry.variants.length).toBeGreaterThan(0);
      for (const v of entry.variants) {
        for (const f of [v.schema, ...v.imports]) expect(xsdFiles).toContain(f);
        const target = /targetNamespace="([^"]+)"/.exec(readFileSync(join(OURS, v.schema), 'utf8'))?.[1];
        expect(target).toBe(ns);
        expect(OFFICIAL_OF[v.id]).toBeDefined();
      }
    }
    expect(Object.keys(manifest.namespaces).sort()).toEqual([NS.rev110801, NS.rev111111, NS.rev120315, NS.request].sort());
    expect(manifest.namespaces[NS.rev120315]!.variants.map((v) => v.schema)).toEqual(['smev-rev120315.xsd', 'smev-rev120315-service.xsd']);
  });

  test.each(xsdFiles)('%s: says what it is and where it comes from, imports only files of xsd/, no DOCTYPE', (f) => {
    const text = readFileSync(join(OURS, f), 'utf8');
    expect(text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!--\n {2}smev2-gateway: /);
    expect(text).toMatch(/Where its structure comes from:/);
    expect(text).not.toMatch(/<!DOCTYPE/);
    for (const m of text.matchAll(/<xs:(?:import|include|redefine)\b[^>]*>/g)) {
      const loc = /schemaLocation="([^"]*)"/.exec(m[0])?.[1];
      expect(loc).toMatch(/^[a-z0-9.-]+\.xsd$/);
      expect(xsdFiles).toContain(loc);
    }
  });

  (haveOfficial ? test : test.skip)('no schema of xsd/ is a copy of an official file', () => {
    const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
    const hash = (s: string) => createHash('sha256').update(norm(s)).digest('hex');
    const official = new Set(readdirSync(OFFICIAL).map((f) => hash(readFileSync(join(OFFICIAL, f), 'utf8'))));
    for (const f of xsdFiles) expect(official.has(hash(readFileSync(join(OURS, f), 'utf8')))).toBe(false);
  });
});

describe('nothing is fetched', () => {
  test('an import from http://, from a file outside xsd/ (by path, file: URL or ../) is refused by the provider, and the network is never reached', async () => {
    let connections = 0;
    const server = createServer((_req, res) => res.end('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:remote"/>'));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/remote.xsd`;
    // a real schema file outside xsd/, named absolutely, as a file: URL, and relatively with ../
    const outside = join(OFFICIAL, 'include.xsd');
    const fileUrl = pathToFileURL(outside).href;
    const escaping = relative(OURS, outside);
    const probe =
      '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:probe">' +
      `<xs:import namespace="urn:remote" schemaLocation="${url}"/>` +
      `<xs:import namespace="urn:outside" schemaLocation="${outside}"/>` +
      `<xs:import namespace="urn:file-url" schemaLocation="${fileUrl}"/>` +
      `<xs:import namespace="urn:escaping" schemaLocation="${escaping}"/>` +
      '<xs:element name="a" type="xs:string"/></xs:schema>';
    const { XmlDocument, XsdValidator } = xml();
    provider.roots = [OURS];
    const refusedBefore = provider.refused.length;
    const doc = XmlDocument.fromString(probe, { url: join(OURS, 'probe.xsd') });
    try {
      XsdValidator.fromDoc(doc).dispose(); // libxml2 skips an import it cannot load, with a warning
    } catch {
      // or fails the compile: either way nothing was fetched
    } finally {
      doc.dispose();
    }
    await new Promise((r) => setTimeout(r, 300)); // a connection, had one been opened, has arrived
    await new Promise((r) => server.close(r));
    expect(provider.refused.slice(refusedBefore)).toEqual(expect.arrayContaining([url, outside, fileUrl, normalize(join(OURS, escaping))]));
    expect(connections).toBe(0);
  });

  test('compiling our schemas opened files of xsd/ only', () => {
    const ours = compiled.filter((c) => c.opened[0]!.startsWith(OURS + sep));
    expect(ours.length).toBe(Object.values(manifest.namespaces).reduce((n, e) => n + e.variants.length, 0));
    for (const c of ours) for (const f of c.opened) expect(f.startsWith(OURS + sep) || f.startsWith(`file://${OURS}/`)).toBe(true);
  });
});

(haveCorpus ? describe : describe.skip)('corpus: every SMEV block of every envelope gets the official verdict', () => {
  const dir = join(CORPUS, 'envelopes');
  const rows: Row[] = [];

  beforeAll(() => {
    const { XmlDocument } = xml();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
      const raw = readFileSync(join(dir, file));
      const doc = XmlDocument.fromBuffer(raw, { option: safeParseOptions() });
      const blocks = doc.find(BLOCK_XPATH).map((n) => n as XmlElement);
      const found = blocks.map((b) => ({ ns: b.namespaceUri, name: b.name }));
      doc.dispose();
      found.forEach((b, i) => {
        for (const v of manifest.namespaces[b.ns]!.variants) {
          rows.push(...compare('corpus', `${file} #${i} ${b.name} (${b.ns.slice(-9)})`, pairs.get(v.id)!, raw, nthBlock(i)));
        }
      });
    }
  });

  test('the corpus has blocks of every revision and of every variant', () => {
    for (const v of Object.values(manifest.namespaces).flatMap((e) => e.variants)) {
      if (v.id === 'request-rev111111') continue; // manifests live inside ZIPs, not in envelopes
      expect(rows.filter((r) => r.variant === v.id).length).toBeGreaterThan(3);
    }
  });

  test('ours and official agree on every block', () => {
    expect(disagreements(rows)).toEqual([]);
    const block = (r: Row) => r.id.replace(/ \[.*\]$/, '');
    const blocks = new Set(rows.map(block));
    const rejected = [...blocks].filter((b) => rows.filter((r) => block(r) === b).every((r) => !r.official.ok));
    const invalid = rows.filter((r) => !r.official.ok).length;
    summary.push(
      `corpus: ${blocks.size} blocks, ${rows.length} comparisons (block × variant), all agree; ${invalid} comparisons invalid, ` +
        `${rejected.length} blocks invalid by every variant: ${rejected.join('; ')}`,
    );
  });
});

(haveOfficial ? describe : describe.skip)('generated mutations: ours and official agree on every case', () => {
  const cases = envelopeCases();
  const manifests = manifestCases();
  const rows: Row[] = [];
  const byVariant = new Map<string, { valid: number; invalid: number }>();

  beforeAll(() => {
    for (const c of cases) {
      for (const v of manifest.namespaces[NS[c.revision]]!.variants) {
        rows.push(...compare('mutation', `${c.id}`, pairs.get(v.id)!, c.xml, firstBlock(NS[c.revision], c.block)));
      }
    }
    for (const c of manifests) rows.push(...compare('mutation', c.id, pairs.get('request-rev111111')!, c.xml, rootElement));
    for (const r of rows) {
      const n = byVariant.get(r.variant) ?? { valid: 0, invalid: 0 };
      if (r.official.ok) n.valid++;
      else n.invalid++;
      byVariant.set(r.variant, n);
    }
  });

  test('the set is large and covers each revision and block', () => {
    expect(cases.length).toBeGreaterThan(300);
    for (const rev of ['rev110801', 'rev111111', 'rev120315'] as Revision[]) {
      for (const block of ['Message', 'MessageData', 'Header'] as Block[]) {
        expect(cases.filter((c) => c.revision === rev && c.block === block).length).toBeGreaterThan(10);
      }
    }
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  test('every variant sees both valid and invalid cases (the comparison cannot pass vacuously)', () => {
    for (const v of Object.values(manifest.namespaces).flatMap((e) => e.variants)) {
      const n = byVariant.get(v.id);
      expect({ variant: v.id, valid: (n?.valid ?? 0) > 0, invalid: (n?.invalid ?? 0) > 0 }).toEqual({ variant: v.id, valid: true, invalid: true });
    }
  });

  test('ours and official agree on every case', () => {
    expect(disagreements(rows)).toEqual([]);
    summary.push(
      `mutations: ${cases.length} envelopes + ${manifests.length} manifests, ${rows.length} comparisons, all agree; ` +
        [...byVariant].map(([v, n]) => `${v} ${n.valid} valid / ${n.invalid} invalid`).join(', '),
    );
  });

  // The behaviours docs/envelope-schemas.md relies on, pinned on named cases.
  test.each([
    ['rev111111/request/Message/status-PACKET', 'rev111111', false],
    ['rev111111/request/Message/status-PACKET', 'rev111111-oktmo', false],
    ['rev120315/request-servicename/Message/status-PACKET', 'rev120315', true],
    ['rev111111/request/Message/typecode-OTHR', 'rev111111', false],
    ['rev120315/request-servicename/Message/typecode-OTHR', 'rev120315', true],
    ['rev110801/request/Message/typecode-OTHR', 'rev110801', true],
    ['rev111111/request/Message/oktmo-at-end', 'rev111111', false],
    ['rev111111/request/Message/oktmo-at-end', 'rev111111-oktmo', true],
    ['rev111111/request/Message/oktmo-after-Sender', 'rev111111-oktmo', false],
    ['rev120315/request-servicename/Message/oktmo-at-end', 'rev120315', false],
    ['rev120315/request-servicename/Message/oktmo-at-end', 'rev120315-service', true],
    ['rev120315/request-servicename/Message/servicename-to-service', 'rev120315', false],
    ['rev120315/request-servicename/Message/servicename-to-service', 'rev120315-service', true],
    ['rev120315/request-servicename/Message/missing-ServiceName', 'rev120315', false],
    ['rev120315/request-servicename/Message/missing-ServiceName', 'rev120315-service', true],
    ['rev120315/request-servicename/Message/submessages-added', 'rev120315', true],
    ['rev111111/request/Message/submessages-added', 'rev111111', false],
    ['rev111111/request/Message/missing-ExchangeType', 'rev111111', false],
    ['rev111111/request/Message/testmsg-emptied', 'rev111111', true],
    ['rev120315/request-servicename/Message/sender-code-short', 'rev120315', true],
    ['rev120315/request-servicename/Message/sender-code-short', 'rev120315-service', false],
    ['rev120315/request-servicename/Message/missing-ServiceName-and-short-code', 'rev120315', false],
    ['rev120315/request-servicename/Message/missing-ServiceName-and-short-code', 'rev120315-service', false],
    ['rev111111/request/Header/none', 'rev111111', true],
    ['rev111111/request/Header/none', 'rev111111-oktmo', false],
    ['rev120315/packet-service/Header/none', 'rev120315', false],
    ['rev120315/packet-service/Header/none', 'rev120315-service', true],
    ['rev111111/request/MessageData/appdata-wsu-id-not-ncname', 'rev111111', false],
    ['rev111111/request/MessageData/appdata-wsu-id-not-ncname', 'rev111111-oktmo', true],
    ['rev120315/request-servicename/MessageData/appdata-signature-valid', 'rev120315', true],
    ['rev120315/result-document/MessageData/none', 'rev120315', true],
    ['rev120315/request-servicename/MessageData/appdata-signature-no-value', 'rev120315', false],
    ['rev120315/request-servicename/MessageData/appdata-signature-no-value', 'rev120315-service', true],
    ['rev110801/result-binary/MessageData/appdocument-binary-to-reference', 'rev110801', true],
    ['rev111111/result-document/MessageData/appdocument-missing-RequestCode', 'rev111111', false],
    ['rev111111/request/MessageData/appdata-xsi-type-unresolved', 'rev111111-oktmo', false],
    ['rev111111/result-document/MessageData/appdocument-bad-base64', 'rev111111', false],
    // libxml2 ignores characters outside the base64 alphabet: "!!!" is an empty base64 value
    ['rev111111/result-document/MessageData/appdocument-binary-punctuation', 'rev111111', true],
    ['request/plain-ID', 'request-rev111111', false],
    ['request/qualified-ID', 'request-rev111111', true],
  ] as const)('%s by %s: valid=%s', (id, variant, valid) => {
    const mine = rows.filter((r) => r.id.startsWith(`${id} [`) && r.variant === variant);
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) expect([r.official.ok, r.ours.ok]).toEqual([valid, valid]);
  });
});
