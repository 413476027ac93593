// Strategy: the supervisor's actions on the wallboard, each in a modal dialog so that the
// once-a-second refresh never disturbs a form: change an agent's state
// (POST /api/agents/{id}/state), listen / whisper / barge (POST /api/calls/{id}/spy) and move
// a waiting call to another queue (POST /api/calls/{id}/move).

import { api, seg } from './api.js';
import { el, fill, label, options } from './dom.js';
import { flash } from './shell.js';

// What each state change is called; the dialog offers only the changes the server lists as
// legal from the agent's state (AgentView.moves), so "Log in" is never offered to a
// talking agent.
const MOVE_WORDS = { logged_in: 'Log in', ready: 'Ready', not_ready: 'Not ready', logged_out: 'Log out' };

const agentDialog = document.getElementById('agent-dialog');
const agentForm = document.getElementById('agent-form');
const moveDialog = document.getElementById('move-dialog');
const moveForm = document.getElementById('move-form');

let agent = null;
let call = null;

function queueName(queue) {
  return typeof queue === 'string' ? queue : queue.name || queue.id;
}

function showAgent(view) {
  agent = view;
  document.getElementById('agent-dialog-title').textContent = view.name || view.agent_id;
  document.getElementById('agent-dialog-state').textContent =
    `Now: ${label(view.state)}${view.reason ? ` (${label(view.reason)})` : ''}`;
  document.getElementById('spy-buttons').disabled = !view.call_id;
  const moves = (Array.isArray(view.moves) ? view.moves : Object.keys(MOVE_WORDS))
    .filter((move) => move in MOVE_WORDS);
  const select = agentForm.state;
  const chosen = select.value;
  fill(select, moves.map((move) => el('option', { value: move, text: MOVE_WORDS[move] })));
  if (moves.includes(chosen)) select.value = chosen;
  const none = moves.length === 0;
  select.disabled = none;
  agentForm.querySelector('button[type="submit"]').disabled = none;
  const note = document.getElementById('agent-no-moves');
  note.hidden = !none;
  note.textContent = none ? `No change of state while ${label(view.state).toLowerCase()}: wait for the call to end.` : '';
  syncReason();
}

// The reason only matters for "Not ready".
function syncReason() {
  agentForm.reason.disabled = agentForm.state.value !== 'not_ready';
}

/** Open the dialog for one agent (an AgentView). */
export function openAgentDialog(view) {
  agentForm.state.value = '';
  showAgent(view);
  agentDialog.showModal();
}

const shape = (view) => `${view.state}|${view.reason}|${view.call_id}|${(view.moves || []).join()}`;

/** The agent of the open dialog changed state: offer what is legal now (an unchanged
 * agent leaves the dialog alone, so an open list is not closed under the pointer). */
export function refreshAgentDialog(view) {
  if (!agentDialog.open || !agent || !view || agent.agent_id !== view.agent_id) return;
  if (shape(agent) !== shape(view)) showAgent(view);
}

/** Open the dialog to move one waiting call (a CallView). */
export function openMoveDialog(view, config) {
  call = view;
  const queues = (config.queues || []).map(queueName).filter((name) => name !== view.queue);
  options(moveForm.queue, queues);
  document.getElementById('move-dialog-call').textContent =
    `${view.customer_name || view.caller || 'Caller'} in ${view.queue}`;
  moveDialog.showModal();
}

async function changeState(event) {
  event.preventDefault();
  const state = agentForm.state.value;
  const reason = state === 'not_ready' ? agentForm.reason.value : null;
  if (state === 'not_ready' && !reason) {
    agentForm.reason.focus();
    return;
  }
  try {
    await api('POST', `/api/agents/${seg(agent.agent_id)}/state`, { state, reason });
    flash(`${agent.name || agent.agent_id}: ${label(state)}.`, 'ok');
    agentDialog.close();
  } catch (err) {
    flash(err.message, 'error');
  }
}

async function spy(mode) {
  try {
    const result = await api('POST', `/api/calls/${seg(agent.call_id)}/spy`, { mode });
    flash(`${label(mode)}: your phone${result && result.endpoint ? ` (${result.endpoint})` : ''} is ringing.`, 'ok');
    agentDialog.close();
  } catch (err) {
    flash(err.message, 'error');
  }
}

async function move(event) {
  event.preventDefault();
  const queue = moveForm.queue.value;
  if (!queue) return;
  try {
    await api('POST', `/api/calls/${seg(call.call_id)}/move`, { queue });
    flash(`Call moved to ${queue}.`, 'ok');
    moveDialog.close();
  } catch (err) {
    flash(err.message, 'error');
  }
}

/** Wire the dialogs once the public config (pause reasons) is known. */
export function startActions(config) {
  options(agentForm.reason, config.pause_reasons || [], { blank: '—' });
  agentForm.state.addEventListener('change', syncReason);
  agentForm.addEventListener('submit', changeState);
  moveForm.addEventListener('submit', move);
  for (const button of document.querySelectorAll('#spy-buttons button')) {
    button.addEventListener('click', () => spy(button.dataset.mode));
  }
  for (const button of document.querySelectorAll('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog').close());
  }
}
