// Strategy: the IVR flows page (issue 16). The flows table lists each flow's active
// version; choosing one loads its versions (author, time, comment, diff) and draws the
// active version's tree, and puts its text in the editor. An upload (typed, pasted or read
// from a file) goes to PUT /api/flows/<name> with the version it was based on; a refusal
// lists each problem with its line and node next to the editor and moves the focus there,
// and nothing changes. "Activate" on an older version stores it again as the newest.
// Supervisors read only: the editor, the import button and the Activate buttons are an
// admin's.

import { api } from './api.js';
import { el, fill, when } from './dom.js';
import { busy, clearFlash, flash, startPage } from './shell.js';

let admin = false;
let selected = null; // { flow, version } of the flow chosen in the table
const $ = (id) => document.getElementById(id);

function enc(name) {
  return encodeURIComponent(name);
}

async function loadFlows() {
  const flows = await api('GET', '/api/flows');
  fill($('flows-table').tBodies[0], flows.map((flow) => el(
    'tr',
    { dataset: { flow: flow.flow }, class: selected && selected.flow === flow.flow ? 'selected' : null },
    el('th', { scope: 'row', text: flow.flow }),
    el('td', { text: String(flow.version) }),
    el('td', { text: when(flow.created_at) }),
    el('td', { text: flow.author }),
    el('td', { text: flow.comment || '–' }),
    el('td', { text: flow.used_by.length ? flow.used_by.join('; ') : 'nothing' }),
    el('td', {}, el('button', {
      type: 'button',
      text: 'Open',
      'aria-label': `Open flow ${flow.flow}`,
      onclick: () => openFlow(flow.flow),
    })),
  )));
  return flows;
}

async function openFlow(name, { version = null, keepEditor = false } = {}) {
  const versions = await api('GET', `/api/flows/${enc(name)}/versions`);
  const active = versions.find((v) => v.active) || versions[0];
  selected = { flow: name, version: active.version };
  for (const row of $('flows-table').tBodies[0].rows) {
    row.classList.toggle('selected', row.dataset.flow === name);
  }
  $('versions-heading').textContent = `Versions of ${name}`;
  $('versions-hint').textContent = admin
    ? 'The newest version is the active one. Activate an older one to roll back.'
    : 'The newest version is the active one.';
  renderVersions(versions);
  const shown = await showVersion(name, version || active.version);
  if (admin && !keepEditor) {
    $('flow-name').value = name;
    $('flow-text').value = shown.text;
    $('base-version').textContent = String(active.version);
    hideErrors();
  }
}

function renderVersions(versions) {
  fill($('versions').tBodies[0], versions.map((version) => {
    const change = version.diff
      ? el('details', {},
        el('summary', { text: version.summary }),
        el('pre', { class: 'diff', text: version.diff }))
      : el('span', { class: 'muted', text: version.summary });
    const actions = el('div', { class: 'row' },
      el('button', {
        type: 'button',
        text: 'Show tree',
        'aria-label': `Show the tree of version ${version.version}`,
        onclick: () => showVersion(version.flow, version.version).catch((err) => flash(err.message, 'error')),
      }));
    if (version.active) {
      actions.append(el('span', { class: 'muted', text: 'active' }));
    } else if (admin) {
      actions.append(el('button', {
        type: 'button',
        text: 'Activate',
        'aria-label': `Activate version ${version.version}`,
        onclick: (event) => activate(version.flow, version.version, event.currentTarget),
      }));
    }
    return el('tr', { dataset: { version: version.version } },
      el('th', { scope: 'row', text: String(version.version) }),
      el('td', { text: when(version.created_at) }),
      el('td', { text: version.author }),
      el('td', { text: version.comment || '–' }),
      el('td', {}, change),
      el('td', {}, actions));
  }));
}

async function showVersion(name, number) {
  const version = await api('GET', `/api/flows/${enc(name)}/versions/${number}`);
  $('tree-heading').textContent = `Tree of ${name}, version ${number}${version.active ? ' (active)' : ''}`;
  $('tree').textContent = (version.tree || []).join('\n');
  const problems = version.tree_problems || [];
  $('tree-problems').hidden = problems.length === 0;
  fill($('tree-problems'), problems.map((p) => el('li', { text: p })));
  return version;
}

