// @ts-check
import { h, replace, seg, time, pageHead, errorBox, table, status, kv } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { xmlPanel } from '../lib/xml.js';

/**
 * My requests (requesters, and operators for everyone's; GET /admin/requests): the requests this
 * user composed, newest first, with where each stands: answered, a fault, or for a SID with
 * guaranteed delivery ACCEPT → PROCESS → RESULT. One request (/console/requests/<id>) shows its
 * answer's envelope and offers it as a download (its XML, or a document to read as PDF or HTML); while its answer is still to come the page asks
 * again every two seconds.
 */

const STATES = {
  answered: 'Answered', fault: 'Fault', accepted: 'Accepted: waiting for delivery', process: 'In process', failed: 'Delivery failed', unknown: 'Unknown',
};

/** @param {any} r */
function stateBadge(r) {
  return h('span', { class: `req-state req-${r.state}`, dataset: { state: r.state } }, STATES[r.state] ?? r.state);
}

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  if (ctx.params[0]) return one(ctx, ctx.params[0]);
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading your requests…'));
  const who = ctx.me.role === 'operator' ? 'Every user\'s composed requests' : `The requests you sent${ctx.me.department ? ` for ${ctx.me.department.name}` : ''}`;
  replace(ctx.main, pageHead('My requests', who,
    ctx.me.views.includes('compose') ? h('a', { class: 'button primary', href: '/console/compose', id: 'requests-new' }, 'New request') : null,
    h('button', { type: 'button', onclick: () => ctx.navigate('/console/requests', true) }, 'Refresh')), body);
  let list;
  try {
    list = await get('/requests');
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  replace(body, table([
    { title: 'Sent', cell: (r) => h('a', { href: `/console/requests/${seg(r.id)}` }, time(r.at, false)) },
    ...(ctx.me.role === 'operator' ? [{ title: 'User', cell: (r) => r.user }] : []),
    { title: 'SID', cell: (r) => h('span', { class: 'mono' }, r.sid) },
    { title: 'Operation', cell: (r) => r.operation ?? '—' },
    { title: 'As', cell: (r) => h('span', { class: 'mono' }, r.system ?? 'unsigned') },
    { title: 'State', cell: (r) => stateBadge(r) },
    { title: 'Status', cell: (r) => (r.fault ? h('span', { class: 'fault' }, r.fault) : status(r.status)) },
  ], list, { empty: 'No requests yet: compose one.', attrs: { id: 'requests-list' }, row: (r) => ({ dataset: { id: r.id, state: r.state } }) }));
}

/** @param {import('../app.js').Ctx} ctx @param {string} id */
async function one(ctx, id) {
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the request…'));
  replace(ctx.main, pageHead('Request', id, h('a', { class: 'button', href: '/console/requests' }, 'All my requests')), body);
  let first = true;
  for (;;) {
    let r;
    try {
      r = await get(`/requests/${seg(id)}`);
    } catch (e) {
      return void replace(body, errorBox(e));
    }
    if (!ctx.alive()) return;
    replace(body, h('div', { id: 'request', dataset: { state: r.state } },
      h('div', { class: 'summary-cards' },
        h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'State'), h('div', { class: 'card-value', id: 'request-state' }, stateBadge(r))),
        h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Status'), h('div', { class: 'card-value', id: 'request-status' }, r.fault ? h('span', { class: 'fault' }, r.fault) : status(r.status))),
        r.steps.length ? h('div', { class: 'card wide' }, h('div', { class: 'card-label' }, 'Delivery'), h('div', { class: 'card-value small', id: 'request-steps' }, r.steps.join(' → '))) : null),
      kv([
        ['Sent', time(r.at)], ['By', `${r.user}${r.department ? ` (${r.department})` : ''}`], ['SID', h('span', { class: 'mono' }, r.sid)], ['Operation', r.operation],
        ['Signed as', r.system ?? 'unsigned'], ['Sent status', r.sentStatus], ['Ticket', r.ticket ? h('span', { class: 'mono' }, r.ticket) : null],
        ['MessageId', r.messageId ? h('span', { class: 'mono' }, r.messageId) : null],
        ['Exchange', r.exchangeId ? (ctx.me.views.includes('message') ? h('a', { href: `/console/exchange/${seg(r.exchangeId)}`, class: 'mono' }, r.exchangeId) : h('span', { class: 'mono' }, r.exchangeId)) : null],
        ['Delivery error', r.error],
      ]),
      h('section', { class: 'panel', id: 'request-answer' },
        h('div', { class: 'page-head' }, h('h2', null, 'Answer'),
          r.answer !== null ? h('div', { class: 'actions' },
            h('a', { class: 'button', id: 'request-download', href: `/admin/requests/${seg(r.id)}/answer`, download: `answer-${r.sid}-${r.id}.xml` }, 'Download'),
            // the answer as a document to read (a fault too: its code and text)
            [' ',
              h('a', { class: 'button', id: 'request-pdf', href: `/admin/requests/${seg(r.id)}/answer?format=pdf`, download: `answer-${r.sid}-${r.id}.pdf` }, 'PDF'), ' ',
              h('a', { class: 'button', id: 'request-html', href: `/admin/requests/${seg(r.id)}/answer?format=html`, download: `answer-${r.sid}-${r.id}.html` }, 'HTML')]) : null),
        r.answer !== null ? xmlPanel(r.answer) : h('p', { class: 'muted', id: 'request-waiting' }, 'No answer yet: this page looks again every two seconds.'))));
    if (!first) ctx.loaded();
    first = false;
    if (r.answer !== null || r.state === 'failed' || r.state === 'unknown') return;
    await new Promise((res) => setTimeout(res, 2000));
    if (!ctx.alive()) return;
  }
}
