// Strategy: the callbacks part of the reports page (issue 17). For the days and queue the
// form shows, GET /api/reports/callbacks?since=&until=&queue= gives per queue the callbacks
// asked for on those days: where they came from, attempts, reached, failed, cancelled,
// pending (and overdue), the success rate (reached of those settled) and the time from the
// request to the call that reached the customer.

import { api, query } from './api.js';
import { duration, el, fill, percent } from './dom.js';

const CHANNELS = { ivr: 'phone', web: 'web', followup: 'follow-up', voicemail: 'voicemail' };

function channels(byChannel) {
  const parts = Object.entries(byChannel || {}).map(([name, n]) => `${CHANNELS[name] || name} ${n}`);
  return parts.length ? parts.join(', ') : '–';
}

/** Show the callbacks report for `params` ({since, until, queue} as the form has them). */
export async function showCallbacks(params) {
  const section = document.getElementById('callbacks-report');
  if (!section) return;
  const summary = document.getElementById('callbacks-report-summary');
  try {
    const report = await api('GET', `/api/reports/callbacks${query({ since: params.since, until: params.until, queue: params.queue })}`);
    const rows = report.rows || [];
    const total = rows.reduce((n, r) => n + r.requests, 0);
    const reached = rows.reduce((n, r) => n + r.reached, 0);
    summary.textContent = total
      ? `${total} callback${total === 1 ? '' : 's'} asked for, ${reached} reached.`
      : 'No callbacks were asked for on these days.';
    fill(document.querySelector('#callbacks-report-rows tbody'), rows.map((r) => el(
      'tr',
      { dataset: { queue: r.queue } },
      el('th', { scope: 'row', text: r.queue || '–' }),
      el('td', { class: 'num', text: String(r.requests) }),
      el('td', { text: channels(r.by_channel) }),
      el('td', { class: 'num', text: String(r.attempts) }),
      el('td', { class: 'num', text: String(r.reached) }),
      el('td', { class: 'num', text: String(r.failed) }),
      el('td', { class: 'num', text: String(r.cancelled) }),
      el('td', { class: 'num', text: `${r.pending} (${r.overdue})` }),
      el('td', { class: 'num', text: r.success_rate === null ? '–' : percent(r.success_rate) }),
      el('td', { class: 'num', text: r.avg_time_to_callback_s === null ? '–' : `${duration(r.avg_time_to_callback_s)} / ${duration(r.max_time_to_callback_s)}` }),
    )));
  } catch (err) {
    summary.textContent = `Callbacks could not be loaded: ${err.message}`;
  }
}
