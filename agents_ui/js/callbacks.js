// The agent's callback list: GET /api/callbacks?status=pending, refreshed on demand, every
// minute, and after each call.

import { api } from './api.js';
import { el, fill, when } from './dom.js';
import { flash } from './shell.js';

const table = document.getElementById('callbacks');
const empty = document.getElementById('callbacks-empty');

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
        {},
        el('td', { text: callback.number || '–' }),
        el('td', { text: callback.customer_name || '–' }),
        el('td', { text: callback.queue || '–' }),
        el('td', { text: `${when(callback.window_start)} – ${when(callback.window_end)}` }),
        el('td', { class: 'num', text: String(callback.attempts ?? 0) }),
      ),
    ),
  );
}

/** Wire the refresh button and the one-minute timer. */
export function startCallbacks() {
  document.getElementById('btn-callbacks').addEventListener('click', refreshCallbacks);
  window.setInterval(refreshCallbacks, 60000);
  return refreshCallbacks();
}
