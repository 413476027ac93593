// Strategy: tickets as work, without a call in progress (issue 17). The filters map onto
// GET /api/worklist?view=&status=&category=&closed=; a row opens the ticket
// (GET /api/worklist/{id}) with its next steps, owner and history; Move posts the step
// with its note, Assign (supervisors), Take it (agents, unassigned tickets) or Give back
// (agents, their own) the owner.
// A refusal is shown at the field it concerns (the server names it) and focus moves there.
// Overdue promises are flagged in the list. The follow-up calls list records the
// customer's answer; "Not satisfied" reopens the ticket. "Call the customer" puts the call
// in line as a callback (agent-first: an agent's phone rings, then the customer's). Supervisors also see the week's
// tickets report (GET /api/reports/tickets): promises kept per step and the reopen rate.

import { api, query } from './api.js';
import { center, el, fill, label, options, percent, when } from './dom.js';
import { startCallbacks } from './callbacks.js';
import { busy, clearFlash, flash, startPage } from './shell.js';

const $ = (id) => document.getElementById(id);
const filters = $('filters');
const stepForm = $('step-form');
const assignForm = $('assign-form');
let user = null;
let agents = {};
let openTicket = null;

function fieldError(name, message) {
  const input = $(name);
  const hint = $(`${name}-error`);
  hint.textContent = message || '';
  hint.hidden = !message;
  if (message) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    input.removeAttribute('aria-invalid');
  }
}

/** Show an API refusal at its field when the server names one of ours, else flash it. */
function refused(err, fields) {
  const named = (err.details || []).map((d) => d.field).find((f) => fields.includes(f));
  const field = named || (err.status === 403 || err.status === 409 ? fields[0] : null);
  if (field) fieldError(field, err.message);
  else flash(err.message, 'error');
}

function filterQuery() {
  const params = { view: filters.view.value };
  if (filters.status.value) params.status = filters.status.value;
  if (filters.category.value) params.category = filters.category.value;
  if (filters.closed.checked) params.closed = 'true';
  return query(params);
}

function promiseCell(ticket) {
  if (!ticket.step_due_at) return el('td', { text: '–' });
  return el(
    'td',
    { class: ticket.overdue ? 'overdue' : null },
    when(ticket.step_due_at),
    ticket.overdue ? el('span', { text: ' Overdue', class: 'overdue', dataset: { flag: 'overdue' } }) : null,
  );
}

function ticketRow(ticket) {
  return el(
    'tr',
    { dataset: { ticket: String(ticket.id) }, class: ticket.overdue ? 'overdue-row' : null },
    el('td', {}, el('button', { type: 'button', class: 'link', text: `#${ticket.id} ${ticket.subject}`, onclick: () => show(ticket.id) })),
    el('td', { text: ticket.customer_name || `#${ticket.customer_id}` }),
    el('td', { text: label(ticket.category) }),
    el('td', { text: label(ticket.step) }),
    promiseCell(ticket),
    el('td', { text: center.agentName(ticket.owner) || 'Unassigned' }),
    el('td', { text: ticket.queue || '–' }),
  );
}

async function loadTickets() {
  const tickets = await api('GET', `/api/worklist${filterQuery()}`);
  fill($('tickets').tBodies[0], tickets.map(ticketRow));
  $('no-tickets').hidden = tickets.length > 0;
  $('ticket-count').textContent = `(${tickets.length})`;
}

// Who calls: an agent, or the automated keypad call (dialling now, its calls so far and
// the last one's result); automated calls used up without an answer are an agent's again.
function followupState(f) {
  if (f.mode !== 'automated') return 'agent';
  if (f.unreached) return 'unreached';
  return f.dialling ? 'dialling' : 'automated';
}

function followupHow(f) {
  const state = followupState(f);
  if (state === 'agent') return 'Agent';
  const calls = `${f.attempts} call${f.attempts === 1 ? '' : 's'}`;
  const last = f.last_result ? `, last: ${f.last_result}` : '';
  if (state === 'unreached') return `Not reached by the automated call (${calls}${last}): call the customer`;
  if (state === 'dialling') return `Automated call: dialling now (call ${f.attempts})`;
  return f.attempts ? `Automated call: ${calls}${last}; next at the due time` : 'Automated call at the due time';
}

