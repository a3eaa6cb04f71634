import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './paths';

export interface Proxy {
  url: string;
  output: () => string;
  stop: () => Promise<{ code: number | null; output: string }>;
}

/** Start `smev2-gateway record` on a free port and wait for its "recording:" line. */
export async function startRecord(args: string[]): Promise<Proxy> {
  const child: ChildProcess = spawn(process.execPath, ['bin/smev2-gateway.js', 'record', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`record did not start:\n${out}`)), 15000);
    child.stdout!.on('data', () => {
      const m = /^recording: (http:\/\/\S+) →/m.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`record exited with ${code}:\n${out}`)); });
  });
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGINT');
      return { code: await exited, output: out };
    },
  };
}
