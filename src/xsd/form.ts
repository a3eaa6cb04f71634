import { NS } from '../envelope/ns';
import type { QName } from '../registry/wsdl-model';
import { SchemaSet, qk, type Component, type XNode } from './xsd';

/**
 * The request composer's form model (docs/composer.md): an element declaration of a
 * SID's bundle as a tree the console draws a form from. Elements are `group` (complex content)
 * or `field` (a value: simple type or simple content); attributes are fields under `attributes`
 * with `@name` paths; an xs:choice is a group named `#choice` with `choice: true` whose children
 * are the alternatives; a sequence that repeats or is an alternative of a choice is a group named
 * `#sequence`; an xs:any is a field named `#any` whose value is XML. Compositor groups add no
 * step to their children's paths: `Request/Person/SNILS` whatever choices lie between.
 */
export interface FormNode {
  name: string;
  ns: string;
  /** slash-separated key of this node's value: `Request/Person/SNILS`, `Request/@id` */
  path: string;
  kind: 'group' | 'field';
  minOccurs: number;
  /** null: unbounded */
  maxOccurs: number | null;
  /** the XSD builtin the value's type derives from: string, date, dateTime, integer, decimal, boolean, … ('xml' for #any) */
  type?: string;
  enumeration?: string[];
  pattern?: string;
  /** a whiteSpace facet (else the builtin's: preserve for xs:string, replace for normalizedString, collapse for the others) */
  whiteSpace?: 'preserve' | 'replace' | 'collapse';
  /** the patterns of the types this one restricts: a value matches each of them too (XSD ORs the patterns of one restriction, ANDs those of successive ones) */
  basePatterns?: string[];
  minLength?: number;
  maxLength?: number;
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
  totalDigits?: number;
  fractionDigits?: number;
  /** a whitespace-separated list of such values */
  list?: true;
  /** a list's item type and facets (the node's own facets are the list's: length counts items) */
  item?: FormNode;
  /** a union's member types, each with its facets, in the union's order (the node's own type and facets are the first member's) */
  members?: FormNode[];
  /** nillable="true": the element may be empty with xsi:nil="true" */
  nillable?: true;
  fixed?: string;
  default?: string;
  documentation?: string;
  children?: FormNode[];
  attributes?: FormNode[];
  /** an attribute (its path ends with @name) */
  attribute?: true;
  /** an xs:choice: one of the children (several when it repeats) */
  choice?: true;
  /** an xs:sequence or xs:choice rather than an element */
  compositor?: 'sequence' | 'choice';
  /** an xs:any: XML of any element goes here */
  any?: true;
  /** mixed content: text may stand between its child elements (the JSON mapping does not carry it) */
  mixed?: true;
  /** an element of an xs:all: its siblings of the all come in any order */
  inAll?: true;
  /** its key in a JSON object where another element of the content has its local name: {namespace}name, or name[2] for the same element met again (json-schema.ts) */
  key?: string;
  /** an xs:any of namespace ##other: the target namespace it excludes (and no namespace) */
  otherThan?: string;
  /** an xs:any's processContents (strict when the schema says nothing, as XSD has it) */
  processContents?: 'strict' | 'lax' | 'skip';
  /** the element's type is abstract: instances carry xsi:type of this derived type */
  xsiType?: QName;
  /** not expanded: its type already encloses it (recursion) */
  recursive?: true;
  /** not expanded: the form reached its size or depth limit */
  truncated?: true;
  /** a reference the bundle does not define (its schema is missing) */
  unresolved?: string;
  /** smev:AppData inside smev:MessageData of an operation element (its content is given separately) */
  appData?: true;
  /**
   * The HTML id of the node's input: `f-` and its path with every character but ASCII letters,
   * digits and `-` written as `_<hex>_` (so Cyrillic names stay apart: «Пол» and «Имя» had one id
   * when each letter became `_`), with `~2`, `~3` … for a path met again in the same form (the
   * same element in two alternatives of a choice). Stable: the same form, the same ids.
   */
  id?: string;
}

