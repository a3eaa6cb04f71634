// @ts-check
import { h, replace } from './dom.js';

/**
 * A form drawn from an XSD form model (src/xsd/form.ts: GET /admin/compose/:sid/:operation, an
 * inbox request's answer form), and the values typed into it by their instance paths, as the
 * server's renderValues reads them: the request composer and the inbox's answer share it.
 */

/**
 * @typedef {{ name: string, ns: string, path: string, kind: 'group'|'field', minOccurs: number, maxOccurs: number|null, type?: string,
 *   enumeration?: string[], pattern?: string, minLength?: number, maxLength?: number, minInclusive?: string, maxInclusive?: string,
 *   documentation?: string, choice?: boolean, compositor?: 'sequence'|'choice', any?: boolean, fixed?: string, default?: string, list?: boolean,
 *   recursive?: boolean, truncated?: boolean, unresolved?: string, appData?: boolean, id?: string, xsiType?: { ns: string, local: string }, children?: FormNode[], attributes?: FormNode[] }} FormNode
 */

const NUMERIC = /^(integer|int|long|short|byte|decimal|float|double|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$/;


/** Every filled input's value by its instance path. @param {Element} root */
export function collect(root) {
  /** @type {Record<string, string>} */
  const values = {};
  for (const el of root.querySelectorAll('[data-path]')) {
    const input = /** @type {HTMLInputElement} */ (el);
    if (input.disabled) continue;
    const v = input.value;
    if (v !== '') values[/** @type {string} */ (input.dataset.path)] = v;
  }
  return values;
}

const join = (parent, name) => (parent ? `${parent}/${name}` : name);
/**
 * An input's id from its value's path, as the server makes a form node's `id` (src/xsd/form.ts):
 * every character but ASCII letters, digits and `-` as `_<hex>_`, so Cyrillic names never collide.
 * @param {string} path
 */
const fieldId = (path) => `f-${path.replace(/[^A-Za-z0-9-]/gu, (c) => `_${/** @type {number} */ (c.codePointAt(0)).toString(16)}_`)}`;
const repeats = (n) => n.maxOccurs === null || n.maxOccurs > 1;
const required = (n) => n.minOccurs > 0;

/** @param {FormNode} root */
export function formTree(root) {
  const top = root.appData || (root.name === 'AppData' && root.kind === 'group');
  const box = h('div', { class: 'form-tree' });
  if (top) box.append(...content(root.children ?? [], root.path));
  else box.append(element(root, root.path, true));
  if (!box.childElementCount) box.append(h('p', { class: 'muted' }, 'This operation’s AppData has no fields: use the XML tab.'));
  return box;
}

/** The children of an element (or a compositor), at the element's instance path. @param {FormNode[]} nodes @param {string} at */
function content(nodes, at) {
  return nodes.map((n) => {
    if (n.any) return anyField(n, at);
    if (n.compositor === 'choice') return choice(n, at);
    if (n.compositor === 'sequence') return h('div', { class: 'seq' }, n.documentation ? hint(n.documentation) : null, content(n.children ?? [], at));
    return repeats(n) ? repeated(n, at) : element(n, join(at, n.name), false);
  });
}

/** An element occurring several times: its instances, Add and Remove. */
function repeated(n, at) {
  const base = join(at, n.name);
  const list = h('div', { class: 'instances' });
  const max = n.maxOccurs ?? Infinity;
  const add = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'small add' }, `+ Add ${n.name}`));
  const count = () => list.children.length;
  const pathOf = (i) => `${base}${i > 1 ? `[${i}]` : ''}`;
  const sync = () => {
    [...list.children].forEach((inst, k) => {
      const el = /** @type {HTMLElement} */ (inst);
      const want = pathOf(k + 1);
      if (el.dataset.instance !== want) rebase(el, /** @type {string} */ (el.dataset.instance), want);
      const label = el.querySelector(':scope > .instance-head .instance-n');
      if (label) label.textContent = `${n.name} ${k + 1}`;
      const rm = /** @type {HTMLButtonElement | null} */ (el.querySelector(':scope > .instance-head .remove'));
      if (rm) rm.disabled = count() <= Math.max(n.minOccurs, 0);
    });
    add.disabled = count() >= max;
  };
  const addOne = () => {
    const i = count() + 1;
    const inst = h('div', { class: 'instance', dataset: { instance: pathOf(i) } },
      h('div', { class: 'instance-head' }, h('span', { class: 'instance-n' }, `${n.name} ${i}`),
        h('button', { type: 'button', class: 'small link remove', title: `remove this ${n.name}`, onclick: () => { inst.remove(); sync(); } }, 'Remove')),
      element(n, pathOf(i), false, true));
    list.append(inst);
    sync();
  };
  add.addEventListener('click', addOne);
  for (let i = 0; i < Math.max(1, Math.min(n.minOccurs, 20)); i++) addOne();
  return h('div', { class: 'repeated', dataset: { node: n.path } },
    h('div', { class: 'repeated-head' }, label(n), h('span', { class: 'muted small' }, ` ${n.minOccurs}…${n.maxOccurs ?? '∞'}`)),
    n.documentation ? hint(n.documentation) : null, list, add);
}

