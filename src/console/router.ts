import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Auth, Principal } from '../admin/auth';

/**
 * The static files: src/console/public, found from src/console (ts-jest) and from dist/console
 * (the built gateway; tsc does not copy them, so dist reads the source folder).
 */
export function consolePublicDir(): string {
  const candidates = [join(__dirname, 'public'), join(__dirname, '..', '..', 'src', 'console', 'public')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`the web console's files are not in ${candidates.join(' or ')}`);
  return found;
}

/**
 * Pages and scripts only an operator gets: the registry, the systems, the delivery queue and the
 * request composer. An auditor is refused them here as the admin API refuses their data.
 */
const OPERATOR_PAGES = /^\/(registry|systems|queue|compose)(\/|$)/;
const OPERATOR_ASSETS = /^\/assets\/views\/(registry|systems|queue|compose)\.js$/;
/**
 * A clerk (docs/cabinet.md) gets the inbox of their department and what its page needs: the
 * shell's script, the shared libraries and the inbox's view; nothing of the journal or the rest.
 */
const CLERK_PAGES = /^\/(inbox|inbox\/[^/]+)\/?$/;
const CLERK_ASSETS = /^\/assets\/(app\.js|console\.css|favicon\.svg|lib\/[\w-]+\.js|views\/inbox\.js)$/;
/** The console's pages: each is the same shell, whose script draws the view the path names. */
const PAGES = /^\/(journal|stats|exchange\/[^/]+|entry\/\d+|chain\/[^/]+|registry|registry\/[^/]+|systems|queue|compose|emulator|emulator\/[^/]+|inbox|inbox\/[^/]+)\/?$/;
/** What the login page needs before anyone has logged in. */
const PUBLIC_ASSETS = new Set(['/assets/login.js', '/assets/console.css', '/assets/favicon.svg']);

/**
 * No inline script or style, nothing from another origin, no framing, no plugins. Journal text
 * is attacker-controlled XML: the scripts only ever insert it as text, and this header is the
 * second line of defence.
 */
export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

function secure(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cache-control', 'no-cache');
  next();
}

/**
 * The web console under /console (README, "Web console"): a shell page and plain ES modules that
 * draw every view from the admin API (/admin). The login page and what it needs are public;
 * everything else needs a session (or Basic credentials), else 302 to the login page.
 */
export function consoleRouter(auth: Auth): Router {
  const dir = consolePublicDir();
  const r = express.Router({ strict: false });
  const assets = express.static(join(dir, 'assets'), { index: false, etag: true, lastModified: true, dotfiles: 'deny', redirect: false });
  const page = (name: string) => (_req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    res.sendFile(join(dir, name));
  };

  r.use(secure);
  r.get('/login', page('login.html'));
  r.get([...PUBLIC_ASSETS], (req, res) => { res.sendFile(join(dir, req.path)); });

  r.use(async (req, res, next) => {
    let p: Principal | 'locked' | undefined;
    try {
      p = await auth.principal(req);
    } catch (e) {
      return next(e);
    }
    if (p === 'locked') return void res.status(429).type('text/plain').send('too many failed logins for this user from this address: wait 10 minutes\n');
    if (!p) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.status(401).type('text/plain').send('log in first\n');
      const back = req.originalUrl.startsWith('/console/') && !req.path.startsWith('/assets/') ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
      return void res.redirect(302, `/console/login${back}`);
    }
    // judged on the path as the file server will resolve it: decoded, with // . and .. folded
    let path: string;
    try {
      path = posix.normalize(decodeURIComponent(req.path));
    } catch {
      return void res.status(400).type('text/plain').send('a malformed path\n');
    }
    if (p.role === 'clerk' && path !== '/' && !CLERK_PAGES.test(path) && !CLERK_ASSETS.test(path)) {
      res.status(403);
      if (path.startsWith('/assets/')) return void res.type('text/plain').send('not for clerks\n');
      return page('forbidden.html')(req, res);
    }
    if (p.role !== 'operator' && (OPERATOR_PAGES.test(path) || OPERATOR_ASSETS.test(path))) {
      res.status(403);
      if (path.startsWith('/assets/')) return void res.type('text/plain').send('operators only\n');
      return page('forbidden.html')(req, res);
    }
    req.principal = p;
    next();
  });

  r.get('/', (req, res) => { res.redirect(302, req.principal?.role === 'clerk' ? '/console/inbox' : '/console/journal'); });
  r.use('/assets', assets);
  r.get(PAGES, page('index.html'));
  r.use((_req, res) => {
    res.status(404);
    page('not-found.html')(_req, res);
  });
  return r;
}
