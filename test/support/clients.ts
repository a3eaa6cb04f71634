import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

/**
 * The real SOAP clients from Debian that tests drive (python3-zeep, PHP's SoapClient, JAX-WS
 * wsimport with OpenJDK 17): where they are, whether they are installed, and how to run them.
 * The client programs are in test/clients/.
 *
 * A client that is not installed fails its block under CI=true (naming the Debian package) and
 * is skipped elsewhere, with one line on stderr.
 */

const CI = process.env.CI === 'true';
export const CLIENTS = join(ROOT, 'test', 'clients');
export const PYTHON = '/usr/bin/python3'; // Debian's: the python3 on PATH may be a pyenv build without python3-zeep
export const WSIMPORT = '/usr/share/jaxws/bin/wsimport.sh';
const JAVA_LIB = '/usr/share/java';
// jaxws-rt.jar's manifest Class-Path brings jaxb-api, jaxws-api, javax.xml.soap-api, FastInfoset,
// gmbal and jaxb-impl (whose own manifest brings jaxb-core, stax-ex, javax.activation, mimepull);
// saaj-impl is the SAAJ implementation the runtime looks up at run time.
export const JAXWS_CLASSPATH = ['jaxws-rt.jar', 'saaj-impl.jar'].map((j) => join(JAVA_LIB, j)).join(':');
export const UTF8_ENV = { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' }; // the generated classes have Cyrillic names

export interface Tool {
  ok: boolean;
  /** the Debian package(s) to install, and why */
  missing: string;
}

function probe(cmd: string, args: string[], env: Record<string, string> = {}): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000 });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

export function detectZeep(): Tool {
  const r = probe(PYTHON, ['-c', 'import zeep, lxml; print(zeep.__version__)']);
  return { ok: r.ok, missing: `python3-zeep (${PYTHON} cannot import zeep: ${r.out.trim().split('\n').pop()})` };
}

export function detectPhp(): Tool {
  const cli = probe('php', ['-v']);
  if (!cli.ok) return { ok: false, missing: 'php-cli and php-soap (no php on PATH)' };
  const soap = probe('php', ['-r', 'exit(class_exists("SoapClient") ? 0 : 3);']);
  return { ok: soap.ok, missing: 'php-soap (php has no SoapClient)' };
}

export function javaHome(): string | undefined {
  const jvm = '/usr/lib/jvm';
  if (!existsSync(jvm)) return undefined;
  const d = readdirSync(jvm).sort().find((n) => /^java-17-openjdk/.test(n) && existsSync(join(jvm, n, 'bin', 'javac')));
  return d ? join(jvm, d) : undefined;
}

export function detectJaxws(): Tool {
  const home = javaHome();
  if (!home) return { ok: false, missing: 'openjdk-17-jdk-headless (no /usr/lib/jvm/java-17-openjdk-*/bin/javac)' };
  if (!existsSync(WSIMPORT) || !existsSync(join(JAVA_LIB, 'jaxws-rt.jar'))) return { ok: false, missing: `jaxws (no ${WSIMPORT} or ${JAVA_LIB}/jaxws-rt.jar)` };
  return { ok: true, missing: '' };
}

/** describe when the tool is there or CI must have it (the block then fails, naming the package); describe.skip otherwise. */
export function describeWith(tool: Tool, what: string): jest.Describe {
  if (tool.ok || CI) return describe;
  process.stderr.write(`${what} not run: install the Debian package ${tool.missing}\n`);
  return describe.skip;
}

export function requireTool(tool: Tool, what: string): void {
  if (!tool.ok) throw new Error(`${what}: the Debian package ${tool.missing} is not installed (CI=true must have it; .ci/run installs it)`);
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Run a program to completion, with a deadline; stdout and stderr kept apart. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${opts.timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 60000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A failed run, readable in a failed expectation. */
export function show(what: string, r: RunResult): string {
  return `${what} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

export function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** The `KEY=value` lines a client program prints, as an object (the first of each key). */
export function keyValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!;
  }
  return out;
}