/** The HTML id for a value's path (the console's compose view writes the same for repeated instances). */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
}

/** Give every node of a form its id, unique in the form. */
function assignIds(root: FormNode): FormNode {
  const seen = new Map<string, number>();
  for (const n of walkForm(root)) {
    if (n.compositor) continue; // a choice or sequence has no input
    const base = fieldId(n.path);
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    n.id = k === 1 ? base : `${base}~${k}`;
  }
  return root;
}

export interface FormOptions {
  /** deepest element nesting expanded (default 24) */
  maxDepth?: number;
  /** nodes in one form at most (default 5000) */
  maxNodes?: number;
  /** how often one type may enclose itself on a path (default 1: expanded once more, then marked recursive) */
  maxRecursion?: number;
  /** leave smev:MessageData/AppData unexpanded (the operation element, whose AppData content comes from elsewhere) */
  stopAtAppData?: boolean;
}

const XSD = NS.xsd;

interface Effective {
  particles: Component[];
  attributes: Component[];
  /** the simple type of simple content */
  simple?: SimpleRef;
  /** facets of a simpleContent restriction */
  facets?: Component[];
  mixed: boolean;
}

type SimpleRef = { builtin: string } | { comp: Component };

/** Build form trees over one bundle's schemas. */
export class FormBuilder {
  private nodes = 0;
  private readonly o: Required<FormOptions>;

  constructor(readonly set: SchemaSet, o: FormOptions = {}) {
    this.o = { maxDepth: o.maxDepth ?? 24, maxNodes: o.maxNodes ?? 5000, maxRecursion: o.maxRecursion ?? 1, stopAtAppData: o.stopAtAppData ?? false };
  }

  /** The form of a global element, or undefined when the bundle does not define it. */
  element(q: QName, path = ''): FormNode | undefined {
    const c = this.set.get('element', q);
    if (!c) return undefined;
    this.nodes = 0;
    return assignIds(this.elementNode(c, c.node, path, 0, [], true));
  }

  /** The form of a local element declaration (e.g. a typed AppData), with its paths starting at its own name. */
  local(c: Component, global: boolean): FormNode {
    this.nodes = 0;
    return assignIds(this.elementNode(c, c.node, '', 0, [], global));
  }

