// @ts-check
import { h, replace, seg, qs, time, fmtBytes, pageHead, errorBox, table, toast } from '../lib/dom.js';
import { get, post, api } from '../lib/api.js';
import { xmlPanel } from '../lib/xml.js';

/**
 * The guaranteed-delivery queue (operators; GET /admin/queue): the dead letters first, with
 * Re-drive (POST /admin/queue/:id/redrive, a fresh retry budget), and the other states.
 */

const TABS = [
  { status: 'dead', label: 'Dead letters' },
  { status: 'pending', label: 'Pending' },
  { status: 'polling', label: 'Polling' },
  { status: 'done', label: 'Done' },
];

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const tab = TABS.find((t) => t.status === ctx.query.get('status')) ?? TABS[0];
  const tabs = h('nav', { class: 'tabs', id: 'queue-tabs' });
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the queue…'));
  const detail = h('div', { id: 'queue-item' });
  replace(ctx.main, pageHead('Delivery queue', 'Guaranteed delivery: what failed for good, and what is still under way',
    h('button', { type: 'button', onclick: () => ctx.navigate(`/console/queue${qs({ status: tab.status })}`, true) }, 'Refresh')), tabs, body, detail);

  let q;
  try {
    q = await get(`/queue${qs({ status: tab.status })}`);
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  replace(tabs, TABS.map((t) => h('a', { href: `/console/queue${qs({ status: t.status === 'dead' ? '' : t.status })}`, class: t === tab ? 'tab active' : 'tab', dataset: { status: t.status } },
    t.label, h('span', { class: `count q-${t.status}` }, String(q.counts?.[t.status] ?? 0)))));

  const redrive = async (item, button, row) => {
    button.disabled = true;
    button.textContent = 'Re-driving…';
    try {
      await post(`/queue/${seg(item.id)}/redrive`);
      toast(`${item.id} re-driven: it is delivered again`, 'ok');
      row.classList.add('leaving');
      setTimeout(() => {
        row.remove();
        const left = body.querySelectorAll('tbody tr[data-id]').length;
        const counter = tabs.querySelector('[data-status="dead"] .count');
        if (counter) counter.textContent = String(left);
        if (!left) replace(body, h('p', { class: 'empty', id: 'queue-empty' }, 'No dead letters.'));
        ctx.loaded();
      }, 250);
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), 'bad');
      button.disabled = false;
      button.textContent = 'Re-drive';
    }
  };
  const show = async (item) => {
    replace(detail, h('p', { class: 'loading' }, 'Loading…'));
    try {
      const x = await api('GET', `/queue/${seg(item.id)}`);
      replace(detail, h('section', { class: 'panel' }, h('h2', null, 'Queue item ', h('span', { class: 'mono' }, x.id)),
        x.last_error ? h('p', { class: 'error-text' }, x.last_error) : null,
        h('h3', null, 'Message to deliver'), xmlPanel(x.payload),
        x.answer ? [h('h3', null, 'Answer'), xmlPanel(x.answer)] : null));
      detail.scrollIntoView({ behavior: 'smooth', block: 'start' });
    } catch (e) {
      replace(detail, errorBox(e));
    }
  };
  const cols = [
    { title: 'Item (MessageId)', cell: (x) => h('a', { class: 'mono', href: `/console/chain/${seg(x.id)}`, title: 'the chain' }, x.id) },
    { title: 'SID · operation', cell: (x) => [h('div', { class: 'mono' }, x.sid), h('div', { class: 'muted small' }, x.operation ?? '—')] },
    { title: 'Consumer', cell: (x) => h('span', { class: 'mono' }, x.consumer ?? '—') },
    { title: 'Kind', cell: (x) => x.kind },
    { title: 'Attempts', cls: 'num', cell: (x) => `${x.attempts}/${x.max_attempts}` },
    { title: tab.status === 'dead' ? 'Last error' : 'Next attempt', cell: (x) => (tab.status === 'dead' || tab.status === 'done' ? h('span', { class: x.last_error ? 'error-text small' : 'muted' }, x.last_error ?? '—') : time(new Date(Number(x.next_at)).toISOString())) },
    { title: 'Updated', cls: 'nowrap', cell: (x) => time(new Date(Number(x.updated_at)).toISOString(), false) },
    { title: 'Size', cls: 'num', cell: (x) => fmtBytes(x.size) },
    { title: '', cls: 'nowrap', cell: (x) => [
      h('button', { type: 'button', class: 'small', onclick: () => show(x) }, 'Show'),
      x.status === 'dead' ? [' ', h('button', { type: 'button', class: 'small primary redrive', onclick: (ev) => redrive(x, ev.currentTarget, ev.currentTarget.closest('tr')) }, 'Re-drive')] : null] },
  ];
  replace(body, q.items.length ? h('div', { class: 'table-wrap' }, table(cols, q.items, { attrs: { id: 'queue-table' }, row: (x) => ({ dataset: { id: x.id } }) }))
    : h('p', { class: 'empty', id: 'queue-empty' }, tab.status === 'dead' ? 'No dead letters.' : `Nothing ${tab.label.toLowerCase()}.`));
}
