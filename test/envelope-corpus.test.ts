import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope, readEnvelopeView } from '../src/envelope/parse';
import { CORPUS, corpusAvailable } from './support/paths';

const REV = /^http:\/\/smev\.gosuslugi\.ru\/(rev110801|rev111111|rev120315)$/;

/** An independent reading with xmldom: what a careful person would read off the file. */
function reference(xml: string) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const all = Array.from(doc.getElementsByTagNameNS('*', 'Message')).filter((e) => REV.test(e.namespaceURI ?? ''));
  const msg = all[0] as Element | undefined;
  const child = (el: Element | undefined, name: string) =>
    el ? (Array.from(el.childNodes).find((n) => (n as Element).localName === name) as Element | undefined) : undefined;
  const txt = (el: Element | undefined) => el?.textContent?.trim();
  return {
    revision: msg ? REV.exec(msg.namespaceURI!)![1] : undefined,
    status: txt(child(msg, 'Status')),
    sender: txt(child(child(msg, 'Sender'), 'Code')),
    recipient: txt(child(child(msg, 'Recipient'), 'Code')),
    fault: doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Fault').length > 0,
  };
}

const available = corpusAvailable();
const dir = join(CORPUS, 'envelopes');
const files = available ? readdirSync(dir).filter((f) => f.endsWith('.xml')).sort() : [];

beforeAll(async () => {
  await loadXml();
});

(available ? describe : describe.skip)(`every corpus envelope parses (${dir})`, () => {
  test('the corpus has envelopes', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  test.each(files)('%s', (file) => {
    const raw = readFileSync(join(dir, file));
    const ref = reference(raw.toString('utf8'));
    const view = readEnvelopeView(raw);
    expect(view.raw).toBe(raw);
    if (ref.fault) {
      expect(view.fault).toBeDefined();
      return;
    }
    expect(view.revision).toBe(ref.revision);
    expect(view.message?.status).toBe(ref.status);
    expect(view.message?.sender?.code).toBe(ref.sender);
    expect(view.message?.recipient?.code).toBe(ref.recipient);
    // the Methodological Recommendations' template has an empty Body: no operation, no Message
    expect(view.operation === undefined).toBe(ref.revision === undefined);
  });

  test('known values of a real FSS request', () => {
    const v = readEnvelopeView(readFileSync(join(dir, 'gws-core__fss-request-1.xml')));
    expect(v).toMatchObject({
      revision: 'rev111111',
      bodyId: 'body',
      operation: { ns: 'http://fss.ru/SvedRegisterNoPosob/request', local: 'request' },
      message: { status: 'REQUEST', sender: { code: 'PNZR01581' }, recipient: { code: 'FSSR01001', name: 'ФСС России' }, typeCode: 'GSRV', exchangeType: '2', caseNumber: '5049acede4b019163c328dd0' },
      hasAppData: true,
    });
    expect(v.security).toEqual([{ actor: 'http://smev.gosuslugi.ru/actors/smev', hasSignature: true, hasToken: true }]);
  });

  test('a node response carries smev:Header and both actors', () => {
    const v = readEnvelopeView(readFileSync(join(dir, 'Aziaev-fnregistry__test.xsl.xml')));
    expect(v.header).toMatchObject({ nodeId: '99', messageId: '710aab39-40f9-4039-be05-dbe87d0acc09', messageClass: 'RESPONSE' });
    expect(v.security.map((s) => s.actor)).toEqual(['http://smev.gosuslugi.ru/actors/recipient', 'http://smev.gosuslugi.ru/actors/smev']);
    expect(v.message).toMatchObject({ status: 'PROCESS', testMsg: '', originRequestIdRef: '710aab39-40f9-4039-be05-dbe87d0acc09' });
  });

  test('the SOAP fault file is read as a fault', () => {
    const v = readEnvelopeView(readFileSync(join(dir, 'gws-core__fault-2.xml')));
    expect(v.fault).toEqual({ faultcode: 'SOAP-ENV:Client', faultstring: 'Бла бла бла', code: undefined });
    expect(v.message).toBeUndefined();
  });

  test('every revision of the corpus is recognised', () => {
    const revs = new Set(files.map((f) => readEnvelopeView(readFileSync(join(dir, f))).revision).filter(Boolean));
    expect([...revs].sort()).toEqual(['rev110801', 'rev111111', 'rev120315']);
  });

  test('parsing keeps the original bytes and the document can be disposed', () => {
    const raw = readFileSync(join(dir, 'gws-core__fss-request-1.xml'));
    const copy = Buffer.from(raw);
    const p = parseEnvelope(raw);
    expect(p.appDataElement?.name).toBe('AppData');
    p.doc.dispose();
    expect(raw.equals(copy)).toBe(true);
  });
});
