// Roles and departments (issue 18 item 3): every route of the admin API, as its OpenAPI document
// lists it with its x-roles (written from src/admin/permissions.ts), and every console page and
// view script, asked over HTTP of the real gateway as each role: what the role may do answers,
// anything else is 403 naming the role and the roles that may. A route without x-roles, or a
// console page or view script this matrix does not name, fails here.
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from './support/gateway';
import { ROOT } from './support/paths';
import { CONSOLE_PAGES } from '../src/admin/permissions';

const USERS = join(ROOT, 'test', 'data', 'admin-users-roles.yaml');
const ROLES = ['operator', 'auditor', 'clerk', 'requester'] as const;
type Role = (typeof ROLES)[number];
const PASSWORD: Record<Role, string> = { operator: 'operator-test', auditor: 'auditor-test', clerk: 'clerk-test', requester: 'requester-test' };
const basic = (role: Role) => ({ authorization: `Basic ${Buffer.from(`${role}:${PASSWORD[role]}`).toString('base64')}` });

const READERS: Role[] = ['operator', 'auditor'];
const OPERATOR: Role[] = ['operator'];
const COMPOSERS: Role[] = ['operator', 'requester'];
const INBOX: Role[] = ['operator', 'auditor', 'clerk'];
const PASSPORT: Role[] = ['operator', 'auditor', 'requester'];

/** The console's pages, one address each, and who may open them. */
const PAGES: [string, Role[]][] = [
  ['/console/journal', READERS], ['/console/exchange/x', READERS], ['/console/entry/1', READERS], ['/console/chain/x', READERS], ['/console/stats', READERS],
  ['/console/emulator', READERS], ['/console/emulator/SID0003623', READERS],
  ['/console/registry', OPERATOR], ['/console/registry/SID0003623', OPERATOR], ['/console/systems', OPERATOR], ['/console/queue', OPERATOR],
  ['/console/passport/SID0003623', PASSPORT],
  ['/console/compose', COMPOSERS], ['/console/requests', COMPOSERS], ['/console/requests/x', COMPOSERS],
  ['/console/inbox', INBOX], ['/console/inbox/x', INBOX],
];
/** The view scripts (src/console/public/assets/views) and who may load them. */
const VIEWS: Record<string, Role[]> = {
  journal: READERS, message: READERS, chain: READERS, stats: READERS, emulator: READERS, 'faults-panel': READERS,
  registry: OPERATOR, systems: OPERATOR, queue: OPERATOR, compose: COMPOSERS, requests: COMPOSERS, inbox: INBOX, passport: PASSPORT,
};
const HOME: Record<Role, string> = { operator: '/console/journal', auditor: '/console/journal', clerk: '/console/inbox', requester: '/console/requests' };

interface Operation { 'x-roles'?: string[]; security?: unknown[] }

