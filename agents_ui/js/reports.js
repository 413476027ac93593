// Strategy: historical reports per queue or per agent. The form maps onto
// GET /api/reports/{queues|agents}?since=&until=&bucket=&queue= with plain days (the server
// includes the "To" day); the CSV link is the same URL with format=csv, named by the server.
// Days and bucket times are the call center's (its time zone comes with the report and the
// public config), whatever zone the browser is in, and the page says which zone that is.
// Agents are named as on the wallboard. Charts are drawn by the vendored Chart.js
// (window.Chart); the totals table shows the server's totals for the period, the same
// figures the CSV ends with. "Download call records (CSV)" is GET /api/cdr for the chosen
// days and queue (one row per call and per callback attempt), kept in step with the form
// as it changes, so it downloads the period shown in the form even before "Show".
// The tickets, voicemail and callbacks sections follow the day live: while the period
// shown reaches today (the center's), they are read again every LIVE_EVERY_MS (not while
// the page is hidden, and at once when it shows again); the server folds them from the
// same event log for today as for any past day.

import { api, query } from './api.js';
import { center, centerDay, centerTime, duration, el, fill, num, options, percent } from './dom.js';
import { KINDS, aggregate, groupBy, normalRow } from './report_data.js';
import { flash, startPage } from './shell.js';
import { showCallbacks } from './report_callbacks.js';
import { showTickets } from './report_tickets.js';
import { showVoicemail } from './report_voicemail.js';

const form = document.getElementById('report-form');
const csv = document.getElementById('csv');
const cdrCsv = document.getElementById('cdr-csv');
const charts = {};
const COLOURS = ['#0b5fb3', '#1d7a3a', '#b3261e', '#c77700', '#6a3fb5', '#00838f', '#8d6e63', '#546e7a'];
const FORMATS = {
  count: (v) => String(v ?? 0),
  percent,
  duration,
  score: (v) => num(v, 1),
};

const BUCKETS = ['15min', 'hour', 'day'];
const LIVE_EVERY_MS = 30000;
let shown = null; // the params of the sections shown last
const OLD_BUCKETS = { '15m': '15min' }; // links saved before the API's name was used

function toDate(value) {
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}

function bucketLabel(value, bucket) {
  if (bucket === 'day') return centerTime(value, { year: 'numeric', month: 'short', day: 'numeric' });
  return centerTime(value, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function zoneNote() {
  const zone = center.timeZone || 'UTC';
  document.getElementById('timezone-note').textContent =
    `Days and times are the call center's, in its time zone ${zone}.`;
}

/** The name a row is shown by: the queue, or the agent's name as on the wallboard. */
function nameOf(row, kind) {
  return kind.key === 'agent' ? row.agent_name || center.agentName(row.agent) || row.agent : row[kind.key];
}

function draw(id, type, labels, datasets, yOptions = {}) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new window.Chart(document.getElementById(id), {
    type,
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: true,
      interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, ...yOptions } },
    },
  });
}

function series(label, data, index) {
  const colour = COLOURS[index % COLOURS.length];
  return { label, data, borderColor: colour, backgroundColor: colour };
}

function drawCharts(rows, kind, bucket) {
  const buckets = [...new Set(rows.map((row) => row.bucket))].sort((a, b) => toDate(a) - toDate(b));
  const labels = buckets.map((value) => bucketLabel(value, bucket));
  const perBucket = groupBy(rows, (row) => row.bucket);
  const totals = buckets.map((b) => aggregate(perBucket.get(b) || []));
  const volumeColours = [0, 1, kind.key === 'queue' ? 2 : 4];
  draw('chart-volumes', 'bar', labels,
    kind.volumes.map(([field, title], i) => series(title, totals.map((t) => t[field]), volumeColours[i])));

  const [rateField, rateTitle] = kind.rate;
  document.getElementById('rate-title').textContent = rateTitle;
  const entities = [...groupBy(rows, (row) => nameOf(row, kind)).entries()].slice(0, COLOURS.length);
  draw('chart-service', 'line', labels, entities.map(([name, entityRows], i) => {
    const byBucket = new Map(entityRows.map((row) => [row.bucket, row[rateField]]));
    return series(String(name), buckets.map((b) => {
      const value = byBucket.get(b);
      return value === null || value === undefined ? null : value * 100;
    }), i);
  }), { max: 100, title: { display: true, text: '%' } });

  draw('chart-times', 'line', labels, [
    series('ASA (s)', totals.map((t) => t.asa), 0),
    series('AHT (s)', totals.map((t) => t.aht), 4),
  ], { title: { display: true, text: 'seconds' } });
  draw('chart-survey', 'line', labels, [series('Average score', totals.map((t) => t.survey), 1)], { max: 5 });
}

