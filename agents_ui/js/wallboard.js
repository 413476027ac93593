// Strategy: the supervisor wallboard, driven by /ws/wallboard: a snapshot on every
// (re)connection, then "changes" at least once a second. Changed queues and agents are merged
// by key (queue name, agent_id); calls and alerts always come as full lists. Rendering is
// keyed (syncChildren), so open controls survive the refresh; tickers count between updates.

import { api } from './api.js';
import { center, centerTime, clock, duration, el, label, num, percent, setText, startTicker, syncChildren } from './dom.js';
import { flash, showConnection, startPage } from './shell.js';
import { callWord, normalAgent, normalCounts } from './states.js';
import { openAgentDialog, openMoveDialog, refreshAgentDialog, startActions } from './wallboard_actions.js';
import { LiveSocket } from './ws.js';

const STATES = ['ready', 'talking', 'ringing', 'wrap_up', 'not_ready', 'logged_out'];

const board = { at: 0, queues: new Map(), agents: new Map(), calls: [], alerts: [], config: {} };

function merge(map, items, key) {
  for (const item of items || []) map.set(item[key], item);
}

function onMessage(message) {
  if (message.type !== 'snapshot' && message.type !== 'changes') return;
  if (message.type === 'snapshot') {
    board.queues.clear();
    board.agents.clear();
  }
  board.at = message.at;
  clock.sync(message.at);
  merge(board.queues, message.queues, 'queue');
  merge(board.agents, (message.agents || []).map(normalAgent), 'agent_id');
  if (message.calls) board.calls = message.calls;
  if (message.alerts) board.alerts = message.alerts;
  render();
}

function render() {
  renderAlerts();
  renderQueues();
  renderCalls();
  renderAgents();
}

function renderAlerts() {
  syncChildren(
    document.getElementById('alerts'),
    board.alerts,
    (alert) => `${alert.queue ?? '*'}:${alert.kind}:${alert.server ?? ''}`,
    () => el('div', { class: 'alert', role: 'alert' }),
    // An alert without a queue concerns the whole floor (Asterisk cannot ring the agents).
    (node, alert) => setText(node, `⚠ ${alert.queue ? `${alert.queue}: ` : ''}${alert.message}`),
  );
}

// --- queues -----------------------------------------------------------------------------

function metric(name, title, big = false) {
  return el('div', { class: `metric${big ? ' big' : ''}`, dataset: { metric: name } },
    el('div', { class: 'label', text: title }), el('div', { class: 'value', text: '–' }));
}

function createQueue(queue) {
  return el('article', { class: 'panel queue-tile', 'aria-label': `Queue ${queue.queue}` },
    el('h2', {}, el('span', { text: queue.queue }), el('span', { class: 'staffed muted' }),
      el('span', { class: 'closed-badge', hidden: true, text: 'Closed (opening hours)' })),
    el('div', { class: 'metrics' },
      metric('waiting', 'Calls waiting', true), metric('longest', 'Longest wait', true),
      metric('sl', 'Service level', true), metric('asa', 'ASA'), metric('aht', 'AHT'),
      metric('abandon', 'Abandon rate'), metric('ewt', 'Estimated wait'),
      metric('needed', 'Agents needed now'), metric('volume', 'Offered / answered')),
    el('div', { class: 'by-state', 'aria-label': 'Agents by state' }));
}

function setMetric(node, name, text, tone = null) {
  const box = node.querySelector(`[data-metric="${name}"]`);
  box.classList.toggle('good', tone === 'good');
  box.classList.toggle('bad', tone === 'bad');
  setText(box.querySelector('.value'), text);
  return box.querySelector('.value');
}

function updateQueue(node, q) {
  const breached = board.alerts.some((alert) => alert.queue === q.queue);
  node.classList.toggle('breach', breached);
  setText(node.querySelector('.staffed'), `${q.staffed ?? 0} staffed`);
  // Closed by its opening hours: new callers go to the queue's overflow.
  node.querySelector('.closed-badge').hidden = q.open !== false;
  node.classList.toggle('closed', q.open === false);
  const callbacks = q.callbacks_waiting ? ` +${q.callbacks_waiting} cb` : '';
  setMetric(node, 'waiting', `${q.calls_waiting ?? 0}${callbacks}`, q.calls_waiting > 0 ? 'bad' : null);
  const longest = setMetric(node, 'longest', duration(q.longest_wait));
  if (q.calls_waiting > 0 && q.longest_wait) longest.dataset.since = String(board.at - q.longest_wait);
  else delete longest.dataset.since;
  const slTone = q.service_level === null || q.service_level === undefined ? null
    : q.service_level >= q.service_level_target ? 'good' : 'bad';
  const sl = setMetric(node, 'sl', percent(q.service_level), slTone);
  sl.title = `Target ${percent(q.service_level_target)} within ${num(q.service_level_seconds)} s`;
  setText(node.querySelector('[data-metric="sl"] .label'),
    `Service level (target ${percent(q.service_level_target)} in ${num(q.service_level_seconds)} s)`);
  setMetric(node, 'asa', duration(q.asa));
  setMetric(node, 'aht', duration(q.aht));
  setMetric(node, 'abandon', percent(q.abandon_rate));
  setMetric(node, 'ewt', duration(q.estimated_wait));
  const short = q.agents_needed !== null && q.agents_needed !== undefined && q.agents_needed > (q.staffed ?? 0);
  setMetric(node, 'needed', q.agents_needed === null || q.agents_needed === undefined ? '–' : String(q.agents_needed), short ? 'bad' : null);
  setMetric(node, 'volume', `${q.offered ?? 0} / ${q.answered ?? 0}`);
  const byState = normalCounts(q.agents_by_state);
  const counts = STATES.map((state) => [state, byState[state] || 0]).filter(([, n]) => n > 0);
  syncChildren(node.querySelector('.by-state'), counts, ([state]) => state,
    ([state]) => el('span', { class: 'state', dataset: { state } }),
    (chip, [state, n]) => setText(chip, `${label(state)}: ${n}`));
}

