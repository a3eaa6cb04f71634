import type { Stage } from '../pipeline/compose';
import { disposeDocuments, type Exchange } from '../pipeline/exchange';
import { parseEnvelope, NotSoapError } from '../envelope/parse';
import { XmlSyntaxError } from '../xml/dom';
import { GatewayFault } from '../faults/catalogue';
import { checkLimits, DEFAULT_LIMITS, type Limits } from '../control/limits';
import { foreignEncoding } from '../envelope/encoding';
import { elidableBytes, spoolLargeTexts } from '../xml/elide';
import { Spool } from '../http/spool';

/**
 * Parses the consumer's bytes into a typed view, after checking the structural limits on the bytes.
 * The request's document (and the provider answer's) lives until the answer has gone back.
 */
const BREACH_FAULT = { depth: 'tooDeep', elements: 'tooManyElements', attributes: 'tooManyAttributes', header: 'headerTooLarge' } as const;

const INLINE_DOCUMENT_SETTING = '--max-inline-document-bytes / SMEV2_MAX_INLINE_DOCUMENT_BYTES';

/**
 * `spool`: where an inline document's text of at least `fromBytes` goes once the limits have
 * passed (SMEV2_PART_MEMORY_BYTES, the threshold of MTOM parts): the exchange then holds the
 * message's skeleton, and reads the text from the file where it needs it (xml/elide.ts).
 */
export function parse(limits: Limits = DEFAULT_LIMITS, spool?: { dir: string; fromBytes: number }): Stage<Exchange> {
  return async (ex, next) => {
    const http = ex.http;
    if (!http) throw new Error('pipeline order: parse reads a consumer\'s HTTP request, and this exchange has none');
    if (http.refused) throw new GatewayFault(http.refused.fault, http.refused.params);
    if (http.overloaded) throw new GatewayFault('overloaded', http.overloaded);
    if (http.slow) throw new GatewayFault('slowRequest', http.slow);
    if (http.tooLarge) throw new GatewayFault('tooLarge', http.tooLarge);
    const foreign = foreignEncoding(ex.raw, http.contentType);
    if (foreign) throw new GatewayFault('unsupportedEncoding', { encoding: foreign.encoding, where: foreign.where });
    const breach = checkLimits(ex.raw, limits);
    if (breach?.kind === 'inlineDocument') {
      throw new GatewayFault('attachmentTooLarge', { what: `smev:AppDocument/BinaryData (${breach.value} bytes decoded)`, limit: breach.limit, setting: INLINE_DOCUMENT_SETTING });
    }
    if (breach) throw new GatewayFault(BREACH_FAULT[breach.kind], { value: breach.value, limit: breach.limit });
    if (spool && ex.raw.length >= spool.fromBytes && elidableBytes(ex.raw) >= spool.fromBytes) {
      const s = (ex.spool ??= new Spool(spool.dir));
      try {
        ex.raw = (await spoolLargeTexts(ex.raw, () => s.file())) ?? ex.raw;
      } catch (e) {
        // a spool that cannot be written costs memory, not the exchange: the text stays in the body
        ex.log.warn({ err: e, spoolDir: spool.dir }, 'the inline document could not be spooled: kept in memory (check SMEV2_SPOOL_DIR: free space, permissions)');
      }
    }
    try {
      ex.request = parseEnvelope(ex.raw, { purpose: 'request' });
    } catch (e) {
      if (e instanceof XmlSyntaxError) {
        const where = e.line ? ` (line ${e.line}${e.column ? `, column ${e.column}` : ''})` : '';
        throw new GatewayFault('malformedXml', { reason: `${e.message}${where}` });
      }
      if (e instanceof NotSoapError) throw new GatewayFault('notSoap', { reason: e.message });
      throw e;
    }
    try {
      await next();
    } finally {
      disposeDocuments(ex);
    }
  };
}