  private elementNode(c: Component, particle: XNode, parentPath: string, depth: number, stack: string[], global = false, parentName = ''): FormNode {
    this.nodes++;
    let decl = c;
    let ns: string;
    let name: string;
    const occurs = occursOf(particle);
    if (particle.attrs.ref) {
      const q = this.set.resolve(c, particle, particle.attrs.ref);
      const g = this.set.get('element', q);
      const path = join(parentPath, q.local);
      if (!g) return { name: q.local, ns: q.ns, path, kind: 'field', type: 'string', ...occurs, unresolved: `element ${qk(q.ns, q.local)} is not defined in the bundle` };
      decl = g;
      ns = g.ctx.tns;
      name = q.local;
      global = true;
    } else {
      name = particle.attrs.name ?? '';
      const form = particle.attrs.form;
      ns = global || form === 'qualified' || (form === undefined && c.ctx.elementQualified) ? c.ctx.tns : '';
    }
    const path = join(parentPath, name);
    const node: FormNode = { name, ns, path, kind: 'field', ...occurs };
    if (decl.node.attrs.fixed !== undefined) node.fixed = decl.node.attrs.fixed;
    if (decl.node.attrs.default !== undefined) node.default = decl.node.attrs.default;
    if (decl.node.attrs.nillable === 'true') node.nillable = true;
    let doc = documentation(decl.node);

    if (this.o.stopAtAppData && name === 'AppData' && parentName === 'MessageData') {
      node.kind = 'group';
      node.appData = true;
      if (doc) node.documentation = doc;
      return node;
    }
    const key = global ? `element ${qk(ns, name)}` : '';
    const typeAttr = decl.node.attrs.type;
    const inlineComplex = decl.node.children.find((x) => x.local === 'complexType');
    const inlineSimple = decl.node.children.find((x) => x.local === 'simpleType');
    if (typeAttr) {
      const t = this.set.resolve(decl, decl.node, typeAttr);
      const ct = this.set.get('complexType', t);
      const st = ct ? undefined : this.set.get('simpleType', t);
      doc ??= documentation((ct ?? st)?.node);
      if (t.ns === XSD && !ct && !st) {
        if (t.local === 'anyType') this.anyContent(node);
        else Object.assign(node, { type: t.local });
      } else if (ct) {
        this.complex(node, ct, qk(t.ns, t.local), depth, stack);
      } else if (st) {
        this.simple(node, { comp: st }, 0);
      } else {
        node.type = 'string';
        node.unresolved = `type ${qk(t.ns, t.local)} is not defined in the bundle`;
      }
    } else if (inlineComplex) {
      this.complex(node, { node: inlineComplex, ctx: decl.ctx }, key, depth, stack);
    } else if (inlineSimple) {
      this.simple(node, { comp: { node: inlineSimple, ctx: decl.ctx } }, 0);
    } else if (decl.node.attrs.substitutionGroup) {
      const head = this.set.get('element', this.set.resolve(decl, decl.node, decl.node.attrs.substitutionGroup));
      if (head) {
        const h = this.elementNode(head, head.node, parentPath, depth, stack, true);
        Object.assign(node, { ...h, name, ns, path, ...occurs });
        rebase(node, h.path, path);
      } else this.anyContent(node);
    } else {
      this.anyContent(node);
    }
    if (doc) node.documentation = doc;
    return node;
  }

  /** an element of xs:anyType: any content, given as XML */
  private anyContent(node: FormNode): void {
    node.kind = 'group';
    node.children = [{ name: '#any', ns: '##any', path: join(node.path, '#any'), kind: 'field', type: 'xml', minOccurs: 0, maxOccurs: null, any: true, processContents: 'lax' }];
  }

  private complex(node: FormNode, ct: Component, key: string, depth: number, stack: string[]): void {
    let type = ct;
    if (type.node.attrs.abstract === 'true' && key) {
      const concrete = this.concreteDerived(key);
      if (concrete) {
        type = concrete.comp;
        node.xsiType = concrete.q;
        key = qk(concrete.q.ns, concrete.q.local);
      }
    }
    const seen = key ? stack.filter((s) => s === key).length : 0;
    if (seen > this.o.maxRecursion) {
      node.kind = 'group';
      node.recursive = true;
      return;
    }
    if (depth >= this.o.maxDepth || this.nodes >= this.o.maxNodes) {
      node.kind = 'group';
      node.truncated = true;
      return;
    }
    const inner = key ? [...stack, key] : stack;
    const eff = this.effective(type, 0);
    const attributes = this.attributeNodes(eff.attributes, node.path);
    if (attributes.length) node.attributes = attributes;
    if (eff.simple) {
      node.kind = 'field';
      this.simple(node, eff.simple, 0);
      for (const f of eff.facets ?? []) applyFacets(node, f.node);
      return;
    }
    node.kind = 'group';
    const children: FormNode[] = [];
    const counters = new Map<string, number>();
    for (const p of eff.particles) this.particle(p, node.path, depth + 1, inner, children, counters, node.name);
    if (!children.length && eff.mixed) {
      node.kind = 'field';
      node.type = 'string';
      return;
    }
    distinctKeys(children);
    node.children = children;
    if (eff.mixed) node.mixed = true;
  }

