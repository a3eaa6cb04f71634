import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Received { rcptTos: string[]; from: string; to: string; subject: string; messageId: string; event: string; text: string; html: string }

/** The SMTP sink: started, stopped and started again on the same port (the server down, then back). */
export class SmtpSink {
  child: ChildProcess | undefined;
  constructor(readonly port: number, readonly dir: string, private readonly reject: string) {}
  async start(): Promise<void> {
    const child = spawn('/usr/bin/python3', [join(ROOT, 'test', 'support', 'smtp-sink.py'), String(this.port), this.dir, this.reject], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (c) => { out += c; if (out.includes('listening')) resolve(); });
      child.stderr!.on('data', (c) => (out += c));
      child.once('exit', (code) => reject(new Error(`the SMTP sink exited with ${code}: ${out}`)));
    });
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  }
  received(): Received[] {
    return readdirSync(this.dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as Received);
  }
}

/** Wait for a condition, or fail with what was seen. */
export async function until<T>(what: string, get: () => Promise<T> | T, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s; last seen: ${JSON.stringify(v).slice(0, 2000)}`);
    await sleep(100);
  }
}

