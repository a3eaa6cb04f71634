// nginx with the repository's own site configuration (docs/deploy/nginx.conf) in front of gateway
// instances, as test/deploy-nginx.test.ts runs it: Debian's nginx, unprivileged, in a prefix of its
// own, the site file changed only in its addresses (the `listen` port and the upstream `server` lines).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures';
import { childPids } from './proc';
import { freePort, nginxPaths, track, type Service } from './services';

export const NGINX = '/usr/sbin/nginx';
export const SITE = join(ROOT, 'docs', 'deploy', 'nginx.conf');

/** The site configuration with this listen port and these instances; throws if either is not where the file has it. */
export function siteFor(listen: number, instances: number[]): string {
  const text = readFileSync(SITE, 'utf8');
  const servers = /^( *)server 127\.0\.0\.1:\d+ (.*);\n(?:\1server 127\.0\.0\.1:\d+ .*;\n)*/m.exec(text);
  if (!servers) throw new Error(`${SITE}: no upstream server lines to point at the instances`);
  const listenLine = /^ *listen 80;$/m;
  if (!listenLine.test(text)) throw new Error(`${SITE}: no "listen 80;" to point at the bench's port`);
  return text
    .replace(servers[0], instances.map((p) => `${servers[1]}server 127.0.0.1:${p} ${servers[2]};\n`).join(''))
    .replace(listenLine, `    listen 127.0.0.1:${listen};`);
}

/** nginx (one worker per core, no access log) with the site file in front of the instances' ports; up once /healthz answers through it. */
export async function startSiteNginx(dir: string, instances: number[]): Promise<Service> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // run as root, nginx's workers are `nobody` and make their temp folders here
  const port = await freePort();
  writeFileSync(join(dir, 'smev2-gateway.conf'), siteFor(port, instances));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `daemon off;
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
${nginxPaths(dir)}
  include ${dir}/smev2-gateway.conf;
}
`);
  const args = ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
  const check = spawnSync(NGINX, ['-t', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const child = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  const url = `http://127.0.0.1:${port}`;
  const logs = () => `${t.output()}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
  for (let i = 0; ; i++) {
    if (!t.alive()) throw new Error(`nginx exited:\n${logs()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (i > 100) throw new Error(`nginx did not answer /healthz in 10 s:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'nginx', pid: child.pid!, url, measured: () => childPids(child.pid!), output: logs,
    async stop() {
      if (!t.alive()) return;
      child.kill('SIGQUIT'); // graceful
      await t.exited;
    },
  };
}
