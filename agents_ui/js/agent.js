// Strategy: the agent desktop. /ws/agent is the single source of truth for the agent's state
// and the call on screen: a snapshot on every (re)connection, then state / offer / pop /
// offer_cancelled / connected / ended / wrap_up messages. Buttons only ask the server
// (POST /api/agents/{id}/state); the screen changes when the server says so.

import { api, seg } from './api.js';
import { attemptOf, startCallbacks, refreshCallbacks } from './callbacks.js';
import { setCall, startCallForms } from './call_forms.js';
import { isVoicemail, showVoicemailWork, startVoicemailWork } from './voicemail_offer.js';
import { center, clock, duration, label, options, percent, startTicker } from './dom.js';
import { renderPop } from './pop.js';
import { busy, clearFlash, flash, showConnection, startPage } from './shell.js';
import { normalAgent } from './states.js';
import { LiveSocket } from './ws.js';

const $ = (id) => document.getElementById(id);

const desk = {
  agentId: null,
  config: { pause_reasons: [], dispositions: [], ticket_categories: [], ticket_statuses: [] },
  agent: null,
  call: null, // {callId, queue, phase: ringing|talking|ended|wrap_up|done, ringEnds, pop, attempt}
};

// Which state buttons make sense in which agent state; the server has the last word.
const ALLOWED = {
  login: ['logged_out'],
  ready: ['not_ready', 'wrap_up'],
  pause: ['ready', 'not_ready', 'wrap_up'],
  logoff: ['ready', 'not_ready', 'wrap_up'],
};

function renderAgent(view) {
  const agent = normalAgent(view);
  desk.agent = agent;
  clock.sync(agent.since + agent.time_in_state);
  const badge = $('state');
  badge.dataset.state = agent.state;
  badge.textContent = label(agent.state);
  $('state-reason').textContent = agent.reason ? `(${label(agent.reason)})` : '';
  $('state-timer').dataset.since = String(agent.since);
  $('state-timer').textContent = duration(agent.time_in_state);
  $('stat-queues').textContent = (agent.queues || []).join(', ') || '–';
  $('stat-calls').textContent = String(agent.calls_today ?? '–');
  $('stat-handled').textContent = String(agent.handled ?? '–');
  $('stat-aht').textContent = duration(agent.aht);
  $('stat-occupancy').textContent = percent(agent.occupancy);
  $('btn-login').disabled = !ALLOWED.login.includes(agent.state);
  $('btn-ready').disabled = !ALLOWED.ready.includes(agent.state);
  $('btn-pause').disabled = !ALLOWED.pause.includes(agent.state);
  $('btn-logoff').disabled = !ALLOWED.logoff.includes(agent.state);
  if (agent.state === 'wrap_up' && desk.call && agent.wrap_up_ends) {
    startWrapUp(agent.wrap_up_ends);
  } else if (agent.state === 'talking' && desk.call && desk.call.phase === 'ringing') {
    setPhase('talking');
  } else if (desk.call && desk.call.phase === 'wrap_up' && agent.state !== 'wrap_up') {
    setPhase('done');
  }
}

async function changeState(state, button) {
  const body = { state, reason: null };
  if (state === 'not_ready') {
    const reason = $('pause-reason').value;
    if (!reason) {
      $('pause-reason').focus();
      flash('Choose a reason for not ready first.', 'error');
      return;
    }
    body.reason = reason;
  }
  const agent = await busy(button, () => api('POST', `/api/agents/${seg(desk.agentId)}/state`, body));
  if (agent) renderAgent(agent);
}

// --- the call on screen -----------------------------------------------------------------

function showCall(callId, queue, pop, phase) {
  if (!desk.call || desk.call.callId !== callId) {
    desk.call = { callId, queue, phase, ringEnds: null, pop, attempt: null };
    showAttempt(callId);
  }
  desk.call.pop = pop;
  renderPop(pop);
  setCall(callId, pop, desk.config);
  $('idle').hidden = true;
  $('pop').hidden = false;
  setPhase(phase);
}

// A callback says which attempt at its request it is, once the request is read.
async function showAttempt(callId) {
  const attempt = await attemptOf(callId);
  if (!attempt || !desk.call || desk.call.callId !== callId) return;
  desk.call.attempt = attempt;
  setPhase(desk.call.phase);
}

// The pop of a call: from the message when it has one, else from the API (a snapshot taken
// while the pop was still being gathered, or a reconnect during a call).
async function popOf(callId, pop) {
  if (pop) return pop;
  try {
    return await api('GET', `/api/pops/${seg(callId)}`);
  } catch (err) {
    flash(`The caller's record could not be loaded: ${err.message}`, 'error');
    return { caller_number: null, customer: null, ivr_answers: {}, history: [], open_tickets: [] };
  }
}

async function showOffer(offer) {
  // A new call: what went wrong before it (a reason not chosen, a failed save) is over.
  if (!desk.call || desk.call.callId !== offer.call_id) clearFlash();
  const pop = await popOf(offer.call_id, offer.pop);
  showCall(offer.call_id, offer.queue, pop, 'ringing');
  desk.call.ringEnds = offer.offered_at + offer.ring_timeout;
  setPhase('ringing');
  const who = pop.customer ? pop.customer.name : pop.caller_number || 'unknown caller';
  const what = isVoicemail(offer.call_id) ? 'Voicemail' : 'Incoming call';
  $('announce').textContent = `${what} from ${who}${pop.vip ? ', VIP' : ''}.`;
}

async function resumeCall(call) {
  const pop = await popOf(call.call_id, call.pop);
  const phase = { ringing: 'ringing', talking: 'talking', wrap_up: 'wrap_up' }[desk.agent && desk.agent.state] || 'ended';
  showCall(call.call_id, call.queue || pop.queue, pop, phase);
  if (phase === 'wrap_up' && desk.agent.wrap_up_ends) startWrapUp(desk.agent.wrap_up_ends);
}

