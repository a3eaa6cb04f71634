// @ts-check
import { h, replace, seg, qs, time, fmtMs, fmtBytes, direction, status, verdict, verdictKind, pageHead, errorBox, kv } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { xmlPanel } from '../lib/xml.js';
import { attachmentsPanel } from '../lib/attachments.js';

/**
 * One exchange (GET /admin/exchanges/:id): its legs as a flow, consumer → gateway → provider and
 * back, and the chosen leg with its metadata, its signature and control verdicts, its hashes, its
 * attachments (lib/attachments.js) and its envelope pretty-printed (GET /admin/journal/:id for one entry alone).
 */

const ORDER = ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer'];

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const entryOnly = /^\/console\/entry\//.test(location.pathname);
  let legs, exchangeId;
  try {
    if (entryOnly) {
      const e = await get(`/journal/${seg(ctx.params[0])}`);
      legs = [e];
      exchangeId = e.exchangeId;
    } else {
      exchangeId = ctx.params[0];
      legs = (await get(`/exchanges/${seg(exchangeId)}`)).legs;
    }
  } catch (e) {
    return void replace(ctx.main, pageHead(entryOnly ? 'Journal entry' : 'Exchange'), errorBox(e));
  }
  if (!ctx.alive()) return;
  legs.sort((a, b) => a.id - b.id);
  const first = legs[0];
  const chainId = legs.find((l) => l.chainId)?.chainId;
  const answer = [...legs].reverse().find((l) => l.direction === 'gateway->consumer');

  const head = pageHead(entryOnly ? `Journal entry ${first.id}` : 'Exchange',
    h('span', null, h('span', { class: 'mono' }, first.sid), first.operation ? [' · ', h('span', { class: 'mono' }, first.operation)] : null, ' · ', time(first.at), ' · ', h('span', { class: 'mono muted' }, exchangeId)),
    entryOnly ? h('a', { class: 'button', href: `/console/exchange/${seg(exchangeId)}#leg-${first.id}` }, 'The whole exchange') : null,
    chainId ? h('a', { class: 'button', id: 'open-chain', href: `/console/chain/${seg(chainId)}` }, 'Chain timeline') : null,
    h('a', { class: 'button', href: `/console/journal${qs({ exchange: exchangeId })}` }, 'In the journal'));

  const summary = h('div', { class: 'summary-cards' },
    card('Outcome', answer ? [status(answer.status), answer.faultCode ? [' ', h('span', { class: 'fault' }, answer.faultCode)] : null] : h('span', { class: 'muted' }, 'no reply journaled')),
    card('Time in gateway', answer ? fmtMs(answer.durationMs) : '—'),
    card('HTTP', answer?.httpStatus ?? '—'),
    card('Sender → recipient', h('span', { class: 'mono' }, first.sender ?? '—', ' → ', first.recipient ?? '—')),
    card('Legs', String(legs.length)));

  const flow = h('ol', { class: 'flow', id: 'legs' });
  const panel = h('section', { class: 'leg-panel', id: 'leg-panel' });
  const byId = new Map(legs.map((l) => [String(l.id), l]));
  const select = (id, push) => {
    const leg = byId.get(String(id)) ?? legs[0];
    for (const li of flow.children) li.classList.toggle('selected', /** @type {HTMLElement} */ (li).dataset.id === String(leg.id));
    replace(panel, legView(leg));
    if (push) history.replaceState(null, '', `${location.pathname}${location.search}#leg-${leg.id}`);
  };
  const sorted = [...legs].sort((a, b) => (a.id - b.id) || ORDER.indexOf(a.direction) - ORDER.indexOf(b.direction));
  sorted.forEach((l, i) => {
    flow.append(h('li', { class: `flow-step dir-${l.direction.replace('->', '-')}`, dataset: { id: String(l.id) } },
      h('button', { type: 'button', onclick: () => select(l.id, true) },
        h('span', { class: 'flow-n' }, String(i + 1)),
        h('span', { class: 'flow-body' },
          direction(l.direction),
          h('span', { class: 'flow-meta' }, status(l.status), l.faultCode ? h('span', { class: 'fault' }, l.faultCode) : null,
            h('span', { class: `dot v-${verdictKind(l.signature)}`, title: `S: the signature verdict: ${l.signature ?? 'not judged'}` }, 'S'),
            h('span', { class: `dot v-${verdictKind(l.control)}`, title: `C: the format-logical control verdict: ${l.control ?? 'not judged'}` }, 'C')),
          h('span', { class: 'flow-time muted small' }, time(l.at))))));
  });
  replace(ctx.main, head, summary, flow, panel);
  const want = /^#leg-(\d+)$/.exec(location.hash)?.[1];
  select(want ?? String(legs[0].id), false);
}