  /** The first concrete complex type derived (at any distance) from an abstract one. */
  private concreteDerived(key: string): { comp: Component; q: QName } | undefined {
    const queue = [...(this.set.derived.get(key) ?? [])];
    const seen = new Set<string>();
    while (queue.length) {
      const k = queue.shift()!;
      if (seen.has(k)) continue;
      seen.add(k);
      const c = this.set.components.complexType.get(k);
      if (!c) continue;
      if (c.node.attrs.abstract !== 'true') {
        const m = /^\{(.*)\}(.*)$/.exec(k)!;
        return { comp: c, q: { ns: m[1]!, local: m[2]! } };
      }
      queue.push(...(this.set.derived.get(k) ?? []));
    }
    return undefined;
  }

  /** A complex type's content and attributes with its derivation chain applied. */
  private effective(ct: Component, guard: number): Effective {
    const out: Effective = { particles: [], attributes: [], mixed: ct.node.attrs.mixed === 'true' };
    if (guard > 20) return out;
    const own = (n: XNode, ctx: Component['ctx']) => {
      for (const x of n.children) {
        if (['sequence', 'choice', 'all', 'group'].includes(x.local)) out.particles.push({ node: x, ctx });
        else if (x.local === 'attribute' || x.local === 'attributeGroup') out.attributes.push({ node: x, ctx });
      }
    };
    const content = ct.node.children.find((x) => x.local === 'complexContent' || x.local === 'simpleContent');
    if (!content) {
      own(ct.node, ct.ctx);
      return out;
    }
    if (content.attrs.mixed === 'true') out.mixed = true;
    const d = content.children.find((x) => x.local === 'extension' || x.local === 'restriction');
    if (!d) return out;
    const baseQ = d.attrs.base ? this.set.resolve(ct, d, d.attrs.base) : undefined;
    const baseCt = baseQ && this.set.get('complexType', baseQ);
    const base = baseCt ? this.effective(baseCt, guard + 1) : undefined;
    if (content.local === 'simpleContent') {
      if (base) {
        out.simple = base.simple;
        out.facets = [...(base.facets ?? [])];
        out.attributes.push(...base.attributes);
      } else if (baseQ) {
        const st = this.set.get('simpleType', baseQ);
        out.simple = st ? { comp: st } : { builtin: baseQ.ns === XSD ? baseQ.local : 'string' };
      }
      const inline = d.children.find((x) => x.local === 'simpleType');
      if (inline) out.simple = { comp: { node: inline, ctx: ct.ctx } };
      out.simple ??= { builtin: 'string' };
      if (d.local === 'restriction') out.facets = [...(out.facets ?? []), { node: d, ctx: ct.ctx }];
      own(d, ct.ctx);
      out.attributes = mergeAttributes(out.attributes);
      return out;
    }
    if (d.local === 'extension' && base) {
      out.particles.push(...base.particles);
      out.attributes.push(...base.attributes);
      out.mixed ||= base.mixed;
    } else if (d.local === 'restriction' && base) {
      out.attributes.push(...base.attributes);
    }
    own(d, ct.ctx);
    out.attributes = mergeAttributes(out.attributes);
    return out;
  }

