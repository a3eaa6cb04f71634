// @ts-check
import { h, replace, seg, qs, time, pageHead, errorBox, table, toast, kv } from '../lib/dom.js';
import { get, post } from '../lib/api.js';
import { xmlPanel } from '../lib/xml.js';
import { formTree, collect } from '../lib/form.js';
import { attachmentsPanel } from '../lib/attachments.js';

/**
 * The inbox of manual providers (docs/cabinet.md): the requests a department's clerks answer.
 * The list (GET /admin/inbox) shows each request's deadline, flagged when due soon and overdue;
 * one request (GET /admin/inbox/:ticket) shows the request pretty-printed and the answer form
 * generated from the answer element's XSD: Answer (RESULT), Refuse (REJECT with a reason) or
 * Invalid (INVALID with a reason), POST /admin/inbox/:ticket/answer. Operators, and clerks within
 * their department, reassign it (POST /admin/inbox/:ticket/assign). Auditors read.
 */

const TABS = [
  { status: 'open', label: 'Open' },
  { status: 'answered', label: 'Answered' },
];

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  if (ctx.params[0]) return one(ctx, ctx.params[0]);
  const tab = TABS.find((t) => t.status === ctx.query.get('status')) ?? TABS[0];
  const mine = ctx.query.get('mine') === '1';
  const tabs = h('nav', { class: 'tabs', id: 'inbox-tabs' }, TABS.map((t) => h('a', { href: `/console/inbox${qs({ status: t.status === 'open' ? '' : t.status, mine: mine ? '1' : '' })}`, class: t === tab ? 'tab active' : 'tab', dataset: { status: t.status } }, t.label)),
    ctx.me.role === 'clerk' ? h('a', { href: `/console/inbox${qs({ status: tab.status === 'open' ? '' : tab.status, mine: mine ? '' : '1' })}`, class: mine ? 'tab active' : 'tab', id: 'inbox-mine' }, 'Assigned to me') : null);
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the inbox…'));
  const sub = ctx.me.role === 'clerk' ? `The requests to ${ctx.me.department?.name ?? ''}: answer them before their deadline` : 'The requests manual providers received, by department';
  replace(ctx.main, pageHead('Inbox', sub, h('button', { type: 'button', id: 'inbox-refresh', onclick: () => ctx.navigate(location.pathname + location.search, true) }, 'Refresh')), tabs, body);
  let q;
  try {
    q = await get(`/inbox${qs({ status: tab.status, mine: mine ? '1' : '' })}`);
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  const cols = [
    { title: 'Request', cell: (x) => h('a', { class: 'mono', href: `/console/inbox/${seg(x.ticket)}` }, x.ticket) },
    { title: 'SID · operation', cell: (x) => [h('div', { class: 'mono' }, x.sid), h('div', { class: 'muted small' }, x.operation)] },
    { title: 'From', cell: (x) => h('span', { class: 'mono' }, x.consumer ?? '—') },
    ctx.me.role === 'clerk' ? null : { title: 'Department', cell: (x) => x.departmentName ?? x.department },
    { title: 'Assigned to', cell: (x) => assignedText(x) },
    { title: 'Arrived', cls: 'nowrap', cell: (x) => time(x.arrivedAt, false) },
    { title: tab.status === 'open' ? 'Deadline' : 'Answer', cls: 'nowrap', cell: (x) => (tab.status === 'open' ? deadline(x) : [h('span', { class: `status st-${String(x.answer?.status).toLowerCase()}` }, x.answer?.status ?? '—'), ' ', h('span', { class: 'muted small' }, x.answer?.by ?? '')]) },
  ].filter((c) => c !== null);
  replace(body, q.items.length ? h('div', { class: 'table-wrap' }, table(cols, q.items, { attrs: { id: 'inbox-table' }, row: (x) => ({ dataset: { ticket: x.ticket, state: stateOf(x) }, class: x.overdue ? 'overdue' : x.dueSoon ? 'due-soon' : null }) }))
    : h('p', { class: 'empty', id: 'inbox-empty' }, tab.status === 'open' ? 'No open requests.' : 'No answered requests.'));
}

