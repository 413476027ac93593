// Strategy: the forms under the pop, for the call on screen. Notes and disposition go to
// PATCH /api/interactions/{call_id}; a ticket is created (POST /api/tickets, linked to the
// call) or an open one updated (PATCH /api/tickets/{id}); an unknown caller can be saved as a
// customer first (POST /api/customers) so that a ticket has someone to belong to.

import { api, seg } from './api.js';
import { centerTime, el, fill, label, options } from './dom.js';
import { renderPop } from './pop.js';
import { flash } from './shell.js';

const notesForm = document.getElementById('notes-form');
const notesStatus = document.getElementById('notes-status');
const ticketForm = document.getElementById('ticket-form');
const ticketStatus = document.getElementById('ticket-status-text');
const customerForm = document.getElementById('customer-form');

let current = null; // {callId, pop}
let saved = { notes: '', disposition: '' };

/** Show empty forms for a new call (or keep them for the same call). */
export function setCall(callId, pop, config) {
  const sameCall = current && current.callId === callId;
  current = { callId, pop };
  if (sameCall) return;
  options(notesForm.disposition, config.dispositions || [], { blank: '— choose —' });
  notesForm.notes.value = '';
  saved = { notes: '', disposition: '' };
  notesStatus.textContent = '';
  options(ticketForm.category, config.ticket_categories || []);
  options(ticketForm.status, config.ticket_statuses || []);
  ticketForm.subject.value = '';
  ticketForm.note.value = '';
  ticketStatus.textContent = '';
  customerForm.reset();
  refreshTicketTargets();
}

/** Whether notes were typed and not saved yet. */
export function unsavedNotes() {
  return (
    current !== null &&
    (notesForm.notes.value !== saved.notes || notesForm.disposition.value !== saved.disposition)
  );
}

function customerId() {
  const customer = current && current.pop.customer;
  return customer && customer.id !== null && customer.id !== undefined ? customer.id : null;
}

function refreshTicketTargets() {
  const tickets = (current && current.pop.open_tickets) || [];
  const chosen = ticketForm.target.value;
  fill(
    ticketForm.target,
    el('option', { value: 'new', text: 'New ticket' }),
    tickets.map((ticket) => el('option', { value: String(ticket.id), text: `#${ticket.id} ${ticket.subject}` })),
  );
  if ([...ticketForm.target.options].some((option) => option.value === chosen)) ticketForm.target.value = chosen;
  showTicketFields();
}

function showTicketFields() {
  const isNew = ticketForm.target.value === 'new';
  for (const field of ticketForm.querySelectorAll('[data-for]')) {
    field.hidden = (field.dataset.for === 'new') !== isNew;
  }
  const ticket = ((current && current.pop.open_tickets) || []).find((t) => String(t.id) === ticketForm.target.value);
  if (ticket) ticketForm.status.value = ticket.status;
  const noCustomer = customerId() === null;
  ticketForm.querySelector('button[type="submit"]').disabled = noCustomer && isNew;
  if (noCustomer && isNew) ticketStatus.textContent = 'Create the customer first to open a ticket.';
}

async function saveNotes(event) {
  event.preventDefault();
  if (!current) return;
  const body = { notes: notesForm.notes.value };
  if (notesForm.disposition.value) body.disposition = notesForm.disposition.value;
  const button = notesForm.querySelector('button[type="submit"]');
  button.disabled = true;
  notesStatus.textContent = 'Saving…';
  try {
    await api('PATCH', `/api/interactions/${seg(current.callId)}`, body);
    saved = { notes: notesForm.notes.value, disposition: notesForm.disposition.value };
    notesStatus.textContent = `Saved at ${centerTime(Date.now() / 1000, { hour: '2-digit', minute: '2-digit', second: '2-digit' })}`;
  } catch (err) {
    notesStatus.textContent = '';
    flash(`Notes not saved: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
}

async function saveTicket(event) {
  event.preventDefault();
  if (!current) return;
  const target = ticketForm.target.value;
  const note = ticketForm.note.value.trim();
  const button = ticketForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    if (target === 'new') {
      const subject = ticketForm.subject.value.trim();
      if (!subject) {
        ticketForm.subject.focus();
        throw new Error('A new ticket needs a subject.');
      }
      const body = {
        customer_id: customerId(),
        category: ticketForm.category.value,
        subject,
        interaction_uniqueid: current.callId,
      };
      if (note) body.note = note;
      const ticket = await api('POST', '/api/tickets', body);
      current.pop.open_tickets = [...(current.pop.open_tickets || []), ticket];
      renderPop(current.pop);
      refreshTicketTargets();
      ticketForm.target.value = String(ticket.id);
      showTicketFields();
      ticketStatus.textContent = `Ticket #${ticket.id} created.`;
    } else {
      const body = { status: ticketForm.status.value };
      if (note) body.note = note;
      const ticket = await api('PATCH', `/api/tickets/${seg(target)}`, body);
      current.pop.open_tickets = (current.pop.open_tickets || []).map((t) => (String(t.id) === target ? { ...t, ...ticket } : t));
      renderPop(current.pop);
      ticketStatus.textContent = `Ticket #${target} updated: ${label(body.status)}.`;
    }
    ticketForm.note.value = '';
  } catch (err) {
    flash(`Ticket not saved: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
    showTicketFields();
  }
}

async function createCustomer(event) {
  event.preventDefault();
  if (!current) return;
  const name = customerForm.name.value.trim();
  if (!name) {
    customerForm.name.focus();
    return;
  }
  const body = { name, phones: current.pop.caller_number ? [current.pop.caller_number] : [] };
  if (customerForm.account.value.trim()) body.account = customerForm.account.value.trim();
  try {
    const customer = await api('POST', '/api/customers', body);
    current.pop.customer = customer;
    current.pop.known = true;
    renderPop(current.pop);
    refreshTicketTargets();
    ticketStatus.textContent = '';
    flash(`Customer ${customer.name} created.`, 'ok');
  } catch (err) {
    flash(`Customer not created: ${err.message}`, 'error');
  }
}

/** Wire the forms (once). */
export function startCallForms() {
  notesForm.addEventListener('submit', saveNotes);
  notesForm.notes.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) notesForm.requestSubmit();
  });
  ticketForm.addEventListener('submit', saveTicket);
  ticketForm.target.addEventListener('change', showTicketFields);
  customerForm.addEventListener('submit', createCustomer);
  window.addEventListener('beforeunload', (event) => {
    if (unsavedNotes()) event.preventDefault();
  });
}
