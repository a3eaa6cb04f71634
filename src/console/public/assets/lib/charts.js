// @ts-check
import { s, h, fmtInt } from './dom.js';

/**
 * Charts as inline SVG, drawn here (no library, nothing fetched): a stacked time series, horizontal
 * bars, a latency chart and a donut. Colours come from console.css classes; each mark has a
 * <title> with its numbers and a data-value, so a chart can be read without hovering.
 */

/** Round numbers for an axis: about `count` ticks from 0 to at least max. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

const pad2 = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Every bucket of [from, to), with the series' counts and zeros where none.
 * @param {{ t: string, exchanges: number, faults: number }[]} series
 * @param {'hour' | 'day'} bucket
 */
export function fillBuckets(series, bucket, from, to) {
  const step = bucket === 'hour' ? 3600_000 : 86400_000;
  const byT = new Map(series.map((p) => [new Date(p.t).getTime(), p]));
  const start = Math.floor(new Date(from).getTime() / step) * step;
  const end = new Date(to).getTime();
  const out = [];
  for (let t = start; t < end && out.length < 2000; t += step) {
    const p = byT.get(t);
    out.push({ t, exchanges: p?.exchanges ?? 0, faults: p?.faults ?? 0 });
  }
  for (const [t, p] of byT) if (t < start || t >= end) out.push({ t, exchanges: p.exchanges, faults: p.faults });
  return out.sort((a, b) => a.t - b.t);
}

/**
 * Replies per hour or day, faults stacked on top.
 * @param {{ t: number, exchanges: number, faults: number }[]} points
 * @param {'hour' | 'day'} bucket
 */
export function seriesChart(points, bucket) {
  const W = 1320, H = 260, L = 44, R = 12, T = 14, B = 34;
  const max = Math.max(1, ...points.map((p) => p.exchanges));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const iw = W - L - R, ih = H - T - B;
  const bw = iw / Math.max(1, points.length);
  const y = (v) => T + ih - (v / top) * ih;
  const label = (t) => {
    const d = new Date(t);
    return bucket === 'hour' ? `${pad2(d.getHours())}:00` : `${d.getDate()} ${MONTHS[d.getMonth()]}`;
  };
  const every = Math.max(1, Math.ceil(points.length / 12));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'replies over time', dataset: { chart: 'series' } },
    ticks.map((v) => s('g', { class: 'axis' },
      s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v === 0 ? 'base' : 'grid' }),
      s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtInt(v)))),
    points.map((p, i) => {
      const x = L + i * bw + Math.min(2, bw * 0.15);
      const w = Math.max(1, bw - 2 * Math.min(2, bw * 0.15));
      const ok = p.exchanges - p.faults;
      const d = new Date(p.t);
      const when = bucket === 'hour' ? `${d.toLocaleDateString('en-GB')} ${pad2(d.getHours())}:00` : d.toLocaleDateString('en-GB');
      return s('g', { class: 'bar-group' },
        ok > 0 ? s('rect', { class: 'bar c-ok', x, width: w, y: y(p.exchanges), height: y(p.faults) - y(p.exchanges), dataset: { value: String(ok) } }, s('title', null, `${when}: ${p.exchanges} replies, ${p.faults} faults`)) : null,
        p.faults > 0 ? s('rect', { class: 'bar c-fault', x, width: w, y: y(p.faults), height: y(0) - y(p.faults), dataset: { value: String(p.faults) } }, s('title', null, `${when}: ${p.faults} faults of ${p.exchanges}`)) : null,
        i % every === 0 ? s('text', { class: 'xlabel', x: L + i * bw + bw / 2, y: H - B + 16, 'text-anchor': 'middle' }, label(p.t)) : null);
    }));
  return svg;
}

/**
 * Horizontal bars: one row per item, each bar split into parts.
 * @param {{ label: string, href?: string, parts: { value: number, cls: string, name: string }[] }[]} items
 * @param {string} name
 */
export function barsChart(items, name) {
  const row = 26, L = 150, R = 64, W = 560;
  const H = Math.max(1, items.length) * row + 8;
  const max = Math.max(1, ...items.map((it) => it.parts.reduce((a, p) => a + p.value, 0)));
  const iw = W - L - R;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', 'aria-label': name, dataset: { chart: name } },
    items.map((it, i) => {
      const total = it.parts.reduce((a, p) => a + p.value, 0);
      let x = L;
      const yy = 4 + i * row;
      return s('g', { class: 'row' },
        it.label.length > 20 ? s('g', null, s('title', null, it.label), s('text', { class: 'ylabel', x: L - 8, y: yy + 16, 'text-anchor': 'end' }, `${it.label.slice(0, 19)}…`))
          : s('text', { class: 'ylabel', x: L - 8, y: yy + 16, 'text-anchor': 'end' }, it.label),
        s('rect', { class: 'track', x: L, y: yy + 3, width: iw, height: row - 8 }),
        it.parts.map((p) => {
          const w = (p.value / max) * iw;
          const r = p.value > 0 ? s('rect', { class: `bar ${p.cls}`, x, y: yy + 3, width: Math.max(w, 1.5), height: row - 8, dataset: { value: String(p.value) } },
            s('title', null, `${it.label}: ${p.value} ${p.name}`)) : null;
          x += w;
          return r;
        }),
        s('text', { class: 'vlabel', x: L + (total / max) * iw + 6, y: yy + 16 }, fmtInt(total)));
    }));
}

