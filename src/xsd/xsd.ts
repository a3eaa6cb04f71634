import { basename } from 'node:path';
import { parseLocal, isElement } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import { NS } from '../envelope/ns';
import type { Bundle } from '../registry/bundle';
import type { QName } from '../registry/wsdl-model';

/**
 * The XML Schema components of a SID's WSDL/XSD bundle, read once into plain objects: every
 * xs:schema of the bundle (XSD files and the WSDLs' inline schemas), their global elements, types,
 * groups and attributes by qualified name. xs:import and xs:include need no following here: the
 * bundle already holds every file they reach (registry/bundle.ts); an included schema without a
 * targetNamespace (a "chameleon") is also read into each includer's namespace.
 *
 * This is a reading model for forms and samples, not a validator: libxml2 compiles the same
 * bundle for the payload control (control/schemas.ts) and has the last word.
 */

/** An element of a schema document (XSD namespace only, plus documentation text). */
export interface XNode {
  local: string;
  attrs: Record<string, string>;
  /** namespaces in scope (prefix -> URI; '' is the default namespace) */
  scope: Record<string, string>;
  children: XNode[];
  /** xs:documentation only: its text */
  text?: string;
}

export interface SchemaCtx {
  tns: string;
  elementQualified: boolean;
  attributeQualified: boolean;
  /** read into an includer's namespace: unqualified references mean that namespace */
  chameleon: boolean;
  /** the bundle file it comes from */
  file: string;
}

export interface Component {
  node: XNode;
  ctx: SchemaCtx;
}

export type ComponentKind = 'element' | 'complexType' | 'simpleType' | 'group' | 'attributeGroup' | 'attribute';

export const qk = (ns: string, local: string): string => `{${ns}}${local}`;

export const SMEV_NS = /^http:\/\/smev\.gosuslugi\.ru\/rev\d{6}$/;

export class SchemaSet {
  readonly components: Record<ComponentKind, Map<string, Component>> = {
    element: new Map(), complexType: new Map(), simpleType: new Map(), group: new Map(), attributeGroup: new Map(), attribute: new Map(),
  };
  /** global elements in document order (for the AppData candidates) */
  readonly elementOrder: string[] = [];
  /** a prefix the bundle itself uses for each namespace (for readable output) */
  readonly prefixes = new Map<string, string>();
  /** complex types by the type they derive from (for abstract types) */
  readonly derived = new Map<string, string[]>();
  /** elements named by ref= somewhere (the roots of a bundle are the ones never referenced) */
  readonly referenced = new Set<string>();
  readonly problems: string[] = [];

  /** Read every schema of a bundle. Files that do not parse are skipped and said in `problems`. */
  static fromBundle(bundle: Bundle): SchemaSet {
    const set = new SchemaSet();
    const roots = new Map<string, XNode[]>();
    for (const f of bundle.files.values()) {
      if (f.kind === 'other') continue;
      let doc;
      try {
        doc = parseLocal(f.bytes, undefined, () => undefined);
      } catch (e) {
        set.problems.push(`${f.rel}: ${(e as Error).message}`);
        continue;
      }
      try {
        const root = doc.root;
        const schemas: XmlElement[] = [];
        if (f.kind === 'xsd' && root.name === 'schema') schemas.push(root);
        else if (f.kind === 'wsdl') {
          for (const types of elementChildren(root)) {
            if (types.namespaceUri !== NS.wsdl || types.name !== 'types') continue;
            for (const s of elementChildren(types)) if (s.namespaceUri === NS.xsd && s.name === 'schema') schemas.push(s);
          }
        }
        roots.set(f.rel, schemas.map((s) => toXNode(s, { ...s.namespaces })));
      } finally {
        doc.dispose();
      }
    }
    // chameleon includes: a no-namespace schema included by one with a namespace takes that
    // namespace, and so do the no-namespace schemas it includes in turn
    const chameleons = (rel: string, s: XNode, tns: string, seen: Set<string>) => {
      for (const inc of s.children.filter((c) => c.local === 'include' || c.local === 'redefine')) {
        const target = bundle.files.get(rel)?.refs.find((r) => (r.kind === 'xsd:include' || r.kind === 'xsd:redefine') && r.value === inc.attrs.schemaLocation)?.target;
        if (!target || seen.has(target)) continue;
        seen.add(target);
        for (const t of roots.get(target) ?? []) {
          if (t.attrs.targetNamespace) continue;
          set.read(t, ctxOf(t, tns, true, target));
          chameleons(target, t, tns, seen);
        }
      }
    };
    for (const [rel, schemas] of roots) {
      for (const s of schemas) {
        const tns = s.attrs.targetNamespace ?? '';
        set.read(s, ctxOf(s, tns, false, rel));
        if (tns) chameleons(rel, s, tns, new Set([rel]));
      }
    }
    return set;
  }

