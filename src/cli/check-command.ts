import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadXml } from '../xml/libxml';
import { loadConfig, type Flags } from '../config';
import { Registry } from '../registry/registry';
import { createAdapter } from '../providers';
import { loadEnvelopeSchemas } from '../control/envelope-schemas';
import { TrustStore } from '../signature/trust';
import { createLogger } from '../log';
import { compose, type Stage } from '../pipeline/compose';
import type { Exchange, Finding } from '../pipeline/exchange';
import { respond } from '../stages/respond';
import { parse } from '../stages/parse';
import { route } from '../stages/route';
import { controlRequest } from '../stages/control';
import { verifyRequest } from '../stages/verify';
import { authorize } from '../stages/authorize';
import { attachmentsRequest } from '../stages/attachments';
import { readMultipart, Spool, DEFAULT_MULTIPART_LIMITS, isMultipart, sniffMultipartContentType, type MimeParts } from '../http/multipart';
import { answerAsNode } from '../stages/queue';
import type { FaultName } from '../faults/catalogue';

/** Which step of the listing a fault raised before control belongs to. */
const STEP: Partial<Record<FaultName, string>> = {
  tooLarge: 'size', unsupportedEncoding: 'encoding', tooDeep: 'limits', tooManyElements: 'limits', tooManyAttributes: 'limits', headerTooLarge: 'limits', attachmentTooLarge: 'limits',
  malformedXml: 'parse', notSoap: 'parse',
  unknownService: 'route', noOperation: 'route', unknownOperation: 'route', soapActionMismatch: 'route', notSmev: 'route',
};

/**
 * `smev2-gateway check ENVELOPE --sid SID`: the gateway's own inbound stages, offline, composed
 * here as the gateway composes them (pipeline/stages.ts) but with a deliver that sends nothing.
 * First with the SID's policies, for the verdict the gateway would answer; then with every
 * policy at `report`, to list each violation with the fault it carries. Offline, the replay guard
 * (which needs the store) does not run.
 */
export async function checkCommand(files: string[], flags: Flags & { sid?: string; at?: string }): Promise<number> {
  const sid = flags.sid;
  if (!files.length || !sid) {
    process.stderr.write('usage: smev2-gateway check ENVELOPE... --sid SID [--services DIR] [--systems DIR] [--keys DIR] [--at ISO-TIME]\n');
    return 2;
  }
  await loadXml();
  const config = loadConfig(flags);
  const at = flags.at ? new Date(flags.at) : config.clock ?? new Date();
  if (Number.isNaN(at.getTime())) throw new Error(`--at must be an ISO date-time, got ${flags.at}`);
  const log = createLogger('silent');
  const registry = new Registry(config.servicesDir, (s) => createAdapter(s, { signerFor: () => undefined }));
  registry.load({ skipBroken: true });
  const trust = TrustStore.load(config.systemsDir, config.keysDir, { skipUnreadable: (m) => process.stdout.write(`note  trust: skipped ${m}\n`) });
  const c = {
    envelopeSchemas: loadEnvelopeSchemas(join(resolve(__dirname, '..', '..'), 'xsd')), payloadSchema: (s: string) => registry.payloadSchema(s),
    trust, clock: () => at, maxDateSkewSeconds: config.maxDateSkewSeconds,
  };
  // what would have been delivered: the node accepts it, nothing is sent
  const dryDeliver: Stage<Exchange> = async (ex) => answerAsNode(ex, 'ACCEPT', 'CHECK', 'CHECK');
  const stages = (asReport: boolean): Stage<Exchange>[] => [
    respond(), parse(config.limits), route(registry),
    ...(asReport ? [reportPolicies] : []),
    controlRequest(c), verifyRequest(trust, () => at), authorize(trust),
    attachmentsRequest({ trust, clock: () => at, limits: config.attachments.zip }), dryDeliver,
  ];
  const spool = new Spool(config.attachments.spoolDir);
  const run = async (raw: Buffer, asReport: boolean, parts?: MimeParts): Promise<Exchange> => {
    const ex: Exchange = {
      id: 'check', origin: 'consumer', started: process.hrtime.bigint(), receivedAt: at, sid, log, raw, requestParts: parts,
      http: { method: 'POST', path: `/gateway/services/${sid}`, tooLarge: raw.length > config.maxRequestBytes ? { size: raw.length, limit: config.maxRequestBytes } : undefined },
      legs: [{ direction: 'consumer->gateway', at, bytes: raw }],
    };
    await compose(stages(asReport))(ex);
    return ex;
  };

  /** One envelope: the listing, then the gateway's verdict; true when it has violations. */
  const checkOne = async (body: Buffer): Promise<boolean> => {
    // an MTOM body saved from the wire: the envelope is its root part, judged with its parts
    const ct = sniffMultipartContentType(body);
    let raw = body;
    let parts: MimeParts | undefined;
    if (ct && isMultipart(ct)) {
      const m = await readMultipart((async function* () { yield body; })(), ct, { ...DEFAULT_MULTIPART_LIMITS, memoryThreshold: 1024 * 1024 }, spool);
      raw = m.root.bytes;
      parts = { parts: m.parts, framing: m.framing };
    }
    const verdict = await run(raw, false, parts);
    const listed = await run(raw, true, parts);
    const found: string[] = [];
    const say = (step: string, faults: string[]) => {
      for (const f of faults) process.stdout.write(`FAIL  ${step.padEnd(10)} ${f}\n`);
      if (!faults.length) process.stdout.write(`ok    ${step}\n`);
      found.push(...faults);
    };
    const early = listed.fault && STEP[listed.fault.kind];
    for (const step of ['encoding', 'limits', 'size', 'parse', 'route']) {
      if (step === early) {
        say(step, [listed.fault!.faultstring]);
        break;
      }
      if (step !== 'encoding' && step !== 'size') say(step, []);
    }
    if (!early) {
      const leg = listed.legs[0]!;
      const findings: Finding[] = [leg.control, leg.signature, leg.attachments?.verdict].flatMap((v) => (v?.outcome === 'failed' ? v.faults ?? [] : []));
      for (const step of ['control', 'signature', 'access', 'attachments'] as const) say(step, findings.filter((f) => f.check === step).map((f) => f.faultstring));
      const service = registry.get(sid);
      if (service) process.stdout.write(`\npolicies of ${service.sid}: signature ${service.def.signature}, control ${service.def.control}, attachments ${service.def.attachments.policy}\n`);
    }
    process.stdout.write(`gateway: ${verdict.fault ? `refuses with ${verdict.fault.faultstring}` : 'passes it on to the provider'}\n`);
    process.stdout.write(`${found.length ? `${found.length} violation(s)` : 'no violations'}\n`);
    return found.length > 0;
  };

  let failed = 0;
  for (const file of files) {
    if (files.length > 1) process.stdout.write(`== ${file}\n`);
    if (await checkOne(readFileSync(file))) failed++;
    if (files.length > 1) process.stdout.write('\n');
  }
  await registry.close();
  await spool.release();
  if (files.length > 1) process.stdout.write(`${failed} of ${files.length} envelope(s) with violations\n`);
  return failed ? 1 : 0;
}

/** Every check runs and is journaled, none refuses: the listing's pass. */
const reportPolicies: Stage<Exchange> = async (ex, next) => {
  if (ex.service) ex.service = { ...ex.service, def: { ...ex.service.def, signature: 'report', control: 'report', attachments: { ...ex.service.def.attachments, policy: 'report' } } };
  await next();
};
