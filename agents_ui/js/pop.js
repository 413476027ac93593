// Strategy: render a screen pop (cti ScreenPop.as_dict()) into the agent desktop's pop panel.
// Pure rendering: every value goes in as text.

import { center, el, fill, label, when } from './dom.js';

const byId = (id) => document.getElementById(id);

function text(id, value, fallback = '–') {
  byId(id).textContent = value === null || value === undefined || value === '' ? fallback : String(value);
}

function rows(tableId, items, cells, emptyText) {
  const body = byId(tableId).querySelector('tbody');
  if (items.length === 0) {
    fill(body, el('tr', {}, el('td', { colspan: String(byId(tableId).tHead.rows[0].cells.length), class: 'muted', text: emptyText })));
    return;
  }
  fill(body, items.map((item) => el('tr', {}, cells(item).map((cell) => (cell instanceof Node ? el('td', {}, cell) : el('td', { text: cell ?? '–' }))))));
}

/** Show the pop: customer (or an unknown caller), tier, IVR answers, history and tickets. */
export function renderPop(pop) {
  const customer = pop.customer;
  const panel = byId('pop');
  panel.classList.toggle('vip', Boolean(pop.vip));
  text('pop-name', customer ? customer.name : 'Unknown caller');
  const tier = byId('pop-tier');
  tier.hidden = !customer;
  if (customer) {
    tier.dataset.tier = customer.tier;
    tier.textContent = customer.tier === 'vip' ? '★ VIP' : label(customer.tier);
    tier.setAttribute('aria-label', `Tier: ${customer.tier}`);
  }
  text('pop-number', pop.caller_number, 'withheld');
  text('pop-account', customer && customer.account);
  text('pop-language', customer && customer.language);
  text('pop-greeting', pop.greeting);
  text('pop-notes', customer && customer.notes);
  byId('customer-form').hidden = Boolean(customer && customer.id !== null && customer.id !== undefined);

  const path = pop.ivr_path || [];
  text('ivr-path', path.length ? `Path: ${path.join(' › ')}` : '', '');
  // The server labels the answers as the flow says and leaves its own data (dialled
  // number, call id, estimated wait) out; raw pairs only from a server that does not.
  const answers = Array.isArray(pop.answers)
    ? pop.answers.map((answer) => [answer.label, answer.value])
    : Object.entries(pop.ivr_answers || {}).map(([key, value]) => [label(key), value]);
  rows('ivr-answers', answers, ([question, value]) => [question, String(value)], 'No answers given in the IVR.');
  rows(
    'history',
    pop.history || [],
    (item) => [when(item.arrived_at), item.queue, center.agentName(item.agent), label(item.outcome), label(item.disposition), item.notes],
    'No earlier calls.',
  );
  rows('tickets', pop.open_tickets || [], ticketCells, 'No open tickets.');
}

function ticketCells(ticket) {
  const due = el('span', { class: ticket.overdue ? 'overdue' : null, text: when(ticket.due_at) });
  if (ticket.overdue) due.append(' (overdue)');
  return [`#${ticket.id}`, label(ticket.category), ticket.subject, label(ticket.status), due];
}