  private read(schema: XNode, ctx: SchemaCtx): void {
    for (const [p, uri] of Object.entries(schema.scope)) {
      if (p && uri && uri !== NS.xsd && /^[A-Za-z_][\w.-]*$/.test(p) && !this.prefixes.has(uri)) this.prefixes.set(uri, p);
    }
    for (const c of schema.children) {
      const name = c.attrs.name;
      if (c.local === 'redefine') {
        // the redefinitions win over the originals (a self-reference in them is not followed)
        for (const r of c.children) if (r.attrs.name) this.add(r.local as ComponentKind, qk(ctx.tns, r.attrs.name), { node: r, ctx }, true);
        continue;
      }
      if (!name || !(c.local in this.components)) continue;
      const key = qk(ctx.tns, name);
      if (this.add(c.local as ComponentKind, key, { node: c, ctx }) && c.local === 'element') this.elementOrder.push(key);
      if (c.local === 'complexType') {
        const base = derivationBase(c);
        if (base) {
          const b = this.resolve({ node: c, ctx }, base.node, base.qname);
          const k = qk(b.ns, b.local);
          this.derived.set(k, [...(this.derived.get(k) ?? []), key]);
        }
      }
    }
    const walk = (n: XNode) => {
      if (n.local === 'element' && n.attrs.ref) {
        const r = this.resolve({ node: n, ctx }, n, n.attrs.ref);
        this.referenced.add(qk(r.ns, r.local));
      }
      n.children.forEach(walk);
    };
    schema.children.forEach(walk);
  }

  private add(kind: ComponentKind, key: string, c: Component, replace = false): boolean {
    const m = this.components[kind];
    if (!m) return false;
    if (m.has(key) && !replace) return false;
    m.set(key, c);
    return true;
  }

  get(kind: ComponentKind, q: QName): Component | undefined {
    return this.components[kind].get(qk(q.ns, q.local));
  }

  /** A QName written in `node` (of component `c`'s schema) as {ns, local}. */
  resolve(c: Component, node: XNode, qname: string): QName {
    const i = qname.indexOf(':');
    const prefix = i >= 0 ? qname.slice(0, i) : '';
    const local = i >= 0 ? qname.slice(i + 1) : qname;
    let ns = node.scope[prefix] ?? '';
    if (!ns && c.ctx.chameleon) ns = c.ctx.tns;
    return { ns, local };
  }

  /** The bundle file a global element comes from, without its folder. */
  fileOf(key: string): string {
    const c = this.components.element.get(key);
    return c ? basename(c.ctx.file) : '';
  }
}

function ctxOf(s: XNode, tns: string, chameleon: boolean, file: string): SchemaCtx {
  return {
    tns, chameleon, file,
    elementQualified: s.attrs.elementFormDefault === 'qualified',
    attributeQualified: s.attrs.attributeFormDefault === 'qualified',
  };
}

function derivationBase(ct: XNode): { node: XNode; qname: string } | undefined {
  for (const content of ct.children) {
    if (content.local !== 'complexContent' && content.local !== 'simpleContent') continue;
    for (const d of content.children) if ((d.local === 'extension' || d.local === 'restriction') && d.attrs.base) return { node: d, qname: d.attrs.base };
  }
  return undefined;
}

function* elementChildren(el: XmlElement): Generator<XmlElement> {
  for (let c = el.firstChild; c; c = c.next) if (isElement(c)) yield c;
}

/** The XSD elements of a schema as plain objects (reading libxml2's tree once is far quicker than walking it often). */
function toXNode(el: XmlElement, scope: Record<string, string>): XNode {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) if (!a.namespaceUri) attrs[a.name] = a.value;
  const node: XNode = { local: el.name, attrs, scope, children: [] };
  if (el.name === 'documentation') {
    node.text = el.content.replace(/\s+/g, ' ').trim();
    return node;
  }
  for (const c of elementChildren(el)) {
    if (c.namespaceUri !== NS.xsd) continue;
    const own = c.nsDeclarations;
    node.children.push(toXNode(c, Object.keys(own).length ? { ...scope, ...own } : scope));
  }
  return node;
}
