import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep, posix } from 'node:path';
import { parseLocal } from '../xml/dom';
import type { XmlDocument, XmlElement } from '../xml/libxml';
import { NS } from '../envelope/ns';

/** One reference from a bundle file to another document. */
export interface ImportRef {
  kind: 'wsdl:import' | 'xsd:import' | 'xsd:include' | 'xsd:redefine';
  attr: 'location' | 'schemaLocation';
  value: string;
  /** the bundle file it resolves to (path relative to the bundle root, '/' separators) */
  target?: string;
}

export interface BundleFile {
  rel: string;
  kind: 'wsdl' | 'xsd' | 'other';
  bytes: Buffer;
  refs: ImportRef[];
}

export interface Bundle {
  root: string;
  main: string;
  files: Map<string, BundleFile>;
  /** imports whose target the folder does not hold: served as they are */
  missing: { file: string; location: string; namespace?: string }[];
  /** hard errors (a file that does not parse, an import that leaves the folder) */
  errors: { file: string; reason: string }[];
  /** served anyway, worth telling (a wrong encoding declaration) */
  warnings: { file: string; reason: string }[];
}

const IMPORT_XPATH = '//wsdl:import[@location] | //xsd:import[@schemaLocation] | //xsd:include[@schemaLocation] | //xsd:redefine[@schemaLocation]';
const NSMAP = { wsdl: NS.wsdl, xsd: NS.xsd };

/** Load a WSDL bundle: the main file and everything it imports, transitively, within `root`. */
export function loadBundle(root: string, main: string, locations: Record<string, string>): Bundle {
  const bundle: Bundle = { root, main, files: new Map(), missing: [], errors: [], warnings: [] };
  const queue = [toRel(main)];
  while (queue.length) {
    const rel = queue.shift()!;
    if (bundle.files.has(rel)) continue;
    const abs = join(root, rel);
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch (e) {
      bundle.errors.push({ file: rel, reason: `cannot read: ${(e as Error).message}` });
      continue;
    }
    let doc: XmlDocument;
    try {
      doc = parseLocal(bytes, abs, (w) => bundle.warnings.push({ file: rel, reason: w }));
    } catch (e) {
      bundle.errors.push({ file: rel, reason: `not well-formed XML: ${(e as Error).message}` });
      bundle.files.set(rel, { rel, kind: 'other', bytes, refs: [] });
      continue;
    }
    try {
      const rootEl = doc.root;
      const kind = rootEl.namespaceUri === NS.wsdl ? 'wsdl' : rootEl.namespaceUri === NS.xsd ? 'xsd' : 'other';
      const refs: ImportRef[] = [];
      for (const node of doc.find(IMPORT_XPATH, NSMAP)) {
        const el = node as XmlElement;
        const isWsdl = el.namespaceUri === NS.wsdl;
        const attr = isWsdl ? 'location' : 'schemaLocation';
        const value = el.attr(attr)?.value.trim() ?? '';
        if (!value) continue;
        const ref: ImportRef = { kind: `${isWsdl ? 'wsdl' : 'xsd'}:${el.name}` as ImportRef['kind'], attr, value };
        const target = resolveLocation(root, rel, value, locations);
        if (target.error) bundle.errors.push({ file: rel, reason: target.error });
        else if (target.rel) {
          ref.target = target.rel;
          queue.push(target.rel);
        } else bundle.missing.push({ file: rel, location: value, namespace: el.attr('namespace')?.value.trim() || undefined });
        refs.push(ref);
      }
      bundle.files.set(rel, { rel, kind, bytes, refs });
    } finally {
      doc.dispose();
    }
  }
  return bundle;
}

function toRel(p: string): string {
  return p.split(sep).join('/').replace(/^\.\//, '');
}

function resolveLocation(root: string, fromRel: string, value: string, locations: Record<string, string>): { rel?: string; error?: string } {
  const mapped = locations[value];
  if (mapped !== undefined) {
    if (!existsSync(join(root, mapped))) return { error: `locations maps ${value} to ${mapped}, which is not in the folder` };
    return { rel: toRel(posix.normalize(mapped)) };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return {}; // absolute URL (http:, file:, urn:): not ours
  const abs = resolve(root, dirname(fromRel), decodeURIComponent(value.split(/[?#]/)[0]));
  const rel = relative(root, abs);
  if (rel.startsWith('..') || resolve(root, rel) !== abs) return { error: `import ${value} points outside the SID folder` };
  if (!existsSync(abs) || !statSync(abs).isFile()) return {};
  return { rel: toRel(rel) };
}

/**
 * The schemas of a folder (at any depth) whose targetNamespace is `namespace`: where an import the
 * folder does not hold by its location (http://www.w3.org/2004/08/xop/include) is held by its
 * namespace (smev/xop-include.xsd). Paths relative to `root`, '/' separators, sorted.
 */
export function namespaceHolders(root: string, namespace: string, cache = new Map<string, string | undefined>()): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (/\.xsd$/i.test(e.name)) {
        if (!cache.has(abs)) cache.set(abs, targetNamespace(readFileSync(abs)));
        if (cache.get(abs) === namespace) found.push(toRel(relative(root, abs)));
      }
    }
  };
  if (existsSync(root)) walk(root);
  return found.sort();
}

function targetNamespace(bytes: Buffer): string | undefined {
  try {
    const doc = parseLocal(bytes);
    try {
      return doc.root.namespaceUri === NS.xsd ? doc.root.attr('targetNamespace')?.value : undefined;
    } finally {
      doc.dispose();
    }
  } catch {
    return undefined; // not XML: it holds no namespace (loading the bundle reports it if it is used)
  }
}