function hideErrors() {
  $('flow-errors').hidden = true;
  fill($('flow-error-list'));
}

function showErrors(err) {
  const details = err.details || [];
  const count = details.length;
  $('flow-errors-title').textContent = count
    ? `Not stored: ${count} problem${count === 1 ? '' : 's'}. Nothing was changed.`
    : `Not stored: ${err.message}`;
  fill($('flow-error-list'), details.map((d) => {
    const where = [
      d.line ? `Line ${d.line}` : null,
      d.node ? `node ${d.node}` : null,
      d.key || null,
      d.flow && d.flow !== $('flow-name').value ? `flow ${d.flow}` : null,
    ].filter(Boolean).join(', ');
    return el('li', { dataset: { line: d.line || '', node: d.node || '' } },
      where ? el('strong', { text: `${where}: ` }) : null,
      d.problem,
      el('div', { class: 'muted', text: d.message || '' }));
  }));
  $('flow-errors').hidden = false;
  $('flow-errors').focus();
}

async function upload(event) {
  event.preventDefault();
  const name = $('flow-name').value.trim();
  const status = $('upload-status');
  if (!$('flow-name').checkValidity()) {
    showErrors({ message: 'a flow name is 1-64 letters, digits, _ or - (its file name without .yaml)' });
    return;
  }
  const known = selected && selected.flow === name;
  const body = {
    text: $('flow-text').value,
    comment: $('flow-comment').value,
    base_version: known ? Number($('base-version').textContent) : undefined,
  };
  $('upload').disabled = true;
  status.textContent = 'Checking…';
  try {
    const stored = await api('PUT', `/api/flows/${enc(name)}`, body);
    hideErrors();
    clearFlash(['error']);
    $('flow-comment').value = '';
    status.textContent = `Version ${stored.version} of ${name} is active.`;
    selected = { flow: name, version: stored.version };
    await loadFlows();
    await openFlow(name);
  } catch (err) {
    status.textContent = '';
    if (err.status === 422 || err.status === 409) showErrors(err);
    else flash(err.message, 'error');
  } finally {
    $('upload').disabled = false;
  }
}

async function activate(name, number, button) {
  await busy(button, async () => {
    const stored = await api('POST', `/api/flows/${enc(name)}/versions/${number}/activate`, {});
    flash(`Version ${number} of ${name} is active again (stored as version ${stored.version}).`, 'ok');
    await loadFlows();
    await openFlow(name);
  });
}

async function importFiles(event) {
  const status = $('import-status');
  await busy(event.currentTarget, async () => {
    status.textContent = 'Importing…';
    try {
      const result = await api('POST', '/api/flows/import');
      status.textContent = result.stored.length
        ? `Stored: ${result.stored.map((v) => `${v.flow} version ${v.version}`).join(', ')}.`
        : 'No flow file differs from its active version.';
    } catch (err) {
      status.textContent = '';
      if (err.status === 422) showErrors(err);
      throw err;
    }
    await loadFlows();
    if (selected) await openFlow(selected.flow);
  });
}

async function readFile(event) {
  const [file] = event.currentTarget.files;
  if (!file) return;
  $('flow-text').value = await file.text();
  if (!$('flow-name').value) $('flow-name').value = file.name.replace(/\.ya?ml$/i, '');
  hideErrors();
}

async function main() {
  const user = await startPage(['supervisor', 'admin']);
  admin = user.role === 'admin';
  for (const node of document.querySelectorAll('[data-admin]')) node.hidden = !admin;
  $('read-only').hidden = admin;
  if (admin) {
    $('flow-form').addEventListener('submit', upload);
    $('flow-file').addEventListener('change', readFile);
    $('import-files').addEventListener('click', importFiles);
  }
  const flows = await loadFlows();
  const wanted = new URLSearchParams(window.location.search).get('flow');
  const first = flows.find((f) => f.flow === wanted) || flows[0];
  if (first) await openFlow(first.flow);
}

main().catch((err) => flash(err.message, 'error'));
