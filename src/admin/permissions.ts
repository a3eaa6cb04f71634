import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { requireRole, type Auth, type Role } from './auth';

/**
 * What each role may see and do: the one table behind the admin API's role checks
 * (admin/router.ts and every module that adds routes to it), its OpenAPI document's `x-roles`
 * (admin/openapi.ts writes them from here) and the console's pages and view scripts
 * (console/router.ts, and /admin/me's `pages`, from which the console draws its navigation).
 * test/roles.test.ts asks every route of the OpenAPI document and every console page as each role.
 *
 * - operator: everything;
 * - auditor: reads the journal, its statistics, the emulator and fault injection; changes nothing;
 * - clerk: their department's inbox (the manual providers' requests, docs/cabinet.md) and nothing
 *   of the journal: the journal's routes are not scoped by department, and what a clerk needs of a
 *   request (its envelope, its attachments) the inbox's own routes give, for their department only;
 * - requester: the composer, signing as their department's systems only (compose/routes.ts
 *   enforces it), and "my requests": their own requests with their status and answers
 *   (compose/requests.ts); nothing of the journal beyond them.
 *
 * Adding a route: add its `METHOD /path` (the path as the OpenAPI document writes it, `{param}`)
 * here with its roles, describe it in the OpenAPI document, and guard it with the router's `gate`
 * (which looks the route up here). A route with no entry is refused to everyone (403).
 * Adding a console page: a row in CONSOLE_PAGES (the page's path under /console and its view).
 */

export const EVERYONE: readonly Role[] = ['operator', 'auditor', 'clerk', 'requester'];
const READERS: readonly Role[] = ['operator', 'auditor'];
const OPERATOR: readonly Role[] = ['operator'];
const COMPOSERS: readonly Role[] = ['operator', 'requester'];
/** the inbox of manual providers: clerks their department's (admin/inbox.ts scopes it), operators all, auditors read */
const INBOX_READERS: readonly Role[] = ['operator', 'auditor', 'clerk'];
const INBOX_WRITERS: readonly Role[] = ['operator', 'clerk'];
/**
 * a SID's passport (admin/passport.ts): operators and auditors, and requesters, who must know what
 * to send and what may come back (the upstream's address and the registry's folder are left out
 * for them); not clerks, whose inbox gives them the answer form of the requests they answer
 */
const PASSPORT_READERS: readonly Role[] = ['operator', 'auditor', 'requester'];

/** `public`: no login at all (logging in and out). */
export type Permission = readonly Role[] | 'public';

/** The admin API under /admin: `METHOD /path` → who may call it. */
export const API_PERMISSIONS: Record<string, Permission> = {
  'POST /login': 'public',
  'POST /logout': 'public',
  'GET /me': EVERYONE,
  'GET /openapi.json': EVERYONE,
  // the journal and what hangs off it: not scoped by department, so auditors and operators only
  'GET /journal': READERS,
  'GET /journal/head': READERS,
  'GET /journal/export.csv': READERS,
  'GET /journal/export.xlsx': READERS,
  'GET /journal/{id}': READERS,
  'GET /journal/{id}/raw': READERS,
  'GET /journal/{id}/document': READERS,
  'GET /journal/{id}/attachments': READERS,
  'GET /journal/{id}/attachments/parts/{ref}': READERS,
  'GET /journal/{id}/attachments/documents/{n}': READERS,
  'GET /journal/{id}/attachments/documents/{n}/file': READERS,
  'GET /exchanges/{exchangeId}': READERS,
  'GET /chains/{chainId}': READERS,
  'GET /stats': READERS,
  // the registry, the systems, the queue: operators
  'GET /services': OPERATOR,
  'GET /services/{sid}': OPERATOR,
  'GET /services/{sid}/passport': PASSPORT_READERS,
  'GET /services/{sid}/passport.html': PASSPORT_READERS,
  'GET /services/{sid}/passport.pdf': PASSPORT_READERS,
  'POST /services/reload': OPERATOR,
  'GET /services/reload-status': READERS,
  'GET /systems': OPERATOR,
  'GET /availability': OPERATOR,
  'GET /queue': OPERATOR,
  'GET /queue/{id}': OPERATOR,
  'POST /queue/{id}/redrive': OPERATOR,
  // fault injection: read by auditors, switched by operators
  'GET /faults': READERS,
  'GET /services/{sid}/faults': READERS,
  'PUT /services/{sid}/faults': OPERATOR,
  'DELETE /services/{sid}/faults': OPERATOR,
  // the emulator: read by auditors, changed and tried by operators
  'GET /emulator': READERS,
  'POST /emulator': OPERATOR,
  'GET /emulator/{sid}': READERS,
  'DELETE /emulator/{sid}': OPERATOR,
  'GET /emulator/{sid}/cases/{name}': READERS,
  'PUT /emulator/{sid}/cases/{name}': OPERATOR,
  'DELETE /emulator/{sid}/cases/{name}': OPERATOR,
  'PUT /emulator/{sid}/dispatch': OPERATOR,
  'POST /emulator/{sid}/try': OPERATOR,
  'POST /emulator/reset': OPERATOR,
  'POST /emulator/{sid}/reset': OPERATOR,
  'POST /emulator/{sid}/scenarios/{name}/reset': OPERATOR,
  'GET /emulator/{sid}/state': READERS,
  'GET /emulator/{sid}/misses': READERS,
  // the composer: operators as any system with a key, requesters as their department's systems
  'GET /compose/services': COMPOSERS,
  'GET /compose/identities': COMPOSERS,
  'GET /compose/{sid}/{operation}': COMPOSERS,
  'POST /compose/send': COMPOSERS,
  // composed requests: a requester their own, an operator everyone's
  'GET /requests': COMPOSERS,
  'GET /requests/{id}': COMPOSERS,
  'GET /requests/{id}/answer': COMPOSERS,
  // the inbox: a clerk their department's requests (and their attachments), an operator every one
  'GET /inbox': INBOX_READERS,
  'GET /inbox/{ticket}': INBOX_READERS,
  'POST /inbox/{ticket}/assign': INBOX_WRITERS,
  'POST /inbox/{ticket}/answer': INBOX_WRITERS,
  'GET /inbox/{ticket}/journal/{id}/attachments': INBOX_READERS,
  'GET /inbox/{ticket}/journal/{id}/attachments/parts/{ref}': INBOX_READERS,
  'GET /inbox/{ticket}/journal/{id}/attachments/documents/{n}': INBOX_READERS,
  'GET /inbox/{ticket}/journal/{id}/attachments/documents/{n}/file': INBOX_READERS,
};

