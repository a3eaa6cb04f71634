import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { stringify } from 'yaml';
import { loadBundle, namespaceHolders } from './bundle';
import { readWsdlModel } from './wsdl-model';
import { DEFINITION_FILE } from './load';
import type { ExchangeMode } from './definition';

export interface AddOptions {
  bundle: string;
  servicesDir: string;
  sid: string;
  wsdl?: string;
  mnemonic?: string;
  version?: string;
  provider?: string;
  providerName?: string;
  upstream?: string;
  /** an emulated provider (the default without `upstream`): an empty cases folder, every operation answering the XSD's sample until cases are added */
  emulate?: boolean;
  title?: string;
  /** the registry of information systems: a provider not in it is warned about */
  systemsDir?: string;
}

export interface AddResult {
  /** the new SID folder */
  dir: string;
  /** each operation's mode, and why */
  modes: InferredMode[];
  /** imports the bundle holds by namespace, mapped in `locations:` */
  locations: Record<string, string>;
  /** worth telling (an unknown provider system, an import held twice) */
  warnings: string[];
}

export interface InferredMode {
  operation: string;
  mode: ExchangeMode;
  why: string;
}

const DEFAULT_PROVIDER = 'PROV01001';

/**
 * Register an agency's WSDL bundle as a SID: copy the folder unchanged into the registry and write
 * a service.yaml beside it, with every WSDL operation's mode inferred from the names (send/get
 * pairs asynchronous, the others sync), and the imports the folder holds by namespace mapped in
 * `locations:`. Returns the path of the new SID folder and what was inferred.
 */
export function addService(o: AddOptions): AddResult {
  if (!/^SID\d{7}$/.test(o.sid)) throw new Error(`--sid must be SID followed by 7 digits, got "${o.sid}"`);
  if (!existsSync(o.bundle) || !statSync(o.bundle).isDirectory()) throw new Error(`${o.bundle} is not a folder`);
  if (o.emulate && o.upstream) throw new Error(`--emulate and --upstream ${o.upstream} contradict each other: an emulated provider answers in the gateway, an upstream one at its URL; pass one of them`);
  const target = join(o.servicesDir, o.sid);
  if (existsSync(target)) throw new Error(`${target} exists already: remove it or choose another --sid`);
  const wsdl = o.wsdl ?? findMainWsdl(o.bundle);
  if (!existsSync(join(o.bundle, wsdl))) throw new Error(`--wsdl ${wsdl}: no such file in ${o.bundle}${wsdlCandidates(o.bundle)}`);
  const warnings: string[] = [];
  const locations = mapByNamespace(o.bundle, wsdl, warnings);
  const bundle = loadBundle(o.bundle, wsdl, locations);
  if (bundle.errors.length) throw new Error(bundle.errors.map((e) => `${e.file}: ${e.reason}`).join('\n'));
  const model = readWsdlModel(bundle);
  const modes = inferModes(model.operations.map((op) => op.name));

  const provider = o.provider ?? DEFAULT_PROVIDER;
  if (o.systemsDir && !existsSync(join(o.systemsDir, `${provider}.yaml`))) {
    warnings.push(`provider ${provider}${o.provider ? '' : ' (the placeholder: pass --provider MNEMONIC)'} is not in the registry of systems ` +
      `(${join(o.systemsDir, `${provider}.yaml`)} does not exist): its signed answers are judged untrusted (GW-3001) and consumers' Recipient must name it. ` +
      `Add systems/${provider}.yaml with its certificates (README, "Signatures and trust") or fix provider.mnemonic in service.yaml.`);
  }

  mkdirSync(o.servicesDir, { recursive: true });
  // the folder's content, never a link to it (a bundle reached through a symlink would be written into)
  cpSync(realpathSync(o.bundle), target, { recursive: true, dereference: true });
  const def = {
    sid: o.sid,
    ...(o.title ? { title: o.title } : {}),
    service: { mnemonic: o.mnemonic ?? o.sid, version: o.version ?? '1.00' },
    provider: { mnemonic: provider, name: o.providerName ?? 'Provider' },
    contour: 'test',
    wsdl,
    operations: Object.fromEntries(modes.map((m) => [m.operation, { mode: m.mode }])),
    ...(Object.keys(locations).length ? { locations } : {}),
    adapter: o.upstream ? { type: 'http', url: o.upstream } : { type: 'emulator', cases: 'emulator' },
  };
  if (!o.upstream) mkdirSync(join(target, 'emulator'), { recursive: true });
  writeFileSync(join(target, DEFINITION_FILE),
    `# Registered from ${o.bundle}. Operation modes were inferred from the names (send/get pairs are\n` +
    `# async-send/async-get, the others sync): check them (sync | async | async-send | async-get) and the\n` +
    `# provider's mnemonic; see docs/registry.md.\n${stringify(def)}`);
  return { dir: target, modes, locations, warnings };
}

