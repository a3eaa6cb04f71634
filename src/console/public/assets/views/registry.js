// @ts-check
import { h, replace, seg, qs, time, fmtMs, pageHead, errorBox, table, kv, toast } from '../lib/dom.js';
import { get, post } from '../lib/api.js';
import { faultsPanel } from './faults-panel.js';

/**
 * The service registry (operators): every SID in force with its provider, operations, policies,
 * WSDL and the provider's availability (GET /admin/services), one SID in detail
 * (GET /admin/services/:sid) with its fault injection (./faults-panel.js, for `http` SIDs too), and
 * Reload (POST /admin/services/reload).
 */

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  if (ctx.params[0]) return detail(ctx, ctx.params[0]);
  const result = h('div', { id: 'reload-result' });
  const reload = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'primary', id: 'reload' }, 'Reload registry'));
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the registry…'));
  replace(ctx.main, pageHead('Registry', 'The services in force; Reload reads the registry, the systems and the users again', reload), result, body);

  const draw = async () => {
    let list;
    try {
      list = await get('/services');
    } catch (e) {
      return void replace(body, errorBox(e));
    }
    if (!ctx.alive()) return;
    replace(body, h('div', { class: 'table-wrap' }, table([
      { title: 'SID', cell: (x) => [h('a', { class: 'mono strong', href: `/console/registry/${seg(x.sid)}` }, x.sid), h('div', { class: 'muted small' }, `${x.mnemonic} ${x.version}`)] },
      { title: 'Service', cell: (x) => h('span', { class: 'title-cell' }, x.title ?? x.mnemonic) },
      { title: 'Provider', cell: (x) => [h('div', { class: 'mono' }, x.provider?.mnemonic ?? '—'), h('div', { class: 'muted small' }, x.provider?.name ?? '')] },
      { title: 'Operations', cell: (x) => h('ul', { class: 'ops' }, x.operations.map((o) => h('li', null, h('span', { class: 'mono' }, o.name), ' ', h('span', { class: `mode mode-${o.mode}` }, o.mode)))) },
      { title: 'Policies', cell: (x) => h('div', { class: 'policies small' }, pol('signature', x.signature), pol('control', x.control), pol('delivery', x.delivery), pol('adapter', x.adapter)) },
      { title: 'Provider availability', cell: (x) => availability(x.availability) },
      { title: 'WSDL', cell: (x) => h('a', { class: 'wsdl-link', href: x.wsdl, target: '_blank', rel: 'noopener' }, 'WSDL') },
      { title: 'Passport', cell: (x) => h('a', { class: 'passport-link', href: `/console/passport/${seg(x.sid)}` }, 'Passport') },
    ], list, { attrs: { id: 'services-table' }, empty: 'No services are registered.', row: (x) => ({ dataset: { sid: x.sid } }) })));
  };
  reload.addEventListener('click', async () => {
    reload.disabled = true;
    reload.textContent = 'Reloading…';
    try {
      const out = await post('/services/reload');
      replace(result, h('div', { class: 'notice ok', role: 'status' },
        h('b', null, `Reloaded: ${out.services.length} service${out.services.length === 1 ? '' : 's'} in force.`),
        out.skipped.length ? h('div', null, h('b', null, 'Skipped: '), h('ul', null, out.skipped.map((w) => h('li', null, w)))) : null,
        out.warnings.length ? h('details', null, h('summary', null, `${out.warnings.length} warning${out.warnings.length === 1 ? '' : 's'}`), h('ul', null, out.warnings.map((w) => h('li', null, w)))) : null));
      toast('Registry reloaded', 'ok');
      await draw();
    } catch (e) {
      replace(result, h('div', { class: 'notice bad', role: 'alert' }, e instanceof Error ? e.message : String(e)));
    } finally {
      reload.disabled = false;
      reload.textContent = 'Reload registry';
      ctx.loaded();
    }
  });
  await draw();
}

const pol = (k, v) => h('span', { class: `pol pol-${k}-${v}` }, h('span', { class: 'muted' }, `${k} `), v ?? '—');