function followupRow(f) {
  const note = el('input', { type: 'text', maxlength: '10000', 'aria-label': `Note for ticket #${f.ticket_id}` });
  const answer = (satisfied, button) => busy(button, async () => {
    await api('POST', `/api/followups/${f.id}/answer`, { satisfied, note: note.value.trim() });
    flash(`Ticket #${f.ticket_id}: ${satisfied ? 'confirmed' : 'reopened'}.`, 'ok');
    await Promise.all([loadTickets(), loadFollowups(), loadReport()]);
    if (openTicket === f.ticket_id) await show(f.ticket_id, false);
  });
  const call = (button) => busy(button, async () => {
    const queued = await api('POST', `/api/followups/${f.id}/call`);
    flash(`Follow-up call for ticket #${f.ticket_id} is in line in ${queued.queue}: the next free agent's phone rings first, then ${queued.number}.`, 'ok');
    if (openTicket === f.ticket_id) await show(f.ticket_id, false);
  });
  return el(
    'tr',
    { dataset: { followup: String(f.id) } },
    el('td', {}, el('button', { type: 'button', class: 'link', text: `#${f.ticket_id} ${f.subject}`, onclick: () => show(f.ticket_id) })),
    el('td', { text: f.customer_name || `#${f.customer_id}` }),
    el('td', { class: f.overdue ? 'overdue' : null, text: `${when(f.due_at)}${f.overdue ? ' Overdue' : ''}` }),
    el('td', { dataset: { flag: followupState(f) }, class: f.unreached ? 'overdue' : null, text: followupHow(f) }),
    el('td', {}, note),
    el(
      'td',
      {},
      el('button', { type: 'button', text: 'Call the customer', onclick: (e) => call(e.currentTarget) }),
      ' ',
      el('button', { type: 'button', text: 'Satisfied', onclick: (e) => answer(true, e.currentTarget) }),
      ' ',
      el('button', { type: 'button', class: 'danger', text: 'Not satisfied', onclick: (e) => answer(false, e.currentTarget) }),
    ),
  );
}

async function loadFollowups() {
  const list = await api('GET', '/api/followups');
  fill($('followups').tBodies[0], list.map(followupRow));
  $('no-followups').hidden = list.length > 0;
}

function historyItem(h) {
  const promise = h.promise_kept === null ? '' : h.promise_kept ? ' (promise kept)' : ' (promise missed)';
  const who = h.actor ? center.agentName(h.actor) : 'system';
  return el('li', { text: `${when(h.at)} · ${label(h.step || h.to_status)} · ${who}${promise}${h.note ? ` — ${h.note}` : ''}` });
}

function render(ticket) {
  openTicket = ticket.id;
  $('ticket').hidden = false;
  $('ticket-title').textContent = `Ticket #${ticket.id}: ${ticket.subject}`;
  const facts = [
    ['Customer', ticket.customer_name || `#${ticket.customer_id}`],
    ['Category', label(ticket.category)],
    ['Step', label(ticket.step)],
    ['Next step promised by', ticket.step_due_at ? `${when(ticket.step_due_at)}${ticket.overdue ? ' — overdue' : ''}` : '–'],
    ['Owner', center.agentName(ticket.owner) || 'Unassigned'],
    ['Queue', ticket.queue || '–'],
  ];
  fill($('ticket-facts'), facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  options(stepForm.step, ticket.next_steps);
  stepForm.note.value = '';
  fieldError('step', '');
  fieldError('owner', '');
  const supervises = user.role !== 'agent';
  assignForm.owner.parentElement.hidden = !supervises;
  assignForm.querySelector('button[type="submit"]').hidden = !supervises;
  if (supervises) {
    fill(assignForm.owner, el('option', { value: '', text: 'Unassigned' }),
      Object.entries(agents).map(([id, name]) => el('option', { value: id, text: name, selected: id === ticket.owner })));
  }
  $('take').hidden = supervises || ticket.owner !== null;
  $('give-back').hidden = supervises || ticket.owner !== user.username;
  fill($('history'), (ticket.history || []).map(historyItem));
}

async function show(ticketId, focus = true) {
  try {
    render(await api('GET', `/api/worklist/${ticketId}`));
    if (focus) $('ticket-title').focus();
  } catch (err) {
    flash(err.message, 'error');
  }
}

async function moveStep(event) {
  event.preventDefault();
  fieldError('step', '');
  if (!stepForm.step.value) {
    fieldError('step', 'This ticket has no next step.');
    return;
  }
  const button = stepForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const ticket = await api('POST', `/api/worklist/${openTicket}/step`, { step: stepForm.step.value, note: stepForm.note.value.trim() });
    render(ticket);
    clearFlash(['error']);
    flash(`Ticket #${ticket.id} is now ${label(ticket.step)}.`, 'ok');
    await Promise.all([loadTickets(), loadFollowups(), loadReport()]);
    $('ticket-title').focus();
  } catch (err) {
    refused(err, ['step']);
  } finally {
    button.disabled = false;
  }
}

