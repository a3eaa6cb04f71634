import { loadConfig, type Flags } from '../config';
import { openStore } from '../store';
import { chainEntries } from '../journal/search';
import { parseAnchor, verifyJournal, type Anchor } from '../journal/verify';
import { purgeOlderThan } from '../journal/retention';
import { Inbox } from '../providers/manual/inbox';

const write = (s: string) => process.stdout.write(s);

export const JOURNAL_USAGE = `  smev2-gateway journal chain ID             every leg of an asynchronous chain
  smev2-gateway journal verify [--db URL] [--anchor ID:HASH]   check the hash chain: altered, deleted, reordered
                                             entries; with an anchor noted earlier, also a cut-off tail
  smev2-gateway journal purge [--older-than DAYS]   empty raw bodies older than DAYS, and attachments unused since (default SMEV2_RETENTION_DAYS)
`;

/** journal chain ID | journal verify | journal purge [--older-than DAYS] */
export async function journalCommand(sub: string | undefined, arg: string | undefined, flags: Flags & { 'older-than'?: string; anchor?: string[] }): Promise<number> {
  if (!(sub === 'chain' && arg) && sub !== 'verify' && sub !== 'purge') {
    process.stderr.write(`usage:\n${JOURNAL_USAGE}`);
    return 2;
  }
  const config = loadConfig(flags);
  let days = config.retentionDays;
  if (sub === 'purge' && flags['older-than'] !== undefined) {
    days = Number(flags['older-than']);
    if (!Number.isFinite(days) || days < 0) {
      process.stderr.write(`--older-than must be a number of days, got "${flags['older-than']}"\n`);
      return 2;
    }
  }
  let anchors: Anchor[];
  try {
    anchors = (flags.anchor ?? []).map(parseAnchor);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const ds = await openStore(config.database);
  try {
    if (sub === 'chain') return await chain(ds, arg!);
    if (sub === 'purge') {
      const { bodies: n, parts, also } = await purgeOlderThan(ds, days, new Date(), [{ name: 'inboxPurged', purge: (cutoff) => new Inbox(ds).purgeAnsweredBefore(cutoff) }]);
      const inbox = also.inboxPurged ?? 0;
      write(`purged the raw bodies of ${n} entr${n === 1 ? 'y' : 'ies'} older than ${days} day(s), and the bytes of ${parts} attachment${parts === 1 ? '' : 's'} unused since; metadata and hashes kept` +
        `${inbox ? `; ${inbox} answered request${inbox === 1 ? '' : 's'} left the manual providers' inbox` : ''}\n`);
      return 0;
    }
    const r = await verifyJournal(ds, 20, anchors);
    if (!r.problemCount) {
      write(`journal intact: ${r.entries} entries verified (${r.purged} purged of raw bytes), last hash ${r.lastHash}\n`);
      if (anchors.length) write(`anchors hold: ${anchors.map((a) => a.id).join(', ')}\n`);
      if (r.lastId) write(`anchor for next time (keep it outside the gateway): --anchor ${r.lastId}:${r.lastHash}\n`);
      return 0;
    }
    write(`journal NOT intact: ${r.problemCount} problem(s) in ${r.entries} entries${r.problemCount > r.problems.length ? `; the first ${r.problems.length}` : ''}:\n`);
    for (const p of r.problems) write(`  ${p.kind.padEnd(11)} ${p.detail}\n`);
    return 1;
  } finally {
    await ds.destroy();
  }
}

/** Every leg of an asynchronous chain, in order. */
async function chain(ds: Awaited<ReturnType<typeof openStore>>, id: string): Promise<number> {
  const rows = await chainEntries(ds, id.toUpperCase());
  if (!rows.length) {
    process.stderr.write(`no chain ${id} in the journal\n`);
    return 1;
  }
  for (const r of rows) write(`${String(r.id).padStart(6)} ${new Date(r.at as string).toISOString()} ${r.sid} ${String(r.operation ?? '').padEnd(24)} ${String(r.direction).padEnd(18)} ${String(r.status ?? '').padEnd(8)} ${r.message_id ?? ''}${r.fault_code ? ` ${r.fault_code}` : ''}\n`);
  return 0;
}
