import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { startUrls, type Config } from './config';
import { loadXml } from './xml/libxml';
import { Registry } from './registry/registry';
import { buildPipeline, buildDeliveryPipeline, type PipelineDeps } from './pipeline/stages';
import { closeAgents } from './http/client';
import { LargeBodyLane } from './pipeline/lane';
import { createApp, baseUrl, clientErrorHandler, type ServerDeps } from './http/server';
import { NODE_KEY } from './signature/bootstrap';
import { assemble } from './pipeline/assemble';
import { DeliveryWorker } from './queue/worker';
import { MailSender } from './queue/mail-send';
import { MAIL_EVENTS } from './queue/mail';
import { AvailabilityMonitor } from './providers/availability';
import { scheduleRetention } from './journal/retention';
import { scheduleSpoolSweep } from './http/multipart';
import { scheduleInboxSweep } from './providers/manual/sweep';
import { Metrics } from './metrics/metrics';
import { backgroundRoles, isClusterWorker } from './cluster';
import { Auth, loadUsers, sessionSecret } from './admin/auth';
import { adminRouter } from './admin/router';
import { consoleRouter } from './console/router';
import { composeAndSend, composeBodyLimit, composerRoutes, loopbackUrl, type ComposerDeps } from './admin/compose/routes';
import { emulatorRoutes } from './admin/emulator';
import { ComposedRequests } from './admin/compose/requests';
import { restRouter } from './rest/router';
import { RegistryWatcher, ReloadLog } from './registry/watch';
import { TrustStore } from './signature/trust';
import { useGostPool } from './signature/algorithms';
import { GostPool } from './crypto/gost/pool';
import { SessionStore } from './admin/sessions';
import { diskStates, diskWarnings, storeBytes, storeReachable, watchedFolders } from './store';

