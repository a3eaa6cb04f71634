// Unit tests of the onion and of each stage, on real exchanges: real envelopes parsed by
// libxml2-wasm, the demo registry loaded from wsdl/, real keys, a real SQLite store for the
// stages that keep state (issue 15). The end-to-end tests drive the same stages over HTTP.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { ROOT } from './support/paths';
import { loadXml } from '../src/xml/libxml';
import { compose, type Stage } from '../src/pipeline/compose';
import { verdictText, routeOf, type Exchange } from '../src/pipeline/exchange';
import { Registry } from '../src/registry/registry';
import { createAdapter } from '../src/providers';
import type { TrustStore } from '../src/signature/trust';
import type { KeyStore } from '../src/signature/identity';
import { bootstrapTrust, DEMO_CA } from '../src/signature/bootstrap';
import { signEnvelope, signerDigestUri } from '../src/signature/sign';
import { DIGESTS } from '../src/signature/algorithms';
import { canonicalDigest, C14N } from '../src/signature/c14n';
import { ACTOR } from '../src/envelope/ns';
import { openStore } from '../src/store';
import { Outbox } from '../src/queue/outbox';
import { Events } from '../src/queue/events';
import { ReplayGuard } from '../src/control/replay';
import { loadEnvelopeSchemas } from '../src/control/envelope-schemas';
import { DEFAULT_LIMITS } from '../src/control/limits';
import { respond } from '../src/stages/respond';
import { parse } from '../src/stages/parse';
import { route } from '../src/stages/route';
import { controlRequest, controlAnswer } from '../src/stages/control';
import { verifyRequest, verifyAnswer } from '../src/stages/verify';
import { replay } from '../src/stages/replay';
import { authorize } from '../src/stages/authorize';
import { stampRequest, stampAnswer } from '../src/stages/stamp';
import { poll } from '../src/stages/poll';
import { queue } from '../src/stages/queue';
import { GatewayFault } from '../src/faults/catalogue';
import { Journal } from '../src/journal/journal';
import { exchangeLegs } from '../src/journal/search';
import { Metrics } from '../src/metrics/metrics';
import { metrics as metricsStage } from '../src/stages/metrics';
import { alerts } from '../src/stages/alerts';
import { journal as journalStage } from '../src/stages/journal';
import { deliver } from '../src/stages/deliver';
import { DEFAULT_ATTACHMENTS } from '../src/config';
import { AttachmentStore } from '../src/journal/attachments';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';

const log = pino({ level: 'silent' });
const FOUND = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'));
const SEND = readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'request.xml'));

function exchange(sid: string, raw: Buffer, contentType = 'text/xml; charset=utf-8'): Exchange {
  return {
    id: `t-${Math.random()}`, origin: 'consumer', started: process.hrtime.bigint(), receivedAt: new Date(), sid, log, raw,
    http: { method: 'POST', path: `/gateway/services/${sid}`, contentType },
    legs: [{ direction: 'consumer->gateway', at: new Date(), bytes: raw }],
  };
}
/** the stages under test, ending in one that records what reached it */
const run = async (ex: Exchange, stages: Stage<Exchange>[]) => {
  const reached: string[] = [];
  await compose<Exchange>([...stages, async () => void reached.push('end')])(ex);
  return reached;
};

describe('compose', () => {
  test('each stage acts on the way in and, after next(), on the way out, in reverse order', async () => {
    const seen: string[] = [];
    const s = (n: string): Stage<object> => async (_c, next) => { seen.push(`in ${n}`); await next(); seen.push(`out ${n}`); };
    await compose([s('a'), s('b'), s('c')])({});
    expect(seen).toEqual(['in a', 'in b', 'in c', 'out c', 'out b', 'out a']);
  });
  test('next() called twice in one stage is refused; a throw inside reaches the outer stage', async () => {
    await expect(compose<object>([async (_c, next) => { await next(); await next(); }])({})).rejects.toThrow('next() called more than once');
    const caught: string[] = [];
    await compose<object>([async (_c, next) => { try { await next(); } catch (e) { caught.push((e as Error).message); } }, () => { throw new Error('inner'); }])({});
    expect(caught).toEqual(['inner']);
  });
});

