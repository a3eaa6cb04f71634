import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ROOT } from './support/paths';

/**
 * The shape of src/ (issue 15): rules each module is held to, checked on the sources as they are.
 * Each rule names what it forbids, where, and what to do instead; each carries a line it must
 * catch and one it must let pass, so that a rule that no longer matches anything fails here
 * rather than passing quietly. Add a rule to RULES.
 */

const SRC = join(ROOT, 'src');

/** Every .ts file under src/, as a path from the project's root with / separators. */
function sources(dir = SRC): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return n.endsWith('.ts') ? [relative(ROOT, p).split(sep).join('/')] : [];
  });
}

/** The modules src/store/README.md names as owners of a table (its "Who owns which table" section). */
function tableOwners(): Set<string> {
  const readme = readFileSync(join(SRC, 'store', 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Who owns which table'));
  if (!section) throw new Error('src/store/README.md has no "## Who owns which table" section: the owners of the tables are listed there');
  const owners = new Set(section.split('\n').filter((l) => l.startsWith('|')).flatMap((l) => [...l.matchAll(/`(src\/[^`]+\.ts)`/g)].map((m) => m[1]!)));
  if (!owners.size) throw new Error('src/store/README.md lists no owner modules (`src/….ts`) in its table');
  return owners;
}

interface Rule {
  name: string;
  /** the files it holds (paths from the root, / separators) */
  applies: (file: string) => boolean;
  /** what it forbids in them, each with how to say it */
  forbidden: { pattern: RegExp; what: string }[];
  /** what to do instead */
  instead: string;
  /** a line the rule must catch, and one it must let pass */
  catches: string;
  passes: string;
}

/** SQL written into the code: a statement's opening words, upper case as the project writes them. */
const SQL = /\b(?:SELECT\s+(?:DISTINCT\s+)?[\w*(]|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|(?:CREATE|DROP|ALTER)\s+(?:TABLE|INDEX|VIRTUAL\s+TABLE|TRIGGER)\s)/;
/** The store's raw query function, imported. */
const QUERY_IMPORT = /import\s*\{[^}]*\bquery\b[^}]*\}\s*from\s*'[^']*\bstore'/;

const inStore = (f: string) => f.startsWith('src/store/');
const owners = tableOwners();
const ADMIN_HANDLERS = ['src/admin/router.ts', 'src/admin/compose/routes.ts'];

const RULES: Rule[] = [
  {
    name: 'only src/store/ knows which store it runs on',
    applies: (f) => !inStore(f),
    forbidden: [
      { pattern: /\boptions\.type\b/, what: 'a branch on the store\'s type (options.type)' },
      { pattern: /['"](?:postgres|better-sqlite3)['"]/, what: 'a store driver\'s name' },
      { pattern: /\bisPostgresUrl\b/, what: 'a branch on the store\'s URL' },
    ],
    instead: 'ask the store\'s dialect (dialectOf(store) / dialectOfUrl(url), src/store/dialect.ts) for what differs, by what it does; add a member there if it has none',
    catches: "const pg = this.ds.options.type === 'postgres';",
    passes: 'const taken = await dialectOf(this.ds).claim(this.ds, rule);',
  },
  {
    name: 'admin handlers hold no SQL',
    applies: (f) => ADMIN_HANDLERS.includes(f),
    forbidden: [
      { pattern: SQL, what: 'SQL' },
      { pattern: /from\s*'(?:\.\.\/)+store'/, what: 'an import of the store' },
    ],
    instead: 'call the function of the table\'s owner (src/store/README.md, "Who owns which table"), e.g. chainLegs in src/journal/search.ts',
    catches: "const rows = await query(d.store, 'SELECT id FROM journal WHERE chain_id = ?', [chain]);",
    passes: 'const legs = await chainLegs(d.store, chain);',
  },
  {
    name: 'SQL only in src/store/ and in the modules that own a table',
    applies: (f) => !inStore(f) && !owners.has(f),
    forbidden: [
      { pattern: SQL, what: 'SQL' },
      { pattern: QUERY_IMPORT, what: 'an import of the store\'s query' },
    ],
    instead: 'move the statement into the owner of its table, as a function named for what it gives (src/store/README.md lists the owners; a new table gets a row there)',
    catches: "import { openStore, query } from '../store';",
    passes: "import { openStore } from '../store';",
  },
];

/** Where a rule is broken in a file's text: `line N: what: the line`. */
function breaches(rule: Rule, text: string): string[] {
  return text.split('\n').flatMap((line, i) => rule.forbidden.filter((f) => f.pattern.test(line)).map((f) => `line ${i + 1}: ${f.what}: ${line.trim().slice(0, 160)}`));
}

describe('architecture: rules on src/', () => {
  const files = sources();

  test('src/ is read: the store, the journal and the admin handlers are among its files', () => {
    for (const f of ['src/store/dialect.ts', 'src/journal/journal.ts', ...ADMIN_HANDLERS]) expect(files).toContain(f);
  });

  test.each(RULES.map((r) => [r.name, r] as const))('the rule "%s" catches what it forbids and lets the rest pass', (_name, rule) => {
    expect(breaches(rule, rule.catches)).not.toEqual([]);
    expect(breaches(rule, rule.passes)).toEqual([]);
  });

  test.each(RULES.map((r) => [r.name, r] as const))('%s', (_name, rule) => {
    const held = files.filter(rule.applies);
    expect(held.length).toBeGreaterThan(0);
    const found = held.flatMap((f) => breaches(rule, readFileSync(join(ROOT, f), 'utf8')).map((b) => `${f} ${b}`));
    if (found.length) throw new Error(`${rule.name}: broken in\n  ${found.join('\n  ')}\n${rule.instead}`);
  });
});

/**
 * The layers of src/, lowest first (docs/architecture.md): a module imports only from its own
 * layer or below. The most specific prefix decides a file's layer; a file no prefix covers fails
 * the test, so a new folder is given its place here.
 */
const LAYERS: [prefix: string, layer: number][] = [
  // 0: no knowledge of SMEV: XML, crypto, the fault catalogue, logs, data-file errors, the onion
  ['src/xml/', 0], ['src/crypto/', 0], ['src/faults/', 0], ['src/log.ts', 0], ['src/slices.ts', 0], ['src/yaml-error.ts', 0], ['src/store-url.ts', 0], ['src/pipeline/compose.ts', 0], ['src/pipeline/memory.ts', 0],
  // 1: envelopes, and the HTTP helpers any layer may use (the outbound client, the proxy list, the byte budget, bodies)
  ['src/envelope/', 1], ['src/http/client.ts', 1], ['src/http/proxy.ts', 1], ['src/http/budget.ts', 1], ['src/http/body.ts', 1], ['src/http/multipart.ts', 1], ['src/http/multipart-write.ts', 1], ['src/http/spool.ts', 1],
  // 2: signatures, configuration
  ['src/signature/', 2], ['src/config.ts', 2],
  // 3: the registry of services, format-logical control, the store
  ['src/registry/', 3], ['src/xsd/', 3], ['src/documents/', 3], ['src/control/', 3], ['src/store/', 3], ['src/attachments/', 3],
  // 4: the exchange, the model every stage and the journal share
  ['src/pipeline/exchange.ts', 4],
  // 5: what keeps or moves exchanges: journal, providers, the outbox and its worker, metrics
  ['src/journal/', 5], ['src/providers/', 5], ['src/queue/', 5], ['src/metrics/', 5],
  // 6: the stages; 7: their lists and who composes them; 8: the HTTP front, the cluster; 9: the gateway; 10: the command line
  ['src/stages/', 6], ['src/pipeline/', 7], ['src/testkit/', 7], ['src/admin/', 7], ['src/console/', 7], ['src/rest/', 7],
  ['src/http/', 8], ['src/cluster.ts', 8], ['src/gateway.ts', 9], ['src/cli/', 10],
];
/** Imports that run up on purpose, each with why. */
const UPWARD_ALLOWED: Record<string, string> = {
  'src/store/migrations/0005-hash-chain-retention.ts -> src/journal/chain.ts': 'a migration hashes the rows that existed before it with the journal\'s chain, as of that migration',
};

function layerOf(file: string): number | undefined {
  let best: [string, number] | undefined;
  for (const [prefix, layer] of LAYERS) if (file.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, layer];
  return best?.[1];
}

/** The relative imports (and re-exports) of a file, as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const dir = file.slice(0, file.lastIndexOf('/'));
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gm)].map((m) => {
    const parts = [...dir.split('/'), ...m[1]!.split('/')];
    const out: string[] = [];
    for (const p of parts) if (p === '..') out.pop(); else if (p !== '.') out.push(p);
    const path = out.join('/');
    return statSafe(join(ROOT, path)) === 'dir' ? `${path}/index.ts` : `${path}.ts`;
  });
}
function statSafe(p: string): 'dir' | 'file' | undefined {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

describe('architecture: imports run down the layers', () => {
  const files = sources();
  test('every file of src/ has a layer', () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });
  /** The imports of `from` that run up the layers, for people. */
  const upward = (from: string, targets: string[]) => targets
    .filter((t) => (layerOf(t) ?? 0) > (layerOf(from) ?? 0) && !UPWARD_ALLOWED[`${from} -> ${t}`])
    .map((t) => `${from} (layer ${layerOf(from)}) imports ${t} (layer ${layerOf(t)})`);
  test('no module imports from a layer above its own', () => {
    expect(files.flatMap((f) => upward(f, importsOf(f)))).toEqual([]);
  });
  test('the check sees an import up the layers, and reads the imports a file has', () => {
    expect(upward('src/journal/journal.ts', ['src/stages/journal.ts', 'src/store/index.ts'])).toEqual(['src/journal/journal.ts (layer 5) imports src/stages/journal.ts (layer 6)']);
    expect(importsOf('src/stages/journal.ts')).toContain('src/journal/journal.ts');
  });
});
