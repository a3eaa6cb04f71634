import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { stringify } from 'yaml';
import { loadBundle } from './bundle';
import { readWsdlModel } from './wsdl-model';
import { DEFINITION_FILE } from './load';

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
  title?: string;
}

/**
 * Register an agency's WSDL bundle as a SID: copy the folder unchanged into the registry and write
 * a service.yaml beside it, with every WSDL operation listed (mode sync: edit it for asynchronous
 * ones). Returns the path of the new SID folder.
 */
export function addService(o: AddOptions): string {
  if (!/^SID\d{7}$/.test(o.sid)) throw new Error(`--sid must be SID followed by 7 digits, got "${o.sid}"`);
  if (!existsSync(o.bundle) || !statSync(o.bundle).isDirectory()) throw new Error(`${o.bundle} is not a folder`);
  const target = join(o.servicesDir, o.sid);
  if (existsSync(target)) throw new Error(`${target} exists already: remove it or choose another --sid`);
  const wsdl = o.wsdl ?? findMainWsdl(o.bundle);
  const bundle = loadBundle(o.bundle, wsdl, {});
  if (bundle.errors.length) throw new Error(bundle.errors.map((e) => `${e.file}: ${e.reason}`).join('\n'));
  const model = readWsdlModel(bundle);

  mkdirSync(o.servicesDir, { recursive: true });
  cpSync(o.bundle, target, { recursive: true });
  const def = {
    sid: o.sid,
    ...(o.title ? { title: o.title } : {}),
    service: { mnemonic: o.mnemonic ?? o.sid, version: o.version ?? '1.00' },
    provider: { mnemonic: o.provider ?? 'PROV01001', name: o.providerName ?? 'Provider' },
    contour: 'test',
    wsdl,
    operations: Object.fromEntries(model.operations.map((op) => [op.name, { mode: 'sync' }])),
    adapter: o.upstream ? { type: 'http', url: o.upstream } : { type: 'emulator', cases: 'emulator' },
  };
  if (!o.upstream) mkdirSync(join(target, 'emulator'), { recursive: true });
  writeFileSync(join(target, DEFINITION_FILE),
    `# Registered from ${o.bundle}. Set each operation's mode (sync | async | async-send | async-get)\n` +
    `# and the provider's mnemonic; see docs/registry.md.\n${stringify(def)}`);
  return target;
}

/** The bundle's WSDL that no other WSDL of the bundle imports (the only one, or an error). */
export function findMainWsdl(dir: string): string {
  const all = listFiles(dir).filter((f) => f.toLowerCase().endsWith('.wsdl'));
  const imported = new Set<string>();
  for (const w of all) for (const f of loadBundle(dir, w, {}).files.keys()) if (f !== w) imported.add(f);
  const roots = all.filter((w) => !imported.has(w));
  if (roots.length === 1) return roots[0];
  throw new Error(roots.length ? `the folder holds several WSDLs (${roots.join(', ')}): choose one with --wsdl` : 'the folder holds no .wsdl file');
}

export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split(sep).join('/')]);
}
