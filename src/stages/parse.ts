import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { parseEnvelope, NotSoapError } from '../envelope/parse';
import { XmlSyntaxError } from '../xml/dom';
import { GatewayFault } from '../faults/catalogue';

/** Parses the consumer's bytes into a typed view; the document lives until the answer is back. */
export function parse(): Stage<Exchange> {
  return async (ex, next) => {
    if (ex.http.tooLarge) throw new GatewayFault('tooLarge', ex.http.tooLarge);
    try {
      ex.request = parseEnvelope(ex.raw);
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
      ex.request.doc.dispose();
    }
  };
}