  private particle(p: Component, parentPath: string, depth: number, stack: string[], out: FormNode[], counters: Map<string, number>, parentName: string): void {
    const n = p.node;
    switch (n.local) {
      case 'element':
        out.push(this.elementNode(p, n, parentPath, depth, stack, false, parentName));
        return;
      case 'group': {
        if (!n.attrs.ref) return;
        const g = this.set.get('group', this.set.resolve(p, n, n.attrs.ref));
        const comp = g?.node.children.find((x) => ['sequence', 'choice', 'all'].includes(x.local));
        if (!g || !comp) return;
        // the reference's occurrences apply to the group's compositor
        const merged: XNode = { ...comp, attrs: { ...comp.attrs, minOccurs: n.attrs.minOccurs ?? comp.attrs.minOccurs ?? '1', maxOccurs: n.attrs.maxOccurs ?? comp.attrs.maxOccurs ?? '1' } };
        this.particle({ node: merged, ctx: g.ctx }, parentPath, depth, stack, out, counters, parentName);
        return;
      }
      case 'any': {
        this.nodes++;
        // a second wildcard of the same content is #any2 (as a second choice is #choice2)
        const k = (counters.get('#any') ?? 0) + 1;
        counters.set('#any', k);
        const name = k > 1 ? `#any${k}` : '#any';
        // ##targetNamespace names the schema's own (the JSON Schema's note says which); ##other excludes it
        const ns = (n.attrs.namespace ?? '##any').trim().split(/\s+/).map((t) => (t === '##targetNamespace' ? p.ctx.tns || '##local' : t)).join(' ');
        out.push({ name, ns, path: join(parentPath, name), kind: 'field', type: 'xml', ...occursOf(n), any: true, ...(ns === '##other' ? { otherThan: p.ctx.tns } : {}),
          processContents: n.attrs.processContents === 'lax' || n.attrs.processContents === 'skip' ? n.attrs.processContents : 'strict' });
        return;
      }
      case 'sequence':
      case 'all': {
        const occ = occursOf(n);
        // an xs:all's elements come in any order: they are marked (written in the schema's order, read in any)
        const all = (nodes: FormNode[]) => n.local === 'all' && nodes.forEach((c) => !c.compositor && !c.any && (c.inAll = true));
        if (occ.minOccurs === 1 && occ.maxOccurs === 1) {
          const before = out.length;
          for (const x of n.children) this.particle({ node: x, ctx: p.ctx }, parentPath, depth, stack, out, counters, parentName);
          all(out.slice(before));
          return;
        }
        const seq = this.compositor('sequence', p, parentPath, depth, stack, counters, parentName);
        all(seq.children ?? []);
        out.push(seq);
        return;
      }
      case 'choice':
        out.push(this.compositor('choice', p, parentPath, depth, stack, counters, parentName));
        return;
      default:
    }
  }

  private compositor(kind: 'sequence' | 'choice', p: Component, parentPath: string, depth: number, stack: string[], counters: Map<string, number>, parentName: string): FormNode {
    this.nodes++;
    const label = `#${kind}`;
    const k = (counters.get(label) ?? 0) + 1;
    counters.set(label, k);
    const name = k > 1 ? `${label}${k}` : label;
    const node: FormNode = { name, ns: '', path: join(parentPath, name), kind: 'group', ...occursOf(p.node), compositor: kind, children: [] };
    if (kind === 'choice') node.choice = true;
    const doc = documentation(p.node);
    if (doc) node.documentation = doc;
    for (const x of p.node.children) {
      const seq = kind === 'choice' ? this.sequenceOf({ node: x, ctx: p.ctx }) : undefined;
      if (seq) {
        // an alternative that is a sequence (or a group of one) stays one node, even when it occurs once
        node.children!.push(this.compositor('sequence', seq, parentPath, depth, stack, counters, parentName));
      } else this.particle({ node: x, ctx: p.ctx }, parentPath, depth, stack, node.children!, counters, parentName);
    }
    return node;
  }

  /** A sequence or all, or a group reference whose group is one (with the reference's occurrences): the particle it is. */
  private sequenceOf(c: Component): Component | undefined {
    const n = c.node;
    if (n.local === 'sequence' || n.local === 'all') return c;
    if (n.local !== 'group' || !n.attrs.ref) return undefined;
    const g = this.set.get('group', this.set.resolve(c, n, n.attrs.ref));
    const comp = g?.node.children.find((x) => ['sequence', 'choice', 'all'].includes(x.local));
    if (!g || !comp || comp.local === 'choice') return undefined;
    return { node: { ...comp, attrs: { ...comp.attrs, minOccurs: n.attrs.minOccurs ?? comp.attrs.minOccurs ?? '1', maxOccurs: n.attrs.maxOccurs ?? comp.attrs.maxOccurs ?? '1' } }, ctx: g.ctx };
  }

