// Strategy: what every page shares. `startPage` checks the session (to the login page when
// there is none), checks the role, and fills the top bar: pages for this role, who is logged
// in, the logout button. `flash` shows a message in the page's live region.

import { ApiError, logout, me } from './api.js';
import { el, fill } from './dom.js';

const PAGES = [
  { path: '/agent', title: 'Agent desktop', roles: ['agent'] },
  { path: '/worklist', title: 'Worklist', roles: ['agent', 'supervisor', 'admin'] },
  { path: '/voicemail', title: 'Voicemail', roles: ['agent', 'supervisor', 'admin'] },
  { path: '/wallboard', title: 'Wallboard', roles: ['supervisor', 'admin'] },
  { path: '/reports', title: 'Reports', roles: ['supervisor', 'admin'] },
  { path: '/whatif', title: 'What-if', roles: ['supervisor', 'admin'] },
  { path: '/config', title: 'Configuration', roles: ['supervisor', 'admin'] },
  { path: '/flows', title: 'IVR flows', roles: ['supervisor', 'admin'] },
  { path: '/center', title: 'Center settings', roles: ['admin'] },
  { path: '/admin', title: 'Admin', roles: ['admin'] },
];

/** The page a role lands on after logging in. */
export function homeFor(role) {
  return { agent: '/agent', supervisor: '/wallboard', admin: '/admin' }[role] || '/';
}

/** Resolve to the user when logged in with one of `roles`; otherwise leave the page. */
export async function startPage(roles) {
  let user;
  try {
    user = await me();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      window.location.replace(`/?next=${encodeURIComponent(window.location.pathname)}`);
    } else {
      flash(err.message, 'error');
    }
    throw err;
  }
  fillTopbar(user);
  if (!roles.includes(user.role)) {
    const main = document.querySelector('main');
    fill(
      main,
      el(
        'div',
        { class: 'panel' },
        el('p', { text: `This page is not available to the role "${user.role}".` }),
        el('a', { href: homeFor(user.role), text: 'Go to your page' }),
      ),
    );
    throw new Error('wrong role');
  }
  return user;
}

function fillTopbar(user) {
  const nav = document.getElementById('nav');
  if (nav) {
    const links = PAGES.filter((page) => page.roles.includes(user.role)).map((page) =>
      el('a', {
        href: page.path,
        text: page.title,
        'aria-current': window.location.pathname === page.path ? 'page' : null,
      }),
    );
    fill(nav, links);
  }
  const who = document.getElementById('who');
  if (who) who.textContent = `${user.display_name || user.username} (${user.role})`;
  const button = document.getElementById('logout');
  if (button) button.addEventListener('click', () => logout());
}

/**
 * Show a message in the page's #flash live region. "ok" and "info" go after 5 s; "error"
 * and "warn" stay until dismissed (their × button), replaced, or cleared by `clearFlash`:
 * the next action that succeeds and, on the desktop, the next call clear them, so an old
 * complaint never sits over a new call.
 */
export function flash(text, kind = 'info') {
  const box = document.getElementById('flash');
  if (!box) return;
  const lasting = kind === 'error' || kind === 'warn';
  const message = el('div', { class: `message ${kind}`, role: lasting ? 'alert' : null },
    el('span', { text }));
  if (lasting) {
    message.append(el('button', {
      type: 'button', class: 'dismiss', 'aria-label': 'Dismiss this message', text: '×',
      onclick: () => message.remove(),
    }));
  }
  fill(box, message);
  if (!lasting) window.setTimeout(() => message.remove(), 5000);
}

/** Remove the messages of #flash (all of them, or only those of `kinds`). */
export function clearFlash(kinds = null) {
  const box = document.getElementById('flash');
  if (!box) return;
  for (const message of [...box.querySelectorAll('.message')]) {
    if (kinds === null || kinds.some((kind) => message.classList.contains(kind))) message.remove();
  }
}

/** Show the state of a live socket in the top bar's #connection badge. */
export function showConnection(status, text) {
  if (status === 'signed_out') {
    showSignedOut(text);
    return;
  }
  if (status === 'not_an_agent') {
    showNotAnAgent(text);
    return;
  }
  const badge = document.getElementById('connection');
  if (!badge) return;
  badge.className = `conn ${status === 'live' ? 'live' : status === 'connecting' ? '' : 'down'}`;
  badge.textContent = text;
}

/**
 * The session ended while the page was open: hide the page (no more customer data on
 * screen) and say why, with the way back in. Nothing reconnects.
 */
export function showSignedOut(reason) {
  const badge = document.getElementById('connection');
  if (badge) {
    badge.className = 'conn down';
    badge.textContent = 'Signed out';
  }
  const main = document.querySelector('main');
  if (main) main.hidden = true;
  let notice = document.getElementById('signed-out');
  if (!notice) {
    notice = el('section', { id: 'signed-out', class: 'panel', role: 'alert' });
    if (main) main.before(notice);
    else document.body.append(notice);
  }
  const why = reason.replace(/^signed out:\s*/i, '');
  fill(
    notice,
    el('h2', { text: 'Signed out' }),
    el('p', { text: `You are signed out: ${why}.` }),
    el('a', { href: `/?next=${encodeURIComponent(window.location.pathname)}`, text: 'Log in again' }),
  );
}

/**
 * The login is an agent's, but no agent of that id is configured (a user created before the
 * agent was): the desk cannot work, so it says why and what fixes it, and stops.
 */
export function showNotAnAgent(reason) {
  const badge = document.getElementById('connection');
  if (badge) {
    badge.className = 'conn down';
    badge.textContent = 'Not set up';
  }
  const main = document.querySelector('main');
  if (main) main.hidden = true;
  let notice = document.getElementById('not-an-agent');
  if (!notice) {
    notice = el('section', { id: 'not-an-agent', class: 'panel', role: 'alert' });
    if (main) main.before(notice);
    else document.body.append(notice);
  }
  fill(
    notice,
    el('h2', { text: 'This login cannot take calls yet' }),
    el('p', { text: `The server says: ${reason}.` }),
    el('p', {
      text: 'An agent works only when an agent with the same id as the login is listed under '
        + 'acd.agents of the configuration (with their queues, skills and phone). Ask an '
        + 'administrator to add it on the Configuration page (it applies at once), then '
        + 'reload this page.',
    }),
  );
}

/**
 * Run an async action for a button: disabled while busy, errors flashed; when it succeeds,
 * an error left from before is cleared (it no longer holds).
 */
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    const result = await action();
    clearFlash(['error']);
    return result;
  } catch (err) {
    flash(err.message, 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