/** Rewrite the paths under an instance that moved (a sibling before it was removed). */
function rebase(el, from, to) {
  const swap = (p) => (p === from || p.startsWith(`${from}/`) || p.startsWith(`${from}[`) ? to + p.slice(from.length) : p);
  el.dataset.instance = to;
  for (const x of el.querySelectorAll('[data-path]')) {
    const input = /** @type {HTMLInputElement} */ (x);
    input.dataset.path = swap(/** @type {string} */ (input.dataset.path));
    // the id and the label's for= follow the path: a later instance must not get an id still in use
    const label = input.id ? el.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
    const path = /** @type {string} */ (input.dataset.path);
    input.id = fieldId(path);
    input.name = path;
    if (label) /** @type {HTMLLabelElement} */ (label).htmlFor = input.id;
  }
  for (const x of el.querySelectorAll('[data-instance]')) /** @type {HTMLElement} */ (x).dataset.instance = swap(/** @type {string} */ (/** @type {HTMLElement} */ (x).dataset.instance));
}

/** An xs:choice: pick one alternative, its fields below. */
function choice(n, at) {
  const alts = n.children ?? [];
  const name = (a) => (a.compositor ? (a.children ?? []).map((c) => c.name).join(' + ') : a.name);
  const sel = /** @type {HTMLSelectElement} */ (h('select', { class: 'choice-select' },
    required(n) ? null : h('option', { value: '' }, '— none —'),
    alts.map((a, i) => h('option', { value: String(i) }, name(a)))));
  const box = h('div', { class: 'choice-body' });
  const draw = () => replace(box, sel.value === '' ? null : content([alts[Number(sel.value)]], at));
  sel.addEventListener('change', draw);
  draw();
  return h('fieldset', { class: 'choice' }, h('legend', null, 'one of', required(n) ? h('span', { class: 'req', title: 'required' }, ' *') : null), n.documentation ? hint(n.documentation) : null, sel, box);
}

/** xs:any: XML of any element. */
function anyField(n, at) {
  const path = join(at, '#any');
  const id = n.id && n.path === path ? n.id : fieldId(path);
  return h('label', { class: 'field any', for: id }, h('span', null, 'any XML'),
    h('textarea', { class: 'code-input', rows: '4', id, name: path, dataset: { path }, spellcheck: 'false', placeholder: '<x:Element xmlns:x="…">…</x:Element>' }));
}

function label(n) {
  return h('span', { class: 'node-name', title: n.ns ? `{${n.ns}}${n.name}` : n.name }, n.name, required(n) ? h('span', { class: 'req', title: 'required' }, ' *') : null);
}

function hint(doc) {
  const t = String(doc).replace(/\s+/g, ' ').trim();
  return h('p', { class: 'doc', title: t }, t.length > 240 ? `${t.slice(0, 239)}…` : t);
}

/**
 * One element at its instance path: a group (fieldset) or a field (an input).
 * @param {FormNode} n @param {string} at @param {boolean} root @param {boolean} [instance] drawn inside a repeated block
 */
