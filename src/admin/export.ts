import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { eachEntry, type JournalFilter, type JournalRow } from '../journal/search';
import { xlsx, type Cell } from './xlsx';

/** The columns of an export, in order: the journal's metadata (never the bodies). */
const COLUMNS: [string, (r: JournalRow) => Cell][] = [
  ['id', (r) => r.id], ['at', (r) => r.at], ['exchange', (r) => r.exchangeId], ['sid', (r) => r.sid], ['operation', (r) => r.operation],
  ['direction', (r) => r.direction], ['revision', (r) => r.revision], ['sender', (r) => r.sender], ['recipient', (r) => r.recipient],
  ['originator', (r) => r.originator], ['status', (r) => r.status], ['messageId', (r) => r.messageId], ['requestIdRef', (r) => r.requestIdRef],
  ['originRequestIdRef', (r) => r.originRequestIdRef], ['caseNumber', (r) => r.caseNumber], ['httpStatus', (r) => r.httpStatus],
  ['faultCode', (r) => r.faultCode], ['durationMs', (r) => r.durationMs], ['size', (r) => r.size], ['signature', (r) => r.signature],
  ['control', (r) => r.control], ['chain', (r) => r.chainId], ['sha256', (r) => r.sha256], ['hash', (r) => r.hash], ['purged', (r) => r.purged],
];

/** An XLSX export is built in memory: at most this many rows (the CSV export streams, unbounded). */
export const XLSX_MAX_ROWS = 200_000;

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

/** CSV (RFC 4180, UTF-8 with a BOM so that spreadsheet programs read Cyrillic right), streamed. */
export async function exportCsv(ds: DataSource, f: JournalFilter, res: Response): Promise<void> {
  res.type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="journal-${stamp()}.csv"`);
  res.write(`\ufeff${COLUMNS.map(([h]) => h).join(',')}\r\n`);
  let buf = '';
  for await (const r of eachEntry(ds, f)) {
    buf += `${COLUMNS.map(([, get]) => csvCell(get(r))).join(',')}\r\n`;
    if (buf.length > 64 * 1024) {
      if (!res.write(buf)) await new Promise((ok) => res.once('drain', ok));
      buf = '';
    }
  }
  res.end(buf);
}

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // a leading = + - @ would be a formula in a spreadsheet: quote it as text (CSV injection)
  const guarded = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n']/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export async function exportXlsx(ds: DataSource, f: JournalFilter, res: Response): Promise<void> {
  const rows: Cell[][] = [];
  let truncated = false;
  for await (const r of eachEntry(ds, f)) {
    if (rows.length >= XLSX_MAX_ROWS) { truncated = true; break; }
    rows.push(COLUMNS.map(([, get]) => get(r)));
  }
  const book = xlsx('journal', COLUMNS.map(([h]) => h), rows);
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').setHeader('content-disposition', `attachment; filename="journal-${stamp()}.xlsx"`);
  if (truncated) res.setHeader('x-export-truncated', `only the first ${XLSX_MAX_ROWS} entries: narrow the filter or use the CSV export`);
  res.send(book);
}
