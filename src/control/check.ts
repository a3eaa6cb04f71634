import { parseEnvelope, type ParsedEnvelope } from '../envelope/parse';
import { NS } from '../envelope/ns';
import type { Service, Operation } from '../registry/load';
import { formatSchemaErrors, type CompiledSchema } from './schemas';
import type { EnvelopeSchemas } from './envelope-schemas';
import { checkRequestLogic, checkAnswerLogic, type Violation } from './logic';

export interface CheckDeps {
  envelopeSchemas: EnvelopeSchemas;
  payload?: CompiledSchema;
  isRegistered(mnemonic: string): boolean;
  maxDateSkewSeconds: number;
  now: Date;
}

/**
 * Schema violations of a message: its envelope blocks, and its operation element against the
 * SID's bundle. An MTOM message is valid when its XOP infoset is (XOP 1.0 §3.2): a standard MTOM
 * sender (JAX-WS with MTOMFeature, CXF, WCF) puts `xop:Include` in place of the text of any
 * base64Binary element, e.g. AppDocument/BinaryData, which the schema alone refuses ("Element
 * content is not allowed"). Such a message is judged again on a copy whose xop:Include elements
 * are taken out, leaving the base64Binary empty (the part itself is judged by the attachments
 * stage); a message without xop:Include is parsed once.
 */
export function schemaViolations(p: ParsedEnvelope, d: Pick<CheckDeps, 'envelopeSchemas' | 'payload'>, sid: string, fault: 'schemaInvalid' | 'providerAnswerSchemaInvalid'): Violation[] {
  const found = violationsOf(p, d, sid, fault);
  if (!found.length || !p.doc.root.get('//xop:Include', { xop: NS.xop })) return found;
  const copy = parseEnvelope(p.envelope.raw, { purpose: 'control' });
  try {
    for (const include of copy.doc.root.find('//xop:Include', { xop: NS.xop })) include.remove();
    return violationsOf(copy, d, sid, fault);
  } finally {
    copy.doc.dispose();
  }
}

function violationsOf(p: ParsedEnvelope, d: Pick<CheckDeps, 'envelopeSchemas' | 'payload'>, sid: string, fault: 'schemaInvalid' | 'providerAnswerSchemaInvalid'): Violation[] {
  const out: Violation[] = [];
  const envelopeErrors = d.envelopeSchemas.validate(p, { withMessageData: !d.payload });
  if (envelopeErrors.length) out.push({ fault, params: { schema: `envelope ${p.envelope.revision ?? ''}`.trim(), errors: formatSchemaErrors(envelopeErrors) } });
  if (d.payload && p.operationElement) {
    const errors = d.payload.validate(p.operationElement);
    if (errors.length) out.push({ fault, params: { schema: `${sid} WSDL/XSD`, errors: formatSchemaErrors(errors) } });
  }
  return out;
}

/** Every format-logical rule for a consumer's message (the control stage and `smev2-gateway check`). */
export function requestViolations(p: ParsedEnvelope, service: Service, op: Operation, d: CheckDeps): Violation[] {
  return [
    ...schemaViolations(p, d, service.sid, 'schemaInvalid'),
    ...checkRequestLogic(p.envelope, service, op, {
      isRegistered: d.isRegistered, maxDateSkewSeconds: service.def.dateSkewSeconds ?? d.maxDateSkewSeconds, now: d.now,
    }),
  ];
}

/** Every rule for a provider's answer. */
export function answerViolations(answer: ParsedEnvelope, request: ParsedEnvelope, service: Service, d: Pick<CheckDeps, 'envelopeSchemas' | 'payload'>): Violation[] {
  return [...schemaViolations(answer, d, service.sid, 'providerAnswerSchemaInvalid'), ...checkAnswerLogic(answer.envelope, request.envelope, service)];
}
