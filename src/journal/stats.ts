import type { DataSource } from 'typeorm';
import { query, storeTime } from '../store';
import { toDate } from './chain';

export type Bucket = 'hour' | 'day';

export interface Stats {
  from: string;
  to: string;
  bucket: Bucket;
  /** exchanges answered (the gateway's replies to consumers), and how many of them were faults */
  exchanges: number;
  faults: number;
  bySid: { sid: string; exchanges: number; faults: number; p50: number | null; p95: number | null; p99: number | null; max: number | null }[];
  /** requests by the sending system (the consumer's department, smev:Sender/Code) */
  byDepartment: { department: string; requests: number }[];
  /** replies by smev:Status (FAULT for SOAP faults) */
  byStatus: { status: string; count: number }[];
  byFault: { fault: string; count: number }[];
  /** replies per hour or day (UTC), with faults */
  series: { t: string; exchanges: number; faults: number }[];
}

const REPLY = "direction = 'gateway->consumer'";

/**
 * Statistics on the use of services over [from, to): computed from the journal on request, so
 * they are always current and need nothing kept beside it. Latency is each reply's time in the
 * gateway, from the first byte read to the reply written (the `duration_ms` of the reply leg).
 */
export async function journalStats(ds: DataSource, from: Date, to: Date, bucket: Bucket): Promise<Stats> {
  const pg = ds.options.type === 'postgres';
  const range = [storeTime(ds, from), storeTime(ds, to)];
  const inRange = 'at >= ? AND at < ?';
  const n = (v: unknown) => Number(v ?? 0);
  const [totals] = await query(ds, `SELECT COUNT(*) AS n, SUM(CASE WHEN fault_code IS NULL THEN 0 ELSE 1 END) AS f FROM journal WHERE ${REPLY} AND ${inRange}`, range);
  const perSid = await query(ds, `SELECT sid, COUNT(*) AS n, SUM(CASE WHEN fault_code IS NULL THEN 0 ELSE 1 END) AS f FROM journal WHERE ${REPLY} AND ${inRange} GROUP BY sid ORDER BY n DESC`, range);
  const latency = await percentiles(ds, range, pg);
  const departments = await query(ds, `SELECT sender AS d, COUNT(*) AS n FROM journal WHERE direction = 'consumer->gateway' AND ${inRange} GROUP BY sender ORDER BY n DESC`, range);
  const statuses = await query(ds, `SELECT COALESCE(status, '-') AS s, COUNT(*) AS n FROM journal WHERE ${REPLY} AND ${inRange} GROUP BY COALESCE(status, '-') ORDER BY n DESC`, range);
  const faults = await query(ds, `SELECT fault_code AS c, COUNT(*) AS n FROM journal WHERE ${REPLY} AND ${inRange} AND fault_code IS NOT NULL GROUP BY fault_code ORDER BY n DESC`, range);
  const slot = pg ? `to_char(at AT TIME ZONE 'UTC', '${bucket === 'hour' ? 'YYYY-MM-DD HH24' : 'YYYY-MM-DD'}')` : `substr(at, 1, ${bucket === 'hour' ? 13 : 10})`;
  const series = await query(ds, `SELECT ${slot} AS t, COUNT(*) AS n, SUM(CASE WHEN fault_code IS NULL THEN 0 ELSE 1 END) AS f FROM journal WHERE ${REPLY} AND ${inRange} GROUP BY ${slot} ORDER BY 1`, range);
  return {
    from: from.toISOString(), to: to.toISOString(), bucket,
    exchanges: n(totals?.n), faults: n(totals?.f),
    bySid: perSid.map((r) => ({ sid: String(r.sid), exchanges: n(r.n), faults: n(r.f), ...(latency.get(String(r.sid)) ?? { p50: null, p95: null, p99: null, max: null }) })),
    byDepartment: departments.map((r) => ({ department: r.d === null ? '-' : String(r.d), requests: n(r.n) })),
    byStatus: statuses.map((r) => ({ status: String(r.s), count: n(r.n) })),
    byFault: faults.map((r) => ({ fault: String(r.c), count: n(r.n) })),
    series: series.map((r) => ({ t: slotStart(r.t, bucket), exchanges: n(r.n), faults: n(r.f) })),
  };
}

type Latency = { p50: number | null; p95: number | null; p99: number | null; max: number | null };

async function percentiles(ds: DataSource, range: string[], pg: boolean): Promise<Map<string, Latency>> {
  const out = new Map<string, Latency>();
  const round = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
  if (pg) {
    const rows = await query(ds, `SELECT sid, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99, MAX(duration_ms) AS mx FROM journal WHERE ${REPLY} AND at >= ? AND at < ? AND duration_ms IS NOT NULL GROUP BY sid`, range);
    for (const r of rows) out.set(String(r.sid), { p50: round(r.p50), p95: round(r.p95), p99: round(r.p99), max: round(r.mx) });
    return out;
  }
  // SQLite has no percentile function: the durations come sorted per SID and are read off
  const rows = await query<{ sid: string; d: number }>(ds, `SELECT sid, duration_ms AS d FROM journal WHERE ${REPLY} AND at >= ? AND at < ? AND duration_ms IS NOT NULL ORDER BY sid, duration_ms`, range);
  let i = 0;
  while (i < rows.length) {
    let j = i;
    while (j < rows.length && rows[j]!.sid === rows[i]!.sid) j++;
    const d = rows.slice(i, j).map((r) => Number(r.d));
    const at = (p: number) => {
      // linear interpolation between closest ranks, as percentile_cont does
      const x = p * (d.length - 1);
      const lo = Math.floor(x);
      return d[lo]! + (d[Math.min(lo + 1, d.length - 1)]! - d[lo]!) * (x - lo);
    };
    out.set(rows[i]!.sid, { p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(d[d.length - 1]) });
    i = j;
  }
  return out;
}

/** 'YYYY-MM-DD HH' or 'YYYY-MM-DD' (UTC) as an ISO time. */
function slotStart(v: unknown, bucket: Bucket): string {
  const s = String(v);
  return toDate(bucket === 'hour' ? `${s}:00:00` : `${s} 00:00:00`).toISOString();
}
