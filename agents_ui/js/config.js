// Strategy: the configuration page (/config) edits the versioned document of
// GET /api/config/acd: it changes only the entry being edited and PUTs the whole document
// back with the version it was based on, so keys this page does not know travel untouched
// and a change made meanwhile by someone else is refused (409) instead of overwritten. A
// refusal changes nothing: its problems are shown next to the inputs they name. Supervisors
// see their queues and the agents who serve them, and change what the server lets them
// (config_scope.py); admins see and change everything, and a new agent gets their login.

import { api, ApiError, seg } from './api.js';
import { agentRow, agentSpecs, newAgent, queueBoxes, readQueueBoxes } from './config_agents.js';
import { clearErrors, problemsOf, readFields, renderFields, showErrors } from './config_form.js';
import { newQueue, queueRow, queueSpecs, tidyQueue } from './config_queues.js';
import { removeSkill, renameSkill, skillNames, skillRows } from './config_skills.js';
import { renderVersions } from './config_versions.js';
import { el, fill, setText } from './dom.js';
import { busy, flash, startPage } from './shell.js';

const state = { user: null, version: 0, document: null, editing: null };

function mine() {
  return state.user.queues; // null: every queue
}

function isAdmin() {
  return state.user.role === 'admin';
}

function shownQueues() {
  const scope = mine();
  return state.document.queues.filter((queue) => scope === null || scope.includes(queue.name));
}

function shownAgents() {
  const scope = mine();
  return state.document.agents.filter(
    (agent) => scope === null || agent.queues.some((name) => scope.includes(name)),
  );
}

async function load() {
  const [current, versions] = await Promise.all([
    api('GET', '/api/config/acd'),
    api('GET', '/api/config/versions'),
  ]);
  state.version = current.version;
  state.document = current.document;
  render(versions);
}

function button(text, labelText, onclick) {
  return el('button', { type: 'button', text, 'aria-label': labelText, onclick });
}

function render(versions) {
  setText(document.getElementById('version'), state.version);
  fill(document.querySelector('#queues tbody'), shownQueues().map((queue) =>
    queueRow(queue, button('Edit', `Edit queue ${queue.name}`, () => editQueue(queue.name)))));
  fill(document.querySelector('#agents tbody'), shownAgents().map((agent) => agentRow(agent, [
    button('Edit', `Edit agent ${agent.id}`, () => editAgent(agent.id)),
    isAdmin() ? button('Remove', `Remove agent ${agent.id}`, (event) => removeAgent(agent.id, event.currentTarget)) : null,
  ])));
  fill(document.querySelector('#skills tbody'), skillRows(shownQueues(), shownAgents()));
  const skill = document.getElementById('skill-name');
  const picked = skill.value;
  const names = skillNames(state.document.queues, state.document.agents);
  fill(skill, names.map((name) => el('option', { value: name, text: name, selected: name === picked })));
  renderVersions(document.querySelector('#versions tbody'), versions, state.version, rollback);
}

/** PUT the document with `change` applied to a copy; resolves to the stored version. */
async function store(change, comment) {
  const document = structuredClone(state.document);
  change(document);
  return api('PUT', '/api/config/acd', { document, base_version: state.version, comment });
}

function refusal(err) {
  if (!(err instanceof ApiError)) return `${err.message}`;
  if (err.status === 409) return `Not changed: ${err.message} (if someone else changed the configuration meanwhile, reload the page)`;
  if (err.status === 403) return `Not allowed, nothing changed: ${err.message}`;
  return `Not changed: ${err.message}`;
}

async function saved(stored) {
  await load();
  flash(`Saved as version ${stored.version}: ${stored.summary || 'no change'}.`, 'ok');
}

/** Back to the Edit button of the entry the form was for (keyboard users stay in place). */
function refocus(selector) {
  const target = document.querySelector(selector);
  if (target) target.focus();
}

// Queues ----------------------------------------------------------------------------------

function editQueue(name) {
  const index = state.document.queues.findIndex((queue) => queue.name === name);
  const queue = index >= 0 ? state.document.queues[index] : newQueue();
  state.editing = { kind: 'queue', index, name };
  const form = document.getElementById('queue-form');
  setText(document.getElementById('queue-form-title'), index >= 0 ? `Queue ${name}` : 'New queue');
  renderFields(document.getElementById('queue-fields'), 'queue', queueSpecs(), queue, {
    locked: (key) => key === 'name' && index >= 0,
  });
  clearErrors(form);
  form.hidden = false;
  form.querySelector('input:not([disabled]), select').focus();
}

async function saveQueue(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const { index } = state.editing;
  const base = index >= 0 ? state.document.queues[index] : newQueue();
  const { value, problems } = readFields(document.getElementById('queue-fields'), queueSpecs(), base);
  if (problems.length) return showErrors(form, problems);
  const queue = tidyQueue(value);
  const at = index >= 0 ? index : state.document.queues.length;
  const comment = form.elements.comment.value.trim() || `queue ${queue.name} changed on the configuration page`;
  try {
    const stored = await store((doc) => { doc.queues[at] = queue; }, comment);
    form.hidden = true;
    form.elements.comment.value = '';
    await saved(stored);
    refocus(`#queues tr[data-queue="${CSS.escape(queue.name)}"] button`);
  } catch (err) {
    showErrors(form, problemsOf(err, `document.queues[${at}]`), refusal(err));
  }
}

// Agents ----------------------------------------------------------------------------------

