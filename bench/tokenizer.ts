// The three byte scanners of a message, before and after they became consumers of one tokenizer
// (src/xml/tokens.ts, issue 15 item 7): the structural limits, the envelope's layout and the
// journal's search text, each old and new side by side in one run, interleaved, on 5 KB, 100 KB
// and 10 MB envelopes. The old code is taken from git (--base, default the commit before the
// tokenizer), transpiled in memory; every scanner's answers are compared old against new too.
//
//   npm run bench:tokenizer [-- --base REV --seconds S --rounds N --only limits|scan|text --no-append]
// Run pinned to one core (npm run bench:tokenizer does: taskset -c 0). Appends to bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ts from 'typescript';
import { checkLimits, DEFAULT_LIMITS } from '../src/control/limits';
import { scanEnvelope } from '../src/envelope/scan';
import { appDataText } from '../src/journal/search-text';
import { ACTOR } from '../src/envelope/ns';
import { signEnvelope } from '../src/signature/sign';
import { loadXml } from '../src/xml/libxml';
import { ROOT, makeKeySet, requestXml } from './support/fixtures';
import { cpuModel } from './support/proc';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string', default: '9db673e' },
    seconds: { type: 'string', default: '0.4' },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    'no-append': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opt.seconds);
const ROUNDS = Number(opt.rounds);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** A module of the base commit, transpiled to CommonJS and loaded (the three scanners import nothing). */
function fromGit<T>(path: string): T {
  const source = execFileSync('git', ['show', `${opt.base}:${path}`], { cwd: ROOT, encoding: 'utf8' });
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const mod = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', js)(mod, mod.exports, require);
  return mod.exports as T;
}

type Scanner = (b: Buffer) => unknown;
interface Pair { name: string; old: Scanner; now: Scanner }

/**
 * Operations per second of CPU time of fn on b, run for about SECONDS of CPU: counting the
 * process's CPU time rather than the clock keeps out the time others' work on this shared
 * machine takes the core away (wall-clock figures moved by ±30 % between runs here).
 */
function opsPerSec(fn: Scanner, b: Buffer): number {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const warm = cpu() + 50;
  while (cpu() < warm) fn(b);
  let n = 0;
  const start = cpu();
  let now = start;
  while (now < start + SECONDS * 1000) {
    fn(b);
    n++;
    now = cpu();
  }
  return (n * 1000) / (now - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(1));

async function main(): Promise<void> {
  await loadXml();
  const old = {
    limits: fromGit<{ checkLimits: typeof checkLimits }>('src/control/limits.ts'),
    scan: fromGit<{ scanEnvelope: typeof scanEnvelope }>('src/envelope/scan.ts'),
    text: fromGit<{ appDataText: typeof appDataText }>('src/journal/search-text.ts'),
  };
  const pairs: Pair[] = ([
    { name: 'limits', old: (b) => old.limits.checkLimits(b, DEFAULT_LIMITS), now: (b) => checkLimits(b, DEFAULT_LIMITS) },
    { name: 'envelope scan', old: (b) => old.scan.scanEnvelope(b), now: (b) => scanEnvelope(b) },
    { name: 'search text', old: (b) => old.text.appDataText(b), now: (b) => appDataText(b) },
  ] as Pair[]).filter((p) => !opt.only || p.name.includes(opt.only));

  // Envelopes as consumers send them: a rev111111 request signed with RSA (a wsse:Security header).
  const dir = mkdtempSync(join(tmpdir(), 'bench-tokenizer-'));
  const signer = makeKeySet(dir, 'rsa').consumer;
  const date = new Date().toISOString();
  const sign = (xml: string) => signEnvelope(Buffer.from(xml, 'utf8'), ACTOR.smev, signer, { header: false });
  const perLine = (sign(requestXml({ bodyId: 'b', fill: 100, date })).length - sign(requestXml({ bodyId: 'b', fill: 0, date })).length) / 100;
  const base = sign(requestXml({ bodyId: 'b', fill: 0, date })).length;
  const lines = (bytes: number) => Math.max(0, Math.round((bytes - base) / perLine));
  const envelopes: [string, Buffer][] = [
    ['5 KB', sign(requestXml({ bodyId: 'b', fill: lines(5 * 1024), date }))],
    ['100 KB', sign(requestXml({ bodyId: 'b', fill: lines(100 * 1024), date }))],
    ['10 MB, an AppDocument', sign(requestXml({ bodyId: 'b', fill: 20, date, appDocument: randomBytes(Math.round((10 * 1024 * 1024 - base) * 0.75)).toString('base64') }))],
    ['10 MB of AppData elements', sign(requestXml({ bodyId: 'b', fill: lines(10 * 1024 * 1024), date }))],
  ];
  rmSync(dir, { recursive: true, force: true });

  const mismatches: string[] = [];
  for (const [size, b] of envelopes) {
    for (const p of pairs) {
      const a = JSON.stringify(p.old(b)), c = JSON.stringify(p.now(b));
      if (a !== c) mismatches.push(`${p.name} on ${size}: old ${a.slice(0, 200)} new ${c.slice(0, 200)}`);
    }
  }

  const rows: string[] = [];
  for (const [size, b] of envelopes) {
    for (const p of pairs) {
      const o: number[] = [], n: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // interleaved, alternating who goes first
        if (r % 2 === 0) { o.push(opsPerSec(p.old, b)); n.push(opsPerSec(p.now, b)); }
        else { n.push(opsPerSec(p.now, b)); o.push(opsPerSec(p.old, b)); }
      }
      const mo = median(o), mn = median(n);
      const row = `| ${size} (${(b.length / 1024).toFixed(0)} KiB) | ${p.name} | ${f(mo)} | ${f(mn)} | ${(mn / mo).toFixed(2)} |`;
      log(row);
      rows.push(row);
    }
  }

  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/xml/tokens.ts', 'src/control/limits.ts', 'src/envelope/scan.ts', 'src/journal/search-text.ts'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const report = [
    `## Byte tokenizer, ${new Date().toISOString().slice(0, 19)}Z (old scanners of ${opt.base} against the tokenizer's consumers)`,
    '',
    `HEAD ${commit}${dirty ? ' with uncommitted changes to the scanners' : ''}; ${cpuModel()}; Node ${process.version}; one process, ` +
      `${ROUNDS} interleaved rounds of ${SECONDS} s of CPU per figure, medians of operations per CPU second. ratio = new / old (above 1: faster). ` +
      `Answers old = new on every envelope: ${mismatches.length ? `**no**: ${mismatches.join('; ')}` : 'yes'}.`,
    '',
    '| envelope | scanner | old ops/s | new ops/s | ratio |',
    '|---|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (!opt['no-append']) appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${report}\n`);
  if (mismatches.length) process.exitCode = 1;
}

main().catch((e) => {
  log(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
