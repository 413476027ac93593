// Strategy: the voicemail inbox (issue 17). GET /api/voicemails lists the messages of the
// user's queues (filter by queue and state); a row opens the message: its facts, a player
// whose source is the message's audio route (the server checks the queue and finds the
// file), and the actions: Take it (agents: the message is theirs), Call back (an
// agent-first callback through the ACD) and Close with a disposition and a note. A refusal
// (someone else took it, already closed) is flashed and the list reloaded. The desktop
// links a voicemail it handles as /voicemail?call=vm-<call id>, which opens that message.

import { api, query } from './api.js';
import { center, duration, el, fill, label, options, when } from './dom.js';
import { busy, clearFlash, flash, startPage } from './shell.js';

const $ = (id) => document.getElementById(id);
const filters = $('filters');
const closeForm = $('close-form');
let user = null;
let shown = null;

function filterQuery() {
  const params = {};
  if (filters.queue.value) params.queue = filters.queue.value;
  if (filters.status.value) params.status = filters.status.value;
  return query(params);
}

function messageRow(m) {
  return el(
    'tr',
    { dataset: { voicemail: String(m.id), state: m.status } },
    el('td', { text: when(m.recorded_at) }),
    el('td', { text: m.queue }),
    el('td', { text: m.caller_number || 'Unknown' }),
    el('td', { text: m.customer_name || '–' }),
    el('td', { text: duration(m.seconds) }),
    el('td', { text: label(m.status) }),
    el('td', { text: center.agentName(m.agent) || '–' }),
    el('td', {}, el('button', {
      type: 'button', class: 'link', text: 'Open',
      'aria-label': `Open the message from ${m.customer_name || m.caller_number || 'an unknown caller'}`,
      onclick: () => open(m.id),
    })),
  );
}

async function loadMessages() {
  const messages = await api('GET', `/api/voicemails${filterQuery()}`);
  fill($('messages').tBodies[0], messages.map(messageRow));
  $('no-messages').hidden = messages.length > 0;
  $('message-count').textContent = `(${messages.length})`;
  return messages;
}

function render(m) {
  shown = m;
  $('message').hidden = false;
  $('message-title').textContent = `Message from ${m.customer_name || m.caller_number || 'an unknown caller'}`;
  const facts = [
    ['Queue', m.queue],
    ['Caller', m.caller_number || 'Unknown'],
    ['Customer', m.customer_name || '–'],
    ['Left at', when(m.recorded_at)],
    ['Length', duration(m.seconds)],
    ['State', label(m.status)],
    ['Agent', center.agentName(m.agent) || '–'],
  ];
  if (m.callback_id) facts.push(['Callback', `#${m.callback_id} requested`]);
  if (m.status === 'closed') {
    facts.push(['Closed', `${when(m.closed_at)} · ${label(m.disposition)}${m.note ? ` — ${m.note}` : ''}`]);
  }
  fill($('message-facts'), facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  const player = $('player');
  const source = m.audio || '';
  if (player.getAttribute('src') !== source) {
    if (source) player.setAttribute('src', source);
    else player.removeAttribute('src');
  }
  player.hidden = !m.audio;
  $('no-audio').hidden = Boolean(m.audio);
  const open = m.status === 'new' || m.status === 'in_progress';
  const mineOrFree = m.agent === null || m.agent === user.username;
  const agent = user.role === 'agent';
  $('take').hidden = !(agent && m.status === 'new');
  $('call-back').hidden = !(agent && open && mineOrFree && m.caller_number);
  closeForm.hidden = !(open && (!agent || mineOrFree));
  fieldError('');
}

function fieldError(message) {
  const hint = $('disposition-error');
  hint.textContent = message || '';
  hint.hidden = !message;
  if (message) {
    closeForm.disposition.setAttribute('aria-invalid', 'true');
    closeForm.disposition.focus();
  } else {
    closeForm.disposition.removeAttribute('aria-invalid');
  }
}

async function open(id, focus = true) {
  const messages = await busy(null, loadMessages);
  const found = (messages || []).find((m) => m.id === id);
  if (!found) {
    flash('That message is no longer in this list.', 'warn');
    return;
  }
  render(found);
  if (focus) $('message-title').focus();
}

async function act(button, path, body, done) {
  button.disabled = true;
  try {
    const m = await api('POST', `/api/voicemails/${shown.id}/${path}`, body);
    clearFlash(['error']);
    render(m);
    flash(done(m), 'ok');
    await loadMessages();
  } catch (err) {
    flash(err.message, 'error');
    if (err.status === 409) await open(shown.id, false);
  } finally {
    button.disabled = false;
  }
}

async function main() {
  user = await startPage(['agent', 'supervisor', 'admin']);
  const config = await api('GET', '/api/config/public');
  center.configure(config);
  options(filters.queue, config.queues || [], { blank: 'All my queues' });
  options(closeForm.disposition, config.dispositions || [], { blank: 'Choose…' });
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(filters.querySelector('button[type="submit"]'), loadMessages);
  });
  for (const name of ['queue', 'status']) {
    filters[name].addEventListener('change', () => busy(null, loadMessages));
  }
  $('take').addEventListener('click', (event) =>
    act(event.currentTarget, 'take', undefined, () => 'The message is yours.'));
  $('call-back').addEventListener('click', (event) =>
    act(event.currentTarget, 'callback', undefined,
      (m) => `Callback #${m.callback_id} requested: your phone rings first, then the caller's.`));
  closeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!closeForm.disposition.value) {
      fieldError('Choose how the message was handled.');
      return;
    }
    act(closeForm.querySelector('button[type="submit"]'), 'close',
      { disposition: closeForm.disposition.value, note: closeForm.note.value.trim() },
      () => 'Message closed.');
  });
  $('hide-message').addEventListener('click', () => {
    $('message').hidden = true;
    $('player').pause();
    shown = null;
  });
  const messages = await busy(null, loadMessages);
  // From the desktop: /voicemail?call=vm-<call id> opens the message being handled.
  const wanted = new URLSearchParams(window.location.search).get('call');
  const found = wanted && (messages || []).find((m) => `vm-${m.call_id}` === wanted);
  if (found) await open(found.id);
}

main().catch(() => {});