/** A console page: its path under /console, the view script that draws it, who may open it. */
export interface PagePermission {
  path: RegExp;
  view: string;
  roles: readonly Role[];
}

export const CONSOLE_PAGES: PagePermission[] = [
  { path: /^\/journal$/, view: 'journal', roles: READERS },
  { path: /^\/exchange\/[^/]+$/, view: 'message', roles: READERS },
  { path: /^\/entry\/\d+$/, view: 'message', roles: READERS },
  { path: /^\/chain\/[^/]+$/, view: 'chain', roles: READERS },
  { path: /^\/stats$/, view: 'stats', roles: READERS },
  { path: /^\/emulator$/, view: 'emulator', roles: READERS },
  { path: /^\/emulator\/[^/]+$/, view: 'emulator', roles: READERS },
  { path: /^\/registry$/, view: 'registry', roles: OPERATOR },
  { path: /^\/registry\/[^/]+$/, view: 'registry', roles: OPERATOR },
  { path: /^\/systems$/, view: 'systems', roles: OPERATOR },
  { path: /^\/queue$/, view: 'queue', roles: OPERATOR },
  { path: /^\/passport\/[^/]+$/, view: 'passport', roles: PASSPORT_READERS },
  { path: /^\/compose$/, view: 'compose', roles: COMPOSERS },
  { path: /^\/requests$/, view: 'requests', roles: COMPOSERS },
  { path: /^\/requests\/[^/]+$/, view: 'requests', roles: COMPOSERS },
  { path: /^\/inbox$/, view: 'inbox', roles: INBOX_READERS },
  { path: /^\/inbox\/[^/]+$/, view: 'inbox', roles: INBOX_READERS },
];

/** View scripts no page is named after (parts of other views): who may load them. */
const VIEW_PARTS: Record<string, readonly Role[]> = { 'faults-panel': READERS };

/** Where each role lands at /console/. */
export const HOME: Record<Role, string> = { operator: '/console/journal', auditor: '/console/journal', clerk: '/console/inbox', requester: '/console/requests' };

/** The console page a path (under /console, without a trailing slash) is, if any. */
export function pageOf(path: string): PagePermission | undefined {
  return CONSOLE_PAGES.find((p) => p.path.test(path));
}

/** Who may load a view script (/console/assets/views/<name>.js): whoever may open a page it draws. */
export function viewRoles(name: string): readonly Role[] {
  const pages = CONSOLE_PAGES.filter((p) => p.view === name);
  if (pages.length) return [...new Set(pages.flatMap((p) => p.roles))];
  return VIEW_PARTS[name] ?? OPERATOR;
}

/** The views a role may open (the console's navigation and its own check, through /admin/me). */
export function viewsOf(role: Role): string[] {
  return [...new Set(CONSOLE_PAGES.filter((p) => p.roles.includes(role)).map((p) => p.view))];
}

/** `GET /journal/:id` (an Express route) as the table writes it: `GET /journal/{id}`. */
export function routeKey(method: string, expressPath: string): string {
  return `${method === 'HEAD' ? 'GET' : method.toUpperCase()} ${expressPath.replace(/:(\w+)/g, '{$1}')}`;
}

/** The roles of a route in the table; throws for one it does not name (a route added without its permission). */
export function rolesOf(key: string): Permission {
  const p = API_PERMISSIONS[key];
  if (!p) throw new Error(`no permission is written for ${key}: add it to src/admin/permissions.ts`);
  return p;
}

/**
 * The admin API's one role check: a route-level middleware that looks its own route up in the
 * table (`req.route`), 401 without a login, 403 for a role the table does not name there. A route
 * the table lacks is refused to everyone, said so in the answer and the log.
 */
export function gate(auth: Auth): RequestHandler {
  const checks = new Map<string, RequestHandler>();
  for (const [key, p] of Object.entries(API_PERMISSIONS)) if (p !== 'public') checks.set(key, requireRole(auth, [...p]));
  return (req: Request, res: Response, next: NextFunction) => {
    const path = (req.route as { path?: unknown } | undefined)?.path;
    const key = typeof path === 'string' ? routeKey(req.method, path) : `${req.method} ${req.path}`;
    const check = checks.get(key);
    if (!check) return void res.status(403).json({ error: `no permission is written for ${key}: nobody may call it until src/admin/permissions.ts names its roles` });
    (check(req, res, next) as unknown as Promise<void>).catch(next);
  };
}
