import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DataSource } from 'typeorm';
import { dialectOf } from './dialect';

/** The SQLite file a store was opened on, or undefined (PostgreSQL, or in memory). */
export function sqliteFile(ds: DataSource): string | undefined {
  return dialectOf(ds).file(ds);
}

/**
 * How many bytes the store takes: SQLite, the database file with its WAL (and shared-memory
 * index); PostgreSQL, pg_database_size of the gateway's database.
 */
export function storeBytes(ds: DataSource): Promise<number> {
  return dialectOf(ds).bytes(ds);
}

export interface DiskThresholds {
  /** warn below this share of the disk free (0-100) */
  freePercent: number;
  /** ... or below this many bytes free */
  freeBytes: number;
}

export interface DiskState {
  /** the folder looked at */
  path: string;
  /** what it holds, for the message: "the SQLite store", "the data folder" */
  what: string;
  free: number;
  total: number;
  /** why the free space could not be read (the folder is gone, say) */
  error?: string;
}

/** Free and total bytes of the file systems holding these folders (statfs; bytes an unprivileged process may use). */
export async function diskStates(folders: { path: string; what: string }[]): Promise<DiskState[]> {
  const out: DiskState[] = [];
  for (const f of folders) {
    try {
      const s = await statfs(f.path);
      out.push({ ...f, free: s.bavail * s.bsize, total: s.blocks * s.bsize });
    } catch (e) {
      out.push({ ...f, free: 0, total: 0, error: (e as Error).message });
    }
  }
  return out;
}

/** What /readyz says about a nearly full disk: one line per folder below a threshold. */
export function diskWarnings(states: DiskState[], t: DiskThresholds): string[] {
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
  return states.flatMap((s) => {
    if (s.error) return [`disk not checked: the free space of ${s.what} (${s.path}) could not be read: ${s.error}`];
    const pct = s.total ? (100 * s.free) / s.total : 0;
    if (pct >= t.freePercent && s.free >= t.freeBytes) return [];
    return [`disk nearly full: ${s.what} (${s.path}) has ${gib(s.free)} free of ${gib(s.total)} (${pct.toFixed(1)} %), ` +
      `below the warning level (SMEV2_DISK_WARN_FREE_PERCENT=${t.freePercent} %, SMEV2_DISK_WARN_FREE_BYTES=${t.freeBytes}): ` +
      'free space, move the store to a larger disk, or lower SMEV2_RETENTION_DAYS and run `smev2-gateway journal purge`'];
  });
}

/** The folders whose disks /readyz watches: the SQLite store's, and the data folder (the keys'; on PostgreSQL the store's disk is the server's). */
export function watchedFolders(ds: DataSource, keysDir: string): { path: string; what: string }[] {
  const file = sqliteFile(ds);
  const folders = file ? [{ path: dirname(file), what: 'the SQLite store' }] : [];
  if (!folders.some((f) => f.path === keysDir)) folders.push({ path: keysDir, what: 'the data folder' });
  return folders;
}
