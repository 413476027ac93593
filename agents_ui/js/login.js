// The login page: POST /api/login, then on to the page for the user's role (or to the page
// the user was sent away from, when the role may see it).

import { ApiError, login, me } from './api.js';
import { homeFor } from './shell.js';

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
const submit = form.querySelector('button[type="submit"]');

function destination(user) {
  const next = new URLSearchParams(window.location.search).get('next');
  const allowed = {
    agent: ['/agent'],
    supervisor: ['/wallboard', '/reports'],
    admin: ['/wallboard', '/reports', '/admin'],
  }[user.role] || [];
  return next && allowed.includes(next) ? next : homeFor(user.role);
}

function explain(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (err.code === 'bad_credentials') return 'Wrong username or password.';
  if (err.code === 'rate_limited') {
    return `Too many failed attempts. Wait a minute before trying again. (${err.message})`;
  }
  return err.message;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    const user = await login(form.username.value.trim(), form.password.value);
    window.location.assign(destination(user));
  } catch (err) {
    error.textContent = explain(err);
    error.hidden = false;
    form.password.value = '';
    form.password.focus();
  } finally {
    submit.disabled = false;
  }
});

// Already logged in: straight on.
me().then((user) => window.location.replace(destination(user))).catch(() => form.username.focus());