/** open, due-soon, overdue or answered. */
function stateOf(x) {
  return x.status !== 'open' ? 'answered' : x.overdue ? 'overdue' : x.dueSoon ? 'due-soon' : 'open';
}

function assignedText(x) {
  if (!x.assignee && !x.queue) return h('span', { class: 'muted' }, 'common queue');
  return [x.assignee ? h('span', { class: 'assignee' }, x.assignee) : null, x.queue ? h('span', { class: 'muted small' }, `${x.assignee ? ' · ' : ''}queue ${x.queue}`) : null];
}

function deadline(x) {
  const flag = x.overdue ? h('span', { class: 'flag flag-overdue', title: 'past its deadline' }, 'overdue') : x.dueSoon ? h('span', { class: 'flag flag-due-soon', title: 'its deadline is near' }, 'due soon') : null;
  return [time(x.due, false), flag ? ' ' : null, flag];
}

/** One request: what it says, its deadline and assignment, and the answer form. @param {import('../app.js').Ctx} ctx @param {string} ticket */
async function one(ctx, ticket) {
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the request…'));
  replace(ctx.main, pageHead('Request', ticket, h('a', { href: '/console/inbox', class: 'button' }, '← Inbox')), body);
  let x;
  try {
    x = await get(`/inbox/${seg(ticket)}`);
  } catch (e) {
    return void replace(body, errorBox(e));
  }
  if (!ctx.alive()) return;
  const again = () => ctx.navigate(`/console/inbox/${seg(x.ticket)}`, true);
  const facts = h('section', { class: 'panel', id: 'inbox-facts', dataset: { state: stateOf(x) } },
    kv(/** @type {[string, any][]} */ ([
      ['SID', [h('span', { class: 'mono' }, x.sid), x.title ? h('span', { class: 'muted small' }, ` ${x.title}`) : null]],
      ['Operation', x.operation],
      ['From', h('span', { class: 'mono' }, x.consumer ?? '—')],
      ['Department', x.departmentName ?? x.department],
      ['Arrived', time(x.arrivedAt, false)],
      ['Deadline', deadline(x)],
      ['Assigned to', h('span', { id: 'inbox-assigned' }, assignedText(x))],
      x.answer ? ['Answer', h('span', { id: 'inbox-answer' }, h('span', { class: `status st-${x.answer.status.toLowerCase()}` }, x.answer.status), ` by ${x.answer.by} at `, time(x.answer.at, false))] : null,
      x.status === 'open' && x.delivery?.closed ? ['Consumer', h('span', { class: 'error-text', id: 'inbox-closed' }, x.delivery.status === 'done' ? `the consumer's chain was closed with ${x.delivery.answerStatus ?? 'an answer'} from the provider in force then: an answer here would reach no one` : 'the delivery to this provider failed for good: an answer here would reach no one')] : null,
      x.adapter !== 'manual' ? ['Provider', h('span', { class: 'error-text', id: 'inbox-switched' }, x.adapter ? `${x.sid} is now served by its ${x.adapter} adapter: this request is kept to be read, not answered here` : `${x.sid} is no longer registered`)] : null,
    ].filter((r) => r !== null))));
  const assign = x.status === 'open' && (ctx.me.role === 'operator' || ctx.me.role === 'clerk') ? assignBox(x, again) : null;
  const answer = x.answerable ? answerBox(x, again) : null;
  replace(body, facts, assign, h('section', { class: 'panel' }, h('h2', null, 'The request'), xmlPanel(x.request), x.requestEntry ? attachmentsPanel(x.requestEntry, `/inbox/${seg(x.ticket)}`) : null),
    x.answer?.appData ? h('section', { class: 'panel' }, h('h2', null, 'The answer’s AppData'), xmlPanel(x.answer.appData)) : null, answer);
}

