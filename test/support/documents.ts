import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's poppler-utils (.ci/run installs it): reads the gateway's PDFs back as text. */
export const PDFTOTEXT = '/usr/bin/pdftotext';

/** Text without its white space: a PDF breaks lines where a value had none. */
export const squeeze = (s: string): string => s.replace(/\s+/g, '');

/** The text of a PDF, as pdftotext reads it (UTF-8). */
export function pdfText(pdf: Buffer): string {
  if (!existsSync(PDFTOTEXT)) throw new Error(`${PDFTOTEXT} is missing: install Debian's poppler-utils (apt-get install poppler-utils; .ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'smev2-pdf-'));
  try {
    writeFileSync(join(dir, 'a.pdf'), pdf);
    const r = spawnSync(PDFTOTEXT, ['-enc', 'UTF-8', join(dir, 'a.pdf'), '-'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pdftotext failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text of an HTML document: tags and the style sheet out, the entities the renderer writes decoded. */
export function htmlText(html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}
