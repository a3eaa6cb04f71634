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
