import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { loadConfig, type Flags } from '../config';
import { createLogger } from '../log';
import { startGateway } from '../gateway';
import { backgroundRoles, runPrimary } from '../cluster';
import { dialectOf, migrationStatus, openStore, runMigrations } from '../store';
import { RegistryError, formatProblem } from '../registry/registry';
import { join, resolve } from 'node:path';
import { loadXml } from '../xml/libxml';
import { loadRegistry, loadService, type Problem } from '../registry/load';
import { addService } from '../registry/add';
import { compileBundleSchemas } from '../control/schemas';
import { TrustError } from '../signature/trust';
import { checkCommand } from './check-command';
import { describeStoreError } from '../store-url';
import { queueCommand, subscriptionsCommand } from './queue-commands';
import { journalCommand, JOURNAL_USAGE } from './journal-commands';
import { keysCommand, signCommand, verifyCommand, SIGNATURE_USAGE, type SignatureFlags } from './signature-commands';
import { testkitCommand, TESTKIT_USAGE } from './testkit-commands';
import { adminCommand, ADMIN_USAGE } from './admin-commands';
import { faultsCommand, FAULTS_USAGE, type FaultFlags } from './faults-command';
import { emulatorCommand, EMULATOR_USAGE } from './emulator-command';
import { importCommand, IMPORT_USAGE } from './import-commands';
import { systemsCommand, SYSTEMS_USAGE } from './systems-commands';

