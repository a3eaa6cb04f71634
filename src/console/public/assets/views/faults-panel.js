// @ts-check
import { h, replace, seg, time, kv, toast } from '../lib/dom.js';
import { api, get } from '../lib/api.js';

/**
 * One SID's fault injection (docs/fault-injection.md) as a console panel: the spec in force, its
 * source (store: set through the API; service.yaml: the SID's file's default; none) and who set
 * it, and for an operator a small form that switches it on with a spec (share, kinds with weights,
 * latency) or off, through GET/PUT/DELETE /admin/services/{sid}/faults. The form covers the
 * common keys; a kind's own parameters (truncate's fraction, soapFault's faultstring, …) set
 * through the API or service.yaml are kept when its weight is changed here.
 */

const KINDS = ['reset', 'timeout', 'dribble', 'truncate', 'wrongContentType', 'http500', 'soapFault'];

/**
 * @param {string} sid
 * @param {boolean} operator may change it
 * @param {() => void} loaded called when the panel has drawn (the view's "loaded" signal)
 */
export function faultsPanel(sid, operator, loaded) {
  const box = h('section', { class: 'panel', id: 'faults-panel' }, h('h2', null, 'Fault injection'), h('p', { class: 'loading' }, 'Loading…'));
  const draw = (/** @type {any} */ x, /** @type {any} */ notice) => {
    const spec = x.spec ?? {};
    const ro = !operator;
    const state = h('div', { id: 'faults-state', class: `notice ${x.enabled ? 'warn' : 'ok'}`, dataset: { enabled: String(x.enabled), source: x.source } },
      h('b', null, x.enabled ? 'On' : 'Off'), ` (source: ${x.source === 'none' ? 'none, nothing set' : x.source})`,
      x.enabled ? `: ${summary(spec)}` : '');
    const num = (id, value, attrs = {}) => /** @type {HTMLInputElement} */ (h('input', { id, type: 'number', step: 'any', min: '0', value: value ?? '', disabled: ro, ...attrs }));
    const field = (label, el) => h('label', { class: 'field' }, h('span', null, label), el);
    const share = num('faults-share', spec.share !== undefined ? String(Math.round(spec.share * 1000) / 10) : '10', { max: '100' });
    /** @type {Map<string, any>} */
    const had = new Map((spec.kinds ?? []).map((k) => [k.kind, k]));
    const kindRows = KINDS.map((k) => {
      const on = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `faults-kind-${k}`, checked: had.has(k), disabled: ro }));
      const weight = num(`faults-weight-${k}`, String(had.get(k)?.weight ?? 1), { min: '0.01' });
      return { k, on, weight, el: h('div', { class: 'field' }, h('label', { class: 'check' }, on, ' ', h('span', { class: 'mono' }, k)), h('label', { class: 'small muted' }, 'weight ', weight)) };
    });
    const lat = spec.latency ?? {};
    const dist = /** @type {HTMLSelectElement} */ (h('select', { id: 'faults-latency-dist', disabled: ro }, ['none', 'fixed', 'uniform', 'lognormal'].map((d) => h('option', { value: d }, d))));
    dist.value = lat.dist ?? 'none';
    const ms = num('faults-latency-ms', lat.ms), min = num('faults-latency-min', lat.min), max = num('faults-latency-max', lat.max);
    const median = num('faults-latency-median', lat.median), sigma = num('faults-latency-sigma', lat.sigma);
    const out = h('div', { id: 'faults-result' }, notice);

    const send = async (/** @type {'PUT' | 'DELETE'} */ method) => {
      /** @type {Record<string, any>} */
      const body = { ...(x.spec ?? {}) };
      if (method === 'PUT') {
        body.share = Number(share.value || 0) / 100;
        body.kinds = kindRows.filter((r) => r.on.checked).map((r) => ({ ...(had.get(r.k) ?? { kind: r.k }), weight: Number(r.weight.value) || 1 }));
        delete body.latency;
        if (dist.value === 'fixed') body.latency = { dist: 'fixed', ms: Number(ms.value || 0) };
        if (dist.value === 'uniform') body.latency = { dist: 'uniform', min: Number(min.value || 0), max: Number(max.value || 0) };
        if (dist.value === 'lognormal') body.latency = { dist: 'lognormal', median: Number(median.value || 0), sigma: Number(sigma.value || 0) };
      }
      let y;
      try {
        y = await api(method, `/services/${seg(sid)}/faults`, method === 'PUT' ? body : undefined);
      } catch (e) {
        replace(out, h('div', { class: 'notice bad', role: 'alert' }, h('b', null, 'Not changed: '), e instanceof Error ? e.message : String(e)));
        return void loaded();
      }
      toast(y.enabled ? `Faults on for ${sid}` : `Faults off for ${sid}`, 'ok');
      draw(y, h('div', { class: 'notice ok', role: 'status' }, y.enabled ? 'Switched on: in force on every gateway process within a second.' : 'Switched off (the spec is kept for the next switch on).'));
      loaded();
    };

    replace(box, h('h2', null, `Fault injection for ${sid}`),
      h('p', { class: 'muted small' }, 'A share of this SID\'s provider calls is delayed or spoiled (reset, timeout, slow dribble, cut-off body, wrong content type, an error page, a SOAP fault): see docs/fault-injection.md.'),
      state,
      x.source !== 'none' ? kv([
        ['Spec', h('code', { class: 'mono small', id: 'faults-spec' }, JSON.stringify(x.spec))],
        ['Set by', x.updatedBy ? [x.updatedBy, ', ', time(x.updatedAt)] : (x.source === 'service.yaml' ? 'the SID\'s service.yaml' : null)],
      ]) : null,
      h('form', { id: 'faults-form', onsubmit: (ev) => { ev.preventDefault(); void send('PUT'); } },
        h('div', { class: 'filter-grid' }, field('Share of calls faulted (%)', share)),
        h('div', { class: 'filter-grid' }, kindRows.map((r) => r.el)),
        h('div', { class: 'filter-grid' }, field('Latency', dist), field('fixed: ms', ms), field('uniform: min ms', min), field('uniform: max ms', max), field('lognormal: median ms', median), field('lognormal: sigma', sigma)),
        operator ? h('div', { class: 'filter-actions' },
          h('button', { type: 'submit', class: 'primary', id: 'faults-on' }, x.enabled ? 'Change' : 'Switch on'),
          h('button', { type: 'button', id: 'faults-off', disabled: !x.enabled, onclick: () => void send('DELETE') }, 'Switch off')) : h('p', { class: 'muted small' }, 'Switching faults is for operators.')),
      out);
  };
  get(`/services/${seg(sid)}/faults`).then((x) => { draw(x, null); loaded(); }, (e) => {
    replace(box, h('h2', null, 'Fault injection'), h('div', { class: 'error-box', role: 'alert' }, h('b', null, 'Could not load: '), e instanceof Error ? e.message : String(e)));
    loaded();
  });
  return box;
}

/** The spec in a line: "20% of calls: reset ×3, truncate; latency uniform 50–200 ms". */
function summary(spec) {
  const parts = [];
  if (spec.share) parts.push(`${Math.round(spec.share * 1000) / 10}% of calls: ${(spec.kinds ?? []).map((k) => (k.weight && k.weight !== 1 ? `${k.kind} ×${k.weight}` : k.kind)).join(', ')}`);
  const l = spec.latency;
  if (l) parts.push(`latency ${l.dist} ${l.dist === 'fixed' ? `${l.ms} ms` : l.dist === 'uniform' ? `${l.min}–${l.max} ms` : `median ${l.median ?? `e^${l.mu}`} ms, sigma ${l.sigma}`}${spec.latencyShare !== undefined && spec.latencyShare < 1 ? ` on ${spec.latencyShare * 100}% of calls` : ''}`);
  return parts.join('; ') || 'nothing (share 0, no latency)';
}
