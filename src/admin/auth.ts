import { createHash, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { NextFunction, Request, Response } from 'express';
import type { SessionStore } from './sessions';
import { clientAddress } from '../http/proxy';

/**
 * Who may use /admin and the console. Four roles: `operator` (everything: the journal, the
 * registry, reloads, re-drives, the composer), `auditor` (reads the journal and its statistics,
 * nothing else), `clerk` (answers the incoming requests of their department's manual providers,
 * docs/cabinet.md) and `requester` (sends requests as their department's systems and reads the
 * answers). Users, their scrypt password hashes and the departments live in a YAML file
 * (`admin-users.yaml`); `smev2-gateway admin hash-password` makes a hash. No file, or no users
 * in it: nothing under /admin answers but 401.
 */
export type Role = 'operator' | 'auditor' | 'clerk' | 'requester';
export const ROLES: Role[] = ['operator', 'auditor', 'clerk', 'requester'];
/** Roles that act for a department: a user of one of them must name it. */
export const DEPARTMENT_ROLES: Role[] = ['clerk', 'requester'];

export interface AdminUser {
  name: string;
  role: Role;
  /** scrypt$N$r$p$salt$hash, salt and hash in base64 */
  password: string;
  /** the department a clerk or requester works for (an id from `departments`) */
  department?: string;
  /** where mail for this user goes (docs/cabinet.md, "E-mail") */
  email?: string;
}

/**
 * A department: who answers a manual provider's requests (`adapter: {type: manual, department}`)
 * and on whose behalf requesters send. `systems` are the mnemonics (systems registry) its
 * requesters may sign as; `email` is the department's shared mailbox, written to beside its
 * users' own addresses.
 */
export interface Department {
  id: string;
  name: string;
  email?: string;
  systems: string[];
}

export interface UsersFile {
  users: Map<string, AdminUser>;
  departments: Map<string, Department>;
}

export class UsersFileError extends Error {}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scrypt(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, { ...o, maxmem: 64 * 1024 * 1024 }, (e, k) => (e ? reject(e) : resolve(k))));
}

