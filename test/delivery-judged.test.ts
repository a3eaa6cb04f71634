// The delivery worker runs the provider leg through the same stages as a synchronous exchange
// (issue 15): an answer that fails verification is never stored for a PING nor posted as a
// callback; a good one is, marked by the node.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { loadXml } from '../src/xml/libxml';
import { KeyStore } from '../src/signature/identity';
import { signEnvelope } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];

describe('guaranteed delivery judges the provider’s answer before storing it or calling back', () => {
  let gw: GatewayProcess;
  let provider: Upstream, callbacks: Upstream;
  let keys: KeyStore;
  /** what the provider does to its signed answer: nothing, or an edit after signing */
  let tamper = false;
  const work = mkdtempSync(join(tmpdir(), 'smev2-judged-'));

  beforeAll(async () => {
    await loadXml();
    provider = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'none';
      const text = /<e:Text>([^<]*)</.exec(body.toString())?.[1] ?? '';
      let answer = signEnvelope(Buffer.from(ANSWER.replace(/>REQ</g, `>${id}<`).replace('>echo<', `>${text}<`)), ACTOR.smev, keys.signer('ECHO01001')!, { header: false }).toString('utf8');
      if (tamper) answer = answer.replace(`>${text}<`, '>forged<');
      res.writeHead(200, { 'content-type': 'text/xml' }).end(answer);
    });
    callbacks = await startUpstream((_b, _q, res) => void res.writeHead(200).end('ok'));
    const systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), `mnemonic: MINZ01001\nname: Минздрав\nissuers: ["@keys/demo-ca.pem"]\ngrants: "*"\ndemo: true\ncallback: ${callbacks.url}\n`);
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\nissuers: ["@keys/demo-ca.pem"]\ndemo: true\n');
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: {
      ...echoDefinition('SID0810001', { type: 'http', url: provider.url }), signature: 'enforce',
      delivery: { mode: 'guaranteed', maxAttempts: 2, initialBackoffMs: 50, maxBackoffMs: 100, pollIntervalMs: 100 },
    } }]);
    gw = await startGateway({ services: registry, args: ['--systems', systems] });
    keys = new KeyStore(gw.keys);
  }, 60000);

  afterAll(async () => {
    await gw?.stop();
    for (const u of [provider, callbacks]) await u?.close();
  });

  const signed = (xml: string) => signEnvelope(Buffer.from(xml), ACTOR.smev, keys.signer('MINZ01001')!, { header: false }).toString('utf8');
  async function send(text: string): Promise<string> {
    const res = await post(`${gw.url}/gateway/services/SID0810001`, signed(REQUEST.replace(/<e:Text>[^<]*</, `<e:Text>${text}<`)));
    expect(field(res.text, 'Status')).toBe('ACCEPT');
    return field(res.text, 'RequestIdRef')!;
  }
  /** PING (signed) until the answer is no longer PROCESS */
  async function settle(ticket: string): Promise<string> {
    for (;;) {
      const ping = signed(REQUEST.replace('>REQUEST<', '>PING<').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${ticket}</smev:OriginRequestIdRef><smev:CaseNumber>`)
        .replace(/<e:Text>[^<]*</, `<e:Text>${randomUUID()}<`));
      const res = await post(`${gw.url}/gateway/services/SID0810001`, ping);
      if (field(res.text, 'Status') !== 'PROCESS') return res.text;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('a forged answer is retried, never stored nor called back, and the PING gets FAILURE naming the signature', async () => {
    tamper = true;
    const before = callbacks.requests.length;
    const ticket = await send(`forged-${randomUUID()}`);
    const answer = await settle(ticket);
    expect(field(answer, 'Status')).toBe('FAILURE');
    expect(answer).toMatch(/GW-2005: The provider's answer failed signature verification/);
    expect(callbacks.requests.length).toBe(before);
    const legs = await readJournal(gw.db, "direction = 'provider->gateway' AND chain_id = ?", [ticket]);
    expect(legs.length).toBe(2);
    for (const l of legs) expect(l.signature).toMatch(/^smev:fail \(reference #[\w-]+: the DigestValue does not match the Body/);
  });

  test('a good answer is stored for the PING and posted as the callback, marked by the node', async () => {
    tamper = false;
    const text = `good-${randomUUID()}`;
    const ticket = await send(text);
    const answer = await settle(ticket);
    expect(field(answer, 'Status')).toBe('RESULT');
    expect(answer).toContain(text);
    const deadline = Date.now() + 20000;
    while (!callbacks.requests.some((r) => r.body.toString().includes(text)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const callback = callbacks.requests.find((r) => r.body.toString().includes(text))!.body.toString();
    expect(callback).toContain('actor="http://smev.gosuslugi.ru/actors/recipient"');
    expect(callback).toMatch(/<smev:MessageClass>RESPONSE<\/smev:MessageClass>/);
    const legs = await readJournal(gw.db, "direction = 'provider->gateway' AND chain_id = ?", [ticket]);
    expect(legs.map((l) => l.signature)).toEqual([expect.stringMatching(/^smev:ok ECHO01001 /)]);
  });
});