function card(label, value) {
  return h('div', { class: 'card' }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value));
}

/** One leg: metadata, verdicts, hashes, the envelope. */
function legView(l) {
  const raw = `/admin/journal/${l.id}/raw`;
  return h('article', { class: 'leg', id: `leg-${l.id}`, dataset: { direction: l.direction } },
    h('div', { class: 'leg-head' },
      h('h2', null, direction(l.direction), ' ', status(l.status), l.faultCode ? [' ', h('span', { class: 'fault' }, l.faultCode)] : null),
      h('span', { class: 'spacer' }),
      l.rawKept != null ? h('span', { class: 'muted', id: 'raw-truncated' }, `truncated: a refused message, the first ${fmtBytes(l.rawKept)} of ${fmtBytes(l.size)} kept `) : null,
      l.purged || !ANSWERS.includes(l.direction) ? null : documentLinks(l),
      l.purged ? h('span', { class: 'muted' }, 'body purged by retention') : h('a', { class: 'button small', href: raw, download: `journal-${l.id}.xml`, id: 'raw-link' }, 'Raw bytes')),
    h('div', { class: 'verdicts' },
      h('div', { class: `verdict-box v-${verdictKind(l.signature)}`, id: 'signature-verdict' }, h('div', { class: 'card-label' }, 'Signature'), verdict(l.signature)),
      h('div', { class: `verdict-box v-${verdictKind(l.control)}`, id: 'control-verdict' }, h('div', { class: 'card-label' }, 'Format-logical control'), verdict(l.control))),
    h('div', { class: 'leg-meta' },
      kv([
        ['Entry', h('a', { href: `/console/entry/${l.id}` }, `#${l.id}`)],
        ['Time', time(l.at)],
        ['SID', h('span', { class: 'mono' }, l.sid)],
        ['Operation', l.operation],
        ['Revision', l.revision],
        ['HTTP status', l.httpStatus],
      ]),
      kv([
        ['Sender', mono(l.sender)],
        ['Recipient', mono(l.recipient)],
        ['Originator', mono(l.originator)],
        ['Case number', l.caseNumber],
        ['Time in gateway', l.durationMs === null ? null : fmtMs(l.durationMs)],
        ['Size', fmtBytes(l.size)],
      ]),
      kv([
        ['MessageId', mono(l.messageId)],
        ['RequestIdRef', mono(l.requestIdRef)],
        ['OriginRequestIdRef', mono(l.originRequestIdRef)],
        ['Chain', l.chainId ? h('a', { href: `/console/chain/${seg(l.chainId)}`, class: 'mono' }, l.chainId) : null],
        [l.rawKept != null ? 'SHA-256 of the whole body' : 'SHA-256 of the bytes', h('span', { class: 'mono hash', title: l.sha256 }, l.sha256)],
        ...(l.rawKept != null ? [/** @type {[string, any]} */ (['SHA-256 of the bytes kept', h('span', { class: 'mono hash', title: l.rawKeptSha256 }, l.rawKeptSha256)])] : []),
        ['Journal hash', l.hash ? h('span', { class: 'mono hash', title: l.hash }, l.hash) : null],
      ])),
    attachmentsPanel(l.id),
    'raw' in l ? xmlPanel(l.raw) : h('p', { class: 'muted' }, 'The envelope is not part of this answer.'));
}

const mono = (v) => (v ? h('span', { class: 'mono' }, v) : null);

/** The legs an answer travels on: they are offered as documents to read. */
const ANSWERS = ['gateway->consumer', 'provider->gateway'];

/** An answer leg as a document (GET /admin/journal/:id/document): PDF, printable HTML, its XML as journaled. */
function documentLinks(l) {
  const link = (format, label) => h('a', { class: 'button small', id: `doc-${format}`, href: `/admin/journal/${l.id}/document?format=${format}`, download: `answer-${l.sid}-${l.id}.${format}`,
    title: `The answer as ${label}: its values labelled by the SID's schema, the journal ids and verdicts at its foot` }, label);
  return h('span', { class: 'actions', id: 'answer-documents' }, link('pdf', 'PDF'), ' ', link('html', 'HTML'), ' ', link('xml', 'XML'), ' ');
}
