// Strategy: user administration (GET/POST /api/users, PATCH /api/users/{username} for role,
// active and password) and the effective configuration, read-only (GET /api/admin/config),
// with a link to the IVR flows page (/flows: uploads, versions, rollback).

import { api, seg } from './api.js';
import { el, fill } from './dom.js';
import { busy, flash, startPage } from './shell.js';

const ROLES = ['agent', 'supervisor', 'admin'];
const userForm = document.getElementById('user-form');
const passwordDialog = document.getElementById('password-dialog');
const passwordForm = document.getElementById('password-form');
let resetting = null;
let me = null;
let agents = null; // configured agents' names by id (GET /api/config/public); null: unknown

async function patchUser(username, body, done) {
  try {
    await api('PATCH', `/api/users/${seg(username)}`, body);
    flash(done, 'ok');
  } catch (err) {
    flash(err.message, 'error');
  }
  await loadUsers();
}

function userRow(user) {
  const active = user.active !== false;
  const role = el('select', { 'aria-label': `Role of ${user.username}` },
    ROLES.map((r) => el('option', { value: r, text: r, selected: r === user.role })));
  role.addEventListener('change', () => patchUser(user.username, { role: role.value }, `${user.username} is now ${role.value}.`));
  const toggle = el('button', { type: 'button', text: active ? 'Deactivate' : 'Activate', class: active ? 'danger' : null });
  toggle.addEventListener('click', () => {
    if (active && !window.confirm(`Deactivate ${user.username}? They will no longer be able to log in.`)) return;
    patchUser(user.username, { active: !active }, `${user.username} ${active ? 'deactivated' : 'activated'}.`);
  });
  const reset = el('button', { type: 'button', text: 'Reset password' });
  reset.addEventListener('click', () => {
    resetting = user.username;
    document.getElementById('password-title').textContent = `Reset password of ${user.username}`;
    passwordForm.reset();
    passwordDialog.showModal();
  });
  // An admin cannot lock themselves out by accident.
  if (me && user.username === me.username) {
    role.disabled = true;
    toggle.disabled = true;
    toggle.title = 'You cannot deactivate yourself.';
  }
  // An agent login without a configured agent logs in but takes no calls: say so here.
  const unconfigured = user.role === 'agent' && agents !== null && !(user.username in agents);
  const status = el('td', { text: active ? 'Active' : 'Inactive' });
  if (unconfigured) {
    status.append(el('br'), el('span', {
      class: 'warn-text',
      text: 'no agent configured',
      title: `Add an agent with id ${user.username} on the Configuration page (/config)`,
    }));
  }
  return el('tr', { dataset: { username: user.username } },
    el('td', { text: user.username }),
    el('td', { text: user.display_name || '–' }),
    el('td', {}, role),
    status,
    el('td', {}, el('div', { class: 'row' }, toggle, reset)));
}

async function loadUsers() {
  try {
    const result = await api('GET', '/api/users');
    const users = Array.isArray(result) ? result : result.users || [];
    fill(document.querySelector('#users tbody'), users.map(userRow));
  } catch (err) {
    flash(`Users: ${err.message}`, 'error');
  }
}

async function createUser(event) {
  event.preventDefault();
  const body = {
    username: userForm.username.value.trim(),
    display_name: userForm.display_name.value.trim(),
    role: userForm.role.value,
    password: userForm.password.value,
  };
  const created = await busy(userForm.querySelector('button[type="submit"]'), () => api('POST', '/api/users', body));
  if (created !== undefined) {
    if (created && created.warning) flash(`User ${body.username} created, but ${created.warning}`, 'warn');
    else flash(`User ${body.username} created.`, 'ok');
    userForm.reset();
    await loadUsers();
  }
}

async function loadAgents() {
  try {
    agents = (await api('GET', '/api/config/public')).agents || {};
    document.getElementById('agent-ids').textContent = Object.keys(agents).join(', ') || 'none yet';
  } catch (err) {
    flash(`Agents: ${err.message}`, 'error');
  }
}

async function resetPassword(event) {
  event.preventDefault();
  const password = passwordForm.password.value;
  if (!password) return;
  passwordDialog.close();
  await patchUser(resetting, { password }, `Password of ${resetting} changed.`);
}

async function loadConfig() {
  try {
    const config = await api('GET', '/api/admin/config');
    document.getElementById('config').textContent = JSON.stringify(config, null, 2);
  } catch (err) {
    flash(`Configuration: ${err.message}`, 'error');
  }
}

async function main() {
  me = await startPage(['admin']);
  userForm.addEventListener('submit', createUser);
  passwordForm.addEventListener('submit', resetPassword);
  passwordDialog.querySelector('[data-close]').addEventListener('click', () => passwordDialog.close());
  await loadAgents();
  await Promise.all([loadUsers(), loadConfig()]);
}

main().catch(() => {});
