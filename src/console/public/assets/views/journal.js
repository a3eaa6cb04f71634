// @ts-check
import { h, replace, qs, seg, time, zoneOf, fmtMs, fmtBytes, direction, status, verdictKind, shortId, pageHead, errorBox, table } from '../lib/dom.js';
import { get } from '../lib/api.js';

/**
 * The journal browser: every filter of GET /admin/journal, kept in the page's URL (so a search can
 * be bookmarked and sent), newest first, a page at a time (keyset: `before` = the previous page's
 * `next`), and the CSV/XLSX exports of the same filters.
 */

const FILTERS = ['text', 'sid', 'operation', 'sender', 'recipient', 'status', 'fault', 'direction', 'messageId', 'chain', 'exchange', 'from', 'to'];
const STATUSES = ['REQUEST', 'RESULT', 'ACCEPT', 'PING', 'PROCESS', 'REJECT', 'INVALID', 'FAILURE', 'CANCEL', 'NOTIFY', 'STATE', 'PACKET', 'FAULT'];
const DIRECTIONS = ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer'];
const LIMITS = ['25', '50', '100', '200'];

/** ISO (UTC) to the value of a datetime-local input (the browser's time zone), and back. */
const toLocalInput = (iso) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};
const fromLocalInput = (v) => (v ? new Date(v).toISOString() : '');

