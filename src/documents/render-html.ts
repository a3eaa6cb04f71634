import type { Block, Doc, Field, Section } from './model';

/**
 * A document as one standalone, printable HTML page: every text escaped, the style inline (it is
 * a download read offline or printed, not a page of the console, whose CSP forbids inline style),
 * no script, nothing fetched. Whoever serves it adds a CSP sandbox header, as for any download.
 */
export function renderHtml(doc: Doc): string {
  const parts: string[] = [];
  parts.push('<!DOCTYPE html>', '<html lang="ru">', '<head>', '<meta charset="utf-8">',
    `<title>${esc(doc.title)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>', '<main>');
  parts.push(`<header><h1>${esc(doc.title)}</h1>${doc.subtitle ? `<p class="subtitle">${esc(doc.subtitle)}</p>` : ''}</header>`);
  for (const s of doc.sections) parts.push(section(s, 2));
  if (doc.footer?.length) parts.push(`<footer>${fields(doc.footer)}</footer>`);
  parts.push('</main>', '</body>', '</html>', '');
  return parts.join('\n');
}

function section(s: Section, level: number): string {
  const h = `h${Math.min(level, 6)}`;
  return `<section><${h}>${esc(s.heading)}</${h}>${s.blocks.map(block).join('')}${(s.sections ?? []).map((x) => section(x, level + 1)).join('')}</section>`;
}

function block(b: Block): string {
  switch (b.kind) {
    case 'fields': return fields(b.rows);
    case 'paragraph': return `<p>${esc(b.text)}</p>`;
    case 'code': return `<pre${b.language ? ` class="lang-${b.language}"` : ''}><code>${esc(b.text)}</code></pre>`;
    case 'table': return `<table class="grid"><thead><tr>${b.header.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${
      b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }
}

function fields(rows: Field[]): string {
  return `<table class="fields"><tbody>${rows.map((f) => `<tr><th scope="row">${esc(f.label)}${f.hint ? `<span class="hint">${esc(f.hint)}</span>` : ''}</th><td>${esc(f.value)}</td></tr>`).join('')}</tbody></table>`;
}

/** Text as HTML text or an attribute's value. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = [
  'body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:14px;color:#111;margin:0;background:#fff}',
  'main{max-width:860px;margin:24px auto;padding:0 16px}',
  'h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #ccc}h3,h4,h5,h6{font-size:15px;margin:16px 0 6px}',
  '.subtitle{color:#555;margin:0 0 16px}',
  'table{border-collapse:collapse;width:100%;margin:4px 0 8px}',
  'th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}',
  'table.fields th{width:38%;font-weight:600;background:#f7f7f7}',
  '.hint{display:block;font-weight:normal;color:#666;font-size:12px}',
  'pre{font-family:"DejaVu Sans Mono",monospace;font-size:12px;background:#f7f7f7;border:1px solid #ddd;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere}',
  'footer{margin-top:32px;border-top:2px solid #999;padding-top:8px;font-size:12px}',
  'section section{margin-left:12px}',
  '@media print{main{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}',
].join('');