  private attributeNodes(list: Component[], elementPath: string, guard = 0): FormNode[] {
    const out: FormNode[] = [];
    for (const a of list) {
      if (a.node.local === 'attributeGroup') {
        if (!a.node.attrs.ref || guard > 10) continue;
        const g = this.set.get('attributeGroup', this.set.resolve(a, a.node, a.node.attrs.ref));
        if (g) out.push(...this.attributeNodes(g.node.children.filter((x) => x.local === 'attribute' || x.local === 'attributeGroup').map((x) => ({ node: x, ctx: g.ctx })), elementPath, guard + 1));
        continue;
      }
      const use = a.node.attrs.use;
      if (use === 'prohibited') continue;
      let decl = a;
      let name: string;
      let ns: string;
      if (a.node.attrs.ref) {
        const q = this.set.resolve(a, a.node, a.node.attrs.ref);
        name = q.local;
        ns = q.ns;
        const g = this.set.get('attribute', q);
        if (g) decl = g;
        else if (q.ns !== 'http://www.w3.org/XML/1998/namespace') {
          out.push({ name, ns, path: `${elementPath}/@${name}`, kind: 'field', attribute: true, minOccurs: use === 'required' ? 1 : 0, maxOccurs: 1, type: 'string', unresolved: `attribute ${qk(q.ns, q.local)} is not defined in the bundle` });
          continue;
        }
      } else {
        name = a.node.attrs.name ?? '';
        const form = a.node.attrs.form;
        ns = form === 'qualified' || (form === undefined && a.ctx.attributeQualified) ? a.ctx.tns : '';
      }
      this.nodes++;
      const node: FormNode = { name, ns, path: `${elementPath}/@${name}`, kind: 'field', attribute: true, minOccurs: use === 'required' ? 1 : 0, maxOccurs: 1 };
      const fixed = a.node.attrs.fixed ?? decl.node.attrs.fixed;
      const dflt = a.node.attrs.default ?? decl.node.attrs.default;
      if (fixed !== undefined) node.fixed = fixed;
      if (dflt !== undefined) node.default = dflt;
      let doc = documentation(a.node) ?? documentation(decl.node);
      const inline = decl.node.children.find((x) => x.local === 'simpleType');
      if (decl.node.attrs.type) {
        const t = this.set.resolve(decl, decl.node, decl.node.attrs.type);
        const st = this.set.get('simpleType', t);
        if (st) {
          doc ??= documentation(st.node);
          this.simple(node, { comp: st }, 0);
        } else node.type = t.ns === XSD ? t.local : 'string';
      } else if (inline) this.simple(node, { comp: { node: inline, ctx: decl.ctx } }, 0);
      else node.type = 'anySimpleType';
      if (doc) node.documentation = doc;
      out.push(node);
    }
    return out;
  }

