// @ts-check
import { h, s, replace, seg, qs, time, fmtMs, status, pageHead, errorBox, table, kv } from '../lib/dom.js';
import { get } from '../lib/api.js';

/**
 * The chain of an asynchronous exchange (GET /admin/chains/:id) on a timeline: the consumer's
 * messages (REQUEST → ACCEPT, PING → PROCESS …, PING → RESULT) on one lane, the delivery worker's
 * own exchanges with the provider on the other, each step a link to its message view.
 */

const STEP_W = 170;

/** @param {import('../app.js').Ctx} ctx */
export async function render(ctx) {
  const id = ctx.params[0];
  let c;
  try {
    c = await get(`/chains/${seg(id)}`);
  } catch (e) {
    return void replace(ctx.main, pageHead('Chain'), errorBox(e));
  }
  if (!ctx.alive()) return;
  const legById = new Map(c.legs.map((l) => [l.id, l]));
  const t0 = new Date(c.steps[0]?.at ?? Date.now()).getTime();
  const steps = c.steps.map((st, i) => {
    const legs = st.legs.map((x) => legById.get(x)).filter(Boolean);
    const consumer = legs.some((l) => l.direction === 'consumer->gateway' || l.direction === 'gateway->consumer');
    const op = legs.find((l) => l.operation)?.operation ?? null;
    return { ...st, n: i + 1, lane: consumer ? 'consumer' : 'provider', op, offset: new Date(st.at).getTime() - t0 };
  });
  const first = c.legs[0];
  const finalStep = [...steps].reverse().find((st) => st.lane === 'consumer' && st.answer);

  const head = pageHead('Chain', h('span', null, h('span', { class: 'mono' }, c.chainId), first ? [' · ', h('span', { class: 'mono' }, first.sid), ' · ', first.sender ?? '—', ' → ', first.recipient ?? '—'] : null),
    h('a', { class: 'button', href: `/console/journal${qs({ chain: c.chainId })}` }, 'Legs in the journal'));
  const cards = h('div', { class: 'summary-cards' },
    h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Latest answer'), h('div', { class: 'card-value' }, finalStep ? status(finalStep.answer) : '—')),
    h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Consumer messages'), h('div', { class: 'card-value' }, String(steps.filter((x) => x.lane === 'consumer').length))),
    h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Deliveries to the provider'), h('div', { class: 'card-value' }, String(steps.filter((x) => x.lane === 'provider').length))),
    h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Span'), h('div', { class: 'card-value' }, steps.length ? seconds(steps[steps.length - 1].offset) : '—')),
    h('div', { class: 'card' }, h('div', { class: 'card-label' }, 'Started'), h('div', { class: 'card-value small' }, first ? time(first.at) : '—')));

  const list = table([
    { title: '#', cls: 'num', cell: (st) => String(st.n) },
    { title: 'Time', cls: 'nowrap', cell: (st) => [time(st.at), h('div', { class: 'muted small' }, `+${seconds(st.offset)}`)] },
    { title: 'Between', cell: (st) => (st.lane === 'consumer' ? 'consumer ↔ gateway' : 'gateway ↔ provider (delivery)') },
    { title: 'Operation', cell: (st) => h('span', { class: 'mono small' }, st.op ?? '—') },
    { title: 'Message → answer', cell: (st) => [status(st.request), h('span', { class: 'arrow' }, ' → '), status(st.answer), st.fault ? [' ', h('span', { class: 'fault' }, st.fault)] : null] },
    { title: 'Took', cls: 'num', cell: (st) => fmtMs(st.durationMs) },
    { title: '', cell: (st) => h('a', { href: `/console/exchange/${seg(st.exchangeId)}` }, 'Open') },
  ], steps, { attrs: { id: 'chain-steps' }, row: (st) => ({ class: `lane-${st.lane}` }) });

  const delivery = c.delivery?.length ? h('section', { class: 'panel' }, h('h2', null, 'Guaranteed delivery'),
    c.delivery.map((d) => kv([
      ['Queue item', h('span', { class: 'mono' }, d.id)],
      ['Kind', d.kind],
      ['Status', h('span', { class: `qstatus q-${d.status}` }, d.status)],
      ['Attempts', `${d.attempts} of ${d.max_attempts}`],
      ['Polls', String(d.polls ?? 0)],
      ['Answer status', d.answer_status],
      ['Next attempt', d.status === 'pending' || d.status === 'polling' ? time(new Date(Number(d.next_at)).toISOString()) : null],
      ['Last error', d.last_error ? h('span', { class: 'error-text' }, d.last_error) : null],
    ]))) : null;

  replace(ctx.main, head, cards,
    h('section', { class: 'panel' }, h('h2', null, 'Timeline'), h('div', { class: 'timeline-wrap' }, timeline(steps))),
    h('section', { class: 'panel' }, h('h2', null, 'Steps'), h('div', { class: 'table-wrap' }, list)),
    delivery);
}

