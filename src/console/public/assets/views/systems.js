// @ts-check
import { h, replace, qs, pageHead, errorBox, table, fmtTime } from '../lib/dom.js';
import { get } from '../lib/api.js';

/**
 * The information systems (operators; GET /admin/systems): who may send what (grants), their
 * certificates or issuing CAs with validity, callbacks and event subscriptions.
 */

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  let list;
  try {
    list = await get('/systems');
  } catch (e) {
    return void replace(ctx.main, pageHead('Systems'), errorBox(e));
  }
  if (!ctx.alive()) return;
  const now = Date.now();
  replace(ctx.main, pageHead('Systems', 'The registry of information systems: trust, access rights, callbacks'),
    h('div', { class: 'table-wrap' }, table([
      { title: 'System', cell: (x) => [h('div', { class: 'mono strong' }, x.mnemonic), h('div', { class: 'muted small' }, x.name ?? '')] },
      { title: 'Access rights', cell: (x) => grants(x.grants) },
      { title: 'Certificates', cell: (x) => (x.certificates.length ? h('ul', { class: 'certs' }, x.certificates.map((c) => cert(c, now))) : h('span', { class: 'muted' }, 'none')) },
      { title: 'Callback', cell: (x) => (x.callback ? h('span', { class: 'mono small' }, typeof x.callback === 'string' ? x.callback : JSON.stringify(x.callback)) : h('span', { class: 'muted' }, '—')) },
      { title: 'Subscriptions', cell: (x) => (x.subscriptions?.length ? h('ul', { class: 'plain small' }, x.subscriptions.map((s) => h('li', null, h('span', { class: 'mono' }, s.url), ' ', h('span', { class: 'muted' }, (s.events ?? []).join(', '))))) : h('span', { class: 'muted' }, '—')) },
      { title: '', cell: (x) => h('a', { href: `/console/journal${qs({ sender: x.mnemonic })}` }, 'Sent') },
    ], list, { attrs: { id: 'systems-table' }, empty: 'No systems are registered.' })));
}

function grants(g) {
  if (g === '*' ) return h('span', { class: 'grant all' }, 'every SID');
  if (!g || (typeof g === 'object' && !Object.keys(g).length)) return h('span', { class: 'muted' }, 'none');
  if (typeof g !== 'object') return String(g);
  return h('ul', { class: 'plain small' }, Object.entries(g).map(([sid, ops]) => h('li', null, h('span', { class: 'mono' }, sid), ': ', ops === '*' ? 'every operation' : Array.isArray(ops) ? ops.join(', ') : String(ops))));
}

function cert(c, now) {
  const to = new Date(c.notAfter).getTime();
  const from = new Date(c.notBefore).getTime();
  const state = to < now ? 'expired' : from > now ? 'not yet valid' : to - now < 30 * 86400_000 ? 'expires soon' : 'valid';
  return h('li', { class: `cert cert-${state.replace(/ /g, '-')}` },
    h('span', { class: 'cert-kind' }, c.kind === 'issuer' ? 'issuer CA' : 'pinned'), ' ',
    h('span', { class: 'small' }, c.subject), h('br'),
    h('span', { class: 'muted small' }, `${fmtTime(c.notBefore, false).slice(0, 10)} – ${fmtTime(c.notAfter, false).slice(0, 10)} · `),
    h('span', { class: `cert-state small` }, state),
    h('span', { class: 'muted small mono', title: `SHA-1 thumbprint ${c.thumbprint}` }, ` · ${String(c.thumbprint).slice(0, 12)}…`));
}
