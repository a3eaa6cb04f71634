import { cpSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, runCli, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { ROOT } from './support/paths';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const SMEV_ACTOR = 'http://smev.gosuslugi.ru/actors/smev';
const NODE_ACTOR = 'http://smev.gosuslugi.ru/actors/recipient';
const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** Every Security block of a message with its verdict, as the gateway's verifier sees it. */
function blocks(xml: string | Buffer) {
  const p = parseEnvelope(Buffer.from(xml));
  try {
    return verifyEnvelopeSignatures(p).map((b) => ({ actor: b.actor, ok: b.ok, reason: b.reason, cn: b.certificate?.subject.find((a) => a.oid === '2.5.4.3')?.value }));
  } finally {
    p.doc.dispose();
  }
}
const securityBlock = (xml: string, actor: string) => new RegExp(`<wsse:Security [^>]*actor="${actor.replace(/[./]/g, '\\$&')}"[^>]*>[\\s\\S]*?</wsse:Security>`).exec(xml)?.[0];

describe('signatures on every leg, as the node does them', () => {
  let gw: GatewayProcess;
  let expiredClock: GatewayProcess;
  let capture: Upstream, tampered: Upstream;
  /** what the capturing provider answers: the echo answer signed by ECHO01001 */
  let signedAnswer = ANSWER;
  const work = tmp('smev2-sig-');
  const systems = join(work, 'systems');

  async function sign(xml: string, as: string, keys = gw.keys): Promise<string> {
    const file = join(work, `in-${Math.random()}.xml`);
    writeFileSync(file, xml);
    const res = await runCli(['sign', file, '--as', as, '--keys', keys]);
    if (res.code !== 0) throw new Error(res.stderr);
    return res.stdout;
  }

  beforeAll(async () => {
    await loadXml();
    cpSync(join(ROOT, 'systems'), systems, { recursive: true });
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\nissuers: ["@keys/demo-ca.pem"]\ndemo: true\n');
    capture = await startUpstream((_b, _q, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(signedAnswer));
    let badAnswer = ANSWER;
    tampered = await startUpstream((_b, _q, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(badAnswer));
    const registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0600001', { type: 'emulator', cases: 'cases' }), signature: 'enforce' } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0600002', { type: 'http', url: capture.url }), signature: 'enforce' } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0600003', { type: 'emulator', cases: 'cases' }), signature: 'report' } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0600004', { type: 'emulator', cases: 'cases' }), signature: 'off' } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0600005', { type: 'http', url: tampered.url }), signature: 'enforce' } },
    ]);
    for (const sid of ['SID0600001', 'SID0600003', 'SID0600004']) {
      mkdirSync(join(registry, sid, 'cases', 'any'), { recursive: true });
      writeFileSync(join(registry, sid, 'cases', 'any', 'case.yaml'), 'match: {}\n');
      writeFileSync(join(registry, sid, 'cases', 'any', 'answer.xml'), ANSWER);
    }
    gw = await startGateway({ services: registry, args: ['--systems', systems] });
    signedAnswer = await sign(ANSWER, 'ECHO01001');
    badAnswer = signedAnswer.replace('>echo<', '>forged<');
    expiredClock = await startGateway({ services: registry, args: ['--systems', systems, '--keys', gw.keys, '--clock', '2099-01-01T00:00:00Z'] });
  }, 60000);

  afterAll(async () => {
    await gw?.stop();
    await expiredClock?.stop();
    await capture?.close();
    await tampered?.close();
  });

  const call = (sid: string, body: string, g = gw) => post(`${g.url}/gateway/services/${sid}`, body);
  const lastExchange = async (sid: string) => {
    const rows = await readJournal(gw.db, 'sid = ?', [sid]);
    const id = rows[rows.length - 1]?.exchange_id;
    return rows.filter((r) => r.exchange_id === id);
  };

  test('a signed request: the provider gets the sender’s block byte for byte plus the node’s, and both verify', async () => {
    const signed = await sign(REQUEST, 'MINZ01001');
    const before = capture.requests.length;
    const res = await call('SID0600002', signed);
    expect(res.status).toBe(200);
    const fwd = capture.requests[before]!.body.toString('utf8');
    expect(securityBlock(fwd, SMEV_ACTOR)).toBe(securityBlock(signed, SMEV_ACTOR));
    expect(blocks(fwd)).toEqual([
      { actor: NODE_ACTOR, ok: true, reason: undefined, cn: 'SMEV 2 node 00' },
      { actor: SMEV_ACTOR, ok: true, reason: undefined, cn: 'MINZ01001' },
    ]);
    // and back: the provider's block as it sent it, plus the node's
    expect(securityBlock(res.text, SMEV_ACTOR)).toBe(securityBlock(signedAnswer, SMEV_ACTOR));
    expect(blocks(res.text)).toEqual([
      { actor: NODE_ACTOR, ok: true, reason: undefined, cn: 'SMEV 2 node 00' },
      { actor: SMEV_ACTOR, ok: true, reason: undefined, cn: 'ECHO01001' },
    ]);
    const legs = await lastExchange('SID0600002');
    expect(legs.map((l) => [l.direction, l.signature])).toEqual([
      ['consumer->gateway', expect.stringMatching(/^smev:ok MINZ01001 \(.*CN=MINZ01001/)],
      ['gateway->provider', 'recipient:signed by the node'],
      ['provider->gateway', expect.stringMatching(/^smev:ok ECHO01001 /)],
      ['gateway->consumer', 'recipient:signed by the node'],
    ]);
  });

  test('an emulated provider signs its answers; the consumer gets the provider’s and the node’s signatures', async () => {
    const res = await call('SID0600001', await sign(REQUEST, 'MINZ01001'));
    expect(res.status).toBe(200);
    expect(blocks(res.text).map((b) => [b.actor, b.ok, b.cn])).toEqual([[NODE_ACTOR, true, 'SMEV 2 node 00'], [SMEV_ACTOR, true, 'ECHO01001']]);
    const cli = join(work, 'answer.xml');
    writeFileSync(cli, res.text);
    const v = await runCli(['verify', cli, '--systems', systems, '--keys', gw.keys]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/sender: smev:ok ECHO01001/);
    expect(v.stdout).toMatch(/message: ok$/m);
  });

  const refused = async (sid: string, body: string, code: RegExp, g = gw) => {
    const before = capture.requests.length;
    const res = await call(sid, body, g);
    expect(res.status).toBe(500);
    expect(faultstring(res.text)).toMatch(code);
    expect(capture.requests.length).toBe(before);
    return res;
  };

  test('no signature: SMEV-100008', async () => {
    await refused('SID0600002', REQUEST, /^SMEV-100008: /);
    expect((await lastExchange('SID0600002')).map((l) => [l.direction, l.signature, l.fault_code])).toEqual([
      ['consumer->gateway', 'absent', null], ['gateway->consumer', null, 'SMEV-100008'],
    ]);
  });

  test('a Body changed after signing: SMEV-100003 naming the digest', async () => {
    const signed = await sign(REQUEST, 'MINZ01001');
    await refused('SID0600002', signed.replace('Привет', 'Пока'), /^SMEV-100003: Invalid signature \(http:\/\/smev\.gosuslugi\.ru\/actors\/smev\): reference #body: the DigestValue does not match the Body/);
  });

  test('a SignatureValue changed: SMEV-100003', async () => {
    const signed = await sign(REQUEST, 'MINZ01001');
    const forged = signed.replace(/<ds:SignatureValue>(.)/, (_m, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`);
    await refused('SID0600002', forged, /^SMEV-100003: .*the SignatureValue does not verify/);
  });

  test('signed by another system than the Sender: GW-3002', async () => {
    await refused('SID0600002', await sign(REQUEST, 'MINE01001'), /^GW-3002: The signature does not belong to the Sender: the certificate belongs to MINE01001, but the message's Sender is MINZ01001$/);
  });

  test('a certificate from a CA nobody trusts: GW-3001', async () => {
    const foreign = tmp('smev2-foreign-');
    expect((await runCli(['keys', 'ca', 'Чужой УЦ', '--out', foreign])).code).toBe(0);
    expect((await runCli(['keys', 'system', 'MINZ01001', '--out', foreign])).code).toBe(0);
    await refused('SID0600002', await sign(REQUEST, 'MINZ01001', foreign), /^GW-3001: The sender's certificate is not trusted: certificate CN=MINZ01001 \(serial [0-9a-f]+\) is not trusted for any registered system$/);
  });

  test('a certificate judged after it expired: SMEV-100005 with the node’s text', async () => {
    const res = await refused('SID0600002', await sign(REQUEST, 'MINZ01001'), /^SMEV-100005: При обработке запроса произошла ошибка: Сертификат просрочен$/, expiredClock);
    expect(res.text).toContain('soap:Client');
  });

  test('a provider answer whose signature does not verify never reaches the consumer', async () => {
    const res = await call('SID0600005', await sign(REQUEST, 'MINZ01001'));
    expect(res.status).toBe(500);
    expect(faultstring(res.text)).toMatch(/^GW-2005: The provider's answer failed signature verification: smev:fail \(reference #body[-0-9a-f]*: the DigestValue does not match the Body/);
    expect(res.text).not.toContain('forged');
    const legs = await lastExchange('SID0600005');
    expect(legs[2]).toMatchObject({ direction: 'provider->gateway', signature: expect.stringMatching(/^smev:fail/) });
    expect(legs[3]).toMatchObject({ direction: 'gateway->consumer', fault_code: 'GW-2005' });
  });

  test('policy report: an unsigned request passes and the verdict is journaled', async () => {
    const res = await call('SID0600003', REQUEST);
    expect(res.status).toBe(200);
    expect((await lastExchange('SID0600003'))[0]!.signature).toBe('report: absent');
  });

  test('policy off: nothing is checked, the node still signs', async () => {
    const res = await call('SID0600004', REQUEST.replace('<soapenv:Body wsu:Id="body"', '<soapenv:Body'));
    expect(res.status).toBe(200);
    expect((await lastExchange('SID0600004')).map((l) => l.signature)).toEqual(['not checked (policy off)', 'recipient:signed by the node', 'not checked (policy off)', 'recipient:signed by the node']);
    expect(blocks(res.text).find((b) => b.actor === NODE_ACTOR)?.ok).toBe(true);
  });

  describe('XML signature wrapping is refused (SMEV-100003)', () => {
    let signed: string;
    beforeAll(async () => {
      signed = await sign(REQUEST, 'MINZ01001');
    });
    const bodyOf = (s: string) => /<soapenv:Body[\s\S]*<\/soapenv:Body>/.exec(s)![0];

    test('the signed Body moved into a header wrapper, a forged Body in its place', async () => {
      const original = bodyOf(signed);
      const forged = original.replace(' wsu:Id="body"', '').replace('Привет &amp; hello', 'forged');
      const xml = signed.replace(original, forged).replace('<soapenv:Header>', `<soapenv:Header><w:Wrapper xmlns:w="urn:evil">${original}</w:Wrapper>`);
      await refused('SID0600002', xml, /^SMEV-100003: .*(2 soap:Body elements|not the envelope's soap:Body)/);
    });

    test('the signed Body renamed and kept in the header, the forged Body carrying the same id', async () => {
      const original = bodyOf(signed);
      const hidden = original.replace(/soapenv:Body/g, 'w:Hidden').replace('<w:Hidden', '<w:Hidden xmlns:w="urn:evil"');
      const forged = original.replace('Привет &amp; hello', 'forged');
      const xml = signed.replace(original, forged).replace('<soapenv:Header>', `<soapenv:Header>${hidden}`);
      await refused('SID0600002', xml, /^SMEV-100003: .*the id body is carried by 2 elements/);
    });

    test('a second Body after the signed one', async () => {
      const xml = signed.replace('</soapenv:Body>', '</soapenv:Body><soapenv:Body><e:EchoRequest xmlns:e="urn:test:echo"/></soapenv:Body>');
      const res = await call('SID0600002', xml);
      expect(res.status).toBe(500);
      expect(faultstring(res.text)).toMatch(/^SMEV-100003: .*2 soap:Body elements/);
    });

    test('a reference to another element than the Body or smev:Header', async () => {
      const withId = REQUEST.replace('<smev:AppData>', '<smev:AppData wsu:Id="appdata">');
      const s = await sign(withId, 'MINZ01001');
      const xml = s.replace('URI="#body"', 'URI="#appdata"');
      await refused('SID0600002', xml, /^SMEV-100003: .*resolves to \{http:\/\/smev\.gosuslugi\.ru\/rev111111\}AppData, not the envelope's soap:Body or smev:Header/);
    });
  });
});