/** The filters in a query string. @param {URLSearchParams} q */
export function filtersOf(q) {
  /** @type {Record<string, string>} */
  const f = {};
  for (const k of FILTERS) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

function field(label, input, wide = false) {
  return h('label', { class: wide ? 'field wide' : 'field' }, h('span', null, label), input);
}

function input(name, value, attrs = {}) {
  return h('input', { name, value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...attrs });
}

function select(name, value, options, any = 'any') {
  const el = /** @type {HTMLSelectElement} */ (h('select', { name }, h('option', { value: '' }, any), options.map((o) => h('option', { value: o }, o.replace('->', ' → ')))));
  el.value = value ?? '';
  return el;
}

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const f = filtersOf(ctx.query);
  const limit = LIMITS.includes(ctx.query.get('limit') ?? '') ? /** @type {string} */ (ctx.query.get('limit')) : '50';
  const before = ctx.query.get('before') ?? '';
  const sids = h('datalist', { id: 'sid-list' });
  const senders = h('datalist', { id: 'system-list' });

  const form = /** @type {HTMLFormElement} */ (h('form', { class: 'filters', id: 'journal-filters', role: 'search' },
    h('div', { class: 'filter-grid' },
      field('Text in AppData', input('text', f.text, { placeholder: 'words of the message data', type: 'search' }), true),
      field('SID', input('sid', f.sid, { list: 'sid-list', placeholder: 'SID0003623' })),
      field('Operation', input('operation', f.operation)),
      field('Status', select('status', f.status, STATUSES)),
      field('Direction', select('direction', f.direction, DIRECTIONS)),
      field('From', input('from', f.from ? toLocalInput(f.from) : '', { type: 'datetime-local' })),
      field('Sender', input('sender', f.sender, { list: 'system-list' })),
      field('Recipient', input('recipient', f.recipient, { list: 'system-list' })),
      field('Fault code', input('fault', f.fault, { placeholder: 'SMEV-100003, GW-1001…' })),
      field('MessageId', input('messageId', f.messageId)),
      field('Chain', input('chain', f.chain, { placeholder: 'OriginRequestIdRef' })),
      field('To', input('to', f.to ? toLocalInput(f.to) : '', { type: 'datetime-local' })),
      f.exchange ? field('Exchange', input('exchange', f.exchange)) : null,
      field('Per page', select('limit', limit === '50' ? '' : limit, LIMITS.filter((l) => l !== '50'), '50'))),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
      h('button', { type: 'button', onclick: () => ctx.navigate('/console/journal') }, 'Reset'),
      h('span', { class: 'spacer' }),
      h('a', { class: 'button', id: 'export-csv', href: `/admin/journal/export.csv${qs(f)}`, download: 'journal.csv' }, 'Export CSV'),
      h('a', { class: 'button', id: 'export-xlsx', href: `/admin/journal/export.xlsx${qs(f)}`, download: 'journal.xlsx' }, 'Export XLSX')),
    sids, senders));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    /** @type {Record<string, string>} */
    const o = {};
    for (const k of FILTERS) {
      const v = String(data.get(k) ?? '').trim();
      if (v) o[k] = k === 'from' || k === 'to' ? fromLocalInput(v) : v;
    }
    const l = String(data.get('limit') ?? '');
    if (l && l !== '50') o.limit = l;
    ctx.navigate(`/console/journal${qs(o)}`);
  });

  const results = h('section', { class: 'results', id: 'journal-results' }, h('p', { class: 'loading' }, 'Searching…'));
  replace(ctx.main, pageHead('Journal', 'Every leg of every exchange, newest first'), form, results);

  // suggestions for the SID and system fields: what the last 30 days saw
  get(`/stats${qs({ from: new Date(Date.now() - 30 * 86400_000).toISOString(), bucket: 'day' })}`).then((st) => {
    replace(sids, st.bySid.map((x) => h('option', { value: x.sid })));
    replace(senders, st.byDepartment.filter((x) => x.department !== '-').map((x) => h('option', { value: x.department })));
  }).catch(() => undefined);

  // on the first page, Live reads it again every 5 seconds (the newest entries as they come)
  const liveBox = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'journal-live' }));
  const live = h('label', { class: 'check live', title: 'read the newest entries again every 5 seconds' }, liveBox, ' Live');
  liveBox.checked = localStorage.getItem('journal-live') === 'on';
  liveBox.addEventListener('change', () => localStorage.setItem('journal-live', liveBox.checked ? 'on' : 'off'));
  const timer = setInterval(() => {
    if (!ctx.alive()) return void clearInterval(timer);
    if (liveBox.checked && !before && !document.hidden) void load();
  }, 5000);

  const load = async () => {
    let page;
    try {
      page = await get(`/journal${qs({ ...f, limit, before })}`);
    } catch (e) {
      replace(results, errorBox(e));
      return void ctx.loaded();
    }
    if (!ctx.alive()) return;

    const here = (o) => `/console/journal${qs({ ...f, limit: limit === '50' ? '' : limit, ...o })}`;
    const trail = JSON.parse(sessionStorage.getItem('journal-trail') ?? '{}');
    const key = JSON.stringify({ ...f, limit });
    const stack = trail.key === key ? trail.stack : [];
    const older = page.next ? h('a', {
      class: 'button', id: 'older', href: here({ before: page.next }),
      onclick: () => sessionStorage.setItem('journal-trail', JSON.stringify({ key, stack: [...stack, before] })),
    }, 'Older →') : h('span', { class: 'button disabled' }, 'Older →');
    const newer = before ? h('a', {
      class: 'button', id: 'newer', href: here({ before: stack.length ? stack[stack.length - 1] : '' }),
      onclick: () => sessionStorage.setItem('journal-trail', JSON.stringify({ key, stack: stack.slice(0, -1) })),
    }, '← Newer') : h('span', { class: 'button disabled' }, '← Newer');
    const first = before ? h('a', { class: 'button', href: here({}) }, 'Newest') : null;

    const cols = [
      { title: 'Time', cls: 'nowrap', cell: (e) => h('a', { href: `/console/exchange/${seg(e.exchangeId)}#leg-${e.id}`, class: 'row-link' }, time(e.at)) },
      { title: 'Direction', cls: 'nowrap', cell: (e) => direction(e.direction) },
      { title: 'SID · operation', cell: (e) => [h('div', { class: 'mono' }, e.sid), h('div', { class: 'muted small' }, e.operation ?? '—')] },
      { title: 'Sender → recipient', cell: (e) => h('span', { class: 'mono small' }, e.sender ?? '—', h('span', { class: 'arrow' }, ' → '), e.recipient ?? '—') },
      { title: 'Status', cell: (e) => [status(e.status), e.faultCode ? [' ', h('span', { class: 'fault', title: e.faultCode }, e.faultCode)] : null] },
      { title: 'MessageId', cell: (e) => shortId(e.messageId) },
      { title: 'Chain', cell: (e) => (e.chainId ? h('a', { href: `/console/chain/${seg(e.chainId)}`, title: `the chain ${e.chainId}` }, shortId(e.chainId)) : h('span', { class: 'muted' }, '—')) },
      { title: h('span', { title: 'S: the signature verdict, C: the format-logical control verdict (legend below the table)' }, 'Checks'), cls: 'nowrap', cell: (e) => [dot(e.signature, 'signature'), dot(e.control, 'control')] },
      { title: 'Time in gateway', cls: 'num', cell: (e) => fmtMs(e.durationMs) },
      { title: 'Size', cls: 'num', cell: (e) => fmtBytes(e.size) },
    ];
    const grid = table(cols, page.entries, {
      empty: 'No journal entries match these filters.',
      attrs: { id: 'journal-table' },
      // a line between exchanges: the legs of one exchange read as one block
      row: (e) => ({ class: `clickable${e.faultCode ? ' has-fault' : ''}${page.entries[page.entries.indexOf(e) - 1]?.exchangeId !== e.exchangeId ? ' new-exchange' : ''}`, dataset: { id: String(e.id), exchange: e.exchangeId } }),
    });
    grid.addEventListener('click', (ev) => {
      const t = /** @type {Element} */ (ev.target);
      if (t.closest('a, button')) return;
      const tr = t.closest('tr[data-exchange]');
      if (tr instanceof HTMLElement) ctx.navigate(`/console/exchange/${seg(tr.dataset.exchange)}#leg-${tr.dataset.id}`);
    });
    const count = page.entries.length ? `${page.entries.length} entr${page.entries.length === 1 ? 'y' : 'ies'} (ids ${page.entries[page.entries.length - 1].id}–${page.entries[0].id})` : '';
    replace(results,
      h('div', { class: 'results-bar' }, h('span', { class: 'muted', id: 'journal-count' }, count), h('span', { class: 'spacer' }), before ? null : live, first, newer, older),
      h('div', { class: 'table-wrap' }, grid), legend());
    ctx.loaded(); // a page read again (Live) or a next one: the loaded signal moves on
  };
  await load();
}

const VERDICT = { signature: 'S: the signature verdict', control: 'C: the format-logical control verdict' };

function dot(v, what) {
  const k = verdictKind(v);
  return h('span', { class: `dot v-${k}`, title: `${VERDICT[what]}: ${v ?? 'not judged'}` }, what === 'signature' ? 'S' : 'C');
}

/** What the S and C badges mean, under the table. */
function legend() {
  const item = (k, text) => h('span', { class: 'legend-item' }, h('span', { class: `dot v-${k}` }, '·'), text);
  return h('p', { class: 'legend muted small', id: 'checks-legend' },
    h('b', null, 'Checks: '), h('span', { class: 'dot v-none' }, 'S'), 'signature verdict, ', h('span', { class: 'dot v-none' }, 'C'), 'format-logical control verdict (hover a badge for it). ',
    item('ok', 'passed '), item('warn', 'failed, passed on (policy report) '), item('bad', 'failed '), item('none', 'not checked or no signature'),
    ' · times in this browser\'s time zone (', zoneOf(new Date()), ')');
}
