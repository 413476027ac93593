// Strategy: the voicemail part of the reports page (issue 17). For the days and queue the
// form shows, GET /api/reports/voicemail?since=&until=&queue= gives per queue the messages
// left on those days: closed, open, expired, called back, and how long they took to be
// taken and handled.

import { api, query } from './api.js';
import { duration, el, fill } from './dom.js';

const time = (seconds) => (seconds === null || seconds === undefined ? '–' : duration(seconds));

/** Show the voicemail report for `params` ({since, until, queue} as the form has them). */
export async function showVoicemail(params) {
  const section = document.getElementById('voicemail-report');
  if (!section) return;
  const summary = document.getElementById('voicemail-report-summary');
  try {
    const report = await api('GET', `/api/reports/voicemail${query({ since: params.since, until: params.until, queue: params.queue })}`);
    const rows = report.rows || [];
    const left = rows.reduce((n, r) => n + r.left, 0);
    const open = rows.reduce((n, r) => n + r.open, 0);
    summary.textContent = left
      ? `${left} message${left === 1 ? '' : 's'} left, ${open} still open.`
      : 'No messages were left on these days.';
    fill(document.querySelector('#voicemail-report-rows tbody'), rows.map((r) => el(
      'tr',
      { dataset: { queue: r.queue } },
      el('th', { scope: 'row', text: r.queue }),
      el('td', { class: 'num', text: String(r.left) }),
      el('td', { class: 'num', text: String(r.closed) }),
      el('td', { class: 'num', text: String(r.open) }),
      el('td', { class: 'num', text: String(r.expired) }),
      el('td', { class: 'num', text: String(r.called_back) }),
      el('td', { class: 'num', text: time(r.time_to_take_s) }),
      el('td', { class: 'num', text: time(r.time_to_handle_s) }),
      el('td', { class: 'num', text: time(r.longest_handle_s) }),
    )));
  } catch (err) {
    summary.textContent = `Voicemail could not be loaded: ${err.message}`;
  }
}
