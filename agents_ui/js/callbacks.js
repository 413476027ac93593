// The callback list (the agent's desk and the worklist): GET /api/callbacks?status=pending,
// the user's queues only (the server scopes it), refreshed on demand, every minute and
// after each call. Each request shows who, why (where it came from), its window, its
// attempts with their results, and is flagged when overdue (its window ends within half an
// hour and nobody reached the customer yet: at its end it fails, "window missed") or
// waiting for a later window. Actions: Move (to 1, 3 or 24 hours
// from now: POST .../reschedule; it leaves the line and joins it again then) and Cancel
// (POST .../cancel, after a confirmation). A request being dialled right now cannot be
// changed: the server says so (409) and the message is shown. On the desk, a callback
// offered to the agent says which attempt it is ("attempt 2 of 3", `attemptOf`).

import { api } from './api.js';
import { el, fill, when } from './dom.js';
import { flash } from './shell.js';

const table = document.getElementById('callbacks');
const empty = document.getElementById('callbacks-empty');

const MOVES = [
  ['1', 'in 1 hour'],
  ['3', 'in 3 hours'],
  ['24', 'in 24 hours'],
];

const RESULTS = {
  reached: 'reached',
  busy: 'busy',
  'no-answer': 'no answer',
  rejected: 'rejected',
  failed: 'failed',
  'not-dialled': 'not dialled',
  'not-reached': 'not reached',
};

function attempts(callback) {
  const history = callback.history || [];
  if (!history.length) return String(callback.attempts ?? 0);
  return `${history.length}: ${history.map((a) => RESULTS[a.result] || a.result).join(', ')}`;
}

function flags(callback) {
  const out = [];
  if (callback.overdue) out.push(el('span', { class: 'badge bad', text: 'Overdue' }));
  if (callback.scheduled) out.push(el('span', { class: 'badge', text: 'Later' }));
  return out;
}

async function act(path, body, done) {
  try {
    await api('POST', path, body);
  } catch (err) {
    flash(`Callback: ${err.message}`, 'error');
    return;
  }
  flash(done, 'ok');
  await refreshCallbacks();
}

function actions(callback) {
  const label = callback.customer_name || callback.name || callback.number;
  const select = el(
    'select',
    { 'aria-label': `When to call ${label} back` },
    MOVES.map(([hours, text]) => el('option', { value: hours, text })),
  );
  const move = el('button', {
    type: 'button',
    text: 'Move',
    'aria-label': `Move the callback to ${label}`,
    onclick: () => {
      const start = new Date(Date.now() + Number(select.value) * 3600 * 1000);
      act(
        `/api/callbacks/${callback.id}/reschedule`,
        { window_start: start.toISOString() },
        `Callback to ${label} moved to ${when(start.toISOString())}.`,
      );
    },
  });
  const cancel = el('button', {
    type: 'button',
    text: 'Cancel',
    'aria-label': `Cancel the callback to ${label}`,
    onclick: () => {
      // eslint-disable-next-line no-alert -- a plain confirmation keeps the keyboard path short
      if (!window.confirm(`Call ${label} back no more?`)) return;
      act(`/api/callbacks/${callback.id}/cancel`, {}, `Callback to ${label} cancelled.`);
    },
  });
  return el('div', { class: 'row' }, select, move, cancel);
}

/** Reload the callback list. */
export async function refreshCallbacks() {
  let list;
  try {
    list = await api('GET', '/api/callbacks?status=pending');
  } catch (err) {
    flash(`Callbacks: ${err.message}`, 'error');
    return;
  }
  empty.hidden = list.length > 0;
  fill(
    table.tBodies[0],
    list.map((callback) =>
      el(
        'tr',
        { dataset: { callback: callback.id }, class: callback.overdue ? 'overdue' : null },
        el('td', { text: callback.number || '–' }),
        el('td', { text: callback.customer_name || callback.name || '–' }),
        el('td', { text: callback.queue || '–' }),
        el('td', { text: callback.channel || 'ivr' }),
        el('td', {}, `${when(callback.window_start)} – ${when(callback.window_end)}`, ...flags(callback)),
        el('td', { text: attempts(callback) }),
        el('td', {}, actions(callback)),
      ),
    ),
  );
}

/**
 * Which attempt at its request the call `callId` is, when it is a callback (`cb-<id>`):
 * `{ attempt, of }` (the one under way, and the most its queue's retry policy allows), or
 * null for any other call or a request no longer pending.
 */
export async function attemptOf(callId) {
  const match = /^cb-(\d+)$/.exec(callId || '');
  if (!match) return null;
  let list;
  try {
    list = await api('GET', '/api/callbacks?status=pending');
  } catch {
    return null; // the banner says "Incoming call" then; the call goes on
  }
  const callback = list.find((item) => String(item.id) === match[1]);
  return callback ? { attempt: (callback.attempts ?? 0) + 1, of: callback.max_attempts } : null;
}

/** Wire the refresh button and the one-minute timer. */
export function startCallbacks() {
  document.getElementById('btn-callbacks').addEventListener('click', refreshCallbacks);
  window.setInterval(refreshCallbacks, 60000);
  return refreshCallbacks();
}