async function assign(owner, button) {
  fieldError('owner', '');
  button.disabled = true;
  try {
    const ticket = await api('POST', `/api/worklist/${openTicket}/assign`, { owner });
    render(ticket);
    flash(`Ticket #${ticket.id}: ${ticket.owner ? `assigned to ${center.agentName(ticket.owner)}` : 'unassigned'}.`, 'ok');
    await loadTickets();
  } catch (err) {
    if (user.role === 'agent') flash(err.message, 'error');
    else refused(err, ['owner']);
  } finally {
    button.disabled = false;
  }
}

async function loadReport() {
  if (user.role === 'agent') return;
  const report = await api('GET', '/api/reports/tickets');
  $('report').hidden = false;
  const rate = report.reopen_rate === null ? '–' : percent(report.reopen_rate);
  $('report-summary').textContent = `Opened ${report.opened}, resolved ${report.resolved}, reopened ${report.reopened} (reopen rate ${rate}); follow-up calls answered ${report.followups_answered}, satisfied ${report.followups_satisfied}.`;
  fill($('report-steps').tBodies[0], report.steps.map((s) => el(
    'tr',
    { dataset: { step: s.step } },
    el('th', { scope: 'row', text: label(s.step) }),
    el('td', { class: 'num', text: String(s.due) }),
    el('td', { class: 'num', text: String(s.kept) }),
    el('td', { class: 'num', text: s.due ? percent(s.kept / s.due) : '–' }),
  )));
}

async function main() {
  user = await startPage(['agent', 'supervisor', 'admin']);
  const config = await api('GET', '/api/config/public');
  center.configure(config);
  agents = config.agents || {};
  options(filters.status, config.ticket_statuses || [], { blank: 'Any' });
  options(filters.category, config.ticket_categories || [], { blank: 'Any' });
  if (user.role !== 'agent') filters.view.value = 'queue';
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(filters.querySelector('button[type="submit"]'), loadTickets);
  });
  for (const name of ['view', 'status', 'category', 'closed']) {
    filters[name].addEventListener('change', () => busy(null, loadTickets));
  }
  stepForm.addEventListener('submit', moveStep);
  assignForm.addEventListener('submit', (event) => {
    event.preventDefault();
    assign(assignForm.owner.value || null, assignForm.querySelector('button[type="submit"]'));
  });
  $('take').addEventListener('click', (event) => assign(user.username, event.currentTarget));
  $('give-back').addEventListener('click', (event) => assign(null, event.currentTarget));
  $('close-ticket').addEventListener('click', () => {
    $('ticket').hidden = true;
    // Back to where the ticket was opened from (its row), for keyboard users.
    const row = document.querySelector(`#tickets tr[data-ticket="${openTicket}"] button`);
    openTicket = null;
    if (row) row.focus();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('ticket').hidden) $('close-ticket').click();
  });
  await Promise.all([
    busy(null, loadTickets),
    busy(null, loadFollowups),
    busy(null, loadReport),
    startCallbacks(),
  ]);
}

main().catch(() => {});
