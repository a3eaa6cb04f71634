/**
 * The request document `req_<RequestCode>.xml` of an AppDocument (PROTOCOL.md §7): in the namespace
 * http://smev.gosuslugi.ru/request/rev111111 it is the AppliedDocuments manifest, judged against the
 * official schema (xsd/smev-request-rev111111.xsd, GW-5009). Agencies' own documents under that
 * name (Rosreestr's Request_Reestr) have no schema here and are not judged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '../xml/libxml';
import { parseUntrusted } from '../xml/dom';
import { countParse } from '../xml/parse-count';
import { CompiledSchema, formatSchemaErrors } from '../control/schemas';
import type { ZipFile } from './model';

export const REQUEST_NS = 'http://smev.gosuslugi.ru/request/rev111111';

/** A request document is read into memory to be parsed only up to this size (larger: refused). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

const SCHEMA_FILE = join(__dirname, '..', '..', 'xsd', 'smev-request-rev111111.xsd');

/** `req_<RequestCode>.xml` at the root of the ZIP. */
export function isRequestName(name: string): boolean {
  return /^req_[^/\\]+\.xml$/i.test(name);
}

let schema: CompiledSchema | undefined;

/** Compiled once and kept: the schema is small and the same for every message. */
function requestSchema(): CompiledSchema {
  if (!schema) {
    const { XmlDocument, XsdValidator } = xml();
    const bytes = readFileSync(SCHEMA_FILE);
    countParse('schema', bytes.length);
    const doc = XmlDocument.fromBuffer(bytes, { url: 'smev2-schema://xsd/smev-request-rev111111.xsd' });
    try {
      schema = new CompiledSchema(XsdValidator.fromDoc(doc), 'request-rev111111', doc);
    } catch (e) {
      doc.dispose();
      throw e;
    }
  }
  return schema;
}

/**
 * The schema verdict of a request document, or undefined when it is not in the manifest's
 * namespace. `head` is the document's first bytes; `whole` is the document when it was small
 * enough to hold (MAX_REQUEST_BYTES).
 */
export function judgeRequestDocument(head: Buffer, whole: Buffer | undefined, size: number): ZipFile['schema'] {
  if (!whole) {
    if (!declaresRequestNamespace(head)) return undefined;
    return { outcome: 'fail', namespace: REQUEST_NS, reason: `${size} bytes, more than the ${MAX_REQUEST_BYTES} a request document may have to be read` };
  }
  let doc: ReturnType<typeof parseUntrusted>;
  try {
    doc = parseUntrusted(whole, 'manifest');
  } catch (e) {
    // not XML: judged only if it claims the manifest's namespace
    return declaresRequestNamespace(head) ? { outcome: 'fail', namespace: REQUEST_NS, reason: `not well-formed XML: ${(e as Error).message}` } : undefined;
  }
  try {
    const root = doc.root;
    if (root.namespaceUri !== REQUEST_NS) return undefined;
    const errors = requestSchema().validate(root);
    return errors.length ? { outcome: 'fail', namespace: REQUEST_NS, reason: formatSchemaErrors(errors) } : { outcome: 'ok', namespace: REQUEST_NS };
  } finally {
    doc.dispose();
  }
}

function declaresRequestNamespace(head: Buffer): boolean {
  return head.subarray(0, 4096).toString('latin1').includes(`"${REQUEST_NS}"`);
}
