import { readFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { resolveLogFormat, type LogFormat } from './log';
import { join, resolve } from 'node:path';
import { parseTrustProxy } from './http/proxy';
import { checkStoreUrl, type StoreUrlSource } from './store-url';

/** Everything the gateway can be told, from flags (first) or the environment. */
export interface Config {
  port: number;
  host: string;
  /** external base URL for published WSDLs, e.g. https://smev.example.org; default: from the request */
  baseUrl?: string;
  /** proxies (addresses, CIDR ranges) whose X-Forwarded-Host / -Proto / -For are honoured; empty: none (src/http/proxy.ts) */
  trustProxy: string[];
  servicesDir: string;
  /** sqlite:<path> (default sqlite:data/gateway.sqlite) or postgres://... */
  database: string;
  /** where `database` came from, for messages (src/store-url.ts) */
  databaseFrom: StoreUrlSource;
  skipBroken: boolean;
  maxRequestBytes: number;
  logLevel: string;
  /** `--log-format` / SMEV2_LOG_FORMAT: pretty on a terminal, JSON otherwise (src/log.ts) */
  logFormat: LogFormat;
  /** keys and certificates (the node's, the demo CA's, the demo systems') */
  keysDir: string;
  /** the registry of information systems (systems/<MNEMONIC>.yaml) */
  systemsDir: string;
  /** judge certificates at this time instead of now (replaying old traffic) */
  clock?: Date;
  /** a request body must arrive within this time */
  requestTimeoutMs: number;
  /** exchanges in work at once; more get GW-9001 */
  maxInFlight: number;
  /** request bytes held by exchanges in work at once (read, parsed, journaled); a request past it gets GW-9002 */
  maxBytesInFlight: number;
  /** bodies of at least this many bytes go through the pipeline in a worker thread recycled when idle (0: never) */
  largeBodyBytes: number;
  /** a large exchange's garbage is collected between stages once resident memory grew by this much (pipeline/memory.ts); 0: never */
  largeGarbageBytes: number;
  /** how long the large-body worker thread waits idle before it is ended and its memory given back */
  largeWorkerIdleMs: number;
  /** structural limits on a request's bytes, judged before it is parsed (control/limits.ts) */
  limits: { maxDepth: number; maxElements: number; maxAttributes: number; maxHeaderBytes: number; maxInlineDocumentBytes: number };
  /** how far smev:Date may be from the node's clock */
  maxDateSkewSeconds: number;
  /** how long a MessageId or a signed request is remembered to refuse it twice */
  replayWindowSeconds: number;
  /** how long an emulated provider's asynchronous chain (and an idle script counter) is kept in the store */
  emulatorChainTtlSeconds: number;
  /** how long a process trusts its copy of the runtime fault-injection switches (src/providers/faults.ts) */
  faultsCacheMs: number;
  /** a seed for injected faults' draws, for reproducible tests (unset: Math.random) */
  faultsSeed?: string;
  /** operators' subscriptions to events (YAML list) */
  subscriptionsFile: string;
  /** outbox items worked at once by this process */
  deliveryConcurrency: number;
  /** the outbox items in work hold at most this many payload bytes (one item is always taken) */
  deliveryBytesInFlight: number;
  /** guaranteed delivery takes a request only while fewer outbox items than this are due and unclaimed (0: no bound) */
  outboxMaxDue: number;
  /** how long a request waits for room under that bound before GW-9003 */
  outboxAdmitWaitMs: number;
  /** how often each provider's availability is checked */
  availabilityIntervalMs: number;
  /** how often the manual providers' inbox is swept for requests due soon and overdue (their events) */
  inboxSweepMs: number;
  /** how long a worker holds an outbox item; a crashed worker's items come back after it */
  deliveryLeaseMs: number;
  /** callbacks to consumers and events to subscribers: the wait for a connection, and for the answer */
  callbackConnectTimeoutMs: number;
  callbackTimeoutMs: number;
  /** raw bodies in the journal older than this are purged (metadata and hashes kept) */
  retentionDays: number;
  /**
   * Attachments (PROTOCOL.md §7): MTOM parts past `partMemoryBytes` are spooled to `spoolDir` while
   * their exchange is in work; limits on one part, all parts, their number, and on ZIPs opened
   */
  attachments: {
    spoolDir: string;
    partMemoryBytes: number;
    maxPartBytes: number;
    maxPartsBytes: number;
    maxParts: number;
    zip: { maxEntries: number; maxRatio: number; maxBytes: number };
  };
  /** `start --workers N`: N processes sharing the port (src/cluster.ts); 1: one process; by default one per core */
  workers: number;
  /** threads per process that make and check GOST signatures (crypto/gost/pool.ts); 0: on the event loop */
  cryptoThreads: number;
  /** admin users and their password hashes (YAML); absent or empty: /admin and the console refuse everyone */
  adminUsersFile: string;
  /** signs admin session cookies; default: a random key kept in the keys folder */
  sessionSecret?: string;
  /** how long an admin login lasts */
  sessionHours: number;
  /** mark the session cookie Secure (the gateway is reached over HTTPS through a proxy) */
  secureCookie: boolean;
  /** how much of a refused message's raw body the journal keeps (its full length and SHA-256 always) */
  journalRefusedBytes: number;
  /** bodies of at least this size are journaled by hash in 1 MiB chunks (attachment_blobs), never bound whole into one row */
  journalBodyBlobBytes: number;
  /** who commits the journal on a SQLite file: a thread of its own (journal/writer.ts), or the store's connection on the event loop */
  journalWriter: 'thread' | 'connection';
  /** the files the request composer attaches to one request, together */
  composeAttachmentBytes: number;
  /** reload the registry by itself when its files change (registry/watch.ts); SMEV2_WATCH_REGISTRY=false turns it off */
  watchRegistry: boolean;
  /** /readyz warns when the disk holding the store or the data folder has less free than either */
  diskWarn: { freePercent: number; freeBytes: number };
  /** e-mail over SMTP (docs/cabinet.md, "E-mail"); undefined: no SMTP server configured, no mail queued */
  mail?: MailConfig;
  /** operators' violations: this many signature (or control) failures of one SID in one window of `windowMinutes` (0: none) */
  violations: { failures: number; windowMinutes: number };
}

/** The SMTP server, its TLS and credentials, the sender, the templates, the console's address for links. */
export interface MailConfig {
  host: string;
  port: number;
  /** tls: TLS from the first byte (smtps, port 465); starttls: STARTTLS required; auto: STARTTLS when offered; none: never */
  security: 'tls' | 'starttls' | 'auto' | 'none';
  user?: string;
  password?: string;
  /** a PEM file of the CA(s) the server's certificate is checked against (default: the system's) */
  caFile?: string;
  from: string;
  templatesDir: string;
  /** the console as people reach it, for links in mails (default: --base-url + /console/) */
  consoleUrl?: string;
  /** per mail: attempts, and how long it may wait, before it is a dead letter */
  maxAttempts: number;
  maxAgeMs: number;
}

export interface Flags {
  port?: string;
  host?: string;
  'base-url'?: string;
  services?: string;
  db?: string;
  'skip-broken'?: boolean;
  'max-request-bytes'?: string;
  'max-inline-document-bytes'?: string;
  'log-level'?: string;
  'log-format'?: string;
  keys?: string;
  systems?: string;
  clock?: string;
  'max-in-flight'?: string;
  'max-bytes-in-flight'?: string;
  subscriptions?: string;
  workers?: string;
  'admin-users'?: string;
  'journal-refused-bytes'?: string;
  'trust-proxy'?: string;
}

export function loadConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Config {
  const baseUrl = flags['base-url'] ?? env.SMEV2_BASE_URL;
  if (baseUrl && !/^https?:\/\/[^/]+(\/.*)?$/.test(baseUrl)) throw new Error(`--base-url must be an http(s) URL, got "${baseUrl}"`);
  const envDb = env.DATABASE_URL || undefined; // DATABASE_URL= (empty, as .env files leave it): not set
  const databaseFrom: StoreUrlSource = flags.db !== undefined ? '--db' : envDb !== undefined ? 'DATABASE_URL' : 'the default';
  const database = flags.db ?? envDb ?? 'sqlite:data/gateway.sqlite';
  checkStoreUrl(database, databaseFrom); // mysql://, http://, a typo: refused, not a SQLite file of that name
  return {
    port: num('--port / SMEV2_PORT', flags.port ?? env.SMEV2_PORT ?? env.PORT, 7777),
    host: flags.host ?? env.SMEV2_HOST ?? '0.0.0.0',
    baseUrl: baseUrl?.replace(/\/+$/, ''),
    trustProxy: parseTrustProxy(flags['trust-proxy'] ?? env.SMEV2_TRUST_PROXY),
    servicesDir: resolve(flags.services ?? env.SMEV2_SERVICES ?? 'wsdl'),
    database,
    databaseFrom,
    skipBroken: flags['skip-broken'] ?? env.SMEV2_SKIP_BROKEN === 'true',
    maxRequestBytes: num('--max-request-bytes / SMEV2_MAX_REQUEST_BYTES', flags['max-request-bytes'] ?? env.SMEV2_MAX_REQUEST_BYTES, 64 * 1024 * 1024),
    logLevel: flags['log-level'] ?? env.LOG_LEVEL ?? 'info',
    logFormat: resolveLogFormat(flags['log-format'] ?? env.SMEV2_LOG_FORMAT),
    keysDir: resolve(flags.keys ?? env.SMEV2_KEYS ?? 'data/keys'),
    systemsDir: resolve(flags.systems ?? env.SMEV2_SYSTEMS ?? 'systems'),
    clock: parseClock(flags.clock ?? env.SMEV2_CLOCK),
    requestTimeoutMs: num('SMEV2_REQUEST_TIMEOUT_MS', env.SMEV2_REQUEST_TIMEOUT_MS, 30_000),
    maxInFlight: num('--max-in-flight / SMEV2_MAX_IN_FLIGHT', flags['max-in-flight'] ?? env.SMEV2_MAX_IN_FLIGHT, 512),
    maxBytesInFlight: num('--max-bytes-in-flight / SMEV2_MAX_BYTES_IN_FLIGHT', flags['max-bytes-in-flight'] ?? env.SMEV2_MAX_BYTES_IN_FLIGHT, 96 * 1024 * 1024),
    largeBodyBytes: num('SMEV2_LARGE_BODY_BYTES', env.SMEV2_LARGE_BODY_BYTES, 1024 * 1024),
    largeGarbageBytes: num('SMEV2_LARGE_GARBAGE_BYTES', env.SMEV2_LARGE_GARBAGE_BYTES, 8 * 1024 * 1024),
    largeWorkerIdleMs: num('SMEV2_LARGE_WORKER_IDLE_MS', env.SMEV2_LARGE_WORKER_IDLE_MS, 5000),
    limits: {
      maxDepth: num('SMEV2_MAX_DEPTH', env.SMEV2_MAX_DEPTH, 64),
      maxElements: num('SMEV2_MAX_ELEMENTS', env.SMEV2_MAX_ELEMENTS, 200_000),
      maxAttributes: num('SMEV2_MAX_ATTRIBUTES', env.SMEV2_MAX_ATTRIBUTES, 64),
      maxHeaderBytes: num('SMEV2_MAX_HEADER_BYTES', env.SMEV2_MAX_HEADER_BYTES, 256 * 1024),
      // 48 MiB: what base64 in a request of the default --max-request-bytes (64 MiB) can carry; 0: no limit
      maxInlineDocumentBytes: num('--max-inline-document-bytes / SMEV2_MAX_INLINE_DOCUMENT_BYTES',
        flags['max-inline-document-bytes'] ?? env.SMEV2_MAX_INLINE_DOCUMENT_BYTES, 48 * 1024 * 1024),
    },
    maxDateSkewSeconds: num('SMEV2_MAX_DATE_SKEW_S', env.SMEV2_MAX_DATE_SKEW_S, 24 * 3600),
    replayWindowSeconds: num('SMEV2_REPLAY_WINDOW_S', env.SMEV2_REPLAY_WINDOW_S, 3600),
    emulatorChainTtlSeconds: num('SMEV2_EMULATOR_CHAIN_TTL_S', env.SMEV2_EMULATOR_CHAIN_TTL_S, 24 * 3600) || 24 * 3600,
    faultsCacheMs: num('SMEV2_FAULTS_CACHE_MS', env.SMEV2_FAULTS_CACHE_MS, 1000),
    faultsSeed: env.SMEV2_FAULTS_SEED || undefined,
    subscriptionsFile: resolve(flags.subscriptions ?? env.SMEV2_SUBSCRIPTIONS ?? 'subscriptions.yaml'),
    deliveryConcurrency: num('SMEV2_DELIVERY_CONCURRENCY', env.SMEV2_DELIVERY_CONCURRENCY, 64),
    deliveryBytesInFlight: num('SMEV2_DELIVERY_BYTES_IN_FLIGHT', env.SMEV2_DELIVERY_BYTES_IN_FLIGHT, 64 * 1024 * 1024),
    outboxMaxDue: num('SMEV2_OUTBOX_MAX_DUE', env.SMEV2_OUTBOX_MAX_DUE, 32),
    outboxAdmitWaitMs: num('SMEV2_OUTBOX_ADMIT_WAIT_MS', env.SMEV2_OUTBOX_ADMIT_WAIT_MS, 10_000),
    availabilityIntervalMs: num('SMEV2_AVAILABILITY_INTERVAL_MS', env.SMEV2_AVAILABILITY_INTERVAL_MS, 60_000),
    inboxSweepMs: num('SMEV2_INBOX_SWEEP_MS', env.SMEV2_INBOX_SWEEP_MS, 30_000),
    deliveryLeaseMs: num('SMEV2_DELIVERY_LEASE_MS', env.SMEV2_DELIVERY_LEASE_MS, 60_000),
    callbackConnectTimeoutMs: num('SMEV2_CALLBACK_CONNECT_TIMEOUT_MS', env.SMEV2_CALLBACK_CONNECT_TIMEOUT_MS, 5_000),
    callbackTimeoutMs: num('SMEV2_CALLBACK_TIMEOUT_MS', env.SMEV2_CALLBACK_TIMEOUT_MS, 15_000),
    retentionDays: num('SMEV2_RETENTION_DAYS', env.SMEV2_RETENTION_DAYS, 3 * 365),
    workers: parseWorkers(flags.workers ?? env.SMEV2_WORKERS),
    cryptoThreads: num('SMEV2_CRYPTO_THREADS', env.SMEV2_CRYPTO_THREADS, defaultCryptoThreads(availableParallelism(), parseWorkers(flags.workers ?? env.SMEV2_WORKERS))),
    adminUsersFile: resolve(flags['admin-users'] ?? env.SMEV2_ADMIN_USERS ?? 'admin-users.yaml'),
    sessionSecret: env.SMEV2_SESSION_SECRET || undefined,
    sessionHours: num('SMEV2_SESSION_HOURS', env.SMEV2_SESSION_HOURS, 8) || 8,
    secureCookie: env.SMEV2_SECURE_COOKIE === 'true',
    journalRefusedBytes: num('--journal-refused-bytes / SMEV2_JOURNAL_REFUSED_BYTES', flags['journal-refused-bytes'] ?? env.SMEV2_JOURNAL_REFUSED_BYTES, 1024 * 1024),
    journalBodyBlobBytes: num('SMEV2_JOURNAL_BODY_BLOB_BYTES', env.SMEV2_JOURNAL_BODY_BLOB_BYTES, 1024 * 1024),
    journalWriter: journalWriterOf(env.SMEV2_JOURNAL_WRITER),
    attachments: attachmentsConfig(env),
    composeAttachmentBytes: num('SMEV2_COMPOSE_ATTACHMENT_BYTES', env.SMEV2_COMPOSE_ATTACHMENT_BYTES, 8 * 1024 * 1024),
    watchRegistry: env.SMEV2_WATCH_REGISTRY !== 'false',
    diskWarn: {
      freePercent: percent('SMEV2_DISK_WARN_FREE_PERCENT', env.SMEV2_DISK_WARN_FREE_PERCENT, 5),
      freeBytes: num('SMEV2_DISK_WARN_FREE_BYTES', env.SMEV2_DISK_WARN_FREE_BYTES, 1024 * 1024 * 1024),
    },
    mail: mailConfig(env, baseUrl?.replace(/\/+$/, '')),
    violations: {
      failures: num('SMEV2_VIOLATION_FAILURES', env.SMEV2_VIOLATION_FAILURES, 10),
      windowMinutes: num('SMEV2_VIOLATION_WINDOW_MINUTES', env.SMEV2_VIOLATION_WINDOW_MINUTES, 15) || 15,
    },
  };
}

/** The shipped Russian mail templates, one per event (mail-templates/ at the package's root). */
export const SHIPPED_MAIL_TEMPLATES = join(__dirname, '..', 'mail-templates');

const SECURITY = ['tls', 'starttls', 'auto', 'none'] as const;

/**
 * SMTP from SMEV2_SMTP_URL (smtp://user:password@host:587, smtps://… for TLS from the first byte)
 * or SMEV2_SMTP_HOST and SMEV2_SMTP_PORT; SMEV2_SMTP_SECURITY, SMEV2_SMTP_USER,
 * SMEV2_SMTP_PASSWORD or SMEV2_SMTP_PASSWORD_FILE, SMEV2_SMTP_CA, SMEV2_MAIL_FROM,
 * SMEV2_MAIL_TEMPLATES, SMEV2_CONSOLE_URL. Neither URL nor host: undefined (no mail).
 */
export function mailConfig(env: NodeJS.ProcessEnv, baseUrl?: string): MailConfig | undefined {
  const url = env.SMEV2_SMTP_URL || undefined;
  const hostVar = env.SMEV2_SMTP_HOST || undefined;
  if (!url && !hostVar) return undefined;
  let host = hostVar ?? '';
  let port: number | undefined;
  let security: MailConfig['security'] | undefined;
  let user: string | undefined;
  let password: string | undefined;
  if (url) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`SMEV2_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…, got "${url.replace(/\/\/[^@/]*@/, '//***@')}"`);
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error(`SMEV2_SMTP_URL must start with smtp:// or smtps://, got "${u.protocol}//…"`);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = u.port ? Number(u.port) : undefined;
    if (u.protocol === 'smtps:') security = 'tls';
    user = u.username ? decodeURIComponent(u.username) : undefined;
    password = u.password ? decodeURIComponent(u.password) : undefined;
  }
  const sec = env.SMEV2_SMTP_SECURITY || undefined;
  if (sec !== undefined && !(SECURITY as readonly string[]).includes(sec)) throw new Error(`SMEV2_SMTP_SECURITY must be one of ${SECURITY.join(', ')}, got "${sec}"`);
  port = env.SMEV2_SMTP_PORT ? num('SMEV2_SMTP_PORT', env.SMEV2_SMTP_PORT, 25) : port;
  security = (sec as MailConfig['security'] | undefined) ?? security ?? (port === 465 ? 'tls' : 'auto');
  port ??= security === 'tls' ? 465 : 587;
  if (port < 1 || port > 65535) throw new Error(`SMEV2_SMTP_PORT must be a TCP port (1-65535), got ${port}`);
  user = env.SMEV2_SMTP_USER || user;
  const passwordFile = env.SMEV2_SMTP_PASSWORD_FILE || undefined;
  if (passwordFile) {
    try {
      password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new Error(`SMEV2_SMTP_PASSWORD_FILE ${passwordFile}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a readable file with the SMTP password, or unset it`);
    }
  } else if (env.SMEV2_SMTP_PASSWORD) password = env.SMEV2_SMTP_PASSWORD;
  if (password !== undefined && !user) throw new Error('an SMTP password is set but no user: set SMEV2_SMTP_USER (or the user in SMEV2_SMTP_URL)');
  const from = env.SMEV2_MAIL_FROM || `smev2-gateway@${hostname()}`;
  if (!/^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(from)) throw new Error(`SMEV2_MAIL_FROM must be an address (gateway@example.org, or "Шлюз СМЭВ <gateway@example.org>"), got "${from}"`);
  const consoleUrl = env.SMEV2_CONSOLE_URL || (baseUrl ? `${baseUrl}/console/` : undefined);
  if (consoleUrl && !/^https?:\/\/[^/]+(\/.*)?$/.test(consoleUrl)) throw new Error(`SMEV2_CONSOLE_URL must be an http(s) URL, got "${consoleUrl}"`);
  return {
    host, port, security, user, password, from,
    caFile: env.SMEV2_SMTP_CA ? resolve(env.SMEV2_SMTP_CA) : undefined,
    templatesDir: resolve(env.SMEV2_MAIL_TEMPLATES || SHIPPED_MAIL_TEMPLATES),
    consoleUrl,
    maxAttempts: num('SMEV2_MAIL_MAX_ATTEMPTS', env.SMEV2_MAIL_MAX_ATTEMPTS, 30) || 30,
    maxAgeMs: (num('SMEV2_MAIL_MAX_AGE_S', env.SMEV2_MAIL_MAX_AGE_S, 24 * 3600) || 24 * 3600) * 1000,
  };
}

