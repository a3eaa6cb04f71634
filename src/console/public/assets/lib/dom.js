// @ts-check
/**
 * DOM building for the console. Everything the journal holds is attacker-controlled, so nothing
 * here ever parses a string as HTML: strings become text nodes, attributes are set one by one,
 * and links are only made from paths this code builds.
 */

/**
 * An element: h('a', { href: '/console/journal', class: 'x' }, 'text', child, [more]).
 * Attributes: `class`, `on<event>` (a function), `dataset` (an object), `hidden`/`disabled`/…
 * (booleans), anything else as a string attribute; null, undefined and false are left out.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element, as h() does HTML ones.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children
 * @returns {SVGElement}
 */
export function s(tag, attrs, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** @param {Element} el @param {Record<string, any> | null | undefined} attrs */
function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(/** @type {HTMLElement} */ (el).dataset, v);
    else if (k === 'href' || k === 'src' || k === 'action') el.setAttribute(k, safeUrl(String(v)));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Only our own paths and http(s) URLs are links: never javascript: or data: from the journal. */
export function safeUrl(u) {
  if (/^\/(?!\/)/.test(u) || /^https?:\/\//i.test(u) || u.startsWith('#') || u.startsWith('?')) return u;
  return '#';
}

/** @param {Node} el @param {any[]} children */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Empty an element and put children in it. @param {Element} el @param {...any} children */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A path segment, encoded. */
export const seg = (v) => encodeURIComponent(String(v));

/** A query string from an object, leaving out empty values. @param {Record<string, any>} o */
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** The browser's offset from UTC at that time, as ISO 8601 writes it (+03:00), or UTC. @param {Date} d */
export function zoneOf(d) {
  const m = -d.getTimezoneOffset();
  if (m === 0) return 'UTC';
  const a = Math.abs(m);
  return `${m > 0 ? '+' : '-'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** A time as the operator's clock shows it, with its zone: 2026-11-22 14:05:03.123 +03:00 (the title gives UTC). */
export function fmtTime(iso, ms = true) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${ms ? `${s}.${pad(d.getMilliseconds(), 3)}` : s} ${zoneOf(d)}`;
}

/** A <time> element with the local time and its zone shown, the UTC one in its title. */
export function time(iso, ms = true) {
  const d = iso ? new Date(iso) : null;
  const title = d && !Number.isNaN(d.getTime()) ? `${d.toISOString()} (UTC); shown in this browser's time zone, ${Intl.DateTimeFormat().resolvedOptions().timeZone}` : '';
  return h('time', { datetime: iso ?? '', title }, fmtTime(iso, ms));
}

export function fmtMs(v) {
  if (v === null || v === undefined) return '—';
  const n = Number(v);
  if (n >= 10000) return `${(n / 1000).toFixed(1)} s`;
  if (n >= 100) return `${Math.round(n)} ms`;
  return `${n.toFixed(1)} ms`;
}

export function fmtBytes(v) {
  if (v === null || v === undefined) return '—';
  const n = Number(v);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const fmtInt = (n) => Number(n ?? 0).toLocaleString('en-US').replace(/,/g, '\u202f');

/** A short form of a long id, whole in the title. */
export function shortId(id, n = 8) {
  if (!id) return '—';
  const s = String(id);
  return s.length > n + 2 ? h('span', { class: 'mono', title: s }, `${s.slice(0, n)}…`) : h('span', { class: 'mono' }, s);
}

/** How a verdict reads: ok, warn, bad, or none. */
export function verdictKind(v) {
  if (v === null || v === undefined || v === '') return 'none';
  const s = String(v);
  if (/^report:/i.test(s)) return /absent/.test(s) ? 'none' : 'warn';
  if (/^(ok$|ok:|smev:ok|recipient:ok|recipient:signed|signed)/i.test(s)) return 'ok';
  if (/^(absent|not checked)/i.test(s)) return 'none';
  return 'bad';
}

/** A verdict as a badge: its kind's colour, the first words shown, all of it in the title. */
export function verdict(v, label) {
  const kind = verdictKind(v);
  const text = v === null || v === undefined || v === '' ? '—' : String(v);
  return h('span', { class: `verdict v-${kind}`, title: text }, label ? h('b', null, label, ' ') : null, text);
}

/** A status badge (REQUEST, RESULT, ACCEPT, …). */
export function status(st) {
  if (!st) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `st st-${String(st).toLowerCase().replace(/[^a-z]/g, '')}` }, st);
}

const ARROWS = {
  'consumer->gateway': ['consumer', 'gateway', 'in'],
  'gateway->provider': ['gateway', 'provider', 'out'],
  'provider->gateway': ['provider', 'gateway', 'in'],
  'gateway->consumer': ['gateway', 'consumer', 'out'],
};

/** A leg's direction: consumer → gateway. */
export function direction(d) {
  const a = ARROWS[d];
  if (!a) return h('span', { class: 'dir' }, d ?? '—');
  return h('span', { class: `dir dir-${a[2]}`, title: d }, a[0], h('span', { class: 'arrow' }, ' → '), a[1]);
}

/** A message in the toast area. @param {string} text @param {'ok'|'bad'|'info'} [kind] */
export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h('div', { class: `toast toast-${kind}`, role: kind === 'bad' ? 'alert' : 'status' }, text);
  box.appendChild(t);
  setTimeout(() => t.remove(), kind === 'bad' ? 9000 : 4000);
}

/** A page heading with optional actions on the right. */
export function pageHead(title, sub, ...actions) {
  return h('div', { class: 'page-head' },
    h('div', null, h('h1', null, title), sub ? h('p', { class: 'sub' }, sub) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

/** A key/value list. @param {[string, any][]} rows */
export function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter((r) => r).map(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, '—') : v)]));
}

/** An error box for a failed load. */
export function errorBox(e) {
  return h('div', { class: 'error-box', role: 'alert' }, h('b', null, 'Could not load: '), e instanceof Error ? e.message : String(e));
}

/**
 * A table from columns and rows.
 * @param {{ title: any, cell: (r: any) => any, cls?: string }[]} cols
 * @param {any[]} rows
 * @param {{ empty?: string, attrs?: Record<string, any>, row?: (r: any) => Record<string, any> }} [o]
 */
export function table(cols, rows, o = {}) {
  return h('table', { class: 'grid', ...(o.attrs ?? {}) },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c.cls ?? null }, c.title)))),
    h('tbody', null, rows.length ? rows.map((r) => h('tr', o.row ? o.row(r) : null, cols.map((c) => h('td', { class: c.cls ?? null }, c.cell(r))))) :
      h('tr', null, h('td', { colspan: String(cols.length), class: 'empty' }, o.empty ?? 'Nothing here.'))));
}