const seconds = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`);

/** The two lanes, the steps in time order along them. */
function timeline(steps) {
  const lanes = steps.some((st) => st.lane === 'provider') ? ['consumer', 'provider'] : ['consumer'];
  const laneY = { consumer: 46, provider: 136 };
  const L = 150;
  const W = Math.max(640, L + steps.length * STEP_W + 30);
  const H = lanes.length === 2 ? 196 : 108;
  const x = (i) => L + i * STEP_W + STEP_W / 2;
  const consumerSteps = steps.map((st, i) => ({ st, i })).filter((o) => o.st.lane === 'consumer');
  return s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'timeline', role: 'img', 'aria-label': 'the chain on a timeline', dataset: { chart: 'timeline' } },
    lanes.map((lane) => s('g', { class: `lane lane-${lane}` },
      s('line', { class: 'lane-line', x1: L - 10, x2: W - 10, y1: laneY[lane], y2: laneY[lane] }),
      s('text', { class: 'lane-label', x: 8, y: laneY[lane] - 4 }, lane === 'consumer' ? 'consumer ↔ gateway' : 'gateway ↔ provider'),
      s('text', { class: 'lane-sub', x: 8, y: laneY[lane] + 12 }, lane === 'consumer' ? 'the consumer’s messages' : 'delivery and polling'))),
    // the consumer's path, step to step
    consumerSteps.slice(1).map((o, k) => s('line', { class: 'path', x1: x(consumerSteps[k].i) + 62, x2: x(o.i) - 62, y1: laneY.consumer, y2: laneY.consumer })),
    steps.map((st, i) => {
      const y = laneY[st.lane];
      const bad = st.fault || ['FAILURE', 'REJECT', 'INVALID', 'CANCEL'].includes(st.answer ?? '') || /failed/.test(st.answer ?? '');
      return s('a', { href: `/console/exchange/${seg(st.exchangeId)}`, class: `step${bad ? ' step-bad' : ''}${st.answer === 'RESULT' ? ' step-final' : ''}`, dataset: { step: String(st.n) } },
        s('title', null, `${st.request ?? '?'} → ${st.answer ?? '?'}${st.fault ? ` (${st.fault})` : ''} at +${seconds(st.offset)}, took ${fmtMs(st.durationMs)}`),
        s('rect', { x: x(i) - 62, y: y - 20, width: 124, height: 40, rx: 8 }),
        s('text', { class: 'step-text', x: x(i), y: y - 3, 'text-anchor': 'middle' }, `${st.request ?? '?'} → ${st.answer ? short(st.answer) : st.fault ? 'failed' : '?'}`),
        s('text', { class: 'step-sub', x: x(i), y: y + 12, 'text-anchor': 'middle' }, `+${seconds(st.offset)}`),
        s('text', { class: 'step-n', x: x(i), y: lanes.length === 2 && st.lane === 'provider' ? y + 36 : y - 26, 'text-anchor': 'middle' }, String(st.n)));
    }));
}

const short = (v) => (!v ? '?' : v.length > 10 ? `${v.slice(0, 9)}…` : v);
