import type { Stage } from '../pipeline/compose';
import { onTheWire, requestOf, setAnswer, type Exchange } from '../pipeline/exchange';
import { wholeOf } from '../slices';
import { parseEnvelope } from '../envelope/parse';
import { inlineToMtom, mtomToInline } from '../attachments/convert';
import { rootContentType, type MimeParts } from '../http/multipart';

/**
 * The AppDocument in the form the other side speaks (service.yaml `attachments.toProvider`,
 * `toConsumer`; src/attachments/convert.ts): inline ↔ MTOM. The request is converted before the
 * node marks it, the answer before the node marks it on the way back, so the node's signature
 * covers what is sent; the journal keeps each message as it came and as it went.
 */
type Form = 'as-sent' | 'inline' | 'mtom';

async function convert(bytes: Buffer, parts: MimeParts | undefined, to: Form, maxInline: number): Promise<{ bytes: Buffer; parts?: MimeParts } | undefined> {
  if (to === 'mtom') return inlineToMtom(bytes, { others: parts });
  if (to === 'inline') return mtomToInline(bytes, parts, maxInline);
  return undefined;
}

/** The request, in the provider's form. */
export function convertRequest(maxInline: number): Stage<Exchange> {
  return async (ex, next) => {
    const to = ex.service?.def.attachments.toProvider ?? 'as-sent';
    const request = requestOf(ex);
    // a spooled text is read back for the conversion: it rewrites the message as one text
    const raw = request.envelope.raw;
    const out = request.envelope.appDocument && to !== 'as-sent' ? await convert(wholeOf(onTheWire(raw, raw)), ex.requestParts, to, maxInline) : undefined;
    if (out) {
      const parsed = parseEnvelope(out.bytes, { purpose: 'convert' });
      request.doc.dispose();
      ex.request = parsed;
      ex.requestParts = out.parts;
    }
    await next();
  };
}

/** The answer, in the consumer's form. */
export function convertAnswer(maxInline: number): Stage<Exchange> {
  return async (ex, next) => {
    await next();
    const a = ex.answer;
    const to = ex.service?.def.attachments.toConsumer ?? 'as-sent';
    if (!a || a.fromNode || to === 'as-sent' || !a.envelope.appDocument) return;
    const out = await convert(a.bytes, a.parts, to, maxInline);
    if (out) setAnswer(ex, out.bytes, { status: a.status, contentType: out.parts ? rootContentType(out.parts.framing) : 'text/xml; charset=utf-8', parts: out.parts });
  };
}
