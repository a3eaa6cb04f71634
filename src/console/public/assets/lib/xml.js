// @ts-check
import { h } from './dom.js';

/**
 * Pretty-printed XML for the message view: an own tolerant tokenizer, never the browser's XML
 * parser, so a journal entry is shown as it was received (prefixes, entity references, attribute
 * quotes) and nothing in it is ever expanded, fetched or run. Every element with children can be
 * folded; wsse:Security and ds:Signature blocks start folded; long base64 text is folded to its
 * first characters and length. Anything not well-formed is shown as received, as plain text.
 */

/** Elements (by local name) that start folded. */
const FOLDED = new Set(['Security', 'Signature']);
/** Elements marked as signature blocks (for the verdicts and for tests). */
const SIGNATURE = new Set(['Security', 'Signature']);
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;
const MAX_TOKENS = 200_000;
const MAX_RAW_SHOWN = 2_000_000;

/**
 * @typedef {{ t: 'text' | 'comment' | 'cdata' | 'pi' | 'doctype', v: string }} Leaf
 * @typedef {{ t: 'el', name: string, attrs: [string, string][], kids: Node[], self: boolean }} El
 * @typedef {Leaf | El} Node
 */

class NotWellFormed extends Error {}

/** @param {string} src @returns {Node[]} */
export function parseXml(src) {
  /** @type {El} */
  const root = { t: 'el', name: '#root', attrs: [], kids: [], self: false };
  /** @type {El[]} */
  const stack = [root];
  const n = src.length;
  let i = 0;
  let tokens = 0;
  const top = () => stack[stack.length - 1];
  const need = (s, from) => {
    const k = src.indexOf(s, from);
    if (k < 0) throw new NotWellFormed(`unclosed ${s === '-->' ? 'comment' : s === ']]>' ? 'CDATA section' : 'markup'} at ${from}`);
    return k;
  };
  while (i < n) {
    if (++tokens > MAX_TOKENS) throw new NotWellFormed(`more than ${MAX_TOKENS} tokens`);
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      top().kids.push({ t: 'text', v: src.slice(i) });
      break;
    }
    if (lt > i) top().kids.push({ t: 'text', v: src.slice(i, lt) });
    if (src.startsWith('<!--', lt)) {
      const e = need('-->', lt + 4);
      top().kids.push({ t: 'comment', v: src.slice(lt, e + 3) });
      i = e + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const e = need(']]>', lt + 9);
      top().kids.push({ t: 'cdata', v: src.slice(lt, e + 3) });
      i = e + 3;
    } else if (src.startsWith('<?', lt)) {
      const e = need('?>', lt + 2);
      top().kids.push({ t: 'pi', v: src.slice(lt, e + 2) });
      i = e + 2;
    } else if (src.startsWith('<!', lt)) {
      // a DOCTYPE, with its internal subset in [ … ]: shown, never interpreted
      let j = lt + 2;
      let depth = 0;
      for (; j < n; j++) {
        const c = src[j];
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (j >= n) throw new NotWellFormed('unclosed <!');
      top().kids.push({ t: 'doctype', v: src.slice(lt, j + 1) });
      i = j + 1;
    } else if (src[lt + 1] === '/') {
      const e = need('>', lt);
      const name = src.slice(lt + 2, e).trim();
      if (stack.length < 2 || top().name !== name) throw new NotWellFormed(`</${name}> does not close <${top().name}>`);
      stack.pop();
      i = e + 1;
    } else {
      let j = lt + 1;
      let q = '';
      for (; j < n; j++) {
        const c = src[j];
        if (q) { if (c === q) q = ''; } else if (c === '"' || c === "'") q = c;
        else if (c === '>') break;
        else if (c === '<') throw new NotWellFormed(`"<" inside a tag at ${j}`);
      }
      if (j >= n) throw new NotWellFormed(`unclosed tag at ${lt}`);
      let inner = src.slice(lt + 1, j);
      const self = inner.endsWith('/');
      if (self) inner = inner.slice(0, -1);
      const m = /^[^\s/>]+/.exec(inner);
      if (!m) throw new NotWellFormed(`a tag without a name at ${lt}`);
      /** @type {[string, string][]} */
      const attrs = [];
      const re = /([^\s=]+)\s*=\s*("[^"]*"|'[^']*')/g;
      const rest = inner.slice(m[0].length);
      let a;
      while ((a = re.exec(rest))) attrs.push([a[1], a[2]]);
      /** @type {El} */
      const el = { t: 'el', name: m[0], attrs, kids: [], self };
      top().kids.push(el);
      if (!self) stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length > 1) throw new NotWellFormed(`<${top().name}> is not closed`);
  return root.kids;
}

const local = (name) => name.slice(name.indexOf(':') + 1);

/** The element's name as prefix and local part. */
function nameParts(name) {
  const c = name.indexOf(':');
  return c < 0 ? [h('span', { class: 'x-n' }, name)] : [h('span', { class: 'x-p' }, name.slice(0, c + 1)), h('span', { class: 'x-n' }, name.slice(c + 1))];
}

/** @param {El} el @param {boolean} selfClose */
function startTag(el, selfClose) {
  return h('span', { class: 'x-tag' }, h('span', { class: 'x-b' }, '<'), nameParts(el.name),
    el.attrs.map(([k, v]) => [' ', h('span', { class: k === 'xmlns' || k.startsWith('xmlns:') ? 'x-an x-ns' : 'x-an' }, k), h('span', { class: 'x-b' }, '='), h('span', { class: k === 'xmlns' || k.startsWith('xmlns:') ? 'x-av x-ns' : 'x-av' }, v)]),
    h('span', { class: 'x-b' }, selfClose ? '/>' : '>'));
}

/** @param {El} el */
function endTag(el) {
  return h('span', { class: 'x-tag' }, h('span', { class: 'x-b' }, '</'), nameParts(el.name), h('span', { class: 'x-b' }, '>'));
}

/** Text, with long base64 (or any very long text) folded to its beginning and length. */
function textSpan(v) {
  const t = v.trim();
  const isB64 = t.length > 160 && BASE64.test(t);
  if (!isB64 && t.length <= 2000) return h('span', { class: 'x-t' }, t);
  const label = `${isB64 ? 'base64' : 'text'}, ${t.length.toLocaleString('en-US')} characters`;
  const box = h('span', { class: 'x-fold-text' });
  const fold = () => {
    box.replaceChildren(h('span', { class: 'x-t' }, `${t.slice(0, isB64 ? 48 : 300)}…`), ' ',
      h('button', { type: 'button', class: 'x-unfold', title: 'show all of it', onclick: unfold }, `${label}: show`));
  };
  const unfold = () => {
    box.replaceChildren(h('span', { class: 'x-t x-wrap' }, t), ' ', h('button', { type: 'button', class: 'x-unfold', onclick: fold }, 'fold'));
  };
  fold();
  return box;
}

/** @param {Node} node */
function renderNode(node) {
  switch (node.t) {
    case 'text': {
      if (!node.v.trim()) return null;
      return h('div', { class: 'x-line' }, textSpan(node.v));
    }
    case 'comment': return h('div', { class: 'x-line x-c' }, node.v);
    case 'cdata': return h('div', { class: 'x-line x-cdata' }, node.v.length > 2000 ? textSpan(node.v) : node.v);
    case 'pi': return h('div', { class: 'x-line x-pi' }, node.v);
    case 'doctype': return h('div', { class: 'x-line x-doctype' }, node.v);
    default: return renderEl(node);
  }
}

/** @param {El} el */
function renderEl(el) {
  const kids = el.kids.filter((k) => k.t !== 'text' || k.v.trim());
  if (!kids.length) return h('div', { class: 'x-line' }, startTag(el, true));
  const only = kids.length === 1 ? kids[0] : null;
  if (only && only.t === 'text' && only.v.trim().length <= 160 && !only.v.trim().includes('\n')) {
    return h('div', { class: 'x-line' }, startTag(el, false), h('span', { class: 'x-t' }, only.v.trim()), endTag(el));
  }
  const ln = local(el.name);
  const sig = SIGNATURE.has(ln);
  const d = h('details', { class: sig ? 'x-el x-sig' : 'x-el', open: !FOLDED.has(ln), dataset: { name: ln } },
    // folded, the summary ends with "…</name>", drawn by the stylesheet from data-end (so it is not text of the page)
    h('summary', { class: 'x-line', dataset: { end: `</${el.name}>` } }, startTag(el, false)));
  d.append(h('div', { class: 'x-kids' }, kids.map(renderNode)), h('div', { class: 'x-line x-end' }, endTag(el)));
  return d;
}

/**
 * The XML of a message, pretty-printed and foldable.
 * @param {string | null} src
 * @returns {HTMLElement}
 */
export function xmlView(src) {
  if (src === null || src === undefined) return h('div', { class: 'xml xml-none' }, 'The body was purged by retention: the metadata and hashes are kept.');
  let nodes;
  try {
    nodes = parseXml(src);
  } catch (e) {
    if (!(e instanceof NotWellFormed)) throw e;
    const shown = src.length > MAX_RAW_SHOWN ? `${src.slice(0, MAX_RAW_SHOWN)}\n…` : src;
    return h('div', { class: 'xml xml-bad' }, h('p', { class: 'x-note' }, `Not well-formed XML (${e.message}): shown as received.`), h('pre', { class: 'x-raw' }, shown));
  }
  if (!nodes.some((k) => k.t === 'el')) return h('div', { class: 'xml xml-bad' }, h('p', { class: 'x-note' }, 'Not XML: shown as received.'), h('pre', { class: 'x-raw' }, src.slice(0, MAX_RAW_SHOWN)));
  return h('div', { class: 'xml' }, nodes.map(renderNode));
}

/** Open or fold every element of a view. @param {Element} view @param {boolean} open */
export function foldAll(view, open) {
  for (const d of view.querySelectorAll('details.x-el')) /** @type {HTMLDetailsElement} */ (d).open = open;
}

/** A toolbar and the view: expand all, fold all, fold signatures. @param {string | null} src */
export function xmlPanel(src, ...extra) {
  const view = xmlView(src);
  const bar = h('div', { class: 'xml-bar' },
    h('button', { type: 'button', class: 'small', onclick: () => foldAll(view, true) }, 'Expand all'),
    h('button', { type: 'button', class: 'small', onclick: () => foldAll(view, false) }, 'Collapse all'),
    h('button', { type: 'button', class: 'small', onclick: () => { for (const d of view.querySelectorAll('details.x-sig')) /** @type {HTMLDetailsElement} */ (d).open = false; } }, 'Fold signatures'),
    extra);
  return h('div', { class: 'xml-panel' }, bar, view);
}