describe('roles: every admin route and console page as each role, on the real gateway', () => {
  let gw: GatewayProcess;
  let services: string;

  beforeAll(async () => {
    // the operator's changes (DELETE /emulator/{sid}, …) land on a copy of the demo registry
    services = mkdtempSync(join(tmpdir(), 'smev2-roles-'));
    cpSync(join(ROOT, 'wsdl'), services, { recursive: true });
    gw = await startGateway({ services, args: ['--admin-users', USERS] });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test('each role\'s /admin/me: its department, and the console views it may open', async () => {
    const me = async (role: Role) => (await fetch(`${gw.url}/admin/me`, { headers: basic(role) })).json();
    expect(await me('operator')).toEqual({ user: 'operator', role: 'operator', department: null, views: ['journal', 'message', 'chain', 'stats', 'emulator', 'registry', 'systems', 'queue', 'passport', 'compose', 'requests', 'inbox'] });
    expect(await me('auditor')).toEqual({ user: 'auditor', role: 'auditor', department: null, views: ['journal', 'message', 'chain', 'stats', 'emulator', 'passport', 'inbox'] });
    expect(await me('clerk')).toEqual({ user: 'clerk', role: 'clerk', department: { id: 'minzdrav', name: 'Минздрав, отдел запросов', systems: ['MINZ01001'] }, views: ['inbox'] });
    expect(await me('requester')).toEqual({ user: 'requester', role: 'requester', department: { id: 'minzdrav', name: 'Минздрав, отдел запросов', systems: ['MINZ01001'] }, views: ['passport', 'compose', 'requests'] });
  });

  test('every route of the OpenAPI document names its roles, and answers each role as they say', async () => {
    const doc = await (await fetch(`${gw.url}/admin/openapi.json`, { headers: basic('operator') })).json() as { paths: Record<string, Record<string, Operation>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
    expect(routes.length).toBeGreaterThan(40);
    // only logging in and out is public; everything else says who may call it
    expect(routes.filter((r) => Array.isArray(r.op.security) && r.op.security.length === 0).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /login', 'POST /logout']);
    const unnamed = routes.filter((r) => !(Array.isArray(r.op.security) && r.op.security.length === 0) && !(Array.isArray(r.op['x-roles']) && r.op['x-roles'].length > 0));
    expect(unnamed.map((r) => `${r.method} ${r.path} has no x-roles: add it to src/admin/permissions.ts`)).toEqual([]);

    const outcomes: string[] = [];
    const expected: string[] = [];
    let asked = 0;
    for (const { path, method, op } of routes) {
      const roles = op['x-roles'];
      if (!roles) continue;
      for (const r of roles) expect(ROLES).toContain(r);
      // a SID no registry holds: a change an operator may make answers 404 and changes nothing
      const url = path.replace('{sid}', 'SID9999999').replace('{id}', '1').replace(/\{\w+\}/g, 'x');
      for (const role of ROLES) {
        const res = await fetch(`${gw.url}/admin${url}`, {
          method, headers: { ...basic(role), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) }, body: method === 'GET' ? undefined : '{}',
        });
        const text = await res.text();
        asked++;
        const key = `${role} ${method} ${path}`;
        if (roles.includes(role)) {
          // allowed: whatever the route says to these parameters, but never a refusal of the role
          const refused = res.status === 401 || (res.status === 403 && /this needs|no permission is written/.test(text));
          outcomes.push(`${key}: ${refused ? `refused ${res.status} ${text}` : 'allowed'}`);
          expected.push(`${key}: allowed`);
          // a route with nothing to fill in answers the role in full
          if (method === 'GET' && !path.includes('{')) {
            outcomes.push(`${key}: HTTP ${res.status}`);
            expected.push(`${key}: HTTP 200`);
          }
        } else {
          outcomes.push(`${key}: ${res.status} ${text}`);
          expected.push(`${key}: 403 ${JSON.stringify({ error: `${role} is ${role}; this needs ${roles.join(' or ')}` })}`);
        }
      }
    }
    expect(asked).toBe(routes.filter((r) => r.op['x-roles']).length * ROLES.length);
    expect(outcomes).toEqual(expected);
  }, 120_000);

  test('the table\'s own facts: an auditor reads, a clerk has nothing of the journal, a requester only the composer, their requests and the passports', async () => {
    const status = async (role: Role, path: string) => (await fetch(`${gw.url}/admin${path}`, { headers: basic(role) })).status;
    for (const p of ['/journal', '/stats', '/journal/export.csv', '/exchanges/x', '/chains/x']) {
      expect([p, await status('auditor', p) !== 403]).toEqual([p, true]);
      expect([p, await status('clerk', p)]).toEqual([p, 403]);
      expect([p, await status('requester', p)]).toEqual([p, 403]);
    }
    // the passport: what a requester must know to send, for every SID; not a clerk's
    for (const role of ['operator', 'auditor', 'requester'] as const) expect([role, await status(role, '/services/SID0003623/passport')]).toEqual([role, 200]);
    expect(await status('clerk', '/services/SID0003623/passport')).toBe(403);
    for (const p of ['/compose/services', '/compose/identities', '/requests']) {
      expect([p, await status('requester', p)]).toEqual([p, 200]);
      expect([p, await status('auditor', p)]).toEqual([p, 403]);
      expect([p, await status('clerk', p)]).toEqual([p, 403]);
    }
  });

  test('every console page and view script as each role: 200 where the table allows, else 403; each role\'s home', async () => {
    // every page of the table is asked here: a new one must be added to PAGES
    for (const p of CONSOLE_PAGES) expect([String(p.path), PAGES.some(([u]) => p.path.test(u.slice('/console'.length)))]).toEqual([String(p.path), true]);
    const views = readdirSync(join(ROOT, 'src', 'console', 'public', 'assets', 'views')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
    expect(views.filter((v) => !VIEWS[v]).map((v) => `${v}.js is not in the matrix`)).toEqual([]);
    const lib = readdirSync(join(ROOT, 'src', 'console', 'public', 'assets', 'lib')).map((f) => `/console/assets/lib/${f}`);

    const outcomes: string[] = [];
    const expected: string[] = [];
    const ask = async (role: Role | null, url: string) => {
      const res = await fetch(`${gw.url}${url}`, { headers: role ? basic(role) : {}, redirect: 'manual' });
      await res.arrayBuffer();
      return { status: res.status, location: res.headers.get('location') };
    };
    for (const role of ROLES) {
      for (const [url, roles] of PAGES) {
        outcomes.push(`${role} ${url}: ${(await ask(role, url)).status}`);
        expected.push(`${role} ${url}: ${roles.includes(role) ? 200 : 403}`);
      }
      for (const [view, roles] of Object.entries(VIEWS)) {
        const url = `/console/assets/views/${view}.js`;
        outcomes.push(`${role} ${url}: ${(await ask(role, url)).status}`);
        expected.push(`${role} ${url}: ${roles.includes(role) ? 200 : 403}`);
      }
      for (const url of ['/console/assets/app.js', '/console/assets/console.css', ...lib]) {
        outcomes.push(`${role} ${url}: ${(await ask(role, url)).status}`);
        expected.push(`${role} ${url}: 200`);
      }
      const home = await ask(role, '/console/');
      outcomes.push(`${role} /console/: ${home.status} ${home.location}`);
      expected.push(`${role} /console/: 302 ${HOME[role]}`);
      // a script no page names is for operators only
      outcomes.push(`${role} /console/assets/views/nothing.js: ${(await ask(role, '/console/assets/views/nothing.js')).status}`);
      expected.push(`${role} /console/assets/views/nothing.js: ${role === 'operator' ? 404 : 403}`);
    }
    // without a login: the login page, for every page
    for (const [url] of PAGES) {
      const r = await ask(null, url);
      outcomes.push(`anonymous ${url}: ${r.status} ${r.location}`);
      expected.push(`anonymous ${url}: 302 /console/login?next=${encodeURIComponent(url)}`);
    }
    expect(outcomes).toEqual(expected);
  }, 60_000);
});
