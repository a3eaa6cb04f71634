// @ts-check
import { h, replace, errorBox } from './lib/dom.js';
import { get, post } from './lib/api.js';

/**
 * The console's shell: who is logged in, the navigation their role may use, and the views, one
 * per path under /console (the server serves this shell for each, so every view has its own URL
 * and reloads where it was). A view the role may not open (GET /admin/me's `views`, from the
 * permission table, src/admin/permissions.ts) is neither offered nor loaded.
 */

/** @typedef {{ user: string, role: 'operator' | 'auditor' | 'clerk' | 'requester', department: { id: string, name: string, systems: string[] } | null, views: string[] }} Me */
/**
 * `loaded()`: the view has drawn data it fetched after its first render (a next page, a form it
 * loaded): main[data-loaded] changes again (see render).
 * @typedef {{ main: HTMLElement, params: string[], query: URLSearchParams, me: Me, navigate: (url: string, replace?: boolean) => void, alive: () => boolean, loaded: () => void }} Ctx
 */

const NAV = [
  { href: '/console/journal', label: 'Journal', match: /^\/console\/(journal|exchange|entry|chain)/, view: 'journal' },
  { href: '/console/stats', label: 'Statistics', match: /^\/console\/stats/, view: 'stats' },
  { href: '/console/registry', label: 'Registry', match: /^\/console\/registry/, view: 'registry' },
  { href: '/console/systems', label: 'Systems', match: /^\/console\/systems/, view: 'systems' },
  { href: '/console/queue', label: 'Dead letters', match: /^\/console\/queue/, view: 'queue' },
  { href: '/console/compose', label: 'Composer', match: /^\/console\/compose/, view: 'compose' },
  { href: '/console/requests', label: 'My requests', match: /^\/console\/requests/, view: 'requests' },
  { href: '/console/emulator', label: 'Emulator', match: /^\/console\/emulator/, view: 'emulator' },
  { href: '/console/inbox', label: 'Inbox', match: /^\/console\/inbox/, view: 'inbox' },
];

const ROUTES = [
  { re: /^\/console\/journal\/?$/, view: 'journal', title: 'Journal' },
  { re: /^\/console\/exchange\/([^/]+)\/?$/, view: 'message', title: 'Exchange' },
  { re: /^\/console\/entry\/(\d+)\/?$/, view: 'message', title: 'Journal entry' },
  { re: /^\/console\/chain\/([^/]+)\/?$/, view: 'chain', title: 'Chain' },
  { re: /^\/console\/stats\/?$/, view: 'stats', title: 'Statistics' },
  { re: /^\/console\/registry\/?$/, view: 'registry', title: 'Registry' },
  { re: /^\/console\/registry\/([^/]+)\/?$/, view: 'registry', title: 'Service' },
  { re: /^\/console\/systems\/?$/, view: 'systems', title: 'Systems' },
  { re: /^\/console\/queue\/?$/, view: 'queue', title: 'Dead letters' },
  { re: /^\/console\/passport\/([^/]+)\/?$/, view: 'passport', title: 'Passport' },
  { re: /^\/console\/compose\/?$/, view: 'compose', title: 'Composer' },
  { re: /^\/console\/requests\/?$/, view: 'requests', title: 'My requests' },
  { re: /^\/console\/requests\/([^/]+)\/?$/, view: 'requests', title: 'Request' },
  { re: /^\/console\/emulator\/?$/, view: 'emulator', title: 'Emulator' },
  { re: /^\/console\/emulator\/([^/]+)\/?$/, view: 'emulator', title: 'Emulator' },
  { re: /^\/console\/inbox\/?$/, view: 'inbox', title: 'Inbox' },
  { re: /^\/console\/inbox\/([^/]+)\/?$/, view: 'inbox', title: 'Inbox' },
];

/** @type {Me} */
let me;
let generation = 0;
/** how many times a view has said it finished loading, in this page */
let loads = 0;

/**
 * The view's "loaded" signal: main[data-loaded="<view>#<n>"], set when the view has rendered its
 * data (or its error), with n new each time; removed while a view loads. Tests (and anything else
 * that must know the page is ready) wait for it rather than for the absence of aria-busy, which
 * also holds before the view has started loading.
 * @param {HTMLElement} main @param {string} view
 */
function markLoaded(main, view) {
  main.dataset.loaded = `${view}#${++loads}`;
}

function drawChrome() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  replace(nav, NAV.filter((n) => me.views.includes(n.view)).map((n) => h('a', { href: n.href, dataset: { nav: n.label } }, n.label)));
  document.querySelector('.brand')?.setAttribute('href', me.views.includes('journal') ? '/console/journal' : `/console/${me.views[0] ?? 'journal'}`);
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  replace(who,
    h('span', { class: 'user', title: `logged in as ${me.user}` }, me.user),
    h('span', { class: `role role-${me.role}` }, me.role),
    h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, 'Log out'));
}

async function logout() {
  try {
    await post('/logout');
  } finally {
    location.assign('/console/login');
  }
}

function markNav() {
  for (const a of document.querySelectorAll('#nav a')) {
    const n = NAV.find((x) => x.href === a.getAttribute('href'));
    a.classList.toggle('active', !!n && n.match.test(location.pathname));
  }
}

/** @param {string} url @param {boolean} [replaceState] */
export function navigate(url, replaceState = false) {
  if (replaceState) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

async function render() {
  const gen = ++generation;
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  const path = location.pathname;
  markNav();
  const route = ROUTES.find((r) => r.re.test(path));
  if (!route) {
    replace(main, errorBox('no such page'));
    return void markLoaded(main, 'not-found');
  }
  if (!me.views.includes(route.view)) {
    document.title = 'Not allowed · smev2-gateway';
    replace(main, h('div', { class: 'error-box', id: 'forbidden' }, `This page is not for a ${me.role}.`));
    return void markLoaded(main, 'forbidden');
  }
  document.title = `${route.title} · smev2-gateway`;
  const params = /** @type {RegExpExecArray} */ (route.re.exec(path)).slice(1).map(decodeURIComponent);
  main.dataset.view = route.view;
  main.setAttribute('aria-busy', 'true');
  delete main.dataset.loaded;
  try {
    const mod = await import(`./views/${route.view}.js`);
    if (gen !== generation) return;
    replace(main);
    /** @type {Ctx} */
    const ctx = { main, params, query: new URLSearchParams(location.search), me, navigate, alive: () => gen === generation, loaded: () => { if (gen === generation && !main.hasAttribute('aria-busy')) markLoaded(main, route.view); } };
    await mod.render(ctx);
  } catch (e) {
    if (gen === generation) replace(main, errorBox(e));
  } finally {
    if (gen === generation) {
      main.removeAttribute('aria-busy');
      markLoaded(main, route.view);
    }
  }
}

/** Links to our own pages change the view without reloading the page. */
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = /** @type {Element} */ (ev.target).closest?.('a');
  if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/console/') || href.startsWith('/console/login')) return;
  ev.preventDefault();
  if (href !== location.pathname + location.search) navigate(href);
});
window.addEventListener('popstate', () => void render());

(async () => {
  try {
    me = await get('/me');
  } catch (e) {
    const main = document.getElementById('main');
    if (main) {
      replace(main, errorBox(e));
      markLoaded(main, 'error');
    }
    return;
  }
  if (location.pathname === '/console' || location.pathname === '/console/') history.replaceState(null, '', `/console/${me.views.includes('journal') ? 'journal' : me.views[0] ?? 'journal'}`);
  drawChrome();
  await render();
})();
