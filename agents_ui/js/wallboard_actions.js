// Strategy: the supervisor's actions on the wallboard, each in a modal dialog so that the
// once-a-second refresh never disturbs a form: change an agent's state
// (POST /api/agents/{id}/state), listen / whisper / barge (POST /api/calls/{id}/spy) and move
// a waiting call to another queue (POST /api/calls/{id}/move).

import { api, seg } from './api.js';
import { label, options } from './dom.js';
import { flash } from './shell.js';

const agentDialog = document.getElementById('agent-dialog');
const agentForm = document.getElementById('agent-form');
const moveDialog = document.getElementById('move-dialog');
const moveForm = document.getElementById('move-form');

let agent = null;
let call = null;

function queueName(queue) {
  return typeof queue === 'string' ? queue : queue.name || queue.id;
}

/** Open the dialog for one agent (an AgentView). */
export function openAgentDialog(view) {
  agent = view;
  document.getElementById('agent-dialog-title').textContent = view.name || view.agent_id;
  document.getElementById('agent-dialog-state').textContent =
    `Now: ${label(view.state)}${view.reason ? ` (${label(view.reason)})` : ''}`;
  document.getElementById('spy-buttons').disabled = !view.call_id;
  agentDialog.showModal();
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
  agentForm.addEventListener('submit', changeState);
  moveForm.addEventListener('submit', move);
  for (const button of document.querySelectorAll('#spy-buttons button')) {
    button.addEventListener('click', () => spy(button.dataset.mode));
  }
  for (const button of document.querySelectorAll('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog').close());
  }
}
