// @ts-check
/** The login page: POST /admin/login sets the session cookie, then back to where the user was going. */

const form = /** @type {HTMLFormElement} */ (document.getElementById('login'));
const error = /** @type {HTMLElement} */ (document.getElementById('login-error'));

/** Only a page of the console itself: never another site (an open redirect). */
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  return /^\/console\/(?!login)[^\\]*$/.test(next) && !next.startsWith('//') ? next : '/console/';
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
  button.disabled = true;
  const data = new FormData(form);
  try {
    const res = await fetch('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'smev2-console' },
      body: JSON.stringify({ user: String(data.get('user') ?? ''), password: String(data.get('password') ?? '') }),
      credentials: 'same-origin',
    });
    if (res.ok) return void location.assign(nextPage());
    const body = await res.json().catch(() => ({}));
    error.textContent = res.status === 401 ? 'Wrong user or password.' : (body.error ?? `The gateway answered ${res.status}.`);
  } catch (e) {
    error.textContent = `The gateway did not answer: ${e instanceof Error ? e.message : e}`;
  }
  error.hidden = false;
  button.disabled = false;
  /** @type {HTMLInputElement} */ (document.getElementById('password')).select();
});