/** A password's hash for admin-users.yaml. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const HASH = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Does the password match the stored hash? (constant time in the comparison) */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = HASH.exec(stored);
  if (!m) return false;
  const want = Buffer.from(m[5]!, 'base64');
  const got = await scrypt(password, Buffer.from(m[4]!, 'base64'), want.length, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Read the users file; a missing file is no users. Errors name the file and the entry. */
export function loadUsers(file: string): Map<string, AdminUser> {
  return loadUsersFile(file).users;
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

/** The users file whole: its users and its departments. Errors name the file and the entry. */
export function loadUsersFile(file: string): UsersFile {
  const users = new Map<string, AdminUser>();
  const departments = new Map<string, Department>();
  if (!existsSync(file)) return { users, departments };
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsersFileError(`${file}: not YAML: ${(e as Error).message}`);
  }
  const deps = (doc as { departments?: unknown } | null)?.departments ?? [];
  if (!Array.isArray(deps)) throw new UsersFileError(`${file}: "departments" must be a list of {id, name, email, systems}`);
  deps.forEach((d: Partial<Department>, i) => {
    const where = `${file}: departments[${i}]`;
    if (!d || typeof d.id !== 'string' || !/^[\w.-]{1,64}$/.test(d.id)) throw new UsersFileError(`${where}: id must be 1-64 letters, digits or . _ -`);
    if (typeof d.name !== 'string' || !d.name.trim()) throw new UsersFileError(`${where} (${d.id}): name must be the department's name`);
    if (d.email !== undefined && (typeof d.email !== 'string' || !EMAIL.test(d.email))) throw new UsersFileError(`${where} (${d.id}): email ${JSON.stringify(d.email)} is not an address`);
    if (d.systems !== undefined && (!Array.isArray(d.systems) || d.systems.some((m) => typeof m !== 'string' || !m))) throw new UsersFileError(`${where} (${d.id}): systems must be a list of system mnemonics`);
    if (departments.has(d.id)) throw new UsersFileError(`${where}: ${d.id} is listed twice`);
    departments.set(d.id, { id: d.id, name: d.name.trim(), ...(d.email ? { email: d.email } : {}), systems: (d.systems as string[] | undefined) ?? [] });
  });
  const list = (doc as { users?: unknown } | null)?.users ?? [];
  if (!Array.isArray(list)) throw new UsersFileError(`${file}: "users" must be a list of {name, role, password}`);
  list.forEach((u: Partial<AdminUser>, i) => {
    const where = `${file}: users[${i}]`;
    if (!u || typeof u.name !== 'string' || !/^[\w.@-]{1,64}$/.test(u.name)) throw new UsersFileError(`${where}: name must be 1-64 letters, digits or . _ @ -`);
    if (!ROLES.includes(u.role as Role)) throw new UsersFileError(`${where} (${u.name}): role must be one of ${ROLES.join(', ')}`);
    if (typeof u.password !== 'string' || !HASH.test(u.password)) {
      throw new UsersFileError(`${where} (${u.name}): password must be a hash from "smev2-gateway admin hash-password", never the password itself`);
    }
    if (u.email !== undefined && (typeof u.email !== 'string' || !EMAIL.test(u.email))) throw new UsersFileError(`${where} (${u.name}): email ${JSON.stringify(u.email)} is not an address`);
    if (DEPARTMENT_ROLES.includes(u.role as Role)) {
      if (typeof u.department !== 'string' || !departments.has(u.department)) {
        throw new UsersFileError(`${where} (${u.name}): a ${u.role} must name their department, one of: ${[...departments.keys()].join(', ') || '(none: add "departments" to the file)'}`);
      }
    } else if (u.department !== undefined) {
      throw new UsersFileError(`${where} (${u.name}): only a ${DEPARTMENT_ROLES.join(' or ')} has a department`);
    }
    if (users.has(u.name)) throw new UsersFileError(`${where}: ${u.name} is listed twice`);
    users.set(u.name, { name: u.name, role: u.role as Role, password: u.password, ...(u.department ? { department: u.department } : {}), ...(u.email ? { email: u.email } : {}) });
  });
  return { users, departments };
}

/**
 * The key that signs session cookies: SMEV2_SESSION_SECRET, or a random one kept in a file beside
 * the node's keys (so the workers of one machine share it, and sessions survive a restart).
 */
export function sessionSecret(file: string, fromEnv?: string): Buffer {
  if (fromEnv) return createHash('sha256').update(fromEnv).digest();
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

export interface Principal {
  user: string;
  role: Role;
  /** a clerk's or requester's department */
  department?: string;
  /** how this request proved it: a session cookie (the console) or Basic credentials (scripts) */
  via: 'session' | 'basic';
}

export const SESSION_COOKIE = 'smev2_session';

/**
 * Authentication for /admin and the console: session cookies signed with HMAC-SHA256 and HTTP
 * Basic for scripts. A session names a random id, its user, role, expiry and a fingerprint of the
 * user's password hash and role; it is honoured only while the store has its row (sessions.ts),
 * so a logout ends it on every worker and instance, and a reload of the users file that changes a
 * user's password or role (or removes the user) deletes that user's rows, wherever they began.
 * Failed logins are counted per client address and user name: after 10 in 10 minutes that
 * user is refused from that address (429) for the rest of the 10 minutes, whatever the password.
 */
export class Auth {
  private users: Map<string, AdminUser>;
  private depts: Map<string, Department>;
  private readonly basicOk = new Map<string, number>();
  private readonly failures = new Map<string, { n: number; since: number }>();

  constructor(private readonly o: { usersFile: string; secret: Buffer; sessionMs: number; clock?: () => number; sessions?: SessionStore }) {
    ({ users: this.users, departments: this.depts } = loadUsersFile(o.usersFile));
  }

  /** The departments of the users file in force. */
  departments(): Department[] {
    return [...this.depts.values()];
  }

  department(id: string): Department | undefined {
    return this.depts.get(id);
  }

  /** The users (without their hashes) of a role, of one department if given: whom to write to. */
  usersOf(role: Role, department?: string): Omit<AdminUser, 'password'>[] {
    return [...this.users.values()].filter((u) => u.role === role && (department === undefined || u.department === department)).map(({ password: _p, ...u }) => u);
  }

  /**
   * End, in the store, the sessions of users whose password or role is not what the users file in
   * force says, or who are gone from it (at start and after every reload: every instance then
   * refuses their cookies). Returns how many ended.
   */
  async endChangedSessions(): Promise<number> {
    if (!this.o.sessions) return 0;
    return this.o.sessions.endChanged(new Map([...this.users.values()].map((u) => [u.name, fingerprint(u)])));
  }

  private now(): number {
    return this.o.clock?.() ?? Date.now();
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Read the users file again (with the registry's reload). */
  reload(): void {
    ({ users: this.users, departments: this.depts } = loadUsersFile(this.o.usersFile));
    this.basicOk.clear();
  }

  /** Users whose password is still the demo's (`<role>-demo`): the gateway warns about them at start. */
  async demoPasswordUsers(): Promise<string[]> {
    const out: string[] = [];
    for (const u of this.users.values()) if (await verifyPassword(`${u.role}-demo`, u.password)) out.push(u.name);
    return out;
  }

  async login(name: string, password: string): Promise<AdminUser | undefined> {
    const u = this.users.get(name);
    // a user who does not exist costs the same scrypt as one who does
    const ok = await verifyPassword(password, u?.password ?? DUMMY_HASH);
    return u && ok ? u : undefined;
  }

  async issue(u: AdminUser): Promise<{ token: string; expires: Date }> {
    const exp = this.now() + this.o.sessionMs;
    const id = randomBytes(24).toString('base64url');
    await this.o.sessions?.add(id, u.name, fingerprint(u), exp);
    const body = Buffer.from(JSON.stringify({ i: id, u: u.name, r: u.role, f: fingerprint(u), exp })).toString('base64url');
    return { token: `${body}.${this.mac(body)}`, expires: new Date(exp) };
  }

  /** Logout: the session ends in the store (a genuine token only; anything else is ignored). */
  async logout(token: string): Promise<void> {
    const s = this.decode(token);
    if (s?.i && this.o.sessions) await this.o.sessions.end(s.i);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.o.secret).update(body).digest('base64url');
  }

  /** The token's content, if its MAC is ours. */
  private decode(token: string): { i?: string; u: string; r: Role; f: string; exp: number } | undefined {
    const [body, mac] = token.split('.');
    if (!body || !mac) return undefined;
    const want = Buffer.from(this.mac(body));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  /** The session's user, if the token is genuine, current, its user unchanged, and the store still has the session. */
  async session(token: string): Promise<Principal | undefined> {
    const s = this.decode(token);
    if (!s) return undefined;
    const u = this.users.get(s.u);
    if (!u || u.role !== s.r || fingerprint(u) !== s.f || !(s.exp > this.now())) return undefined;
    if (this.o.sessions && (typeof s.i !== 'string' || !(await this.o.sessions.live(s.i, u.name, s.f)))) return undefined;
    return principalOf(u, 'session');
  }

  /** Basic credentials: scrypt once, then remembered for five minutes (by a hash of the header). */
  async basic(header: string, addr = '-'): Promise<Principal | 'locked' | undefined> {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const name = decoded.slice(0, colon);
    if (this.lockedOut(addr, name)) return 'locked';
    const key = createHash('sha256').update(header).digest('hex');
    const until = this.basicOk.get(key);
    const u = this.users.get(name);
    if (u && until && until > this.now()) return principalOf(u, 'basic');
    const ok = await this.login(name, decoded.slice(colon + 1));
    if (!ok) {
      this.failed(addr, name);
      return undefined;
    }
    this.succeeded(addr, name);
    if (this.basicOk.size > 1000) this.basicOk.clear();
    this.basicOk.set(key, this.now() + 5 * 60_000);
    return principalOf(ok, 'basic');
  }

  /** Is this user locked out from this address by failed logins? */
  lockedOut(addr: string, user: string): boolean {
    const key = `${addr}\n${user}`;
    const f = this.failures.get(key);
    if (!f) return false;
    if (this.now() - f.since > 10 * 60_000) {
      this.failures.delete(key);
      return false;
    }
    return f.n >= 10;
  }

  failed(addr: string, user: string): void {
    const key = `${addr}\n${user}`;
    const f = this.failures.get(key);
    if (!f || this.now() - f.since > 10 * 60_000) this.failures.set(key, { n: 1, since: this.now() });
    else f.n++;
    if (this.failures.size > 10_000) this.failures.clear();
  }

  succeeded(addr: string, user: string): void {
    this.failures.delete(`${addr}\n${user}`);
  }

  /** Who sent this request, if anyone. */
  async principal(req: Request): Promise<Principal | 'locked' | undefined> {
    const h = req.headers.authorization;
    if (h && /^basic /i.test(h)) return this.basic(h, clientAddress(req));
    const token = cookie(req.headers.cookie, SESSION_COOKIE);
    return token ? this.session(token) : undefined;
  }
}

const DUMMY_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function principalOf(u: AdminUser, via: Principal['via']): Principal {
  return { user: u.name, role: u.role, ...(u.department ? { department: u.department } : {}), via };
}

/** What a session stands on: the user's role, department and password hash (a change to any ends it). */
function fingerprint(u: AdminUser): string {
  return createHash('sha256').update(u.department ? `${u.role}\n${u.department}\n${u.password}` : `${u.role}\n${u.password}`).digest('base64url').slice(0, 16);
}

export function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Middleware: 401 without credentials, 403 for a role not allowed here. Requests that change
 * something and come with a session cookie must also say `X-Requested-With` (a browser sends that
 * only from our own pages: defence in depth beside SameSite=Strict).
 */
export function requireRole(auth: Auth, allowed: Role[]) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const p = await auth.principal(req);
    if (p === 'locked') return void res.status(429).json({ error: 'too many failed logins for this user from this address: wait 10 minutes' });
    if (!p) {
      res.setHeader('www-authenticate', 'Basic realm="smev2-gateway admin", charset="UTF-8"');
      return void res.status(401).json({ error: auth.userCount ? 'log in: POST /admin/login, or HTTP Basic' : 'no admin users are configured: add them to the users file (SMEV2_ADMIN_USERS), see README' });
    }
    if (!allowed.includes(p.role)) return void res.status(403).json({ error: `${p.user} is ${p.role}; this needs ${allowed.join(' or ')}` });
    if (p.via === 'session' && !['GET', 'HEAD'].includes(req.method) && !req.headers['x-requested-with']) {
      return void res.status(403).json({ error: 'a change made with a session cookie must send X-Requested-With' });
    }
    req.principal = p;
    next();
  };
}