/**
 * Latency per SID: p50, p95 and p99 as three bars, the maximum as a tick.
 * @param {{ sid: string, p50: number|null, p95: number|null, p99: number|null, max: number|null }[]} rows
 */
export function latencyChart(rows) {
  const band = 40, L = 110, R = 90, W = 1320, T = 24;
  const data = rows.filter((r) => r.p50 !== null);
  const H = T + Math.max(1, data.length) * band + 24;
  const max = Math.max(1, ...data.map((r) => r.max ?? r.p99 ?? 0));
  const ticks = niceTicks(max, 5);
  const top = ticks[ticks.length - 1];
  const iw = W - L - R;
  const x = (v) => L + (v / top) * iw;
  const keys = /** @type {const} */ (['p50', 'p95', 'p99']);
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart latency', role: 'img', 'aria-label': 'latency percentiles per SID', dataset: { chart: 'latency' } },
    keys.map((k, i) => s('g', { class: 'legend' }, s('rect', { class: `c-${k}`, x: L + i * 90, y: 4, width: 12, height: 12 }), s('text', { x: L + i * 90 + 17, y: 14 }, k))),
    s('g', { class: 'legend' }, s('line', { class: 'max', x1: L + 270, x2: L + 270, y1: 3, y2: 17 }), s('text', { x: L + 277, y: 14 }, 'max')),
    ticks.map((v) => s('g', { class: 'axis' },
      s('line', { class: v === 0 ? 'base' : 'grid', x1: x(v), x2: x(v), y1: T, y2: H - 20 }),
      s('text', { x: x(v), y: H - 6, 'text-anchor': 'middle' }, `${fmtInt(v)} ms`))),
    data.map((r, i) => {
      const yy = T + i * band + 6;
      return s('g', { class: 'row' },
        s('text', { class: 'ylabel', x: L - 8, y: yy + 18, 'text-anchor': 'end' }, r.sid),
        keys.map((k, j) => s('rect', { class: `bar c-${k}`, x: L, y: yy + j * 10, width: Math.max(1.5, x(r[k] ?? 0) - L), height: 8, dataset: { value: String(r[k]) } },
          s('title', null, `${r.sid} ${k}: ${r[k]} ms`))),
        r.max !== null ? s('line', { class: 'max', x1: x(r.max), x2: x(r.max), y1: yy - 2, y2: yy + 30 }, s('title', null, `${r.sid} max: ${r.max} ms`)) : null,
        s('text', { class: 'vlabel', x: x(r.max ?? r.p99 ?? 0) + 6, y: yy + 18 }, `p95 ${r.p95} ms`));
    }));
}

/**
 * A donut with its legend beside it.
 * @param {{ label: string, value: number }[]} items
 * @param {string} name
 */
export function donutChart(items, name) {
  const total = items.reduce((a, it) => a + it.value, 0);
  const R = 70, r = 44, C = 80;
  let a0 = -Math.PI / 2;
  const arcs = total > 0 ? items.map((it, i) => {
    const frac = it.value / total;
    const a1 = a0 + frac * Math.PI * 2;
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const p = (ang, rad) => `${C + rad * Math.cos(ang)} ${C + rad * Math.sin(ang)}`;
    // a full circle cannot be one arc: draw it as two halves
    const d = frac >= 0.9999
      ? `M ${p(-Math.PI / 2, R)} A ${R} ${R} 0 1 1 ${p(Math.PI / 2, R)} A ${R} ${R} 0 1 1 ${p(-Math.PI / 2, R)} M ${p(-Math.PI / 2, r)} A ${r} ${r} 0 1 0 ${p(Math.PI / 2, r)} A ${r} ${r} 0 1 0 ${p(-Math.PI / 2, r)} Z`
      : `M ${p(a0, R)} A ${R} ${R} 0 ${large} 1 ${p(a1, R)} L ${p(a1, r)} A ${r} ${r} 0 ${large} 0 ${p(a0, r)} Z`;
    a0 = a1;
    return s('path', { class: `slice c${i % 8}`, d, 'fill-rule': 'evenodd', dataset: { value: String(it.value) } }, s('title', null, `${it.label}: ${it.value} (${Math.round(frac * 100)}%)`));
  }) : [s('circle', { class: 'track', cx: C, cy: C, r: (R + r) / 2, 'stroke-width': R - r, fill: 'none' })];
  const svg = s('svg', { viewBox: '0 0 160 160', class: 'chart donut', role: 'img', 'aria-label': name, dataset: { chart: name } }, arcs,
    s('text', { class: 'donut-total', x: C, y: C + 2, 'text-anchor': 'middle' }, fmtInt(total)),
    s('text', { class: 'donut-sub', x: C, y: C + 18, 'text-anchor': 'middle' }, 'replies'));
  const legend = h('ul', { class: 'legend-list' }, items.map((it, i) => h('li', null, h('span', { class: `swatch c${i % 8}` }), h('span', { class: 'legend-label' }, it.label), h('span', { class: 'legend-value' }, fmtInt(it.value)))));
  return h('div', { class: 'donut-wrap' }, svg, legend);
}