const USAGE = `smev2-gateway: a SOAP gateway that emulates the SMEV 2 bus

Usage:
  smev2-gateway start [--port N] [--host H] [--base-url URL] [--services DIR] [--db URL] [--skip-broken] [--workers N|auto]
                [--keys DIR] [--systems DIR] [--admin-users FILE] [--subscriptions FILE] [--max-in-flight N] ... (every option below)
  smev2-gateway migrate [--db URL]           run the store's pending migrations and say which ran
  smev2-gateway services list [--services DIR]
  smev2-gateway services check [DIR]
  smev2-gateway services add BUNDLE_DIR --sid SID [--wsdl FILE] [--services DIR] [--mnemonic M]
                [--version V] [--provider MNEMONIC] [--provider-name NAME] [--upstream URL | --emulate] [--title T]
                --emulate (the default without --upstream): an emulated provider with an empty cases folder,
                answering every operation with a sample generated from the XSD until cases are added
  smev2-gateway check ENVELOPE... --sid SID  every control, offline, each violation with its fault code, and the gateway's verdict
  smev2-gateway queue list [--status dead] | queue show ID | queue redrive ID   the outbox and its dead letters
  smev2-gateway subscriptions list | subscriptions add URL --events a,b [--sid SID]
${SYSTEMS_USAGE}${FAULTS_USAGE}${JOURNAL_USAGE}${ADMIN_USAGE}${EMULATOR_USAGE}${SIGNATURE_USAGE}${TESTKIT_USAGE}${IMPORT_USAGE}
Options:
  --port N            port to listen on (env SMEV2_PORT; default 7777)
  --host H            address to bind (env SMEV2_HOST; default 0.0.0.0)
  --base-url URL      external URL put into published WSDLs (env SMEV2_BASE_URL; default: as requested)
  --services DIR      the service registry, a folder per SID (env SMEV2_SERVICES; default ./wsdl)
  --db URL            sqlite:<file> or postgres://... (env DATABASE_URL; default sqlite:data/gateway.sqlite)
  --skip-broken       serve the good SIDs when some definitions are broken (env SMEV2_SKIP_BROKEN=true)
  --max-request-bytes N  largest accepted request (env SMEV2_MAX_REQUEST_BYTES; default 64 MiB)
  --max-inline-document-bytes N  largest inline AppDocument (BinaryData, decoded); past it GW-5004
                      (env SMEV2_MAX_INLINE_DOCUMENT_BYTES; default 48 MiB; 0: no limit)
  --log-level L       trace|debug|info|warn|error (env LOG_LEVEL; default info)
  --log-format F      pretty|json|auto (env SMEV2_LOG_FORMAT; default auto: pretty on a terminal, JSON otherwise)
  --keys DIR          keys and certificates: the node's, the demo CA's (env SMEV2_KEYS; default data/keys)
  --systems DIR       the registry of information systems (env SMEV2_SYSTEMS; default ./systems)
  --clock ISO         judge certificates at this time, not now (env SMEV2_CLOCK)
  --admin-users FILE  admin users, roles and password hashes (env SMEV2_ADMIN_USERS; default ./admin-users.yaml)
  --max-in-flight N   exchanges in work at once; more get GW-9001 (env SMEV2_MAX_IN_FLIGHT; default 512)
  --max-bytes-in-flight N  request bytes in work at once; past it GW-9002, HTTP 503 + Retry-After
                      (env SMEV2_MAX_BYTES_IN_FLIGHT; default 128 MiB, at least --max-request-bytes)
  --subscriptions FILE  operators' event subscriptions, webhooks (env SMEV2_SUBSCRIPTIONS; default ./subscriptions.yaml)
  --trust-proxy LIST  proxies whose X-Forwarded-Host/-Proto/-For are honoured: addresses, CIDRs (env SMEV2_TRUST_PROXY;
                      default none)
  --journal-refused-bytes N  bytes of a refused message's body journaled (env SMEV2_JOURNAL_REFUSED_BYTES; default 1 MiB)
  --workers N|auto    N processes sharing the port, a dead one restarted (env SMEV2_WORKERS; auto, the default:
                      one per core; 1: one process)
`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'replay' || argv[0] === 'record') return testkitCommand(argv); // own options: testkit-commands.ts
  if (argv[0] === 'import') return importCommand(argv); // own options (several --sid): import-commands.ts
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, 'base-url': { type: 'string' },
        services: { type: 'string' }, db: { type: 'string' }, 'skip-broken': { type: 'boolean' },
        'max-request-bytes': { type: 'string' }, 'max-inline-document-bytes': { type: 'string' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' }, help: { type: 'boolean', short: 'h' }, workers: { type: 'string' },
        keys: { type: 'string' }, systems: { type: 'string' }, clock: { type: 'string' },
        out: { type: 'string' }, alg: { type: 'string' }, ca: { type: 'string' }, name: { type: 'string' }, as: { type: 'string' },
        key: { type: 'string' }, cert: { type: 'string' }, actor: { type: 'string' }, at: { type: 'string' },
        status: { type: 'string' }, events: { type: 'string' }, subscriptions: { type: 'string' }, 'max-in-flight': { type: 'string' }, 'max-bytes-in-flight': { type: 'string' },
        sid: { type: 'string' }, 'content-type': { type: 'string' }, wsdl: { type: 'string' }, mnemonic: { type: 'string' }, version: { type: 'string' },
        provider: { type: 'string' }, 'provider-name': { type: 'string' }, upstream: { type: 'string' }, emulate: { type: 'boolean' }, title: { type: 'string' },
        'older-than': { type: 'string' }, 'admin-users': { type: 'string' }, 'journal-refused-bytes': { type: 'string' }, 'trust-proxy': { type: 'string' }, scenario: { type: 'string' }, anchor: { type: 'string', multiple: true },
        note: { type: 'string' }, spec: { type: 'string' }, share: { type: 'string' }, kind: { type: 'string' }, 'latency-ms': { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [cmd, sub, arg] = parsed.positionals;
  const flags = parsed.values as Flags & AddFlags & SignatureFlags & FaultFlags & { help?: boolean; status?: string; events?: string; 'older-than'?: string };
  if (flags.help || !cmd) {
    process.stdout.write(USAGE);
    return cmd || flags.help ? 0 : 2;
  }
  try {
    if (cmd === 'start') return await start(flags);
    if (cmd === 'migrate') return await migrate(flags);
    if (cmd === 'services' && sub === 'list') return await servicesList(flags);
    if (cmd === 'check') return await checkCommand(parsed.positionals.slice(1), flags);
    if (cmd === 'queue') return await queueCommand(sub, arg, flags);
    if (cmd === 'faults') return await faultsCommand(sub, arg, flags);
    if (cmd === 'subscriptions') return await subscriptionsCommand(sub, arg, flags);
    if (cmd === 'journal') return await journalCommand(sub, arg, flags);
    if (cmd === 'admin') return await adminCommand(sub, flags);
    if (cmd === 'systems') return await systemsCommand(sub, arg, flags);
    if (cmd === 'emulator') return await emulatorCommand(sub, flags);
    if (cmd === 'keys') return await keysCommand(sub, arg, flags);
    if (cmd === 'sign') return await signCommand(sub, flags);
    if (cmd === 'verify') return await verifyCommand(sub, flags);
    if (cmd === 'services' && sub === 'add') return await servicesAdd(arg, flags);
    if (cmd === 'services' && sub === 'check') return await servicesCheck(arg ?? flags.services ?? loadConfig(flags).servicesDir);
  } catch (e) {
    process.stderr.write(storeErrorText(e, flags) ?? `error: ${(e as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`unknown command: ${parsed.positionals.join(' ')}\n\n${USAGE}`);
  return 2;
}

async function start(flags: Flags): Promise<number> {
  const config = loadConfig(flags);
  // a worker of --workers says which it is on every line
  const log = cluster.isWorker ? createLogger(config.logLevel, config.logFormat).child({ worker: cluster.worker!.id, pid: process.pid }) : createLogger(config.logLevel, config.logFormat);
  let gw;
  try {
    if (config.workers > 1 && cluster.isPrimary) return await runPrimary(config, config.workers, log);
    gw = await startGateway(config, log);
  } catch (e) {
    if (e instanceof TrustError) {
      process.stderr.write(`${e.message}\nFix the system definitions in ${config.systemsDir}.\n`);
      return 1;
    }
    if (e instanceof RegistryError) {
      log.fatal({ problems: e.problems }, 'refusing to start: the service registry is broken');
      process.stderr.write(`${e.message}\nFix the definitions, or start with --skip-broken to serve the others.\n`);
      return 1;
    }
    const listenError = describeListenError(e as NodeJS.ErrnoException, config.host, config.port);
    if (listenError) {
      process.stderr.write(listenError);
      return 1;
    }
    throw e;
  }
  if (cluster.isWorker) log.info(backgroundRoles(config.database), 'worker roles: delivery (outbox claims), monitors (availability checks, retention)');
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return; // SIGINT and SIGTERM both (a terminal's Ctrl-C also reaches the workers of --workers)
      stopping = true;
      log.info({ signal }, 'shutting down');
      gw.close().then(resolve, (e) => { log.error({ err: e }, 'error while shutting down'); resolve(); });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** A store that could not be opened (PostgreSQL down, a wrong host), with where its URL came from. */
function storeErrorText(e: unknown, flags: Flags): string | undefined {
  try {
    const config = loadConfig(flags);
    return describeStoreError(e, config.database, config.databaseFrom);
  } catch {
    return undefined;
  }
}

/** A listen error (the port in use, not allowed, an address not of this machine) as what failed and what to do. */
function describeListenError(e: NodeJS.ErrnoException, host: string, port: number): string | undefined {
  if (e.syscall !== 'listen' && !(e.code === 'ENOTFOUND' && (e as { hostname?: string }).hostname === host)) return undefined; // e.g. the store's host
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (e.code === 'EADDRINUSE') {
    return `error: cannot listen on ${where}: the port is in use (another process, perhaps another gateway, listens on it).\n` +
      `Stop that process, or start on another port: --port N (env SMEV2_PORT; --port 0 takes any free port).\n`;
  }
  if (e.code === 'EACCES') {
    return `error: cannot listen on ${where}: not allowed (ports below 1024 need privileges).\nStart on a port from 1024: --port N (env SMEV2_PORT).\n`;
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
    return `error: cannot listen on ${where}: ${host} is not an address of this machine.\nPass one of its addresses with --host H (env SMEV2_HOST; 0.0.0.0: every address).\n`;
  }
  return undefined;
}

/** Run the pending migrations (the gateway also runs them at start) and say which ran. */
async function migrate(flags: Flags): Promise<number> {
  const config = loadConfig(flags);
  const ds = await openStore(config.database, { migrate: false });
  try {
    const ran = await runMigrations(ds);
    const all = await migrationStatus(ds);
    const where = `${dialectOf(ds).label} ${config.database.replace(/\/\/[^@]*@/, '//***@')}`;
    for (const name of ran) process.stdout.write(`ran      ${name}\n`);
    process.stdout.write(ran.length ? `${ran.length} migration(s) ran on ${where}; ${all.length} applied in all\n` : `up to date: ${all.length} migration(s) already applied on ${where}\n`);
    const missing = all.filter((m) => !m.applied);
    if (missing.length) {
      process.stderr.write(`not applied: ${missing.map((m) => m.name).join(', ')}\n`);
      return 1;
    }
    return 0;
  } finally {
    await ds.destroy();
  }
}

async function servicesList(flags: Flags): Promise<number> {
  const config = loadConfig(flags);
  await loadXml();
  const r = loadRegistry(config.servicesDir);
  const rows = [...r.services.values()].map((s) => {
    const d = s.def.delivery;
    return [
      s.sid, s.def.service.version, s.def.service.mnemonic, s.def.provider.mnemonic, s.def.contour, s.def.adapter.type,
      d.mode === 'guaranteed' ? `guaranteed (${d.maxAttempts} attempts, ${d.maxAgeSeconds} s)` : 'direct',
      s.operations.map((o) => `${o.name}:${o.mode}`).join(' '),
    ];
  });
  printTable(['SID', 'VERSION', 'SERVICE', 'PROVIDER', 'CONTOUR', 'ADAPTER', 'DELIVERY', 'OPERATIONS'], rows);
  if (r.errors.length) process.stdout.write(`\nbroken (not served):\n${r.errors.map(formatProblem).join('\n')}\n`);
  return 0;
}

async function servicesCheck(dir: string): Promise<number> {
  await loadXml();
  const r = loadRegistry(dir);
  for (const s of r.services.values()) {
    process.stdout.write(`ok      ${s.sid}  ${s.operations.length} operation(s), ${s.bundle.files.size} file(s)  ${s.dir}\n`);
    try {
      compileBundleSchemas(s.sid, s.bundle, s.def.locations).dispose();
    } catch (e) {
      r.warnings.push({ file: s.dir, reason: `${(e as Error).message}: payload control will be skipped for ${s.sid}` });
    }
  }
  for (const w of r.warnings) process.stdout.write(`warning ${w.file}: ${w.reason}\n`);
  for (const e of r.errors) process.stdout.write(`error   ${e.file}: ${e.field ? `${e.field}: ` : ''}${e.reason}\n`);
  process.stdout.write(`\n${r.services.size} service(s) ok, ${r.errors.length} error(s), ${r.warnings.length} warning(s)\n`);
  return r.errors.length ? 1 : 0;
}

interface AddFlags {
  sid?: string; wsdl?: string; mnemonic?: string; version?: string; provider?: string;
  'provider-name'?: string; upstream?: string; emulate?: boolean; title?: string;
}

async function servicesAdd(bundle: string | undefined, flags: Flags & AddFlags): Promise<number> {
  if (!bundle || !flags.sid) {
    process.stderr.write('usage: smev2-gateway services add BUNDLE_DIR --sid SID0000000 [--wsdl FILE] ...\n');
    return 2;
  }
  await loadXml();
  const config = loadConfig(flags);
  const added = addService({
    bundle, servicesDir: config.servicesDir, sid: flags.sid, wsdl: flags.wsdl, mnemonic: flags.mnemonic, version: flags.version,
    provider: flags.provider, providerName: flags['provider-name'], upstream: flags.upstream, emulate: flags.emulate, title: flags.title, systemsDir: config.systemsDir,
  });
  const dir = added.dir;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`registered ${flags.sid} in ${dir}`);
  out('operation modes, inferred from the names:');
  const width = Math.max(...added.modes.map((m) => m.operation.length));
  for (const m of added.modes) out(`  ${m.operation.padEnd(width)}  ${m.mode.padEnd(10)}  ${m.why}`);
  for (const [from, to] of Object.entries(added.locations)) out(`locations: ${from} → ${to} (the folder holds that namespace there)`);
  for (const w of added.warnings) out(`warning ${w}`);
  // the new SID alone decides the exit code: another broken SID of the registry is reported, not blamed on this one
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const service = loadService(dir, errors, warnings);
  if (service) {
    try {
      compileBundleSchemas(service.sid, service.bundle, service.def.locations).dispose();
    } catch (e) {
      warnings.push({ file: dir, reason: `${(e as Error).message}: payload control will be skipped for ${service.sid}` });
    }
  }
  for (const w of warnings) out(`warning ${w.file}: ${w.reason}`);
  for (const e of errors) out(`error   ${join(dir, e.file)}: ${e.field ? `${e.field}: ` : ''}${e.reason}`);
  const others = loadRegistry(config.servicesDir);
  const otherErrors = others.errors.filter((e) => !resolve(e.file).startsWith(`${dir}/`));
  const duplicate = others.errors.find((e) => resolve(e.file).startsWith(`${dir}/`) && e.field === 'sid');
  if (duplicate) out(`error   ${duplicate.file}: sid: ${duplicate.reason}`);
  if (otherErrors.length) {
    out(`\nother SIDs of ${config.servicesDir} are broken (not by this registration; the gateway refuses to start until they are fixed or --skip-broken):`);
    for (const e of otherErrors) out(`error   ${e.file}: ${e.field ? `${e.field}: ` : ''}${e.reason}`);
  }
  if (!service || duplicate) {
    out(`\n${flags.sid} is written but broken: fix ${join(dir, 'service.yaml')}, then: smev2-gateway services check ${config.servicesDir}`);
    return 1;
  }
  out(`\n${flags.sid} ok: ${service.operations.length} operation(s), ${service.bundle.files.size} file(s). Check the modes and the provider in ${join(dir, 'service.yaml')}, then: smev2-gateway services check ${config.servicesDir}`);
  if (service.def.adapter.type === 'emulator') {
    out(`It is emulated and callable now: each operation answers a sample generated from the XSD until ${service.casesDir ?? join(dir, service.def.adapter.cases)} holds cases (docs/emulator.md; smev2-gateway import soapui PROJECT.xml --sid ${flags.sid})`);
  }
  return 0;
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
}
