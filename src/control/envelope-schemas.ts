import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { xml, type XmlElement } from '../xml/libxml';
import { childElements } from '../xml/dom';
import { countParse } from '../xml/parse-count';
import type { ParsedEnvelope } from '../envelope/parse';
import { NS, revisionOf } from '../envelope/ns';
import { CompiledSchema, registerSchemaFile, type SchemaError } from './schemas';

/** The envelope schemas of the three revisions (xsd/): each smev element validated as a subtree. */
export interface EnvelopeSchemas {
  /**
   * Errors of the message's smev:Header, smev:Message and smev:MessageData against its revision.
   * `withMessageData: false` leaves MessageData to the SID's own bundle, which knows the AppData
   * types (real Treasury messages carry xsi:type of types only their bundle defines).
   */
  validate(p: ParsedEnvelope, opts?: { withMessageData: boolean }): SchemaError[];
}

interface Manifest {
  format: number;
  namespaces: Record<string, { validate: string[]; rule: 'any-variant'; variants: { id: string; schema: string }[] }>;
}

/**
 * Compile every variant of xsd/index.json once. A block is valid when any variant of its
 * namespace accepts it (rev120315 has two published variants: ServiceName, or Service).
 */
export function loadEnvelopeSchemas(dir: string): EnvelopeSchemas {
  const manifest = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Manifest;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.xsd'))) registerSchemaFile(`smev2-schema://xsd/${f}`, readFileSync(join(dir, f)));
  const { XmlDocument, XsdValidator } = xml();
  const byNs = new Map<string, { validate: Set<string>; variants: CompiledSchema[] }>();
  for (const [ns, entry] of Object.entries(manifest.namespaces)) {
    const variants = entry.variants.map((v) => {
      const bytes = readFileSync(join(dir, v.schema));
      countParse('schema', bytes.length);
      const doc = XmlDocument.fromBuffer(bytes, { url: `smev2-schema://xsd/${v.schema}` });
      try {
        return new CompiledSchema(XsdValidator.fromDoc(doc), v.id, doc);
      } catch (e) {
        doc.dispose();
        throw e;
      }
    });
    byNs.set(ns, { validate: new Set(entry.validate), variants });
  }
  return {
    validate(p, opts = { withMessageData: true }) {
      const blocks: XmlElement[] = [];
      const header = p.doc.root && [...childElements(p.doc.root)].find((e) => e.namespaceUri === NS.soap && e.name === 'Header');
      if (header) for (const h of childElements(header)) if (revisionOf(h.namespaceUri)) blocks.push(h);
      if (p.messageElement) blocks.push(p.messageElement);
      const data = p.messageElement?.parent && [...childElements(p.messageElement.parent)].find((e) => e.name === 'MessageData' && revisionOf(e.namespaceUri));
      if (data && opts.withMessageData) blocks.push(data);
      const errors: SchemaError[] = [];
      for (const el of blocks) {
        const entry = byNs.get(el.namespaceUri);
        if (!entry || !entry.validate.has(el.name)) continue;
        let best: SchemaError[] | undefined;
        for (const v of entry.variants) {
          const e = v.validate(el);
          if (!e.length) {
            best = [];
            break;
          }
          if (!best || e.length < best.length) best = e;
        }
        if (best?.length) errors.push(...best);
      }
      return errors;
    },
  };
}