function setPhase(phase) {
  if (!desk.call) return;
  desk.call.phase = phase;
  const panel = $('pop');
  panel.dataset.phase = phase;
  const banner = $('call-banner');
  const { attempt } = desk.call;
  const callback = attempt ? ` · callback, attempt ${attempt.attempt} of ${attempt.of}` : '';
  const queue = `${callback}${desk.call.queue ? ` · queue ${desk.call.queue}` : ''}`;
  banner.replaceChildren();
  if (phase === 'ringing') {
    const left = document.createElement('span');
    left.dataset.until = String(desk.call.ringEnds);
    left.textContent = duration(desk.call.ringEnds - clock.now());
    banner.append(`Incoming call${queue} · ringing, `, left, ' left to answer');
  } else if (phase === 'talking') {
    const talk = document.createElement('span');
    talk.dataset.since = String(desk.agent && desk.agent.state === 'talking' ? desk.agent.since : clock.now());
    talk.textContent = '0:00';
    banner.append(`On call${queue} · `, talk);
  } else {
    banner.textContent = { ended: 'Call ended', wrap_up: 'Wrap-up', done: 'Call finished' }[phase] + queue;
  }
  if (phase !== 'wrap_up') $('wrapup').hidden = true;
  $('btn-close-call').hidden = phase !== 'done' && phase !== 'ended';
  showVoicemailWork(desk.call.callId, phase, desk.call.queue);
}

function startWrapUp(endsAt) {
  setPhase('wrap_up');
  $('wrapup').hidden = false;
  $('wrapup-left').dataset.until = String(endsAt);
  $('wrapup-left').textContent = duration(endsAt - clock.now());
}

function closeCall() {
  showVoicemailWork(null);
  desk.call = null;
  $('pop').hidden = true;
  $('idle').hidden = false;
}

// --- messages from /ws/agent -----------------------------------------------------------

function onMessage(message) {
  const sameCall = desk.call && desk.call.callId === message.call_id;
  switch (message.type) {
    case 'snapshot':
      renderAgent(message.agent);
      if (message.offer) showOffer(message.offer);
      else if (message.call) resumeCall(message.call);
      else if (desk.call && desk.call.phase === 'ringing') closeCall();
      break;
    case 'state':
      renderAgent(message.agent);
      break;
    case 'offer':
      showOffer(message);
      break;
    case 'pop':
      // The whole record (history, open tickets) follows the offer's first lines.
      if (sameCall) {
        desk.call.pop = message.pop;
        renderPop(message.pop);
        setCall(message.call_id, message.pop, desk.config);
      }
      break;
    case 'offer_cancelled':
      if (sameCall) {
        closeCall();
        flash(`The call was withdrawn (${label(message.reason)}).`, 'info');
      }
      break;
    case 'connected':
      if (sameCall) setPhase('talking');
      break;
    case 'ended':
      // The wrap-up state may have arrived first; its countdown stays.
      if (sameCall && desk.call.phase !== 'wrap_up') setPhase('ended');
      refreshCallbacks();
      break;
    case 'wrap_up':
      if (sameCall) startWrapUp(message.ends_at);
      break;
    default:
      break;
  }
}

// --- keyboard ---------------------------------------------------------------------------

function onKey(event) {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const actions = {
    KeyL: () => $('btn-login').click(),
    KeyR: () => $('btn-ready').click(),
    KeyO: () => $('btn-logoff').click(),
    KeyP: () => ($('pause-reason').value ? $('btn-pause').click() : $('pause-reason').focus()),
    KeyN: () => !$('pop').hidden && $('notes').focus(),
    KeyT: () => !$('pop').hidden && $('ticket-target').focus(),
  };
  const action = actions[event.code];
  if (action) {
    event.preventDefault();
    action();
  }
}

async function main() {
  const user = await startPage(['agent']);
  desk.agentId = user.agent_id || user.username;
  startCallForms();
  startTicker();
  try {
    desk.config = await api('GET', '/api/config/public');
    center.configure(desk.config);
  } catch (err) {
    flash(`Settings could not be loaded: ${err.message}`, 'error');
  }
  options($('pause-reason'), desk.config.pause_reasons || [], { blank: 'Choose a reason…' });
  // Choosing the reason answers "Choose a reason for not ready first."
  $('pause-reason').addEventListener('change', () => $('pause-reason').value && clearFlash(['error']));
  $('btn-login').addEventListener('click', (e) => changeState('logged_in', e.currentTarget));
  $('btn-ready').addEventListener('click', (e) => changeState('ready', e.currentTarget));
  $('btn-ready-now').addEventListener('click', (e) => changeState('ready', e.currentTarget));
  $('btn-pause').addEventListener('click', (e) => changeState('not_ready', e.currentTarget));
  $('btn-logoff').addEventListener('click', (e) => changeState('logged_out', e.currentTarget));
  $('btn-close-call').addEventListener('click', closeCall);
  startVoicemailWork(() => (desk.call ? desk.call.callId : null));
  document.addEventListener('keydown', onKey);
  // A first paint before the socket's snapshot; the snapshot wins if it came first.
  api('GET', `/api/agents/${seg(desk.agentId)}`).then(
    (agent) => desk.agent === null && renderAgent(agent),
    // 404: no agent of this login is configured; the socket's close explains it in full.
    (err) => err.status !== 404 && flash(err.message, 'error'),
  );
  new LiveSocket('/ws/agent', { onMessage, onStatus: showConnection }).start();
  startCallbacks();
}

main().catch(() => {});
