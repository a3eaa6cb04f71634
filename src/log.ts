import pino from 'pino';
import pretty from 'pino-pretty';

/** How log lines are written: one JSON object per line, or pino-pretty's readable lines. */
export type LogFormat = 'pretty' | 'json';

/**
 * `--log-format` / SMEV2_LOG_FORMAT: `pretty`, `json`, or unset (`auto`): pretty when stdout is a
 * terminal, JSON otherwise (a pipe, a file, a log collector).
 */
export function resolveLogFormat(v: string | undefined, stdoutIsTTY: boolean = process.stdout.isTTY === true): LogFormat {
  if (v === undefined || v === '' || v === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  if (v === 'pretty' || v === 'json') return v;
  throw new Error(`--log-format / SMEV2_LOG_FORMAT must be pretty, json or auto, got "${v}"`);
}

/**
 * Logs on stdout: JSON (one object per line, what a collector reads) or, for a person at a
 * terminal, pino-pretty's lines (time, level, message, then the fields), written synchronously
 * so that a worker of `start --workers` and the primary never interleave half lines.
 */
export function createLogger(level: string, format: LogFormat = 'json'): pino.Logger {
  const opts = { level, base: { service: 'smev2-gateway' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(opts);
  const stream = pretty({
    sync: true,
    colorize: process.stdout.isTTY === true && !process.env.NO_COLOR,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', // local time with its offset from UTC
    ignore: 'service,hostname',
    singleLine: false,
  });
  return pino(opts, stream);
}

/**
 * A verdict that the policy `report` passes on (a failed signature or control check) is kept in
 * the journal for every message, but logged once per kind, sender and SID in this process, at
 * info: unsigned demo traffic would otherwise fill the log with one WARN per request.
 */
const reported = new Set<string>();
const REPORTED_MAX = 10_000; // senders are the client's to name: bound what is remembered

export function logReportOnce(log: pino.Logger, what: { kind: string; sender: string | undefined; sid: string }, fields: Record<string, unknown>, msg: string): void {
  const key = `${what.kind}\u0000${what.sender ?? ''}\u0000${what.sid}`;
  if (reported.has(key)) return;
  if (reported.size >= REPORTED_MAX) reported.clear();
  reported.add(key);
  log.info({ ...fields, sender: what.sender ?? '(none)', policy: 'report' },
    `${msg} (policy report: passed on; logged once per sender and SID, every message's verdict is in the journal)`);
}