/** Where MTOM parts are spooled and the limits on parts and ZIPs (SMEV2_SPOOL_DIR, SMEV2_MAX_PART…, SMEV2_ZIP_…). */
export function attachmentsConfig(env: NodeJS.ProcessEnv): Config['attachments'] {
  return {
    spoolDir: resolve(env.SMEV2_SPOOL_DIR || join(tmpdir(), 'smev2-gateway-spool')),
    partMemoryBytes: num('SMEV2_PART_MEMORY_BYTES', env.SMEV2_PART_MEMORY_BYTES, 256 * 1024),
    maxPartBytes: num('SMEV2_MAX_PART_BYTES', env.SMEV2_MAX_PART_BYTES, 2 * 1024 ** 3),
    maxPartsBytes: num('SMEV2_MAX_PARTS_BYTES', env.SMEV2_MAX_PARTS_BYTES, 4 * 1024 ** 3),
    maxParts: num('SMEV2_MAX_PARTS', env.SMEV2_MAX_PARTS, 100),
    zip: {
      maxEntries: num('SMEV2_ZIP_MAX_ENTRIES', env.SMEV2_ZIP_MAX_ENTRIES, 1000),
      maxRatio: num('SMEV2_ZIP_MAX_RATIO', env.SMEV2_ZIP_MAX_RATIO, 200),
      maxBytes: num('SMEV2_ZIP_MAX_BYTES', env.SMEV2_ZIP_MAX_BYTES, 1024 ** 3),
    },
  };
}

