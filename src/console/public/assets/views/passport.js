// @ts-check
import { h, replace, seg, qs, pageHead, errorBox, kv } from '../lib/dom.js';
import { get } from '../lib/api.js';

/**
 * A SID's passport (docs/passport.md): GET /admin/services/{sid}/passport, whose `doc`
 * (src/documents/model.ts: sections of fields, paragraphs, code and tables) is drawn here as the
 * HTML and PDF renderers draw it; downloads of those (/passport.pdf, /passport.html), the WSDL, the OpenAPI document, and the
 * composer for whoever may use it. Operators, auditors and requesters.
 */

/** @typedef {{ label: string, value: string, hint?: string }} Field */
/** @typedef {{ kind: 'fields', rows: Field[] } | { kind: 'paragraph', text: string } | { kind: 'code', text: string, language?: string } | { kind: 'table', header: string[], rows: string[][] }} Block */
/** @typedef {{ heading: string, blocks: Block[], sections?: Section[] }} Section */

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const sid = ctx.params[0] ?? '';
  let p;
  try {
    p = await get(`/services/${seg(sid)}/passport`);
  } catch (e) {
    return void replace(ctx.main, pageHead(`Passport ${sid}`), errorBox(e));
  }
  if (!ctx.alive()) return;
  const doc = p.doc;
  const views = ctx.me.views;
  replace(ctx.main,
    pageHead(doc.title, doc.subtitle,
      h('a', { class: 'button primary', id: 'passport-pdf', href: `/admin/services/${seg(sid)}/passport.pdf`, download: `passport-${sid}.pdf` }, 'PDF'),
      h('a', { class: 'button', id: 'passport-html', href: `/admin/services/${seg(sid)}/passport.html`, download: `passport-${sid}.html` }, 'HTML'),
      h('a', { class: 'button', id: 'passport-json', href: `/admin/services/${seg(sid)}/passport`, download: `passport-${sid}.json` }, 'JSON'),
      h('a', { class: 'button', href: p.links.wsdl, target: '_blank', rel: 'noopener' }, 'WSDL'),
      h('a', { class: 'button', href: p.links.openapi, target: '_blank', rel: 'noopener' }, 'OpenAPI'),
      views.includes('registry') ? h('a', { class: 'button', href: `/console/registry/${seg(sid)}` }, 'Registry') : null,
      views.includes('compose') ? h('a', { class: 'button', id: 'passport-compose', href: `/console/compose${qs({ sid })}` }, 'Compose a request') : null),
    h('nav', { class: 'panel passport-toc', id: 'passport-toc' }, h('h2', null, 'Contents'),
      h('ol', null, doc.sections.map((/** @type {Section} */ s, /** @type {number} */ i) => h('li', null, h('a', { href: `#passport-s${i}` }, s.heading))))),
    h('div', { id: 'passport', dataset: { sid } }, doc.sections.map((/** @type {Section} */ s, /** @type {number} */ i) => section(s, 2, `passport-s${i}`))),
    doc.footer?.length ? h('footer', { class: 'panel passport-footer muted small' }, kv(doc.footer.map((/** @type {Field} */ f) => [f.label, f.value]))) : null);
}

/** @param {Section} s @param {number} level @param {string} [id] @returns {HTMLElement} */
function section(s, level, id) {
  return h('section', { class: level === 2 ? 'panel passport-section' : 'passport-sub', id: id ?? null, dataset: { heading: s.heading } },
    h(level === 2 ? 'h2' : 'h3', null, s.heading),
    s.blocks.map(block),
    (s.sections ?? []).map((x) => section(x, level + 1)));
}

/** @param {Block} b */
function block(b) {
  switch (b.kind) {
    case 'fields':
      return kv(b.rows.map((f) => [f.label, f.hint ? [h('span', null, f.value), h('div', { class: 'muted small' }, f.hint)] : f.value]));
    case 'paragraph':
      return h('p', null, b.text);
    case 'code':
      return h('pre', { class: 'code', dataset: { language: b.language ?? 'text' } }, b.text);
    case 'table':
      return h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
        h('thead', null, h('tr', null, b.header.map((c) => h('th', null, c)))),
        h('tbody', null, b.rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
    default:
      return null;
  }
}
