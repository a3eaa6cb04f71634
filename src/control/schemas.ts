import { xml, type XmlElement } from '../xml/libxml';
import { parseLocal } from '../xml/dom';
import { countParse } from '../xml/parse-count';
import { NS } from '../envelope/ns';
import type { Bundle } from '../registry/bundle';

type Validator = InstanceType<ReturnType<typeof xml>['XsdValidator']>;

export interface SchemaError {
  line?: number;
  message: string;
  path?: string;
}

/** A compiled set of schemas that validates elements in place (a subtree of a parsed message). */
export class CompiledSchema {
  /** `doc`: the schema document it was compiled from, kept as long as the validator (libxml2 may refer to it) */
  constructor(private readonly validator: Validator, readonly description: string, private readonly doc?: { dispose(): void }) {}

  /** The errors of `el` against the schema (empty when valid). */
  validate(el: XmlElement): SchemaError[] {
    const { XmlValidateError } = xml();
    try {
      this.validator.validate(el);
      return [];
    } catch (e) {
      if (e instanceof XmlValidateError) {
        return e.details.map((d) => ({ line: d.line || undefined, message: d.message.trim(), path: d.xpath }));
      }
      throw e;
    }
  }

  dispose(): void {
    this.validator.dispose();
    this.doc?.dispose();
  }
}

export function formatSchemaErrors(errors: SchemaError[], max = 5): string {
  const shown = errors.slice(0, max).map((e) => `${e.line ? `line ${e.line}: ` : ''}${e.message}`);
  return shown.join('; ') + (errors.length > max ? `; and ${errors.length - max} more` : '');
}

/**
 * In-memory files for libxml2's schema loader: everything a compiled schema imports is served from
 * here, under `smev2-schema://…` URLs, so nothing is ever read from the network or from outside
 * the bundle.
 */
let provider: InstanceType<ReturnType<typeof xml>['XmlBufferInputProvider']> | undefined;
function files(): NonNullable<typeof provider> {
  if (!provider) {
    const { XmlBufferInputProvider, xmlRegisterInputProvider } = xml();
    provider = new XmlBufferInputProvider({});
    xmlRegisterInputProvider(provider);
  }
  return provider;
}

/** Serve `bytes` to libxml2 under `url` (a schema an import names). */
export function registerSchemaFile(url: string, bytes: Uint8Array): void {
  files().addBuffer(url, bytes);
}

let generation = 0;

/**
 * The payload schema of a SID: every xs:schema inside the bundle's WSDLs (with the namespaces
 * they inherit from wsdl:definitions), and every file they import, compiled once. Absolute
 * locations the bundle maps (`locations:` in service.yaml) are served from the mapped files.
 */
export function compileBundleSchemas(sid: string, bundle: Bundle, locations: Record<string, string>): CompiledSchema {
  const { XsdValidator, XmlDocument } = xml();
  const base = `smev2-schema://${sid}/${++generation}/`;
  const p = files();
  for (const f of bundle.files.values()) p.addBuffer(base + f.rel, f.bytes);
  for (const [location, rel] of Object.entries(locations)) {
    const f = bundle.files.get(rel);
    if (f) p.addBuffer(location, f.bytes);
  }
  // inline schemas of every WSDL, each made a standalone document
  const byNamespace = new Map<string, string[]>();
  let n = 0;
  for (const f of bundle.files.values()) {
    if (f.kind !== 'wsdl') continue;
    const doc = parseLocal(f.bytes, base + f.rel, () => undefined, 'schema');
    try {
      for (const node of doc.find('/wsdl:definitions/wsdl:types/xs:schema', { wsdl: NS.wsdl, xs: NS.xsd })) {
        const schema = node as XmlElement;
        const own = schema.nsDeclarations;
        for (const [prefix, uri] of Object.entries(schema.namespaces)) {
          if (!(prefix in own) && prefix !== 'xml') schema.addNsDeclaration(uri, prefix || undefined);
        }
        // relative imports inside an inline schema resolve against the WSDL's own folder
        const dir = f.rel.includes('/') ? f.rel.slice(0, f.rel.lastIndexOf('/') + 1) : '';
        const name = `${dir}__inline-${n++}.xsd`;
        p.addBuffer(base + name, Buffer.from(schema.toString({ format: false }), 'utf8'));
        const tns = schema.attr('targetNamespace')?.value ?? '';
        byNamespace.set(tns, [...(byNamespace.get(tns) ?? []), name]);
      }
    } finally {
      doc.dispose();
    }
  }
  if (!byNamespace.size) throw new Error('the WSDL declares no schema (wsdl:types)');
  // one wrapper per namespace (xs:include of its inline schemas), one top wrapper importing them all
  const imports: string[] = [];
  let w = 0;
  for (const [tns, names] of byNamespace) {
    let location = names[0]!;
    if (names.length > 1) {
      location = `__wrapper-${w++}.xsd`;
      p.addBuffer(base + location, Buffer.from(
        `<xs:schema xmlns:xs="${NS.xsd}"${tns ? ` targetNamespace="${tns}"` : ''}>${names.map((nm) => `<xs:include schemaLocation="${base}${nm}"/>`).join('')}</xs:schema>`));
    }
    imports.push(`<xs:import${tns ? ` namespace="${tns}"` : ''} schemaLocation="${base}${location}"/>`);
  }
  const top = `<xs:schema xmlns:xs="${NS.xsd}" targetNamespace="urn:smev2-gateway:payload">${imports.join('')}</xs:schema>`;
  countParse('schema', Buffer.byteLength(top));
  const doc = XmlDocument.fromString(top, { url: `${base}__top.xsd` });
  try {
    return new CompiledSchema(XsdValidator.fromDoc(doc), `${sid} payload`, doc);
  } catch (e) {
    doc.dispose();
    const details = (e as { details?: { message: string; file?: string; line?: number }[] }).details;
    const why = details?.length ? details.slice(0, 3).map((d) => `${d.file ? `${d.file.replace(base, '')}${d.line ? `:${d.line}` : ''}: ` : ''}${d.message.trim()}`).join('; ') : (e as Error).message;
    throw new Error(`the payload schema does not compile: ${why}`);
  }
}
