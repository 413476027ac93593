// Strategy: render a screen pop (cti ScreenPop.as_dict()) into the agent desktop's pop panel.
// Pure rendering: every value goes in as text. The pop's history is the caller's last calls
// (every ending: answered, self-service, hung up in the IVR, voicemail ...), gathered on the
// call path; a known customer's callback requests and each attempt at them are added from
// GET /api/customers/{id}/history once the pop shows (off the call path, remembered for a
// little while), so the history lists every contact; each attempt with the notes and
// disposition its agent wrote, each automated follow-up call with its ticket and result.

import { api, query, seg } from './api.js';
import { center, el, fill, label, when } from './dom.js';

const CALLBACKS_KEPT_MS = 30000;
// What the call path's history cannot tell apart from calls: callback requests, each attempt
// (cb-<request>-<n>) and each automated follow-up call about a ticket (fu-<follow-up>-<n>).
const NUMBERED_KINDS = new Set(['callback', 'callback_attempt', 'followup_call']);
const callbacksOf = new Map(); // customer id -> { at, items }
let shown = null; // the pop on screen: a late answer for an earlier one is dropped

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
  shown = pop;
  renderHistory(pop, cachedCallbacks(customer));
  rows('tickets', pop.open_tickets || [], ticketCells, 'No open tickets.');
  addCallbacks(pop, customer);
}

function renderHistory(pop, callbacks) {
  // Each callback attempt (cb-<request>-<n>) and follow-up call (fu-<follow-up>-<n>) is an
  // interaction of its own: listed once, with its number, when the customer's are known.
  const attempts = new Set(callbacks.map((item) => item.call_id));
  const calls = (pop.history || [])
    .filter((item) => !attempts.has(item.uniqueid))
    .map((item) => ({ ...item, at: item.arrived_at }));
  const items = [...calls, ...callbacks].sort((a, b) => new Date(b.at) - new Date(a.at));
  rows(
    'history',
    items,
    (item) => [when(item.at), item.queue, center.agentName(item.agent), outcomeOf(item), label(item.disposition), item.notes],
    'No earlier calls.',
  );
}

/** A call's ending, or what a callback request or attempt came to. */
function outcomeOf(item) {
  if (item.kind === 'callback') return `Callback request: ${label(item.outcome)}`;
  if (item.kind === 'callback_attempt') return `Callback attempt ${item.attempt}: ${label(item.outcome)}`;
  if (item.kind === 'followup_call') return `Follow-up call ${item.attempt} (ticket #${item.ticket_id}): ${label(item.outcome ?? 'dialling')}`;
  return label(item.outcome);
}

function cachedCallbacks(customer) {
  const kept = customer && callbacksOf.get(customer.id);
  return kept ? kept.items : [];
}

async function addCallbacks(pop, customer) {
  if (!customer || customer.id === null || customer.id === undefined) return;
  const kept = callbacksOf.get(customer.id);
  if (kept && Date.now() - kept.at < CALLBACKS_KEPT_MS) return;
  try {
    const contacts = await api('GET', `/api/customers/${seg(customer.id)}/history${query({ limit: 20 })}`);
    const items = contacts.filter((c) => NUMBERED_KINDS.has(c.kind));
    callbacksOf.set(customer.id, { at: Date.now(), items });
    if (shown === pop) renderHistory(pop, items);
  } catch {
    // The calls are shown already; the callbacks come with the next pop.
  }
}

function ticketCells(ticket) {
  const due = el('span', { class: ticket.overdue ? 'overdue' : null, text: when(ticket.due_at) });
  if (ticket.overdue) due.append(' (overdue)');
  return [`#${ticket.id}`, label(ticket.category), ticket.subject, label(ticket.status), due];
}