function availability(a) {
  if (!a) return h('span', { class: 'avail unknown', title: 'not checked yet' }, h('span', { class: 'avail-dot' }), 'not checked');
  return h('span', { class: `avail ${a.up ? 'up' : 'down'}`, title: `${a.detail ?? ''} (checked ${new Date(a.at).toISOString()})` },
    h('span', { class: 'avail-dot' }), a.up ? 'up' : 'down', h('span', { class: 'muted small' }, ` ${a.latencyMs !== undefined && a.latencyMs !== null ? fmtMs(a.latencyMs) : ''}`),
    h('div', { class: 'muted small' }, a.detail ?? ''));
}

/** @param {import('../app.js').Ctx} ctx @param {string} sid */
async function detail(ctx, sid) {
  let x;
  try {
    x = await get(`/services/${seg(sid)}`);
  } catch (e) {
    return void replace(ctx.main, pageHead(sid), errorBox(e));
  }
  if (!ctx.alive()) return;
  const fileBase = `/gateway/services/${seg(x.sid)}/files/`;
  replace(ctx.main,
    pageHead(x.sid, x.title ?? x.mnemonic,
      h('a', { class: 'button', href: x.wsdl, target: '_blank', rel: 'noopener' }, 'WSDL'),
      h('a', { class: 'button', id: 'registry-passport', href: `/console/passport/${seg(x.sid)}` }, 'Passport'),
      h('a', { class: 'button', href: `/console/journal${qs({ sid: x.sid })}` }, 'Journal'),
      h('a', { class: 'button primary', href: `/console/compose${qs({ sid: x.sid })}` }, 'Compose a request')),
    h('div', { class: 'panel-row' },
      h('section', { class: 'panel' }, h('h2', null, 'Service'), kv([
        ['Mnemonic', h('span', { class: 'mono' }, `${x.mnemonic} ${x.version}`)],
        ['Provider', `${x.provider?.mnemonic ?? '—'} · ${x.provider?.name ?? ''}`],
        ['Endpoint', h('span', { class: 'mono' }, x.endpoint)],
        ['Adapter', x.adapter],
        ['Folder', h('span', { class: 'mono small' }, x.folder)],
        ['Payload control', x.payloadControl],
      ])),
      h('section', { class: 'panel' }, h('h2', null, 'Policies and availability'), kv([
        ['Signature', x.signature],
        ['Control', x.control],
        ['Delivery', x.delivery],
        ['Availability', availability(x.availability)],
        ['Checked', x.availability ? time(x.availability.at) : null],
      ]))),
    faultsPanel(x.sid, ctx.me.role === 'operator', () => ctx.loaded()),
    x.warnings?.length ? h('section', { class: 'notice warn' }, h('b', null, 'Warnings'), h('ul', null, x.warnings.map((w) => h('li', null, w)))) : null,
    h('section', { class: 'panel' }, h('h2', null, 'Operations'), table([
      { title: 'Operation', cell: (o) => h('span', { class: 'mono' }, o.name) },
      { title: 'Mode', cell: (o) => h('span', { class: `mode mode-${o.mode}` }, o.mode) },
      { title: 'Input element', cell: (o) => (o.input ? h('span', { class: 'mono small', title: o.input.ns }, o.input.local) : '—') },
      { title: 'Output element', cell: (o) => (o.output ? h('span', { class: 'mono small', title: o.output.ns }, o.output.local) : '—') },
      { title: 'SOAPAction', cell: (o) => h('span', { class: 'mono small' }, o.soapAction ?? '—') },
      { title: '', cell: (o) => h('a', { href: `/console/compose${qs({ sid: x.sid, operation: o.name })}` }, 'Compose') },
    ], x.operations)),
    h('section', { class: 'panel' }, h('h2', null, `Bundle files (${x.files.length})`),
      h('ul', { class: 'files' }, x.files.map((f) => h('li', null, h('a', { class: 'mono small', href: fileBase + f.split('/').map(seg).join('/'), target: '_blank', rel: 'noopener' }, f))))),
    h('details', { class: 'panel' }, h('summary', null, 'Definition (service.yaml as loaded)'), h('pre', { class: 'code' }, JSON.stringify(x.definition, null, 2))));
}
