// @ts-check
import { h, replace, qs, fmtInt, pageHead, errorBox, table, time } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { seriesChart, barsChart, latencyChart, donutChart, fillBuckets } from '../lib/charts.js';

/**
 * The statistics dashboard (GET /admin/stats): replies per hour or day with their faults, counts
 * per SID, department, status and fault, and latency percentiles per SID, over a chosen range.
 */

/** @type {{ id: string, label: string, ms: number, bucket: 'hour' | 'day' }[]} */
const RANGES = [
  { id: '24h', label: 'Last 24 hours', ms: 86400_000, bucket: 'hour' },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86400_000, bucket: 'hour' },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86400_000, bucket: 'day' },
  { id: '90d', label: 'Last 90 days', ms: 90 * 86400_000, bucket: 'day' },
];

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const range = RANGES.find((r) => r.id === ctx.query.get('range')) ?? RANGES[0];
  const bucket = ctx.query.get('bucket') === 'day' || ctx.query.get('bucket') === 'hour' ? /** @type {'hour'|'day'} */ (ctx.query.get('bucket')) : range.bucket;
  const to = new Date();
  const from = new Date(to.getTime() - range.ms);
  const go = (o) => ctx.navigate(`/console/stats${qs({ range: range.id, bucket, ...o })}`);
  const rangeSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'stats-range', onchange: (ev) => go({ range: ev.target.value, bucket: '' }) }, RANGES.map((r) => h('option', { value: r.id }, r.label))));
  rangeSel.value = range.id;
  const bucketSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'stats-bucket', onchange: (ev) => go({ bucket: ev.target.value }) }, h('option', { value: 'hour' }, 'per hour'), h('option', { value: 'day' }, 'per day')));
  bucketSel.value = bucket;
  const body = h('div', { id: 'stats-body' }, h('p', { class: 'loading' }, 'Counting…'));
  replace(ctx.main, pageHead('Statistics', 'Replies to consumers, computed from the journal on request',
    h('label', { class: 'inline' }, 'Range ', rangeSel), h('label', { class: 'inline' }, 'Series ', bucketSel),
    h('button', { type: 'button', onclick: () => go({}) }, 'Refresh')), body);

  let st;
  try {
    st = await get(`/stats${qs({ from: from.toISOString(), to: to.toISOString(), bucket })}`);
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  const rate = st.exchanges ? (100 * st.faults) / st.exchanges : 0;
  const slowest = [...st.bySid].filter((x) => x.p95 !== null).sort((a, b) => b.p95 - a.p95)[0];
  const link = (o) => `/console/journal${qs({ from: st.from, to: st.to, ...o })}`;

  replace(body,
    h('div', { class: 'summary-cards' },
      big('Replies', fmtInt(st.exchanges), h('a', { href: link({ direction: 'gateway->consumer' }) }, 'in the journal')),
      big('Faults', fmtInt(st.faults), `${rate.toFixed(rate && rate < 10 ? 1 : 0)}% of replies`, st.faults ? 'bad' : ''),
      big('SIDs used', String(st.bySid.length), `${st.byDepartment.length} sending systems`),
      big('Slowest p95', slowest ? `${slowest.p95} ms` : '—', slowest ? slowest.sid : '')),
    h('section', { class: 'panel' },
      h('h2', null, `Replies ${bucket === 'hour' ? 'per hour' : 'per day'}`, h('span', { class: 'legend-inline' }, h('span', { class: 'swatch c-ok' }), 'answered', h('span', { class: 'swatch c-fault' }), 'faults')),
      h('p', { class: 'muted small' }, time(st.from, false), ' – ', time(st.to, false)),
      seriesChart(fillBuckets(st.series, bucket, st.from, st.to), bucket)),
    h('div', { class: 'panel-row' },
      h('section', { class: 'panel' }, h('h2', null, 'By SID'),
        st.bySid.length ? barsChart(st.bySid.map((x) => ({ label: x.sid, parts: [{ value: x.exchanges - x.faults, cls: 'c-ok', name: 'answered' }, { value: x.faults, cls: 'c-fault', name: 'faults' }] })), 'by-sid') : empty()),
      h('section', { class: 'panel' }, h('h2', null, 'By status of the reply'),
        st.byStatus.length ? donutChart(st.byStatus.map((x) => ({ label: x.status === '-' ? 'no status (SOAP fault)' : x.status, value: x.count })), 'by-status') : empty())),
    h('div', { class: 'panel-row' },
      h('section', { class: 'panel' }, h('h2', null, 'By department (sending system)'),
        st.byDepartment.length ? barsChart(st.byDepartment.map((x) => ({ label: x.department === '-' ? 'unknown' : x.department, parts: [{ value: x.requests, cls: 'c-dept', name: 'requests' }] })), 'by-department') : empty()),
      h('section', { class: 'panel' }, h('h2', null, 'By fault'),
        st.byFault.length ? barsChart(st.byFault.map((x) => ({ label: x.fault, parts: [{ value: x.count, cls: 'c-fault', name: 'faults' }] })), 'by-fault') : empty('No faults in this range.'))),
    h('section', { class: 'panel' }, h('h2', null, 'Latency per SID', h('span', { class: 'muted small' }, ' time in the gateway, first byte read to reply written')),
      st.bySid.some((x) => x.p50 !== null) ? latencyChart(st.bySid) : empty(),
      table([
        { title: 'SID', cell: (x) => h('a', { class: 'mono', href: link({ sid: x.sid }) }, x.sid) },
        { title: 'Replies', cls: 'num', cell: (x) => fmtInt(x.exchanges) },
        { title: 'Faults', cls: 'num', cell: (x) => (x.faults ? h('a', { class: 'fault-count', href: link({ sid: x.sid, direction: 'gateway->consumer' }) }, fmtInt(x.faults)) : '0') },
        { title: 'p50', cls: 'num', cell: (x) => ms(x.p50) },
        { title: 'p95', cls: 'num', cell: (x) => ms(x.p95) },
        { title: 'p99', cls: 'num', cell: (x) => ms(x.p99) },
        { title: 'max', cls: 'num', cell: (x) => ms(x.max) },
      ], st.bySid, { attrs: { id: 'latency-table' }, empty: 'No replies in this range.' })));
}

const ms = (v) => (v === null || v === undefined ? '—' : `${v} ms`);
const empty = (t = 'No replies in this range.') => h('p', { class: 'empty' }, t);

function big(label, value, sub, kind = '') {
  return h('div', { class: `card big ${kind}` }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
}