  /** A simple type's builtin and facets, the most derived restriction winning facet by facet. */
  private simple(node: FormNode, ref: SimpleRef, guard: number): void {
    if ('builtin' in ref) {
      node.type = ref.builtin;
      return;
    }
    const { node: st, ctx } = ref.comp;
    if (guard > 30) {
      node.type ??= 'string';
      return;
    }
    const r = st.children.find((x) => x.local === 'restriction');
    const list = st.children.find((x) => x.local === 'list');
    const union = st.children.find((x) => x.local === 'union');
    if (r) {
      const inline = r.children.find((x) => x.local === 'simpleType');
      if (inline) this.simple(node, { comp: { node: inline, ctx } }, guard + 1);
      else if (r.attrs.base) {
        const q = this.set.resolve(ref.comp, r, r.attrs.base);
        const base = this.set.get('simpleType', q);
        if (base) this.simple(node, { comp: base }, guard + 1);
        else node.type = q.ns === XSD ? q.local : 'string';
      }
      applyFacets(node, r);
    } else if (list) {
      node.type = 'string';
      node.list = true;
      const item: FormNode = { name: node.name, ns: node.ns, path: node.path, kind: 'field', minOccurs: 1, maxOccurs: 1 };
      const inline = list.children.find((x) => x.local === 'simpleType');
      if (inline) this.simple(item, { comp: { node: inline, ctx } }, guard + 1);
      else if (list.attrs.itemType) {
        const q = this.set.resolve(ref.comp, list, list.attrs.itemType);
        const base = this.set.get('simpleType', q);
        if (base) this.simple(item, { comp: base }, guard + 1);
        else item.type = q.ns === XSD ? q.local : 'string';
      }
      item.type ??= 'string';
      node.item = item;
    } else if (union) {
      const first = union.attrs.memberTypes?.trim().split(/\s+/)[0];
      const inline = union.children.find((x) => x.local === 'simpleType');
      const members: FormNode[] = [];
      const member = (r: SimpleRef) => {
        const m: FormNode = { name: node.name, ns: node.ns, path: node.path, kind: 'field', minOccurs: 1, maxOccurs: 1 };
        this.simple(m, r, guard + 1);
        members.push(m);
      };
      for (const t of union.attrs.memberTypes?.trim().split(/\s+/).filter(Boolean) ?? []) {
        const q = this.set.resolve(ref.comp, union, t);
        const base = this.set.get('simpleType', q);
        member(base ? { comp: base } : { builtin: q.ns === XSD ? q.local : 'string' });
      }
      for (const x of union.children.filter((c) => c.local === 'simpleType')) member({ comp: { node: x, ctx } });
      if (members.length) node.members = members;
      if (first) {
        const q = this.set.resolve(ref.comp, union, first);
        const base = this.set.get('simpleType', q);
        if (base) this.simple(node, { comp: base }, guard + 1);
        else node.type = q.ns === XSD ? q.local : 'string';
      } else if (inline) this.simple(node, { comp: { node: inline, ctx } }, guard + 1);
      else node.type = 'string';
    }
    node.type ??= 'string';
  }
}

/**
 * Elements of one content (a JSON object's keys) with one local name and two namespaces (a local
 * element and a reference to another schema's): the later ones are keyed {namespace}name; one
 * element met again further on in a sequence (A, B, A): A[2]. The alternatives of a choice may
 * share keys (one of them is written); a repeated group's elements are keys of its items, another
 * object.
 */
function distinctKeys(particles: FormNode[]): void {
  // local name -> the namespaces met, and how often each
  type Seen = Map<string, Map<string, number>>;
  const copy = (m: Seen): Seen => new Map([...m].map(([k, v]) => [k, new Map(v)]));
  const visit = (ps: FormNode[], seen: Seen) => {
    for (const p of ps) {
      if (p.compositor && p.maxOccurs !== 1) distinctKeys(p.children ?? []);
      else if (p.compositor === 'choice') {
        // the alternatives of a choice may share a key (one is written); what follows sees them all
        // (the same element in two alternatives is one key; another namespace's of that name is not)
        const after = copy(seen);
        for (const alt of p.children ?? []) {
          const own = copy(seen);
          for (const [name, nss] of after) for (const ns of nss.keys()) if (!own.get(name)?.has(ns)) own.set(name, new Map([...(own.get(name) ?? []), [ns, 0]]));
          visit([alt], own);
          for (const [name, nss] of own) for (const [ns, k] of nss) after.set(name, new Map([...(after.get(name) ?? []), [ns, Math.max(k, after.get(name)?.get(ns) ?? 0)]]));
        }
        for (const [k, v] of after) seen.set(k, v);
      } else if (p.compositor) visit(p.children ?? [], seen);
      else if (!p.any) {
        const nss = seen.get(p.name) ?? new Map<string, number>();
        const first = nss.size === 0 || [...nss.keys()][0] === p.ns;
        const k = (nss.get(p.ns) ?? 0) + 1;
        nss.set(p.ns, k);
        seen.set(p.name, nss);
        // another namespace's: {namespace}name; the same element again further on (A, B, A): A[2]
        const base = first ? p.name : `{${p.ns}}${p.name}`;
        if (!first || k > 1) p.key = k > 1 ? `${base}[${k}]` : base;
      }
    }
  };
  visit(particles, new Map());
}

