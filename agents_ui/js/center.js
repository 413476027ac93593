// Strategy: the center settings page (admins). It reads the configuration in force
// (GET /api/config/acd), shows the center's sections as a form (center_sections.js), and on
// save PUTs the whole document back with the version it was based on, so a change someone
// else stored meanwhile is refused (409) rather than overwritten. The queues and agents are
// left as they were read. A refusal stores nothing: a 422 names each bad key
// (`document.dialled_numbers.400`), shown next to its input and in a summary whose entries
// move the focus there; the form keeps what was typed. After a save the page reads the new
// version back, so what is shown is what is in force.

import { ApiError, api } from './api.js';
import { el, fill, when } from './dom.js';
import {
  addCategory,
  addNumber,
  readAlerts,
  readCalendars,
  readFollowups,
  readLists,
  readNumbers,
  readQueueHours,
  readRetries,
  readSupervisors,
  showAlerts,
  showCalendars,
  showFollowups,
  showLists,
  showNumbers,
  showQueueHours,
  showRetries,
  showSupervisors,
} from './center_sections.js';
import { clearFlash, flash, startPage } from './shell.js';

const form = document.getElementById('center-form');
const saveButton = document.getElementById('save');
const summary = document.getElementById('error-summary');
let current = null;

async function flowNames(document) {
  try {
    const flows = await api('GET', '/api/flows');
    return flows.map((flow) => flow.name || flow.flow).filter(Boolean);
  } catch {
    // Without the flows list, the names the configuration already uses.
    return [...new Set([document.default_flow, ...Object.values(document.dialled_numbers)])];
  }
}

async function supervisorLogins() {
  try {
    const users = await api('GET', '/api/users');
    return users.filter((u) => u.role === 'supervisor' && u.active).map((u) => u.username);
  } catch {
    return [];
  }
}

async function load() {
  current = await api('GET', '/api/config/acd');
  const doc = current.document;
  const [flows, supervisors] = await Promise.all([flowNames(doc), supervisorLogins()]);
  showNumbers(doc, flows);
  showCalendars(doc);
  showQueueHours(doc);
  showLists(doc);
  showSupervisors(doc, supervisors);
  showRetries(doc);
  showFollowups(doc);
  showAlerts(doc);
  fill(
    document.getElementById('in-force'),
    `Version ${current.version} is in force (${current.author}, ${when(current.created_at)}).`,
  );
  saveButton.disabled = false;
}

function clearErrors() {
  summary.hidden = true;
  fill(document.getElementById('error-list'));
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  for (const node of form.querySelectorAll('[aria-invalid]')) {
    node.removeAttribute('aria-invalid');
    node.removeAttribute('aria-describedby');
  }
}

/** The input a key names: the one with that key, else the nearest enclosing key's. */
function inputFor(key) {
  let path = key;
  while (path) {
    const found = form.querySelector(`[data-key="${CSS.escape(path)}"]`);
    if (found) return found.matches('input, textarea, select') ? found : found.querySelector('input, textarea');
    path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
  }
  return null;
}

function showErrors(details) {
  const list = document.getElementById('error-list');
  let first = null;
  details.forEach((detail, index) => {
    const key = (detail.field || '').replace(/^document\.?/, '');
    const input = inputFor(key);
    const text = `${key || 'configuration'}: ${detail.problem}`;
    if (input) {
      const id = `error-${index}`;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', id);
      input.closest('td, .field, fieldset').append(el('p', { id, class: 'field-error', text: detail.problem }));
      first = first || input;
    }
    list.append(
      el(
        'li',
        {},
        input
          ? el('button', { type: 'button', class: 'link', text, onclick: () => input.focus() })
          : text,
      ),
    );
  });
  summary.hidden = false;
  summary.focus();
  return first;
}

async function save(event) {
  event.preventDefault();
  if (!current) return;
  clearErrors();
  clearFlash(['error']);
  const document_ = {
    ...current.document,
    ...readNumbers(),
    ...readCalendars(),
    ...readQueueHours(),
    ...readLists(),
    ...readSupervisors(),
    ...readRetries(),
    ...readFollowups(),
    ...readAlerts(),
  };
  const base = current.version;
  saveButton.disabled = true;
  try {
    const stored = await api('PUT', '/api/config/acd', {
      document: document_,
      base_version: base,
      comment: document.getElementById('comment').value.trim(),
    });
    document.getElementById('comment').value = '';
    await load();
    flash(
      stored.version === base
        ? 'Nothing changed: the form holds the configuration in force.'
        : `Version ${stored.version} is in force: ${stored.summary}.`,
      'ok',
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && err.details.length) {
      showErrors(err.details);
    } else {
      flash(err.message, 'error');
    }
  } finally {
    saveButton.disabled = false;
  }
}

async function discard() {
  clearErrors();
  clearFlash();
  await load();
  flash('Changes discarded: the form shows the configuration in force.', 'info');
}

async function main() {
  await startPage(['admin']);
  document.getElementById('add-number').addEventListener('click', addNumber);
  document.getElementById('add-category').addEventListener('click', addCategory);
  document.getElementById('discard').addEventListener('click', () => discard().catch((e) => flash(e.message, 'error')));
  form.addEventListener('submit', save);
  await load();
}

main().catch((err) => {
  if (err.message !== 'wrong role') flash(err.message, 'error');
});