function fillTotals(rows, totals, kind) {
  const table = document.getElementById('totals');
  fill(table.tHead.rows[0], el('th', { scope: 'col', text: kind.title }),
    kind.columns.map(([title]) => el('th', { scope: 'col', class: 'num', text: title })));
  const lines = totals.length > 0
    ? totals.map((row) => [nameOf(row, kind), row])
    : [...groupBy(rows, (row) => nameOf(row, kind)).entries()].map(([name, group]) => [name, aggregate(group)]);
  if (lines.length === 0) {
    fill(table.tBodies[0], el('tr', {}, el('td', { colspan: String(kind.columns.length + 1), class: 'muted', text: 'No calls in this period.' })));
    return;
  }
  lines.sort(([a], [b]) => String(a).localeCompare(String(b)));
  fill(table.tBodies[0], lines.map(([name, row]) => el('tr', {},
    el('th', { scope: 'row', text: String(name ?? '–') }),
    kind.columns.map(([, field, format]) => el('td', { class: 'num', text: FORMATS[format](row[field]) })))));
}

/** Point "Download call records (CSV)" at the form's days and queue. */
function callRecordsLink() {
  const params = { since: form.since.value, until: form.until.value, queue: form.queue.value, format: 'csv' };
  cdrCsv.href = `/api/cdr${query(params)}`;
  cdrCsv.setAttribute('download', ''); // the server names the file after the days it covers
}

/** The tickets of the form's days and queue, the callbacks asked for and the messages left. */
function showSections(params) {
  showTickets(params);
  showCallbacks(params);
  showVoicemail(params);
}

/** Read the sections again when the period shown reaches today: they are live. */
function followToday() {
  if (!shown || document.hidden) return;
  if (shown.until && shown.until < centerDay(new Date())) return; // a past period stays
  showSections(shown);
}

async function show(event) {
  if (event) event.preventDefault();
  const kindName = form.kind.value;
  const kind = KINDS[kindName];
  const params = {
    since: form.since.value,
    until: form.until.value,
    bucket: form.bucket.value,
    queue: form.queue.value,
  };
  csv.href = `/api/reports/${kindName}${query({ ...params, format: 'csv' })}`;
  csv.setAttribute('download', ''); // the server names the file after the days it covers
  callRecordsLink();
  const pageQuery = query({ kind: kindName, since: form.since.value, until: form.until.value, bucket: form.bucket.value, queue: form.queue.value });
  window.history.replaceState(null, '', `${window.location.pathname}${pageQuery}`);
  const summary = document.getElementById('report-summary');
  summary.textContent = 'Loading…';
  shown = params;
  showSections(params);
  try {
    const report = await api('GET', `/api/reports/${kindName}${query(params)}`);
    const rows = (report.rows || []).map(normalRow);
    const totals = (report.totals || []).map(normalRow);
    drawCharts(rows, kind, form.bucket.value);
    fillTotals(rows, totals, kind);
    if (report.timezone) center.timeZone = report.timezone;
    zoneNote();
    const zone = center.timeZone || 'UTC';
    summary.textContent = `${rows.length} rows, ${form.since.value} to ${form.until.value} (both included), times in ${zone}.`;
  } catch (err) {
    summary.textContent = '';
    flash(err.message, 'error');
  }
}

async function main() {
  await startPage(['supervisor', 'admin']);
  const params = new URLSearchParams(window.location.search);
  let queues = [];
  try {
    const config = await api('GET', '/api/config/public');
    center.configure(config);
    queues = config.queues || [];
  } catch (err) {
    flash(`Settings could not be loaded: ${err.message}`, 'error');
  }
  zoneNote();
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  options(form.queue, queues.map((q) => (typeof q === 'string' ? q : q.name || q.id)), { blank: 'All queues', selected: params.get('queue') });
  form.kind.value = params.get('kind') === 'agents' ? 'agents' : 'queues';
  form.since.value = params.get('since') || centerDay(weekAgo);
  form.until.value = params.get('until') || centerDay(today);
  const bucket = OLD_BUCKETS[params.get('bucket')] || params.get('bucket');
  if (BUCKETS.includes(bucket)) form.bucket.value = bucket;
  form.addEventListener('submit', show);
  form.addEventListener('change', callRecordsLink);
  window.setInterval(followToday, LIVE_EVERY_MS);
  document.addEventListener('visibilitychange', followToday);
  await show();
}

main().catch(() => {});
