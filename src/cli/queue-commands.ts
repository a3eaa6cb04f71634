import { loadConfig, type Flags } from '../config';
import { openStore } from '../store';
import { Outbox, type OutboxStatus } from '../queue/outbox';
import { addSubscription, readSubscriptions, EVENT_TYPES, type Subscription } from '../queue/events';

const write = (s: string) => process.stdout.write(s);
const when = (ms: number | null) => (ms ? new Date(ms).toISOString() : '-');

/** queue list [--status dead] | queue show ID | queue redrive ID */
export async function queueCommand(sub: string | undefined, arg: string | undefined, flags: Flags & { status?: string }): Promise<number> {
  const config = loadConfig(flags);
  const ds = await openStore(config.database);
  try {
    const outbox = new Outbox(ds);
    if (sub === 'list') {
      const rows = await outbox.list(flags.status as OutboxStatus | undefined);
      write(`${'ID'.padEnd(40)} ${'KIND'.padEnd(8)} ${'SID'.padEnd(11)} ${'STATUS'.padEnd(8)} ATTEMPTS  NEXT                      LAST ERROR\n`);
      for (const r of rows) write(`${r.id.padEnd(40)} ${r.kind.padEnd(8)} ${(r.sid ?? '').padEnd(11)} ${r.status.padEnd(8)} ${`${r.attempts}/${r.max_attempts}`.padEnd(9)} ${when(r.next_at).padEnd(25)} ${r.last_error ?? ''}\n`);
      write(`\n${Object.entries(await outbox.counts()).map(([k, v]) => `${k}: ${v}`).join(', ') || 'the outbox is empty'}\n`);
      return 0;
    }
    if ((sub === 'show' || sub === 'redrive') && arg) {
      const r = await outbox.get(arg.toUpperCase()) ?? await outbox.get(arg);
      if (!r) {
        process.stderr.write(`no outbox item ${arg}: see smev2-gateway queue list\n`);
        return 1;
      }
      if (sub === 'redrive') {
        if (!(await outbox.redrive(r.id, 24 * 3600 * 1000))) {
          process.stderr.write(`${r.id} is ${r.status}, not a dead letter: only dead letters are re-driven\n`);
          return 1;
        }
        write(`re-driven ${r.id}: pending again with a fresh budget\n`);
        return 0;
      }
      write(`id:        ${r.id}\nkind:      ${r.kind}\nsid:       ${r.sid ?? ''}  operation: ${r.operation ?? ''}\nconsumer:  ${r.consumer ?? ''}\nstatus:    ${r.status}${r.answer_status ? ` (answer ${r.answer_status})` : ''}\n`);
      write(`attempts:  ${r.attempts}/${r.max_attempts}, polls ${r.polls}\ncreated:   ${when(r.created_at)}\nexpires:   ${when(r.expires_at)}\nnext:      ${when(r.next_at)}\n`);
      if (r.target) write(`target:    ${r.target}\n`);
      if (r.last_error) write(`error:     ${r.last_error}\n`);
      write(`\n--- message (${r.payload.length} bytes) ---\n${r.payload.toString('utf8')}\n`);
      if (r.answer) write(`\n--- answer (${r.answer.length} bytes) ---\n${r.answer.toString('utf8')}\n`);
      return 0;
    }
  } finally {
    await ds.destroy();
  }
  process.stderr.write('usage: smev2-gateway queue list [--status pending|polling|done|dead]\n       smev2-gateway queue show ID\n       smev2-gateway queue redrive ID\n');
  return 2;
}

/** subscriptions list | subscriptions add URL --events a,b [--sid SID] */
export async function subscriptionsCommand(sub: string | undefined, arg: string | undefined, flags: Flags & { events?: string; sid?: string }): Promise<number> {
  const config = loadConfig(flags);
  if (sub === 'list') {
    for (const s of readSubscriptions(config.subscriptionsFile)) write(`${s.url}  events: ${s.events.join(',')}${s.sids ? `  sids: ${s.sids.join(',')}` : ''}\n`);
    return 0;
  }
  if (sub === 'add' && arg && flags.events) {
    const s: Subscription = { url: arg, events: flags.events.split(',') as Subscription['events'] };
    if (flags.sid) s.sids = flags.sid.split(',');
    addSubscription(config.subscriptionsFile, s);
    write(`subscribed ${arg} to ${flags.events} in ${config.subscriptionsFile} (the running gateway reads it on each event)\n`);
    return 0;
  }
  process.stderr.write(`usage: smev2-gateway subscriptions list\n       smev2-gateway subscriptions add URL --events ${EVENT_TYPES.join(',')}|* [--sid SID,...]\n`);
  return 2;
}
