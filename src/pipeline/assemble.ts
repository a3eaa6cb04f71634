import { statSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { bootstrapTrust, NODE_KEY } from '../signature/bootstrap';
import type { KeyStore } from '../signature/identity';
import type { TrustStore } from '../signature/trust';
import { Registry } from '../registry/registry';
import { createAdapter } from '../providers';
import { EmulatorState } from '../providers/emulator/state';
import { FaultSwitch } from '../providers/faults';
import { Inbox } from '../providers/manual/inbox';
import { randomSource } from '../providers/inject';
import { dialectOf, lockWaitMs, cacheKib, openStore, runMigrations } from '../store';
import { Journal } from '../journal/journal';
import { JournalWriter } from '../journal/writer';
import { Outbox } from '../queue/outbox';
import { IntakeGate } from '../queue/intake';
import { Events, readSubscriptions, type Subscription } from '../queue/events';
import { MailRoutes } from '../queue/mail';
import { MailTemplates } from '../queue/mail-templates';
import { Violations } from '../queue/violations';
import { SHIPPED_MAIL_TEMPLATES } from '../config';
import { loadUsersFile } from '../admin/auth';
import { loadEnvelopeSchemas } from '../control/envelope-schemas';
import { ReplayGuard } from '../control/replay';
import type { PipelineDeps } from './stages';
import { GarbageBudget } from './memory';

const ENVELOPE_SCHEMAS = join(__dirname, '..', '..', 'xsd');

export interface Parts {
  keys: KeyStore;
  trust: TrustStore;
  registry: Registry;
  store: DataSource;
  /** the runtime fault-injection switches every SID's adapter reads (the admin API writes them) */
  faults: FaultSwitch;
  /** what buildPipeline and buildDeliveryPipeline take (metrics added by who counts) */
  deps: PipelineDeps;
  /** the emulated providers' state in the store (the admin API reads and resets it) */
  emulatorState: EmulatorState;
  /** the manual providers' inbox in the store (the admin API's /inbox, the sweep) */
  inbox: Inbox;
}

/**
 * The pipeline's parts opened from configuration, in one place for every thread that runs the
 * pipeline: the gateway's main thread (gateway.ts, which also migrates the store and judges the
 * registry) and the large-body lane's worker thread (lane-worker.ts).
 */
export async function assemble(config: Config, log: Logger, o: { migrate: boolean; skipBroken: boolean }): Promise<Parts> {
  const { keys, trust } = bootstrapTrust(config.keysDir, config.systemsDir, log);
  let emulatorState: EmulatorState | undefined; // set once the store is open, before the first request
  let faults: FaultSwitch | undefined; // likewise
  let inbox: Inbox | undefined; // likewise
  let events: Events | undefined; // likewise
  const random = randomSource(config.faultsSeed);
  const registry = new Registry(config.servicesDir, (s) => createAdapter(s, { signerFor: (m) => keys.signer(m), emulatorState: () => emulatorState, faults: () => faults, inbox: () => inbox, events: () => events, random, log }));
  registry.load({ skipBroken: o.skipBroken });
  const store = await openStore(config.database, { migrate: false });
  if (o.migrate) {
    try {
      const ran = await runMigrations(store);
      if (ran.length) log.info({ migrations: ran }, 'migrations ran');
    } catch (e) {
      await store.destroy();
      throw e;
    }
  }
  emulatorState = new EmulatorState(store, config.emulatorChainTtlSeconds * 1000);
  faults = new FaultSwitch(store, log, config.faultsCacheMs);
  inbox = new Inbox(store);
  const outbox = new Outbox(store);
  const subscriptions = () => [
    ...readSubscriptions(config.subscriptionsFile),
    ...[...trust.systems.values()].flatMap((s) => s.subscriptions.map((x) => ({ url: x.url, events: x.events as Subscription['events'], consumer: s.mnemonic }))),
  ];
  subscriptions(); // a broken subscriptions file stops the start, with its reason
  events = new Events(outbox, subscriptions, log, mailRoutes(config, log));
  const deps: PipelineDeps = {
    outbox, events,
    intake: new IntakeGate(outbox, { maxDue: config.outboxMaxDue, waitMs: config.outboxAdmitWaitMs }),
    violations: new Violations(store, events, { failures: config.violations.failures, windowMs: config.violations.windowMinutes * 60_000 }, log),
    journal: new Journal(store, {
      refusedBytes: config.journalRefusedBytes, bodyBlobBytes: config.journalBodyBlobBytes,
      // the main thread's journal commits in a thread of its own on a SQLite file; the large-body lane's thread writes on its connection
      writer: config.journalWriter === 'thread' && isMainThread
        ? JournalWriter.for(store, dialectOf(store).file(store), { lockWaitMs: lockWaitMs(), cacheKib: cacheKib(), script: join(__dirname, '..', 'journal', 'writer-thread.js') }) : undefined,
    }),
    registry, trust, clock: config.clock ? () => new Date(config.clock!) : () => new Date(), node: keys.signer(NODE_KEY),
    envelopeSchemas: loadEnvelopeSchemas(ENVELOPE_SCHEMAS),
    replay: new ReplayGuard(store, config.replayWindowSeconds * 1000),
    limits: config.limits,
    maxDateSkewSeconds: config.maxDateSkewSeconds,
    attachments: config.attachments,
    maxInlineBytes: config.maxRequestBytes,
    garbage: new GarbageBudget({ largeBytes: config.largeBodyBytes, budgetBytes: config.largeGarbageBytes, idleMs: config.largeWorkerIdleMs }),
  };
  return { keys, trust, registry, store, faults, deps, emulatorState, inbox };
}

/**
 * The mail routes when an SMTP server is configured (none otherwise: no mail is queued). Whom to
 * write to is read from the users file as it is on disk (read again when it changes), in this
 * thread as in any other that queues events.
 */
function mailRoutes(config: Config, log: Logger): MailRoutes | undefined {
  const mail = config.mail;
  if (!mail) return undefined;
  let seen: { stamp: string; file: ReturnType<typeof loadUsersFile> } | undefined;
  const directory = () => {
    const stamp = fileStamp(config.adminUsersFile);
    if (!seen || seen.stamp !== stamp) seen = { stamp, file: loadUsersFile(config.adminUsersFile) };
    const { users, departments } = seen.file;
    return {
      department: (id: string) => departments.get(id),
      usersOf: (role: string, department?: string) => [...users.values()].filter((u) => u.role === role && (department === undefined || u.department === department)),
    };
  };
  return new MailRoutes({ directory, templates: new MailTemplates(mail.templatesDir, SHIPPED_MAIL_TEMPLATES), consoleUrl: mail.consoleUrl, maxAttempts: mail.maxAttempts, maxAgeMs: mail.maxAgeMs, log });
}

function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}/${s.size}/${s.ino}`;
  } catch {
    return 'absent';
  }
}
