import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';

/** A gateway process a bench started, once it listens. */
export interface Launched {
  child: ChildProcess;
  pid: number;
  port: number;
  /** its output so far (the last 200 kB) */
  logs: () => string;
  alive: () => boolean;
  stop: () => Promise<void>;
}

/** Every gateway the benches started, so an interrupted run kills them all (`killAll`). */
const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

/**
 * Start `node ARGS` in `cwd` (a gateway's `bin/smev2-gateway.js start … --port 0`) with JSON logs,
 * and resolve once it logs "gateway listening" with its port; its output also goes to `logFile`
 * when given. One launcher for every bench (memory, inline document, MTOM).
 */
export function launchGateway(o: { cwd: string; args: string[]; env?: Record<string, string>; logFile?: string; startMs?: number; stopMs?: number }): Promise<Launched> {
  const child = spawn(process.execPath, o.args, { cwd: o.cwd, env: { ...process.env, LOG_LEVEL: 'info', SMEV2_LOG_FORMAT: 'json', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => { exited = true; children.delete(child); r(); }));
  const take = (c: Buffer) => {
    out = (out + c).slice(-200_000);
    if (o.logFile) appendFileSync(o.logFile, c);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const startMs = o.startMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the gateway did not start in ${startMs / 1000} s:\n${out.slice(-4000)}`)); }, startMs);
    const onData = () => {
      const m = /"port":(\d+).*"msg":"gateway listening"/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child, pid: child.pid!, port: Number(m[1]), logs: () => out, alive: () => !exited,
        async stop() {
          if (exited) return;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), o.stopMs ?? 20_000);
          await exit;
          clearTimeout(killer);
        },
      });
    };
    child.stdout!.on('data', onData);
    void exit.then(() => { clearTimeout(timer); reject(new Error(`the gateway exited before it listened:\n${out.slice(-4000)}`)); });
  });
}

/** A bench's report: printed, and appended to bench/RESULTS.md unless --no-append. */
export function publish(text: string, results: string, append: boolean): void {
  process.stdout.write(`\n${text}\n`);
  if (append) appendFileSync(results, `\n${text}\n`);
}

/** The end of a bench's run, however it ends: every gateway it started killed, its work folder removed unless --keep. */
export function cleanUp(work: string, keep: boolean): void {
  killAll();
  if (!keep) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}

/** Run a bench's main, saying what failed and exiting 1 when it throws. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().catch((e) => {
    process.stderr.write(`\n${name} failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
