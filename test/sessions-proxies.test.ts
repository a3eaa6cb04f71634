// Issue 13, item 7 (sessions and proxies): a logout, a password change and a role change end a
// console session on the server, on every instance sharing the store; X-Forwarded-* headers are
// honoured only from the proxies SMEV2_TRUST_PROXY lists. Real gateway processes over HTTP, on
// the pass's store (SQLite or PostgreSQL); loopback addresses 127.0.0.1 and 127.0.0.2 play the
// client and the proxy.
import http from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startGateway, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { ROOT } from './support/paths';
import { count, STORE_NAME } from './support/store';
import { hashPassword } from '../src/admin/auth';

const TEST_USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const fresh = () => randomBytes(12).toString('base64url');

/** One request from a chosen local address (the TCP peer the gateway sees). */
function request(port: number, o: { path: string; method?: string; headers?: Record<string, string>; body?: string; from?: string }): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: o.path, method: o.method ?? 'GET', headers: o.headers, localAddress: o.from ?? '127.0.0.1' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe(`sessions end on the server, on every instance sharing the store (${STORE_NAME})`, () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  let users: string;
  const passwords: Record<string, string> = {};
  let original = '';

  /** the test's users file plus users of this run, with fresh passwords */
  const hashes = new Map<string, string>(); // password -> its hash: a user whose password did not change keeps the same hash
  const writeUsers = async (extra: { name: string; role: string; password: string }[]) => {
    for (const u of extra) if (!hashes.has(u.password)) hashes.set(u.password, await hashPassword(u.password));
    const lines = extra.map((u) => `  - name: ${u.name}\n    role: ${u.role}\n    password: ${hashes.get(u.password)}\n`);
    writeFileSync(users, original.replace(/\s*$/, '\n') + lines.join(''));
  };
  const login = async (gw: GatewayProcess, user: string) => {
    const r = await fetch(`${gw.url}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: passwords[user] }) });
    expect(r.status).toBe(200);
    return r.headers.get('set-cookie')!.split(';')[0]!;
  };
  const me = async (gw: GatewayProcess, cookie: string) => (await fetch(`${gw.url}/admin/me`, { headers: { cookie } })).status;
  const reload = async (gw: GatewayProcess, cookie: string) => {
    const r = await fetch(`${gw.url}/admin/services/reload`, { method: 'POST', headers: { cookie, 'x-requested-with': 'test' } });
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    users = join(mkdtempSync(join(tmpdir(), 'smev2-sessions-')), 'admin-users.yaml');
    copyFileSync(TEST_USERS, users);
    original = readFileSync(users, 'utf8');
    for (const n of ['ops', 'changing', 'promoted']) passwords[n] = fresh();
    await writeUsers([
      { name: 'ops', role: 'operator', password: passwords.ops! },
      { name: 'changing', role: 'operator', password: passwords.changing! },
      { name: 'promoted', role: 'auditor', password: passwords.promoted! },
    ]);
    a = await startGateway({ args: ['--admin-users', users] });
    // a second instance on the same store, with the same keys folder (so the same session secret)
    b = await startGateway({ db: a.db, keys: a.keys, args: ['--admin-users', users] });
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  test('after POST /admin/logout the copied cookie is refused by this instance and the other (401); another login of the user lives on', async () => {
    const cookie = await login(a, 'ops');
    const other = await login(b, 'ops');
    expect(await me(a, cookie)).toBe(200);
    expect(await me(b, cookie)).toBe(200);
    const out = await fetch(`${a.url}/admin/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/smev2_session=;/);
    // the cookie as copied before the logout, replayed
    expect(await me(a, cookie)).toBe(401);
    expect(await me(b, cookie)).toBe(401);
    expect((await fetch(`${b.url}/console/journal`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
    expect(await me(a, other)).toBe(200);
    expect(await me(b, other)).toBe(200);
    // logged out at the other instance: refused here too
    await fetch(`${b.url}/admin/logout`, { method: 'POST', headers: { cookie: other } });
    expect(await me(a, other)).toBe(401);
  });

  test('the store keeps no cookie: a session row holds a hash of its id', async () => {
    const cookie = await login(a, 'ops');
    const id = JSON.parse(Buffer.from(cookie.split('=')[1]!.split('.')[0]!, 'base64url').toString('utf8')).i as string;
    expect(id.length).toBeGreaterThanOrEqual(32);
    expect(await count(a.db, 'admin_sessions WHERE id = ?', [id])).toBe(0);
    expect(await count(a.db, "admin_sessions WHERE user_name = 'ops'")).toBeGreaterThan(0);
  });

  test('a password change, reloaded on one instance, ends the user\'s sessions on every instance', async () => {
    const onA = await login(a, 'changing');
    const onB = await login(b, 'changing');
    const ops = await login(a, 'ops');
    passwords.changing = fresh();
    await writeUsers([
      { name: 'ops', role: 'operator', password: passwords.ops! },
      { name: 'changing', role: 'operator', password: passwords.changing! },
      { name: 'promoted', role: 'auditor', password: passwords.promoted! },
    ]);
    await reload(a, ops);
    // B has not read the file again: the store says the sessions ended
    expect(await me(b, onB)).toBe(401);
    expect(await me(b, onA)).toBe(401);
    expect(await me(a, onA)).toBe(401);
    // other users' sessions are untouched; the new password logs in
    expect(await me(b, ops)).toBe(200);
    expect(await me(a, await login(a, 'changing'))).toBe(200);
  });

  test('a role change ends the user\'s sessions on every instance', async () => {
    const onB = await login(b, 'promoted');
    expect(await me(b, onB)).toBe(200);
    const ops = await login(b, 'ops');
    const file = readFileSync(users, 'utf8').replace(/(- name: promoted\n\s+role: )auditor/, '$1operator');
    expect(file).toContain('role: operator');
    writeFileSync(users, file);
    await reload(b, ops);
    expect(await me(b, onB)).toBe(401);
    expect(await me(a, onB)).toBe(401);
  });
});

describe(`proxies: X-Forwarded-* only from the listed ones (${STORE_NAME})`, () => {
  let plain: GatewayProcess;
  let proxied: GatewayProcess;
  const wsdlPath = '/gateway/services/SID0913101?wsdl';
  const address = (xml: string) => /<soap:address location="([^"]+)"/.exec(xml)?.[1];
  const forwarded = () => ({ 'x-forwarded-host': `gw-${fresh().toLowerCase().replace(/[^a-z0-9]/g, 'x')}.example.org:8443`, 'x-forwarded-proto': 'https' });

  beforeAll(async () => {
    const services = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition('SID0913101', { type: 'http', url: 'http://127.0.0.1:9/' }) }]);
    plain = await startGateway({ services, args: ['--admin-users', TEST_USERS] });
    proxied = await startGateway({ services, args: ['--admin-users', TEST_USERS], env: { SMEV2_TRUST_PROXY: '127.0.0.2, 10.0.0.0/8' } });
  }, 60_000);
  afterAll(async () => {
    await plain?.stop();
    await proxied?.stop();
  });

  test('default: a client\'s X-Forwarded-Host and -Proto do not change the WSDL\'s soap:address', async () => {
    for (const from of ['127.0.0.1', '127.0.0.2']) {
      const r = await request(plain.port, { path: wsdlPath, headers: forwarded(), from });
      expect(r.status).toBe(200);
      expect(address(r.text)).toBe(`http://127.0.0.1:${plain.port}/gateway/services/SID0913101`);
    }
  });

  test('trusted proxy: its X-Forwarded-Host and -Proto name the address; an untrusted peer\'s do not', async () => {
    const h = forwarded();
    const viaProxy = await request(proxied.port, { path: wsdlPath, headers: h, from: '127.0.0.2' });
    expect(address(viaProxy.text)).toBe(`https://${h['x-forwarded-host']}/gateway/services/SID0913101`);
    const direct = await request(proxied.port, { path: wsdlPath, headers: forwarded(), from: '127.0.0.1' });
    expect(address(direct.text)).toBe(`http://127.0.0.1:${proxied.port}/gateway/services/SID0913101`);
  });

  test('X-Forwarded-For: failed logins are counted per client behind a trusted proxy, and per peer otherwise', async () => {
    const client = `203.0.113.${1 + Math.floor(Math.random() * 200)}`;
    const other = `198.51.100.${1 + Math.floor(Math.random() * 200)}`;
    const bad = JSON.stringify({ user: 'operator', password: fresh() });
    const post = (from: string, xff: string, body = bad) => request(proxied.port, { path: '/admin/login', method: 'POST', from, body, headers: { 'content-type': 'application/json', 'x-forwarded-for': xff } });
    for (let i = 0; i < 10; i++) expect((await post('127.0.0.2', client)).status).toBe(401);
    // that client is locked out, whatever the password
    expect((await post('127.0.0.2', client, JSON.stringify({ user: 'operator', password: 'operator-test' }))).status).toBe(429);
    // another client behind the same proxy is not
    expect((await post('127.0.0.2', other, JSON.stringify({ user: 'operator', password: 'operator-test' }))).status).toBe(200);
    // an untrusted peer claiming to be that client is judged by its own address
    expect((await post('127.0.0.1', client, JSON.stringify({ user: 'operator', password: 'operator-test' }))).status).toBe(200);
  }, 60_000);

  test('SMEV2_TRUST_PROXY=true is refused at start with what to write instead; a malformed list names the entry', async () => {
    const t = await runCli(['start', '--port', '0', '--host', '127.0.0.1', '--db', plain.dbUrl], { SMEV2_TRUST_PROXY: 'true' });
    expect(t.code).not.toBe(0);
    expect(t.stderr + t.stdout).toContain('list the proxies\' addresses instead, e.g. SMEV2_TRUST_PROXY=127.0.0.1');
    const m = await runCli(['start', '--port', '0', '--host', '127.0.0.1', '--db', plain.dbUrl], { SMEV2_TRUST_PROXY: '10.0.0.0/8,not-an-address' });
    expect(m.code).not.toBe(0);
    expect(m.stderr + m.stdout).toMatch(/SMEV2_TRUST_PROXY.*not-an-address/);
  }, 60_000);
});
