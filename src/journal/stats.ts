import type { DataSource } from 'typeorm';
import { dialectOf, query, storeTime } from '../store';
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
  const range = [storeTime(ds, from), storeTime(ds, to)];
  const inRange = 'at >= ? AND at < ?';
  const n = (v: unknown) => Number(v ?? 0);
  const [totals] = await query(ds, `SELECT COUNT(*) AS n, SUM(CASE WHEN fault_code IS NULL THEN 0 ELSE 1 END) AS f FROM journal WHERE ${REPLY} AND ${inRange}`, range);
  const perSid = await query(ds, `SELECT sid, COUNT(*) AS n, SUM(CASE WHEN fault_code IS NULL THEN 0 ELSE 1 END) AS f FROM journal WHERE ${REPLY} AND ${inRange} GROUP BY sid ORDER BY n DESC`, range);
  const latency = await percentiles(ds, range);
  const departments = await query(ds, `SELECT sender AS d, COUNT(*) AS n FROM journal WHERE direction = 'consumer->gateway' AND ${inRange} GROUP BY sender ORDER BY n DESC`, range);
  const statuses = await query(ds, `SELECT COALESCE(status, '-') AS s, COUNT(*) AS n FROM journal WHERE ${REPLY} AND ${inRange} GROUP BY COALESCE(status, '-') ORDER BY n DESC`, range);
  const faults = await query(ds, `SELECT fault_code AS c, COUNT(*) AS n FROM journal WHERE ${REPLY} AND ${inRange} AND fault_code IS NOT NULL GROUP BY fault_code ORDER BY n DESC`, range);
  const slot = dialectOf(ds).timeSlot('at', bucket);
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

async function percentiles(ds: DataSource, range: string[]): Promise<Map<string, Latency>> {
  const round = (v: number) => Math.round(v * 10) / 10;
  const found = await dialectOf(ds).percentiles(ds, { table: 'journal', group: 'sid', value: 'duration_ms', where: `${REPLY} AND at >= ? AND at < ?`, params: range, at: [0.5, 0.95, 0.99] });
  return new Map([...found].map(([sid, p]) => [sid, { p50: round(p.at[0]!), p95: round(p.at[1]!), p99: round(p.at[2]!), max: round(p.max) }]));
}

/** 'YYYY-MM-DD HH' or 'YYYY-MM-DD' (UTC) as an ISO time. */
function slotStart(v: unknown, bucket: Bucket): string {
  const s = String(v);
  return toDate(bucket === 'hour' ? `${s}:00:00` : `${s} 00:00:00`).toISOString();
}