/** How long a stop waits for requests and deliveries in work before it cuts them off. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningGateway {
  server: Server;
  port: number;
  registry: Registry;
  store: DataSource;
  close(): Promise<void>;
}

/** Load the registry, open the store, listen. Throws RegistryError on a broken registry. */
export async function startGateway(config: Config, log: Logger): Promise<RunningGateway> {
  await loadXml();
  const { keys, trust, registry, store, faults, deps, emulatorState, inbox } = await assemble(config, log, { migrate: true, skipBroken: config.skipBroken });
  for (const w of registry.warnings) log.warn({ file: w.file, reason: w.reason }, 'registry warning');
  for (const s of registry.skipped) log.error({ file: s.file, field: s.field, reason: s.reason }, 'broken service skipped');
  const { journal, outbox, events, clock } = deps;
  // GOST signatures made and checked on threads of their own (the node's, the consumers', the
  // providers'): started with the first GOST task, so an RSA-only gateway starts none
  const cryptoPool = config.cryptoThreads > 0
    ? new GostPool({ threads: config.cryptoThreads, advice: 'if this repeats, see the log for the thread\'s error, or set SMEV2_CRYPTO_THREADS=0 to compute GOST on the event loop' })
    : undefined;
  useGostPool(cryptoPool);
  const metrics = new Metrics({
    outbox, availability: () => availability.latest.values(), knownSid: (sid) => registry.get(sid) !== undefined, storeBytes: () => storeBytes(store),
    cryptoPool: cryptoPool && (() => cryptoPool.counts),
  });
  faults.onInjected((sid, kind) => metrics.injected(sid, kind));
  const pipelineDeps: PipelineDeps = { ...deps, metrics };
  const pipeline = buildPipeline(pipelineDeps);
  // each composed request recorded for its user ("my requests"), a requester's answer announced once (answer-arrived)
  const requests = new ComposedRequests(store, outbox, events, log);
  const mailer = config.mail && new MailSender(config.mail, { connectMs: config.callbackConnectTimeoutMs, socketMs: config.callbackTimeoutMs });
  if (!config.mail) log.info('no SMTP server configured (SMEV2_SMTP_URL or SMEV2_SMTP_HOST): no e-mail is queued or sent (docs/cabinet.md, "E-mail")');
  else {
    log.info({ smtp: mailer!.server, from: config.mail.from, templates: config.mail.templatesDir }, 'e-mail over SMTP');
    for (const problem of events.mail?.templates.check(MAIL_EVENTS) ?? []) log.error({ templates: config.mail.templatesDir }, `mail template: ${problem}; the shipped one is used until it is mended`);
  }
  const worker = new DeliveryWorker(outbox, registry, buildDeliveryPipeline(pipelineDeps), trust, events, log, keys.signer(NODE_KEY), {
    mail: mailer, violationWindowMs: config.violations.windowMinutes * 60_000,
    concurrency: config.deliveryConcurrency, maxBytesInFlight: config.deliveryBytesInFlight, leaseMs: config.deliveryLeaseMs, tickMs: 50,
    connectTimeoutMs: config.callbackConnectTimeoutMs, readTimeoutMs: config.callbackTimeoutMs,
    attachments: { store: pipelineDeps.journal.attachments, spoolDir: config.attachments.spoolDir, memoryThreshold: config.attachments.partMemoryBytes },
    // a requester's answer-arrived goes out with the answer stored for their ticket
    answered: (ticket, status) => requests.arrival(ticket, status),
  });
  const secret = sessionSecret(join(config.keysDir, 'session.secret'), config.sessionSecret);
  const auth = new Auth({ usersFile: config.adminUsersFile, secret, sessionMs: config.sessionHours * 3600_000, sessions: new SessionStore(store) });
  // sessions begun under another users file (a password or role changed since) end here and everywhere
  void auth.endChangedSessions().catch((err: Error) => log.error({ err }, 'could not end the sessions of changed admin users'));
  if (!auth.userCount) log.warn({ file: config.adminUsersFile }, 'no admin users: /admin and the console refuse everyone (see README, "Admin users")');
  // a manual provider's department no user works for: its requests wait where no clerk sees them
  const orphans = () => {
    for (const e of registry.list()) {
      const a = e.service.def.adapter;
      if (a.type === 'manual' && !auth.department(a.department)) log.warn({ sid: e.service.sid, department: a.department, file: config.adminUsersFile }, 'manual provider: its department is not in the users file: no clerk sees its requests (add the department and its clerks, docs/cabinet.md)');
    }
  };
  orphans();
  void auth.demoPasswordUsers().then((users) => {
    if (users.length) log.warn({ users, file: config.adminUsersFile }, 'admin users with the demo passwords: replace their hashes (smev2-gateway admin hash-password) before anyone else can reach the gateway');
  });
  // the registry, the systems and the users read again; all three are read before any is replaced:
  // a broken one leaves everything as it was (the admin API's reload, its emulator edits, the watcher)
  const reload = () => {
    const systems = TrustStore.load(config.systemsDir, config.keysDir);
    loadUsers(config.adminUsersFile);
    registry.load({ skipBroken: config.skipBroken });
    auth.reload();
    trust.replaceWith(systems);
    orphans();
    const where = (p: { file: string; field?: string; reason: string }) => `${p.file}${p.field ? ` ${p.field}` : ''}: ${p.reason}`;
    return { services: registry.list().map((e) => e.service.sid), warnings: registry.warnings.map(where), skipped: registry.skipped.map(where) };
  };
  const reloads = new ReloadLog();
  // every process watches its own files (each worker of --workers, each instance): each reloads its own registry
  const watcher = config.watchRegistry
    ? new RegistryWatcher(() => [config.servicesDir, config.systemsDir, ...registry.list().flatMap((e) => (e.service.casesDir ? [e.service.casesDir] : []))], reload, reloads, log)
    : undefined;
  // the request composer sends to this very process's SOAP endpoint, on loopback
  const composer: ComposerDeps = {
    registry, trust: () => trust, keys, store, log, clock, selfUrl: () => loopbackUrl(config.host, server.address()), attachmentBytes: config.composeAttachmentBytes,
    department: (id) => auth.department(id), requests,
  };
  const admin = adminRouter({
    registry, trust: () => trust, store, outbox, auth, log, faults, emulatorState, inbox,
    availability: () => [...availability.latest.values()],
    baseUrl: (req) => baseUrl(req, config),
    secureCookie: config.secureCookie,
    attachments: { parts: journal.attachments, limits: config.attachments.zip, spoolDir: config.attachments.spoolDir },
    extra: composerRoutes(composer),
    composeBodyBytes: composeBodyLimit(config.composeAttachmentBytes),
    emulator: (r, gate) => emulatorRoutes({
      registry, servicesDir: config.servicesDir, systemsDir: config.systemsDir, reload, reloads, log,
      watcher: watcher && (() => watcher.status()),
      send: (body, by) => composeAndSend(composer, body, by),
    }, r, gate),
    reload: () => {
      const at = new Date().toISOString();
      try {
        const out = reload();
        reloads.note({ at, by: 'POST /admin/services/reload', ok: true, services: out.services });
        return out;
      } catch (e) {
        reloads.note({ at, by: 'POST /admin/services/reload', ok: false, error: (e as Error).message });
        throw e;
      }
    },
  });
  // large bodies go through the pipeline in a thread of their own, ended when idle (memory given back)
  const lane = new LargeBodyLane(config, log, (ex) => metrics.observe(ex));
  const serverDeps: ServerDeps = {
    config, registry, pipeline, lane, garbage: deps.garbage, log, availability: () => [...availability.latest.values()], admin, console: consoleRouter(auth),
    api: restRouter({ registry, log, baseUrl: (req) => baseUrl(req, config), trust: () => trust, composer, secret, bodyLimit: config.maxRequestBytes }),
    metrics: () => metrics.scrape(),
    ready: async () => registry.list().length > 0 && (await storeReachable(store)),
    warnings: async () => diskWarnings(await diskStates(watchedFolders(store, config.keysDir)), config.diskWarn),
    countRefusal: (reason) => metrics.refused(reason),
  };
  const app = createApp(serverDeps);
  const server = await new Promise<Server>((resolve, reject) => {
    // headers must arrive as a body must (--request-timeout): node checks every second, not every 30 s
    const s = createServer({ connectionsCheckingInterval: 1000, headersTimeout: Math.min(30_000, config.requestTimeoutMs), requestTimeout: Math.max(120_000, config.requestTimeoutMs) }, app);
    // an idle kept-alive connection is closed after 65 s, longer than a balancer keeps one idle
    // (nginx's upstream keepalive_timeout and cloud balancers: 60 s), so that the balancer, not the
    // gateway, closes it, and never a request it has just sent on it (node's default: 5 s)
    s.keepAliveTimeout = 65_000;
    s.on('clientError', clientErrorHandler(serverDeps, s));
    s.once('error', reject);
    s.listen(config.port, config.host, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  const roles = backgroundRoles(config.database); // one process, or a worker of `start --workers` (cluster.ts)
  if (roles.delivery) {
    worker.start();
    requests.start(); // the answers the worker stores for composed requests' tickets, announced
  }
  const availability = new AvailabilityMonitor(registry, store, log, config.availabilityIntervalMs, events);
  availability.start(roles.monitors ? 'check' : 'follow');
  const retention = roles.monitors ? scheduleRetention(store, config.retentionDays, log, undefined, [{ name: 'inboxPurged', purge: (cutoff) => inbox.purgeAnsweredBefore(cutoff) }]) : { stop() {} };
  // MTOM parts a process that died left in the spool
  const sweep = roles.monitors ? scheduleSpoolSweep(config.attachments.spoolDir, (n) => log.info({ removed: n, spoolDir: config.attachments.spoolDir }, 'spool: removed the parts of exchanges no process holds')) : { stop() {} };
  // manual providers' requests due soon and overdue: their events (any instance may sweep; each is queued once)
  const inboxSweep = roles.monitors ? scheduleInboxSweep(inbox, events, outbox, config.inboxSweepMs, log) : { stop() {} };
  watcher?.start();
  const port = (server.address() as AddressInfo).port;
  // a worker of --workers: the primary's "every worker listening" names the URLs
  log.info({ ...(isClusterWorker() ? {} : { ...startUrls(config, port), workers: 1 }), port, services: registry.list().map((e) => e.service.sid), database: config.database.replace(/\/\/[^@]*@/, '//***@'), cryptoThreads: config.cryptoThreads }, 'gateway listening');

  return {
    server, port, registry, store,
    async close() {
      watcher?.stop();
      // requests in work get a grace period to finish; then their connections are cut: a client
      // that never reads its answer, or a stream, would otherwise hold the stop for ever
      const closed = new Promise<void>((r) => server.close(() => r()));
      const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(cut);
      // deliveries in work, as long: one still waiting then keeps its lease and is tried again
      // after it (by the next start, or another instance), as after a crash
      await worker.stop(SHUTDOWN_GRACE_MS);
      requests.stop();
      mailer?.close();
      closeAgents();
      await lane.close();
      useGostPool(undefined);
      await cryptoPool?.close();
      availability.stop();
      retention.stop();
      sweep.stop();
      inboxSweep.stop();
      await journal.close();
      await registry.close();
      await store.destroy();
    },
  };
}