/** What a send operation's name starts or ends with, and a get operation's. */
const word = (...w: string[]) => new RegExp(`^(${w.map((x) => `[${x[0]}${x[0].toUpperCase()}]${x.slice(1)}`).join('|')})(?=[A-Z_\\d]|$)`);
const SEND = { prefix: word('send', 'query', 'create', 'request', 'submit', 'put', 'post', 'make', 'start', 'register'), suffix: /(Request|Req|Query)$/ };
const GET = { prefix: word('get', 'receive', 'fetch', 'poll', 'check', 'read'), suffix: /(Response|Resp|Result|Status|Answer)$/ };

/** The part of a name that a send/get pair shares, if the name has the role's prefix or suffix. */
function stem(name: string, role: typeof SEND): string | undefined {
  const p = role.prefix.exec(name);
  let rest = p ? name.slice(p[0].length) : name;
  const sfx = role.suffix.exec(rest);
  if (sfx) rest = rest.slice(0, rest.length - sfx[0].length);
  if (!p && !sfx) return undefined;
  return rest.replace(/^_+|_+$/g, '').toLowerCase();
}

/**
 * Operation modes from the names alone: a send operation (sendXRequest, queryX, CreateRequest,
 * XRequest) and a get operation (getXResponse, getX, GetStatus, XResponse) that share the rest of
 * their names are the two operations of an asynchronous service (async-send, async-get); every
 * other operation is sync.
 */
export function inferModes(names: string[]): InferredMode[] {
  const modes = new Map<string, InferredMode>();
  const gets = names.map((n) => ({ n, s: stem(n, GET) })).filter((g) => g.s !== undefined);
  for (const n of names) {
    if (modes.has(n)) continue;
    const s = stem(n, SEND);
    if (s === undefined) continue;
    const g = gets.find((x) => x.n !== n && x.s === s && !modes.has(x.n) && stem(x.n, SEND) !== s);
    if (!g) continue;
    const why = `a send/get pair: ${n} sends (ACCEPT and a ticket), ${g.n} polls for the answer (PING → PROCESS … → RESULT)`;
    modes.set(n, { operation: n, mode: 'async-send', why });
    modes.set(g.n, { operation: g.n, mode: 'async-get', why });
  }
  return names.map((n) => modes.get(n) ?? { operation: n, mode: 'sync', why: 'no send/get partner among the operations: answered in the same HTTP exchange' });
}

/**
 * Imports the folder does not hold by their location but holds by their namespace
 * (http://www.w3.org/2004/08/xop/include as smev/xop-include.xsd): location → file, for `locations:`.
 */
function mapByNamespace(dir: string, wsdl: string, warnings: string[]): Record<string, string> {
  const locations: Record<string, string> = {};
  const cache = new Map<string, string | undefined>();
  for (let round = 0; round < 10; round++) { // a mapped file may import more of the same kind
    const bundle = loadBundle(dir, wsdl, locations);
    let added = false;
    for (const m of bundle.missing) {
      if (!m.namespace || locations[m.location] !== undefined) continue;
      const holders = namespaceHolders(dir, m.namespace, cache).filter((f) => f !== m.file);
      if (holders.length === 1) {
        locations[m.location] = holders[0];
        added = true;
      } else if (holders.length > 1 && !warnings.some((w) => w.includes(m.location))) {
        warnings.push(`${m.file} imports ${m.location}, whose namespace several files hold (${holders.join(', ')}): map the right one under locations: in service.yaml`);
      }
    }
    if (!added) break;
  }
  return locations;
}

/** The bundle's WSDL that no other WSDL of the bundle imports (the only one, or an error naming the candidates). */
export function findMainWsdl(dir: string): string {
  const all = listFiles(dir).filter((f) => f.toLowerCase().endsWith('.wsdl'));
  const imported = new Set<string>();
  for (const w of all) for (const f of loadBundle(dir, w, {}).files.keys()) if (f !== w) imported.add(f);
  const roots = all.filter((w) => !imported.has(w));
  if (roots.length === 1) return roots[0];
  if (!roots.length) throw new Error(`${dir} holds no .wsdl file: a bundle is the folder of the agency's WSDL and its schemas`);
  throw new Error(`${dir} holds several WSDLs that no other imports: ${roots.join(', ')}.\n` +
    `Choose the one to serve with --wsdl, e.g. --wsdl ${roots[0]}`);
}

function wsdlCandidates(dir: string): string {
  const all = listFiles(dir).filter((f) => f.toLowerCase().endsWith('.wsdl'));
  return all.length ? ` (its WSDLs: ${all.join(', ')})` : ' (it holds no .wsdl file)';
}

export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split(sep).join('/')]);
}
