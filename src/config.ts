import { resolve } from 'node:path';

/** Everything the gateway can be told, from flags (first) or the environment. */
export interface Config {
  port: number;
  host: string;
  /** external base URL for published WSDLs, e.g. https://smev.example.org; default: from the request */
  baseUrl?: string;
  /** honour X-Forwarded-Proto / X-Forwarded-Host when publishing WSDLs */
  trustProxy: boolean;
  servicesDir: string;
  /** sqlite:<path> (default sqlite:data/gateway.sqlite) or postgres://... */
  database: string;
  skipBroken: boolean;
  maxRequestBytes: number;
  logLevel: string;
  /** keys and certificates (the node's, the demo CA's, the demo systems') */
  keysDir: string;
  /** the registry of information systems (systems/<MNEMONIC>.yaml) */
  systemsDir: string;
  /** judge certificates at this time instead of now (replaying old traffic) */
  clock?: Date;
}

export interface Flags {
  port?: string;
  host?: string;
  'base-url'?: string;
  services?: string;
  db?: string;
  'skip-broken'?: boolean;
  'max-request-bytes'?: string;
  'log-level'?: string;
  keys?: string;
  systems?: string;
  clock?: string;
}

export function loadConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Config {
  const num = (name: string, v: string | undefined, dflt: number) => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
    return n;
  };
  const baseUrl = flags['base-url'] ?? env.SMEV2_BASE_URL;
  if (baseUrl && !/^https?:\/\/[^/]+(\/.*)?$/.test(baseUrl)) throw new Error(`--base-url must be an http(s) URL, got "${baseUrl}"`);
  return {
    port: num('--port / SMEV2_PORT', flags.port ?? env.SMEV2_PORT ?? env.PORT, 7777),
    host: flags.host ?? env.SMEV2_HOST ?? '0.0.0.0',
    baseUrl: baseUrl?.replace(/\/+$/, ''),
    trustProxy: (env.SMEV2_TRUST_PROXY ?? 'true') !== 'false',
    servicesDir: resolve(flags.services ?? env.SMEV2_SERVICES ?? 'wsdl'),
    database: flags.db ?? env.DATABASE_URL ?? 'sqlite:data/gateway.sqlite',
    skipBroken: flags['skip-broken'] ?? env.SMEV2_SKIP_BROKEN === 'true',
    maxRequestBytes: num('--max-request-bytes / SMEV2_MAX_REQUEST_BYTES', flags['max-request-bytes'] ?? env.SMEV2_MAX_REQUEST_BYTES, 64 * 1024 * 1024),
    logLevel: flags['log-level'] ?? env.LOG_LEVEL ?? 'info',
    keysDir: resolve(flags.keys ?? env.SMEV2_KEYS ?? 'data/keys'),
    systemsDir: resolve(flags.systems ?? env.SMEV2_SYSTEMS ?? 'systems'),
    clock: parseClock(flags.clock ?? env.SMEV2_CLOCK),
  };
}

function parseClock(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`--clock / SMEV2_CLOCK must be an ISO date-time, got "${v}"`);
  return d;
}