function element(n, at, root, instance = false) {
  const attrs = (n.attributes ?? []).map((a) => field(a, `${at}/@${a.name}`, `@${a.name}`));
  const notes = [n.recursive ? 'not expanded: its type encloses itself; use the XML tab for deeper levels' : null, n.truncated ? 'not expanded: the form is at its size limit; use the XML tab' : null, n.unresolved ?? null].filter(Boolean);
  if (n.kind === 'field') {
    const f = field(n, at, n.name, instance);
    if (!attrs.length) return f;
    return h('fieldset', { class: 'group' }, h('legend', null, label(n)), attrs, f);
  }
  const typeNote = n.xsiType ? h('p', { class: 'doc' }, 'written with xsi:type ', h('span', { class: 'mono' }, n.xsiType.local), ' (its type is abstract)') : null;
  const inner = [n.documentation ? hint(n.documentation) : null, typeNote, notes.map((x) => h('p', { class: 'note' }, x)), attrs, content(n.children ?? [], at)];
  if (instance) return h('div', { class: 'group-body' }, inner);
  if (root) return h('fieldset', { class: 'group root' }, h('legend', null, label(n)), inner);
  // optional groups start folded, to keep big schemas readable
  return h('details', { class: 'group', open: required(n) }, h('summary', null, label(n), required(n) ? null : h('span', { class: 'muted small' }, ' optional')), h('div', { class: 'group-body' }, inner));
}

/** A value's input, by its type and facets. @param {FormNode} n @param {string} path @param {string} name */
function field(n, path, name, instance = false) {
  const t = n.type ?? 'string';
  /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
  let input;
  const common = { dataset: { path }, id: n.id && n.path === path ? n.id : fieldId(path), name: path, autocomplete: 'off', spellcheck: 'false' };
  if (n.enumeration?.length) {
    input = /** @type {HTMLSelectElement} */ (h('select', common, h('option', { value: '' }, '—'), n.enumeration.map((v) => h('option', { value: v }, v))));
  } else if (t === 'boolean') {
    input = /** @type {HTMLSelectElement} */ (h('select', common, h('option', { value: '' }, '—'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false')));
  } else if (t === 'xml') {
    input = /** @type {HTMLTextAreaElement} */ (h('textarea', { ...common, class: 'code-input', rows: '3' }));
  } else if (t === 'date') {
    input = /** @type {HTMLInputElement} */ (h('input', { ...common, type: 'date' }));
  } else if (NUMERIC.test(t)) {
    input = /** @type {HTMLInputElement} */ (h('input', { ...common, type: 'number', step: /^(decimal|float|double)$/.test(t) ? 'any' : '1', min: n.minInclusive ?? null, max: n.maxInclusive ?? null }));
  } else {
    const placeholder = t === 'dateTime' ? 'YYYY-MM-DDThh:mm:ss' : t === 'time' ? 'hh:mm:ss' : n.default ?? '';
    input = /** @type {HTMLInputElement} */ (h('input', { ...common, type: 'text', placeholder }));
  }
  if (n.enumeration?.length === 1 && n.minOccurs > 0) input.value = n.enumeration[0];
  else if (n.default !== undefined && n.enumeration?.includes(n.default)) input.value = n.default;
  if (n.fixed !== undefined) {
    input.value = n.fixed;
    input.setAttribute('readonly', '');
  }
  const facts = [
    t !== 'string' ? t : null,
    n.list ? 'space-separated list' : null,
    n.minLength !== undefined || n.maxLength !== undefined ? (n.minLength === n.maxLength ? `${n.minLength} characters` : `${n.minLength ?? 0}–${n.maxLength ?? '…'} characters`) : null,
    n.pattern ? (n.pattern.length > 24 ? 'pattern (hover)' : `pattern ${n.pattern}`) : null,
    n.fixed !== undefined ? 'fixed' : null,
  ].filter(Boolean);
  const warn = h('span', { class: 'field-warn', hidden: true });
  let re = null;
  try {
    re = n.pattern ? new RegExp(`^(?:${n.pattern})$`, 'u') : null;
  } catch {
    re = null;
  }
  input.addEventListener('change', () => {
    const v = input.value;
    const why = !v ? '' : re && !re.test(v) ? 'does not match the pattern' : n.maxLength !== undefined && v.length > n.maxLength ? `longer than ${n.maxLength}` : n.minLength !== undefined && v.length < n.minLength ? `shorter than ${n.minLength}` : '';
    warn.textContent = why;
    warn.hidden = !why;
    input.classList.toggle('warn', !!why);
  });
  return h('label', { class: `field${instance ? ' in-instance' : ''}`, for: common.id },
    h('span', { class: 'field-label' }, instance ? h('span', { class: 'node-name' }, 'value') : label({ ...n, name }), facts.length ? h('span', { class: 'facts', title: n.pattern ? `pattern: ${n.pattern}` : null }, facts.join(' · ')) : null),
    input, warn, n.documentation ? hint(n.documentation) : null);
}