/** Reassign: a clerk of the department, or the common queue; a sub-queue's name. */
function assignBox(x, done) {
  const who = /** @type {HTMLSelectElement} */ (h('select', { id: 'assign-to', name: 'assignee' }, h('option', { value: '' }, '— common queue —'), x.clerks.map((c) => h('option', { value: c, selected: c === x.assignee }, c))));
  const queue = /** @type {HTMLInputElement} */ (h('input', { id: 'assign-queue', name: 'queue', type: 'text', value: x.queue ?? '', placeholder: 'sub-queue (optional)' }));
  const go = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', id: 'assign-go' }, 'Assign'));
  const form = h('form', { class: 'panel inline-form', id: 'inbox-assign' }, h('h2', null, 'Assignment'), h('label', null, 'Clerk ', who), ' ', h('label', null, 'Queue ', queue), ' ', go);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    go.disabled = true;
    try {
      await post(`/inbox/${seg(x.ticket)}/assign`, { assignee: who.value || null, queue: queue.value.trim() || null });
      toast(who.value ? `assigned to ${who.value}` : 'back to the common queue', 'ok');
      done();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), 'bad');
      go.disabled = false;
    }
  });
  return form;
}

/** Answer (the form from the answer element's XSD, or its XML), refuse with a reason, or mark invalid. */
function answerBox(x, done) {
  const out = h('div', { id: 'answer-result' });
  const formBox = x.form ? formTree(x.form.form) : h('p', { class: 'error-text' }, x.formError ?? 'no answer form');
  const xml = /** @type {HTMLTextAreaElement} */ (h('textarea', { class: 'code-input', rows: '8', id: 'answer-xml', spellcheck: 'false', placeholder: 'or the AppData content as XML' }));
  const useXml = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'answer-use-xml' }));
  if (x.form?.sample) xml.value = x.form.sample;
  const reason = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: '3', id: 'answer-reason', placeholder: 'the reason the consumer reads (for Refuse and Invalid)' }));
  const buttons = [
    h('button', { type: 'button', class: 'primary', id: 'answer-result-go', onclick: () => send('RESULT') }, 'Answer (RESULT)'),
    h('button', { type: 'button', id: 'answer-reject-go', onclick: () => send('REJECT') }, 'Refuse (REJECT)'),
    h('button', { type: 'button', id: 'answer-invalid-go', onclick: () => send('INVALID') }, 'Invalid (INVALID)'),
  ];
  /** @param {'RESULT'|'REJECT'|'INVALID'} status */
  const send = async (status) => {
    /** @type {Record<string, any>} */
    const req = { status };
    if (status === 'RESULT') {
      if (useXml.checked || !x.form) req.appData = xml.value;
      else req.values = collect(formBox);
    } else req.reason = reason.value;
    for (const b of buttons) /** @type {HTMLButtonElement} */ (b).disabled = true;
    try {
      const r = await post(`/inbox/${seg(x.ticket)}/answer`, req);
      toast(`answered ${r.answer?.status}: the consumer gets it at their next poll`, 'ok');
      done();
    } catch (e) {
      replace(out, h('p', { class: 'error-text', role: 'alert' }, e instanceof Error ? e.message : String(e)));
      for (const b of buttons) /** @type {HTMLButtonElement} */ (b).disabled = false;
    }
  };
  return h('section', { class: 'panel', id: 'inbox-answer-form' }, h('h2', null, 'Answer'),
    h('div', { class: 'compose-form' }, formBox),
    h('details', null, h('summary', null, 'XML instead of the form'), h('label', null, useXml, ' send this XML as the AppData'), xml),
    h('h3', null, 'Reason (to refuse, or to mark invalid)'), reason,
    h('div', { class: 'actions' }, buttons), out);
}