function renderQueues() {
  const queues = [...board.queues.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  syncChildren(document.getElementById('queues'), queues, (q) => q.queue, createQueue, updateQueue);
}

// --- servers ----------------------------------------------------------------------------

// With several Asterisk servers a caller is answered only by an agent on the caller's server:
// then each waiting call and each agent shows its server; with one, nothing changes.
function servers() {
  const names = new Set();
  for (const agent of board.agents.values()) if (agent.server) names.add(agent.server);
  for (const call of board.calls) if (call.server) names.add(call.server);
  return names;
}

// --- calls ------------------------------------------------------------------------------

function createCall(call) {
  const move = el('button', { type: 'button', text: 'Move…', 'aria-label': 'Move this call to another queue' });
  move.addEventListener('click', () => openMoveDialog(board.calls.find((c) => c.call_id === move.closest('tr').dataset.key) || call, board.config));
  return el('tr', {}, ...Array.from({ length: 9 }, () => el('td')), el('td', {}, move));
}

function updateCall(row, call) {
  const cells = row.cells;
  const waiting = callWord(call.state) === 'Waiting';
  row.dataset.callId = call.call_id;
  row.dataset.state = call.state;
  cells[0].className = 'num';
  setText(cells[0], call.position ?? '–');
  const where = call.server && servers().size > 1 ? ` · ${call.server}` : '';
  row.dataset.server = call.server || '';
  setText(cells[1], `${call.queue}${where}`);
  setText(cells[2], call.caller || 'withheld');
  setText(cells[3], call.customer_name || '–');
  setText(cells[4], callWord(call.state) || label(call.state));
  cells[5].className = 'num';
  if (waiting) cells[5].dataset.since = String(board.at - (call.waited || 0));
  else delete cells[5].dataset.since;
  setText(cells[5], duration(call.waited));
  cells[6].className = 'num';
  setText(cells[6], waiting ? duration(call.estimated_wait) : '–');
  cells[7].className = 'num';
  setText(cells[7], call.priority ?? '–');
  setText(cells[8], call.agent_id ? (board.agents.get(call.agent_id) || {}).name || call.agent_id : '–');
  cells[9].querySelector('button').hidden = !waiting;
}

function renderCalls() {
  const order = (call) => (callWord(call.state) === 'Waiting' ? 0 : 1);
  const calls = [...board.calls].sort((a, b) => order(a) - order(b) || (a.position ?? 0) - (b.position ?? 0));
  syncChildren(document.querySelector('#calls tbody'), calls, (c) => c.call_id, createCall, updateCall);
  document.getElementById('calls-empty').hidden = calls.length > 0;
}

// --- agents -----------------------------------------------------------------------------

function createAgent(agent) {
  const manage = el('button', { type: 'button', text: 'Manage…' });
  const card = el('article', { class: 'agent-card' },
    el('div', { class: 'name' }), el('div', { class: 'state-text' }), el('div', { class: 'time' }),
    el('div', { class: 'detail muted' }), manage);
  manage.addEventListener('click', () => openAgentDialog(board.agents.get(card.dataset.key) || agent));
  return card;
}

function updateAgent(card, agent) {
  card.dataset.state = agent.state;
  card.dataset.agentId = agent.agent_id;
  card.setAttribute('aria-label', `${agent.name || agent.agent_id}: ${label(agent.state)}`);
  setText(card.querySelector('.name'), agent.name || agent.agent_id);
  setText(card.querySelector('.state-text'), `${label(agent.state)}${agent.reason ? ` · ${label(agent.reason)}` : ''}`);
  const time = card.querySelector('.time');
  time.dataset.since = String(agent.since);
  setText(time, duration(clock.now() - agent.since));
  const where = agent.server && servers().size > 1 ? ` · on ${agent.server}` : '';
  card.dataset.server = agent.server || '';
  setText(card.querySelector('.detail'), `${(agent.queues || []).join(', ')} · ${agent.handled ?? 0} handled${where}`);
  card.querySelector('button').setAttribute('aria-label', `Manage ${agent.name || agent.agent_id}`);
}

function renderAgents() {
  const rank = (agent) => STATES.indexOf(agent.state);
  const agents = [...board.agents.values()].sort(
    (a, b) => rank(a) - rank(b) || (a.name || a.agent_id).localeCompare(b.name || b.agent_id));
  syncChildren(document.getElementById('agents'), agents, (a) => a.agent_id, createAgent, updateAgent);
  for (const agent of agents) refreshAgentDialog(agent);
}

async function main() {
  await startPage(['supervisor', 'admin']);
  try {
    board.config = await api('GET', '/api/config/public');
    center.configure(board.config);
  } catch (err) {
    flash(`Settings could not be loaded: ${err.message}`, 'error');
  }
  startActions(board.config);
  startTicker();
  const clockNode = document.getElementById('clock');
  // The center's time, on the server's clock, with its zone: the wallboard may hang abroad.
  const tick = () => setText(clockNode, centerTime(clock.now(), { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }));
  tick();
  window.setInterval(tick, 1000);
  new LiveSocket('/ws/wallboard', { onMessage, onStatus: showConnection }).start();
}

main().catch(() => {});