function applyFacets(node: FormNode, r: XNode): void {
  const enums = r.children.filter((x) => x.local === 'enumeration').map((x) => x.attrs.value ?? '');
  if (enums.length) node.enumeration = enums;
  const patterns = r.children.filter((x) => x.local === 'pattern').map((x) => x.attrs.value ?? '');
  if (patterns.length) {
    if (node.pattern !== undefined) node.basePatterns = [...(node.basePatterns ?? []), node.pattern];
    node.pattern = patterns.length === 1 ? patterns[0] : patterns.map((p) => `(${p})`).join('|');
  }
  const ws = r.children.find((x) => x.local === 'whiteSpace')?.attrs.value?.trim();
  if (ws === 'preserve' || ws === 'replace' || ws === 'collapse') node.whiteSpace = ws;
  const num = (local: string) => {
    const v = r.children.find((x) => x.local === local)?.attrs.value;
    return v === undefined || !/^\d+$/.test(v.trim()) ? undefined : Number(v);
  };
  const length = num('length');
  if (length !== undefined) node.minLength = node.maxLength = length;
  const minLength = num('minLength');
  const maxLength = num('maxLength');
  if (minLength !== undefined) node.minLength = minLength;
  if (maxLength !== undefined) node.maxLength = maxLength;
  const totalDigits = num('totalDigits');
  const fractionDigits = num('fractionDigits');
  if (totalDigits !== undefined) node.totalDigits = totalDigits;
  if (fractionDigits !== undefined) node.fractionDigits = fractionDigits;
  for (const f of ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive'] as const) {
    const v = r.children.find((x) => x.local === f)?.attrs.value;
    if (v !== undefined) node[f] = v.trim();
  }
}

/** Attributes by name: a later declaration (the derived type's) replaces an earlier one. */
function mergeAttributes(list: Component[]): Component[] {
  const byName = new Map<string, Component>();
  for (const a of list) byName.set(a.node.local === 'attributeGroup' ? `group ${a.node.attrs.ref}` : a.node.attrs.name ?? a.node.attrs.ref ?? '', a);
  return [...byName.values()];
}

function occursOf(n: XNode): { minOccurs: number; maxOccurs: number | null } {
  const min = n.attrs.minOccurs === undefined ? 1 : Number(n.attrs.minOccurs);
  const max = n.attrs.maxOccurs === undefined ? 1 : n.attrs.maxOccurs === 'unbounded' ? null : Number(n.attrs.maxOccurs);
  return { minOccurs: Number.isFinite(min) ? min : 1, maxOccurs: max === null || Number.isFinite(max) ? max : 1 };
}

function documentation(n: XNode | undefined): string | undefined {
  const texts = n?.children.filter((x) => x.local === 'annotation').flatMap((a) => a.children.filter((d) => d.local === 'documentation').map((d) => d.text ?? '')).filter(Boolean);
  return texts?.length ? texts.join('\n') : undefined;
}

function join(parent: string, name: string): string {
  return parent ? `${parent}/${name}` : name;
}

/** Re-key a subtree built under `from` to sit under `to` (every path that starts with `from`). */
export function rebase(node: FormNode, from: string, to: string): void {
  const fix = (n: FormNode) => {
    if (n.path === from) n.path = to;
    else if (n.path.startsWith(`${from}/`)) n.path = `${to}${to ? '/' : ''}${n.path.slice(from.length + 1)}`;
    n.children?.forEach(fix);
    n.attributes?.forEach(fix);
  };
  fix(node);
}

/** Every node of a tree, depth first. */
export function* walkForm(node: FormNode): Generator<FormNode> {
  yield node;
  for (const a of node.attributes ?? []) yield a;
  for (const c of node.children ?? []) yield* walkForm(c);
}
