import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/gateway';
import { ECHO_BUNDLE } from './support/registry';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';

/** The RSA path against an independent implementation: xmlsec1 (Debian), both ways. */
const XMLSEC = '/usr/bin/xmlsec1';
const haveXmlsec = existsSync(XMLSEC);
if (!haveXmlsec) {
  if (process.env.CI === 'true') throw new Error('xmlsec1 is not installed: the Debian package xmlsec1 (.ci/run installs it)');
  process.stderr.write('xmlsec1 not installed (Debian package xmlsec1): the RSA cross-check is not run\n');
}

const ID_ATTRS = ['--id-attr:Id', 'http://schemas.xmlsoap.org/soap/envelope/:Body'];
const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');

function ours(xml: string) {
  const p = parseEnvelope(Buffer.from(xml));
  try {
    return verifyEnvelopeSignatures(p).map((b) => ({ ok: b.ok, reason: b.reason }));
  } finally {
    p.doc.dispose();
  }
}

(haveXmlsec ? describe : describe.skip)('RSA-SHA256 signatures agree with xmlsec1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-xmlsec-'));
  beforeAll(async () => {
    await loadXml();
    expect((await runCli(['keys', 'ca', 'RSA test CA', '--out', dir, '--alg', 'rsa'])).code).toBe(0);
    expect((await runCli(['keys', 'system', 'MINZ01001', '--out', dir, '--alg', 'rsa'])).code).toBe(0);
  });
  const xmlsecVerify = (file: string) => spawnSync(XMLSEC, ['--verify', ...ID_ATTRS, '--pubkey-cert-pem', join(dir, 'MINZ01001.pem'), file], { encoding: 'utf8' });

  test('signed by the gateway: xmlsec1 verifies it, and refuses it once the Body changes', async () => {
    const res = await runCli(['sign', join(ECHO_BUNDLE, 'request.xml'), '--key', join(dir, 'MINZ01001.key'), '--cert', join(dir, 'MINZ01001.pem'), '--out', join(dir, 'ours.xml')]);
    expect(res.code).toBe(0);
    const signed = readFileSync(join(dir, 'ours.xml'), 'utf8');
    expect(signed).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');
    const ok = xmlsecVerify(join(dir, 'ours.xml'));
    expect(`${ok.status} ${ok.stderr}`).toMatch(/^0 [\s\S]*OK/);
    writeFileSync(join(dir, 'ours-bad.xml'), signed.replace('Привет', 'Пока'));
    expect(xmlsecVerify(join(dir, 'ours-bad.xml')).status).not.toBe(0);
    expect(ours(signed)).toEqual([{ ok: true, reason: undefined }]);
  });

  test('signed by xmlsec1: the gateway verifies it, and refuses it once the Body changes', () => {
    const template = REQUEST.replace('<soapenv:Header/>', `<soapenv:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" soapenv:actor="http://smev.gosuslugi.ru/actors/smev">
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="#body"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>
</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature></wsse:Security></soapenv:Header>`);
    writeFileSync(join(dir, 'template.xml'), template);
    execFileSync(XMLSEC, ['--sign', ...ID_ATTRS, '--privkey-pem', `${join(dir, 'MINZ01001.key')},${join(dir, 'MINZ01001.pem')}`, '--output', join(dir, 'theirs.xml'), join(dir, 'template.xml')]);
    const signed = readFileSync(join(dir, 'theirs.xml'), 'utf8');
    expect(signed).toMatch(/<ds:SignatureValue>[A-Za-z0-9+/=\s]{100,}<\/ds:SignatureValue>/);
    expect(ours(signed)).toEqual([{ ok: true, reason: undefined }]);
    expect(ours(signed.replace('Привет', 'Пока'))[0]!.ok).toBe(false);
  });
});