/** The defaults, for tests and tools that run stages without a configuration. */
export const DEFAULT_ATTACHMENTS = attachmentsConfig({});

/** A whole number from a flag or variable, or the default when unset; says which setting is wrong. */
function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
}

function percent(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new Error(`${name} must be a number from 0 to 100 (a percentage of the disk), got "${v}"`);
  return n;
}

/**
 * `--workers N` / SMEV2_WORKERS: a whole number from 1, or `auto` (os.availableParallelism():
 * the cores this process may run on), which is the default: a plain start uses every core.
 */
export function parseWorkers(v: string | undefined): number {
  if (v === undefined || v === '' || v === 'auto') return availableParallelism();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--workers / SMEV2_WORKERS must be a whole number from 1, or auto, got "${v}"`);
  return n;
}

/**
 * SMEV2_CRYPTO_THREADS unset: the cores left over once each process has one for its event loop,
 * shared among the processes (`cores / processes - 1`), and at least one thread per process on a
 * machine of two cores or more, so that a process's GOST work never stops its event loop (on two
 * cores and two processes the threads share the cores with the event loops: bench/README.md,
 * "Session 7", measured that against 0). One core: 0, GOST on the event loop (a thread would
 * only add the passing).
 */
export function defaultCryptoThreads(cores: number, processes: number): number {
  if (cores <= 1) return 0;
  return Math.max(1, Math.floor(cores / processes) - 1);
}

function parseClock(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`--clock / SMEV2_CLOCK must be an ISO date-time, got "${v}"`);
  return d;
}

/**
 * Where a person on this machine opens the gateway: the --base-url when set, otherwise the bound
 * address (a wildcard address shown as localhost). For the start line's service list and console links.
 */
export function startUrls(config: Pick<Config, 'baseUrl' | 'host'>, port: number): { serviceList: string; console: string } {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = config.baseUrl ?? `http://${host}:${port}`;
  return { serviceList: `${base}/`, console: `${base}/console/` };
}

function journalWriterOf(v: string | undefined): Config['journalWriter'] {
  if (v === undefined || v === '' || v === 'thread') return 'thread';
  if (v === 'connection') return 'connection';
  throw new Error(`SMEV2_JOURNAL_WRITER must be thread (the default: the journal's commits on a SQLite file in a thread of their own) or connection (on the event loop, as before), got "${v}"`);
}
