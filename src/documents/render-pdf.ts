import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { Block, Doc, Field, Section } from './model';

/**
 * A document as an A4 PDF (pdfkit): DejaVu Sans, regular and bold, and DejaVu Sans Mono for
 * code, embedded (subsets) so that Cyrillic reads and copies out (pdftotext gives the text back);
 * headings, tables of fields whose cells wrap, code blocks, page numbers, the footer's fields at
 * the end. The PDF's CreationDate is the document's `date`, so one document renders to the same
 * bytes each time.
 *
 * The fonts: Debian's fonts-dejavu-core (/usr/share/fonts/truetype/dejavu), or the folder
 * SMEV2_PDF_FONT names (holding DejaVuSans.ttf, DejaVuSans-Bold.ttf, DejaVuSansMono.ttf).
 */
export const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';
const FILES = { sans: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', mono: 'DejaVuSansMono.ttf' } as const;

/** The fonts a PDF needs are not where they are looked for: the message says where, and what to install. */
export class FontMissingError extends Error {}

let fonts: { dir: string; sans: Buffer; bold: Buffer; mono: Buffer } | undefined;

/** The three fonts, read once (and again when SMEV2_PDF_FONT changes). */
export function pdfFonts(env: NodeJS.ProcessEnv = process.env): { sans: Buffer; bold: Buffer; mono: Buffer } {
  const dir = env.SMEV2_PDF_FONT?.trim() || DEJAVU_DIR;
  if (fonts?.dir === dir) return fonts;
  const read = (f: string) => {
    const p = join(dir, f);
    if (!existsSync(p)) {
      throw new FontMissingError(env.SMEV2_PDF_FONT?.trim()
        ? `no font ${p}: SMEV2_PDF_FONT=${dir} must be a folder holding ${Object.values(FILES).join(', ')} (DejaVu's); unset it to use Debian's fonts-dejavu-core in ${DEJAVU_DIR}`
        : `no font ${p}: PDFs need DejaVu Sans for Cyrillic; install Debian's package fonts-dejavu-core (apt-get install fonts-dejavu-core), or set SMEV2_PDF_FONT to a folder holding ${Object.values(FILES).join(', ')}`);
    }
    return readFileSync(p);
  };
  fonts = { dir, sans: read(FILES.sans), bold: read(FILES.bold), mono: read(FILES.mono) };
  return fonts;
}

const A4 = { width: 595.28, height: 841.89 };
const M = { top: 50, bottom: 60, left: 50, right: 50 };
const WIDTH = A4.width - M.left - M.right;
const PAD = 4;
const GREY = '#555555';
const RULE = '#bbbbbb';

type Pdf = PDFKit.PDFDocument;

export function renderPdf(doc: Doc): Promise<Buffer> {
  const f = pdfFonts();
  const pdf: Pdf = new PDFDocument({
    size: 'A4', margins: M, bufferPages: true, autoFirstPage: true,
    info: { Title: doc.title, ...(doc.subtitle ? { Subject: doc.subtitle } : {}), Creator: 'smev2-gateway', Producer: 'smev2-gateway (pdfkit)', CreationDate: doc.date ?? new Date(0) },
  });
  pdf.registerFont('sans', f.sans);
  pdf.registerFont('bold', f.bold);
  pdf.registerFont('mono', f.mono);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  pdf.font('bold').fontSize(16).fillColor('black').text(doc.title, M.left, M.top, { width: WIDTH });
  if (doc.subtitle) pdf.font('sans').fontSize(10).fillColor(GREY).text(doc.subtitle, { width: WIDTH }).fillColor('black');
  pdf.moveDown(0.5);
  for (const s of doc.sections) section(pdf, s, 1);
  if (doc.footer?.length) {
    room(pdf, 40);
    pdf.moveDown(0.8);
    const y = pdf.y;
    pdf.moveTo(M.left, y).lineTo(M.left + WIDTH, y).lineWidth(1).strokeColor(GREY).stroke();
    pdf.y = y + 6;
    fieldRows(pdf, doc.footer, 8);
  }
  pageNumbers(pdf);
  pdf.end();
  return done;
}

const bottom = () => A4.height - M.bottom;

/** A new page unless `h` points fit on this one. */
function room(pdf: Pdf, h: number): void {
  if (pdf.y + h > bottom()) pdf.addPage();
}

function section(pdf: Pdf, s: Section, level: number): void {
  const size = level === 1 ? 13 : level === 2 ? 11.5 : 10.5;
  room(pdf, size * 4);
  pdf.moveDown(level === 1 ? 0.8 : 0.5);
  pdf.font('bold').fontSize(size).fillColor('black').text(s.heading, M.left, pdf.y, { width: WIDTH });
  if (level === 1) {
    const y = pdf.y + 1;
    pdf.moveTo(M.left, y).lineTo(M.left + WIDTH, y).lineWidth(0.5).strokeColor(RULE).stroke();
    pdf.y = y + 3;
  }
  pdf.moveDown(0.2);
  for (const b of s.blocks) block(pdf, b);
  for (const x of s.sections ?? []) section(pdf, x, level + 1);
}

function block(pdf: Pdf, b: Block): void {
  switch (b.kind) {
    case 'fields': return fieldRows(pdf, b.rows, 9.5);
    case 'paragraph':
      pdf.font('sans').fontSize(10).fillColor('black').text(b.text, M.left, pdf.y, { width: WIDTH });
      pdf.moveDown(0.4);
      return;
    case 'code':
      pdf.font('mono').fontSize(7.5).fillColor('black').text(b.text.replace(/\t/g, '  '), M.left + PAD, pdf.y + PAD, { width: WIDTH - 2 * PAD });
      pdf.moveDown(0.6);
      return;
    case 'table': return gridRows(pdf, b.header, b.rows);
  }
}

/** Rows of label | value: the label a third of the width, both wrapping; a row taller than a page flows on. */
function fieldRows(pdf: Pdf, rows: Field[], size: number): void {
  const lw = Math.round(WIDTH * 0.36);
  const vw = WIDTH - lw;
  for (const f of rows) {
    const value = f.value === '' ? '—' : f.value;
    pdf.font('bold').fontSize(size);
    const lh = pdf.heightOfString(f.label, { width: lw - 2 * PAD });
    pdf.font('sans').fontSize(size - 1.5);
    const hh = f.hint ? pdf.heightOfString(f.hint, { width: lw - 2 * PAD }) : 0;
    pdf.font('sans').fontSize(size);
    const vh = pdf.heightOfString(value, { width: vw - 2 * PAD });
    const h = Math.max(lh + hh, vh) + 2 * PAD;
    if (pdf.y + h > bottom() && h <= bottom() - M.top) pdf.addPage();
    const y = pdf.y;
    if (y + h <= bottom()) {
      pdf.rect(M.left, y, lw, h).fillAndStroke('#f4f4f4', RULE);
      pdf.rect(M.left + lw, y, vw, h).lineWidth(0.5).stroke(RULE);
    }
    pdf.fillColor('black').font('bold').fontSize(size).text(f.label, M.left + PAD, y + PAD, { width: lw - 2 * PAD });
    if (f.hint) pdf.font('sans').fontSize(size - 1.5).fillColor(GREY).text(f.hint, M.left + PAD, pdf.y, { width: lw - 2 * PAD }).fillColor('black');
    const afterLabel = pdf.y;
    // a value longer than a page flows onto the next ones (pdfkit breaks the page), without its box
    pdf.font('sans').fontSize(size).text(value, M.left + lw + PAD, y + PAD, { width: vw - 2 * PAD });
    pdf.x = M.left;
    pdf.y = y + h <= bottom() ? y + h : Math.max(pdf.y, afterLabel) + PAD;
  }
  pdf.moveDown(0.4);
}

function gridRows(pdf: Pdf, header: string[], rows: string[][]): void {
  const n = Math.max(header.length, ...rows.map((r) => r.length), 1);
  const w = WIDTH / n;
  const row = (cells: string[], head: boolean) => {
    pdf.font(head ? 'bold' : 'sans').fontSize(9);
    const h = Math.max(...Array.from({ length: n }, (_, i) => pdf.heightOfString(cells[i] ?? '', { width: w - 2 * PAD })), 9) + 2 * PAD;
    if (pdf.y + h > bottom()) pdf.addPage();
    const y = pdf.y;
    for (let i = 0; i < n; i++) {
      if (head) pdf.rect(M.left + i * w, y, w, h).fillAndStroke('#f4f4f4', RULE);
      else pdf.rect(M.left + i * w, y, w, h).lineWidth(0.5).stroke(RULE);
      pdf.fillColor('black').font(head ? 'bold' : 'sans').fontSize(9).text(cells[i] ?? '', M.left + i * w + PAD, y + PAD, { width: w - 2 * PAD, height: h });
    }
    pdf.x = M.left;
    pdf.y = y + h;
  };
  row(header, true);
  for (const r of rows) row(r, false);
  pdf.moveDown(0.4);
}

/** "n / N" at the foot of every page, written once all pages exist. */
function pageNumbers(pdf: Pdf): void {
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    // the number sits in the bottom margin: lift the margin while writing it, or pdfkit adds a page
    const keep = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    pdf.font('sans').fontSize(8).fillColor(GREY).text(`${i + 1} / ${range.count}`, M.left, A4.height - M.bottom + 20, { width: WIDTH, align: 'center', lineBreak: false });
    pdf.page.margins.bottom = keep;
  }
}