describe('the stages on real exchanges', () => {
  let registry: Registry;
  let trust: TrustStore;
  let keys: KeyStore;
  let store: DataSource;
  const clock = () => new Date();
  const c = () => ({ envelopeSchemas: loadEnvelopeSchemas(join(ROOT, 'xsd')), payloadSchema: (sid: string) => registry.payloadSchema(sid), trust, clock, maxDateSkewSeconds: 0 });

  beforeAll(async () => {
    await loadXml();
    const dir = mkdtempSync(join(tmpdir(), 'smev2-stages-'));
    ({ keys, trust } = bootstrapTrust(join(dir, 'keys'), join(ROOT, 'systems'), log));
    registry = new Registry(join(ROOT, 'wsdl'), (s) => createAdapter(s, { signerFor: (m) => keys.signer(m) }));
    registry.load({ skipBroken: false });
    store = await openStore(`sqlite:${join(dir, 'store.sqlite')}`);
  }, 60000);
  afterAll(async () => {
    await registry?.close();
    await store?.destroy();
  });

  test('respond: the settled answer, a GatewayFault as its SOAP fault, anything else as GW-9000 with a reference', async () => {
    const ok = exchange('SID0003623', FOUND);
    await compose<Exchange>([respond(), parse(), route(registry), async (ex) => { ex.answer = { status: 200, bytes: Buffer.from('<a/>'), envelope: ex.request!.envelope, parsed: ex.request! }; }])(ok);
    expect(ok.response).toEqual({ status: 200, bytes: Buffer.from('<a/>'), contentType: 'text/xml; charset=utf-8' });
    const refused = exchange('SID0003623', FOUND);
    await compose<Exchange>([respond(), () => { throw new GatewayFault('overloaded', { inFlight: 3 }); }])(refused);
    expect(refused.fault?.spec.code).toBe('GW-9001');
    expect(refused.response?.status).toBe(503);
    const broken = exchange('SID0003623', FOUND);
    await compose<Exchange>([respond(), () => { throw new TypeError('a bug'); }])(broken);
    expect(broken.response?.bytes.toString()).toMatch(/GW-9000: .*[0-9a-f-]{36}/);
  });

  test('parse: encoding, limits and XML, each as its fault; route: service, operation, smev:Message', async () => {
    const faultOf = async (sid: string, raw: Buffer, ct?: string) => {
      const ex = exchange(sid, raw, ct);
      await compose<Exchange>([respond(), parse(DEFAULT_LIMITS), route(registry), async (e) => { e.answer = { status: 200, bytes: e.raw, envelope: e.request!.envelope, parsed: e.request! }; }])(ex);
      return ex.fault?.spec.code || ex.fault?.kind || 'ok';
    };
    expect(await faultOf('SID0003623', FOUND)).toBe('ok');
    expect(await faultOf('SID0003623', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(FOUND.toString(), 'utf16le')]))).toBe('GW-1017');
    expect(await faultOf('SID0003623', Buffer.from('<a><b></a>'))).toBe('GW-1001');
    expect(await faultOf('SID0003623', Buffer.from('<a/>'))).toBe('GW-1002');
    expect(await faultOf('SID0999999', FOUND)).toBe('unknownService');
    expect(await faultOf('SID0003456', FOUND)).toBe('GW-1004');
    const noMessage = FOUND.toString().replace(/<smev:Message>[\s\S]*<\/smev:Message>/, '').replace(/<[\w:]*Message\b[\s\S]*?<\/[\w:]*Message>/, '');
    expect(await faultOf('SID0003623', Buffer.from(noMessage))).toBe('GW-1006');
  });

  test('controlRequest, verifyRequest, authorize: typed verdicts on the consumer’s leg; replay remembers only a verified signature', async () => {
    const signed = signEnvelope(FOUND, ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
    const guard = new ReplayGuard(store, 60_000);
    const stages = () => [parse(), route(registry), controlRequest(c()), verifyRequest(trust, clock), replay(guard, clock), authorize(trust)];
    const a = exchange('SID0003623', signed);
    expect(await run(a, stages())).toEqual(['end']);
    const leg = a.legs[0]!;
    expect(leg.signature).toEqual({ outcome: 'ok', text: expect.stringMatching(/^smev:ok MINZ01001 /) });
    expect(a.signedContent).toMatch(/^[0-9a-f]{64}$/);
    // the same message again: the replay guard (under the SID's control policy) finds it
    const b = exchange('SID0003623', signed);
    const policy = routeOf(a).service.def.control;
    if (policy === 'enforce') await expect(run(b, stages())).rejects.toThrow(/^GW-4006/);
    else {
      await run(b, stages());
      expect(verdictText(b.legs[0]!.control!)).toMatch(/GW-4006: Replayed message: the signed request/);
    }
    // unsigned: the demo SID's report policy passes it, the verdict says why, nothing is remembered by signature
    const u = exchange('SID0003623', FOUND);
    await run(u, stages());
    expect(u.legs[0]!.signature).toMatchObject({ outcome: 'failed', passed: true, text: 'absent', faults: [{ check: 'signature', faultstring: expect.stringMatching(/^SMEV-100008: /) }] });
    expect(u.signedContent).toBeUndefined();
  });

  test('stamp signs from the parsed document: the node’s block verifies, and one it replaces is found under any prefix', async () => {
    const signed = signEnvelope(FOUND, ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
    // a message that already carries a recipient block (a replayed capture), its actor under another prefix
    const foreign = signEnvelope(signed, ACTOR.recipient, keys.signer('PFRF01001')!, { header: false }).toString()
      .replace(/<wsse:Security xmlns:wsse="([^"]+)" xmlns:wsu="([^"]+)" xmlns:soapenv="([^"]+)" soapenv:actor="http:\/\/smev\.gosuslugi\.ru\/actors\/recipient">/,
        '<wsse:Security xmlns:wsse="$1" xmlns:wsu="$2" xmlns:S11="$3" S11:actor="http://smev.gosuslugi.ru/actors/recipient">');
    expect(foreign).toContain('S11:actor="http://smev.gosuslugi.ru/actors/recipient"');
    for (const raw of [signed, Buffer.from(foreign)]) {
      const ex = exchange('SID0003623', raw);
      await compose<Exchange>([parse(), route(registry), stampRequest(keys.signer('node')), async () => undefined])(ex);
      const out = ex.forward!.toString();
      expect(out.match(/actors\/recipient/g)).toHaveLength(1);
      expect(out).toContain('<smev:MessageClass>REQUEST</smev:MessageClass>');
      // sent on as slices of the consumer's bytes: the Body and all but the replaced header blocks are views of them, not a copy
      const views = ex.forward!.pieces.filter((p): p is Buffer => Buffer.isBuffer(p) && p.buffer === ex.raw.buffer && p.byteOffset >= ex.raw.byteOffset && p.byteOffset + p.length <= ex.raw.byteOffset + ex.raw.length);
      expect(views.at(-1)!.toString()).toMatch(/<[\w-]+:Body[\s>][\s\S]*<\/[\w-]+:Envelope>\s*$/);
      expect(views.reduce((n, p) => n + p.length, 0)).toBeGreaterThan(ex.raw.length / 2);
      const p = parseEnvelope(ex.forward!.join());
      try {
        const blocks = verifyEnvelopeSignatures(p).map((b) => [b.actor, b.ok, b.reason, b.references.map((r) => r.target)]);
        expect(blocks).toEqual([
          ['http://smev.gosuslugi.ru/actors/recipient', true, undefined, ['smev:Header', 'Body']],
          ['http://smev.gosuslugi.ru/actors/smev', true, undefined, ['Body']],
        ]);
      } finally {
        p.doc.dispose();
      }
    }
  });

  test('verify leaves the Body\'s digest for the node: stamp signs with it, computed once, and only when the octets are the exclusive canonical form', async () => {
    // a node signing with the senders' digest (all demo keys are GOST 2012-256), and one with another (RSA, SHA-256)
    keys.ensureIssued('node-rsa', DEMO_CA, 'rsa', { CN: 'SMEV 2 node, RSA' });
    for (const [sender, node] of [['MINZ01001', keys.signer('node')!], ['PFRF01001', keys.signer('node-rsa')!]] as const) {
      const nodeDigest = DIGESTS.get(signerDigestUri(node)!)!;
      const signer = keys.signer(sender)!;
      const signed = signEnvelope(FOUND, ACTOR.smev, signer, { header: false });
      const ex = exchange('SID0003623', signed);
      let seen: { left?: Map<string, Buffer>; expected?: Map<string, Buffer> } = {};
      const stages = (tamper?: (m: Map<string, Buffer>) => void) => [parse(), route(registry), verifyRequest(trust, clock, node),
        async (x: Exchange, next: () => Promise<void>) => {
          // while the request's document is alive: what verify left, against the Body's digests computed anew
          const body = x.request!.body;
          seen = { left: new Map(x.request!.bodyDigests), expected: new Map([signerDigestUri(signer)!, signerDigestUri(node)!].map((u) => [DIGESTS.get(u)!.name, canonicalDigest(body, { algorithm: C14N.exclusive }, DIGESTS.get(u)!)])) };
          if (tamper) tamper(x.request!.bodyDigests!);
          await next();
        }, stampRequest(node)];
      await run(ex, stages());
      expect(seen.left).toEqual(seen.expected);
      expect(seen.left!.size).toBe(sender === 'MINZ01001' ? 1 : 2);
      const verdicts = (x: Exchange) => {
        const p = parseEnvelope(x.forward!.join());
        try {
          return verifyEnvelopeSignatures(p).map((b) => [b.actor, b.ok]);
        } finally {
          p.doc.dispose();
        }
      };
      expect(verdicts(ex)).toEqual([[ACTOR.recipient, true], [ACTOR.smev, true]]);
      // the node's signature takes the digest left there, not one of its own: a wrong one spoils it
      const spoiled = exchange('SID0003623', signed);
      await run(spoiled, stages((m) => m.set(nodeDigest.name, Buffer.alloc(m.get(nodeDigest.name)!.length))));
      expect(verdicts(spoiled)).toEqual([[ACTOR.recipient, false], [ACTOR.smev, true]]);
    }
    // the sender's Body reference under inclusive c14n: other octets, nothing left for the node, which digests the Body itself
    const inclusive = Buffer.from(signEnvelope(FOUND, ACTOR.smev, keys.signer('MINZ01001')!, { header: false }).toString()
      .replace(/(<ds:Transform Algorithm=")http:\/\/www\.w3\.org\/2001\/10\/xml-exc-c14n#(")/, `$1${C14N.inclusive}$2`));
    const ex = exchange('SID0003623', inclusive);
    const node = keys.signer('node')!;
    await run(ex, [parse(), route(registry), verifyRequest(trust, clock, node), stampRequest(node)]);
    expect(ex.request!.bodyDigests).toBeUndefined();
    const p = parseEnvelope(ex.forward!.join());
    try {
      expect(verifyEnvelopeSignatures(p).find((b) => b.actor === ACTOR.recipient)?.ok).toBe(true);
    } finally {
      p.doc.dispose();
    }
  });

  test('stamp: the request marked for the provider, the answer marked on the way back; poll and queue answer a guaranteed SID from the store', async () => {
    const outbox = new Outbox(store);
    const attachments = new AttachmentStore(store);
    const events = new Events(outbox, () => [], log);
    const node = keys.signer('node');
    const def = registry.get('SID0003456')!;
    // the demo SID delivers directly: the guaranteed-delivery stages are tried on a copy that does not
    const guaranteed: Stage<Exchange> = async (ex, next) => {
      ex.service = { ...def, def: { ...def.def, delivery: { ...def.def.delivery, mode: 'guaranteed' } } };
      await next();
    };
    const ex = exchange('SID0003456', SEND);
    await compose<Exchange>([respond(), parse(), route(registry), guaranteed, stampAnswer(node), poll(outbox, attachments, { spoolDir: DEFAULT_ATTACHMENTS.spoolDir, memoryThreshold: DEFAULT_ATTACHMENTS.partMemoryBytes }), stampRequest(node), queue(outbox, events, attachments)])(ex);
    expect(ex.response?.status).toBe(200);
    expect(ex.forward?.toString()).toContain('<smev:MessageClass>REQUEST</smev:MessageClass>');
    const body = ex.response!.bytes.toString();
    expect(body).toMatch(/<smev:Status>ACCEPT<\/smev:Status>/);
    expect(body).toContain('<smev:MessageClass>RESPONSE</smev:MessageClass>');
    expect(body).toContain('actor="http://smev.gosuslugi.ru/actors/recipient"');
    const ticket = ex.messageId!;
    expect((await outbox.get(ticket))?.status).toBe('pending');
    // a PING for it: PROCESS from the store, and nothing is marked for sending on
    const ping = SEND.toString().replace(/<smev:Status>REQUEST<\/smev:Status>/, '<smev:Status>PING</smev:Status>')
      .replace('</smev:Date>', `</smev:Date><smev:OriginRequestIdRef>${ticket}</smev:OriginRequestIdRef>`);
    const p = exchange('SID0003456', Buffer.from(ping));
    await compose<Exchange>([respond(), parse(), route(registry), guaranteed, stampAnswer(node), poll(outbox, attachments, { spoolDir: DEFAULT_ATTACHMENTS.spoolDir, memoryThreshold: DEFAULT_ATTACHMENTS.partMemoryBytes }), stampRequest(node), queue(outbox, events, attachments)])(p);
    expect(p.response!.bytes.toString()).toMatch(/<smev:Status>PROCESS<\/smev:Status>/);
    expect(p.forward).toBeUndefined();
  });

  test('deliver, verifyAnswer, controlAnswer, journal, metrics, alerts: the provider’s legs with their verdicts, journaled, counted, announced', async () => {
    const journal = new Journal(store);
    const outbox = new Outbox(store);
    const announced: string[] = [];
    const events = new Events(outbox, () => [], log);
    const emit = events.emit.bind(events);
    events.emit = async (type, data, occasion) => { announced.push(type); return emit(type, data, occasion); };
    const metrics = new Metrics({ outbox, availability: () => [], knownSid: (sid) => registry.get(sid) !== undefined });
    const node = keys.signer('node');
    const signed = signEnvelope(FOUND, ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
    const ex = exchange('SID0003623', signed);
    ex.legs = [];
    await compose<Exchange>([
      metricsStage(metrics), alerts(events), journalStage(journal), respond(), parse(), route(registry), stampAnswer(node), stampRequest(node),
      controlAnswer(c()), verifyAnswer(trust, clock), deliver(registry, DEFAULT_ATTACHMENTS),
    ])(ex);
    expect(ex.fault).toBeUndefined();
    expect(ex.legs.map((l) => l.direction)).toEqual(['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']);
    const back = ex.legs[2]!;
    expect(back.signature).toEqual({ outcome: 'ok', text: expect.stringMatching(/^smev:ok PFRF01001 /) });
    expect(back.control?.outcome).toMatch(/^(ok|failed)$/);
    expect(ex.response!.bytes.toString()).toContain('<smev:MessageClass>RESPONSE</smev:MessageClass>');
    await journal.drain();
    const rows = await exchangeLegs(store, ex.id);
    expect(rows.map((r) => r.row.direction)).toEqual(['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']);
    expect((await metrics.scrape()).body).toMatch(/smev2_requests_total\{sid="SID0003623",operation="Process",status="RESULT",fault="none"\} 1/);
    // a failure passed under report is announced: the same SID with an unsigned request
    const unsigned = exchange('SID0003623', FOUND);
    await compose<Exchange>([alerts(events), respond(), parse(), route(registry), verifyRequest(trust, clock), async (e) => { e.answer = { status: 200, bytes: e.raw, envelope: e.request!.envelope, parsed: e.request! }; }])(unsigned);
    expect(announced).toEqual(['signature-failure']);
  });
});
