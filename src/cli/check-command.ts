import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadXml } from '../xml/libxml';
import { loadConfig, type Flags } from '../config';
import { loadRegistry } from '../registry/load';
import { qkey } from '../registry/wsdl-model';
import { parseEnvelope, NotSoapError, type ParsedEnvelope } from '../envelope/parse';
import { XmlSyntaxError } from '../xml/dom';
import { checkLimits } from '../control/limits';
import { compileBundleSchemas, type CompiledSchema } from '../control/schemas';
import { loadEnvelopeSchemas } from '../control/envelope-schemas';
import { requestViolations } from '../control/check';
import type { Violation } from '../control/logic';
import { TrustStore } from '../signature/trust';
import { judgeMessage } from '../signature/judge';
import { foreignEncoding } from '../envelope/encoding';
import { FAULTS, renderFaultString, type FaultName } from '../faults/catalogue';

/**
 * `smev2-gateway check ENVELOPE --sid SID`: every control the gateway applies to a consumer's
 * message, offline, each violation with the fault the gateway would answer.
 */
export async function checkCommand(file: string | undefined, flags: Flags & { sid?: string; at?: string }): Promise<number> {
  if (!file || !flags.sid) {
    process.stderr.write('usage: smev2-gateway check ENVELOPE --sid SID [--services DIR] [--systems DIR] [--keys DIR] [--at ISO-TIME]\n');
    return 2;
  }
  await loadXml();
  const config = loadConfig(flags);
  const at = flags.at ? new Date(flags.at) : config.clock ?? new Date();
  const raw = readFileSync(file);
  const found: Violation[] = [];
  const say = (step: string, v: Violation[]) => {
    for (const x of v) process.stdout.write(`FAIL  ${step.padEnd(10)} ${renderFaultString(FAULTS[x.fault], x.params)}\n`);
    if (!v.length) process.stdout.write(`ok    ${step}\n`);
    found.push(...v);
  };
  const one = (fault: FaultName, params: Record<string, string | number> = {}): Violation[] => [{ fault, params }];

  const foreign = foreignEncoding(raw);
  if (foreign) {
    say('encoding', one('unsupportedEncoding', { encoding: foreign.encoding, where: foreign.where }));
    return done();
  }
  const breach = checkLimits(raw, config.limits);
  say('limits', breach ? one(({ depth: 'tooDeep', elements: 'tooManyElements', attributes: 'tooManyAttributes', header: 'headerTooLarge' } as const)[breach.kind], breach) : []);
  if (raw.length > config.maxRequestBytes) say('size', one('tooLarge', { size: raw.length, limit: config.maxRequestBytes }));

  let p: ParsedEnvelope;
  try {
    p = parseEnvelope(raw);
  } catch (e) {
    if (e instanceof XmlSyntaxError) say('parse', one('malformedXml', { reason: `${e.message}${e.line ? ` (line ${e.line})` : ''}` }));
    else if (e instanceof NotSoapError) say('parse', one('notSoap', { reason: e.message }));
    else throw e;
    return done();
  }
  try {
    say('parse', []);
    const registry = loadRegistry(config.servicesDir);
    const service = registry.services.get(flags.sid);
    if (!service) {
      say('route', one('unknownService', { sid: flags.sid }));
      return done();
    }
    const op = p.envelope.operation;
    const operation = op && service.byInput.get(qkey(op));
    if (!op) say('route', one('noOperation', { sid: service.sid }));
    else if (!operation) say('route', one('unknownOperation', { sid: service.sid, element: qkey(op), operations: service.operations.map((o) => o.name).join(', ') }));
    else if (!p.envelope.message) say('route', one('notSmev', { operation: qkey(op) }));
    else say('route', []);
    if (!operation || !p.envelope.message) return done();

    const trust = TrustStore.load(config.systemsDir, config.keysDir, { skipUnreadable: (m) => process.stdout.write(`note  trust: skipped ${m}\n`) });
    let payload: CompiledSchema | undefined;
    try {
      payload = compileBundleSchemas(service.sid, service.bundle, service.def.locations);
    } catch (e) {
      process.stdout.write(`note  payload schema unavailable: ${(e as Error).message}\n`);
    }
    const envelopeSchemas = loadEnvelopeSchemas(join(resolve(__dirname, '..', '..'), 'xsd'));
    say('control', requestViolations(p, service, operation, {
      envelopeSchemas, payload, isRegistered: (m) => trust.systems.has(m), maxDateSkewSeconds: config.maxDateSkewSeconds, now: at,
    }));
    payload?.dispose();
    const j = judgeMessage(p, trust, { at, algorithms: service.def.signatureAlgorithms });
    say('signature', j.failure ? one(j.failure.fault, j.failure.params) : []);
    const access = trust.access(p.envelope.message.sender?.code, service.sid, operation.name);
    say('access', access === 'granted' ? [] : access === 'noService' ? one('unknownService', { sid: service.sid })
      : one('operationNotGranted', { sender: p.envelope.message.sender?.code ?? '', operation: operation.name, sid: service.sid }));
    process.stdout.write(`\npolicies of ${service.sid}: signature ${service.def.signature}, control ${service.def.control}\n`);
  } finally {
    p.doc.dispose();
  }
  return done();

  function done(): number {
    process.stdout.write(`${found.length ? `${found.length} violation(s)` : 'no violations'}\n`);
    return found.length ? 1 : 0;
  }
}
