// A latency distribution chart as a self-contained SVG, written by the bench itself (no package):
// latency (log scale) against the percentile, the percentile axis spread as log10(1 / (1 - q)) so
// p50, p90, p99, p99.9 are evenly spaced, as HdrHistogram's plots are.
import { quantile } from './cannon';

export interface Curve {
  label: string;
  /** sorted latencies, ms */
  samples: Float64Array;
  color: string;
  dashed?: boolean;
}

export interface Mark { label: string; q: number; ms: number }

const W = 760;
const H = 440;
const L = 64;
const R = 190;
const T = 40;
const B = 56;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencyChart(title: string, curves: Curve[], marks: Mark[]): string {
  const withData = curves.filter((c) => c.samples.length);
  // the percentile axis goes as far as the samples resolve: 1 - 1/n
  const xMax = Math.max(3, ...withData.map((c) => Math.min(4, Math.log10(c.samples.length))));
  const all = withData.flatMap((c) => [c.samples[0]!, c.samples[c.samples.length - 1]!]).concat(marks.map((m) => m.ms));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.1, Math.min(...all)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, lo * 10))));
  const px = (x: number) => L + (x / xMax) * (W - L - R);
  const py = (ms: number) => T + (1 - (Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  // grid: latency decades and 2, 5 between; percentiles 0, 90, 99, 99.9, 99.99
  for (let d = lo; d <= hi; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v > hi) break;
      const y = py(v);
      out.push(`<line x1="${L}" y1="${y.toFixed(1)}" x2="${W - R}" y2="${y.toFixed(1)}" stroke="${k === 1 ? '#bbb' : '#e4e4e4'}"/>`);
      out.push(`<text x="${L - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? v : v.toFixed(1)}</text>`);
    }
  }
  for (let x = 0; x <= xMax + 1e-9; x++) {
    const label = x === 0 ? '0' : `${(100 - 100 / Math.pow(10, x)).toFixed(Math.max(0, x - 2))}`;
    out.push(`<line x1="${px(x).toFixed(1)}" y1="${T}" x2="${px(x).toFixed(1)}" y2="${H - B}" stroke="#bbb"/>`);
    out.push(`<text x="${px(x).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${x === 0 ? '0' : `p${label}`}</text>`);
  }
  out.push(`<text x="${((L + W - R) / 2).toFixed(0)}" y="${H - 14}" text-anchor="middle">percentile</text>`);
  out.push(`<text x="16" y="${((T + H - B) / 2).toFixed(0)}" text-anchor="middle" transform="rotate(-90 16 ${((T + H - B) / 2).toFixed(0)})">latency, ms (log scale)</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#444"/>`);
  // curves: 200 points evenly along the percentile axis, up to what the samples resolve
  withData.forEach((c, i) => {
    const top = Math.min(xMax, Math.log10(c.samples.length));
    const pts: string[] = [];
    for (let k = 0; k <= 200; k++) {
      const x = (top * k) / 200;
      const q = 1 - Math.pow(10, -x);
      pts.push(`${px(x).toFixed(1)},${py(quantile(c.samples, q)).toFixed(1)}`);
    }
    pts.push(`${px(top).toFixed(1)},${py(c.samples[c.samples.length - 1]!).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${c.color}" stroke-width="2"${c.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.join(' ')}"/>`);
    const ly = T + 14 + i * 18;
    out.push(`<line x1="${W - R + 12}" y1="${ly - 4}" x2="${W - R + 36}" y2="${ly - 4}" stroke="${c.color}" stroke-width="2"${c.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${W - R + 42}" y="${ly}">${esc(c.label)}</text>`);
  });
  marks.forEach((m, i) => {
    const x = px(Math.log10(1 / (1 - m.q)));
    const y = py(m.ms);
    out.push(`<path d="M${(x - 6).toFixed(1)},${(y - 6).toFixed(1)} l12,12 m0,-12 l-12,12" stroke="#d00" stroke-width="2"/>`);
    const ly = T + 14 + (withData.length + i) * 18;
    out.push(`<path d="M${W - R + 18},${ly - 10} l12,12 m0,-12 l-12,12" stroke="#d00" stroke-width="2"/>`);
    out.push(`<text x="${W - R + 42}" y="${ly}">${esc(m.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