function editAgent(id) {
  const index = id === null ? -1 : state.document.agents.findIndex((agent) => agent.id === id);
  const agent = index >= 0 ? state.document.agents[index] : newAgent();
  state.editing = { kind: 'agent', index, id };
  const form = document.getElementById('agent-form');
  setText(document.getElementById('agent-form-title'), index >= 0 ? `Agent ${id}` : 'New agent');
  const supervisor = !isAdmin();
  renderFields(document.getElementById('agent-fields'), 'agent', agentSpecs(index < 0), agent, {
    locked: (key) => (key === 'id' && index >= 0) || (supervisor && key !== 'skills'),
  });
  const names = state.document.queues.map((queue) => queue.name);
  queueBoxes(document.getElementById('agent-queue-boxes'), names, agent.queues, mine());
  clearErrors(form);
  form.hidden = false;
  form.querySelector('input:not([disabled])').focus();
}

async function loginExists(id) {
  const users = await api('GET', '/api/users');
  return users.some((user) => user.username === id);
}

async function saveAgent(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const { index } = state.editing;
  const base = index >= 0 ? state.document.agents[index] : newAgent();
  const fields = document.getElementById('agent-fields');
  const { value, problems } = readFields(fields, agentSpecs(index < 0), base);
  value.queues = readQueueBoxes(document.getElementById('agent-queue-boxes'));
  const password = value.password || '';
  delete value.password;
  const needsLogin = index < 0 && value.id !== '' && !(await loginExists(value.id));
  if (needsLogin && password === '') {
    problems.push({ key: 'password', message: `no login "${value.id}" exists yet: give a password for it` });
  }
  if (problems.length) return showErrors(form, problems);
  const at = index >= 0 ? index : state.document.agents.length;
  const comment = form.elements.comment.value.trim() || `agent ${value.id} ${index >= 0 ? 'changed' : 'added'} on the configuration page`;
  let stored;
  try {
    stored = await store((doc) => { doc.agents[at] = value; }, comment);
  } catch (err) {
    return showErrors(form, problemsOf(err, `document.agents[${at}]`), refusal(err));
  }
  if (needsLogin) {
    try {
      await api('POST', '/api/users', { username: value.id, password, role: 'agent', display_name: value.name || value.id });
    } catch (err) {
      await load();
      return showErrors(form, [{ key: 'password', message: `the agent is saved (version ${stored.version}) but their login was not made: ${err.message}` }]);
    }
  }
  form.hidden = true;
  form.elements.comment.value = '';
  await saved(stored);
  refocus(`#agents tr[data-agent="${CSS.escape(value.id)}"] button`);
  if (needsLogin) flash(`Saved as version ${stored.version}; ${value.id} can log in now.`, 'ok');
}

async function removeAgent(id, control) {
  await busy(control, async () => {
    try {
      const stored = await store((doc) => { doc.agents = doc.agents.filter((agent) => agent.id !== id); }, `agent ${id} removed on the configuration page`);
      await saved(stored);
    } catch (err) {
      throw new Error(refusal(err));
    }
  });
}

// Skills ----------------------------------------------------------------------------------

async function changeSkill(form, rename) {
  const from = form.elements.skill.value;
  const to = form.elements.new_name.value.trim();
  if (!from) return showErrors(form, [{ key: 'skill', message: 'no skill is in use' }]);
  if (rename && (to === '' || to === from)) {
    return showErrors(form, [{ key: 'new_name', message: 'give the new name' }]);
  }
  const comment = rename ? `skill ${from} renamed ${to} on the configuration page` : `skill ${from} removed on the configuration page`;
  try {
    const stored = await store((doc) => (rename ? renameSkill(doc, from, to) : removeSkill(doc, from)), comment);
    form.elements.new_name.value = '';
    clearErrors(form);
    await saved(stored);
  } catch (err) {
    const problems = err instanceof ApiError ? problemsOf(err, 'document') : [];
    showErrors(form, problems, refusal(err));
  }
}

// Versions --------------------------------------------------------------------------------

async function rollback(number, control) {
  await busy(control, async () => {
    try {
      const stored = await api('POST', `/api/config/versions/${seg(number)}/rollback`, {
        comment: `rolled back to version ${number} on the configuration page`,
      });
      await load();
      flash(`Version ${number} restored as version ${stored.version}.`, 'ok');
    } catch (err) {
      throw new Error(refusal(err));
    }
  });
}

function cancel(form) {
  const editing = state.editing;
  form.hidden = true;
  clearErrors(form);
  state.editing = null;
  if (editing && editing.kind === 'queue' && editing.name) refocus(`#queues tr[data-queue="${CSS.escape(editing.name)}"] button`);
  if (editing && editing.kind === 'agent' && editing.id) refocus(`#agents tr[data-agent="${CSS.escape(editing.id)}"] button`);
}

async function main() {
  state.user = await startPage(['supervisor', 'admin']);
  if (!isAdmin()) {
    document.getElementById('scope-rule').hidden = false;
    setText(document.getElementById('scope-queues'), mine() === null ? 'all' : mine().join(', ') || 'none');
  } else {
    document.getElementById('new-queue').hidden = false;
    document.getElementById('new-agent').hidden = false;
    const skillForm = document.getElementById('skill-form');
    skillForm.hidden = false;
    skillForm.addEventListener('submit', (event) => {
      event.preventDefault();
      changeSkill(skillForm, true);
    });
    document.getElementById('remove-skill').addEventListener('click', () => changeSkill(skillForm, false));
  }
  for (const form of document.querySelectorAll('#queue-form, #agent-form')) {
    form.querySelector('[data-cancel]').addEventListener('click', () => cancel(form));
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') cancel(form);
    });
  }
  document.getElementById('queue-form').addEventListener('submit', saveQueue);
  document.getElementById('agent-form').addEventListener('submit', saveAgent);
  document.getElementById('new-queue').addEventListener('click', () => editQueue(null));
  document.getElementById('new-agent').addEventListener('click', () => editAgent(null));
  await load();
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  if (err.message !== 'wrong role') flash(err.message, 'error');
});
