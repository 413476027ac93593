// Strategy: the tickets part of the reports page (issue 17). For the days and queue the
// form shows, GET /api/reports/tickets?since_day=&until_day=&queue= gives the tickets
// opened, resolved and reopened (the reopen rate), follow-up answers, and per step of the
// complaint process how many promises fell due and how many were kept.

import { api, query } from './api.js';
import { el, fill, label, percent } from './dom.js';

/** Show the tickets report for `params` ({since, until, queue} as the form has them). */
export async function showTickets(params) {
  const section = document.getElementById('tickets-report');
  if (!section) return;
  const summary = document.getElementById('tickets-summary');
  try {
    const report = await api('GET', `/api/reports/tickets${query({ since_day: params.since, until_day: params.until, queue: params.queue })}`);
    const rate = report.reopen_rate === null ? '–' : percent(report.reopen_rate);
    summary.textContent = `Opened ${report.opened}, resolved ${report.resolved}, reopened ${report.reopened}: reopen rate ${rate}. Follow-up calls answered ${report.followups_answered}, satisfied ${report.followups_satisfied}.`;
    fill(document.querySelector('#tickets-steps tbody'), report.steps.map((s) => el(
      'tr',
      { dataset: { step: s.step } },
      el('th', { scope: 'row', text: label(s.step) }),
      el('td', { class: 'num', text: String(s.due) }),
      el('td', { class: 'num', text: String(s.kept) }),
      el('td', { class: 'num', text: s.due ? percent(s.kept / s.due) : '–' }),
    )));
  } catch (err) {
    summary.textContent = `Tickets could not be loaded: ${err.message}`;
  }
}
