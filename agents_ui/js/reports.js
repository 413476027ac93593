// Strategy: historical reports per queue or per agent. The form maps onto
// GET /api/reports/{queues|agents}?since=&until=&bucket=&queue= (the "To" day is included:
// `until` is sent as the next midnight); the CSV link is the same URL with format=csv. Charts
// are drawn by the vendored Chart.js (window.Chart); the totals table shows the server's
// totals for the period, the same figures the CSV ends with.

import { api, query } from './api.js';
import { duration, el, fill, num, options, percent } from './dom.js';
import { KINDS, aggregate, groupBy, normalRow } from './report_data.js';
import { flash, startPage } from './shell.js';

const form = document.getElementById('report-form');
const csv = document.getElementById('csv');
const charts = {};
const COLOURS = ['#0b5fb3', '#1d7a3a', '#b3261e', '#c77700', '#6a3fb5', '#00838f', '#8d6e63', '#546e7a'];
const FORMATS = {
  count: (v) => String(v ?? 0),
  percent,
  duration,
  score: (v) => num(v, 1),
};

function isoDay(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

function nextDay(day) {
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + 1);
  return isoDay(date);
}

function toDate(value) {
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}

function bucketLabel(value, bucket) {
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) return String(value);
  if (bucket === 'day') return date.toLocaleDateString([], { dateStyle: 'medium' });
  return date.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
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
  const entities = [...groupBy(rows, (row) => row[kind.key]).entries()].slice(0, COLOURS.length);
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
    ? totals.map((row) => [row[kind.key], row])
    : [...groupBy(rows, (row) => row[kind.key]).entries()].map(([name, group]) => [name, aggregate(group)]);
  if (lines.length === 0) {
    fill(table.tBodies[0], el('tr', {}, el('td', { colspan: String(kind.columns.length + 1), class: 'muted', text: 'No calls in this period.' })));
    return;
  }
  lines.sort(([a], [b]) => String(a).localeCompare(String(b)));
  fill(table.tBodies[0], lines.map(([name, row]) => el('tr', {},
    el('th', { scope: 'row', text: String(name ?? '–') }),
    kind.columns.map(([, field, format]) => el('td', { class: 'num', text: FORMATS[format](row[field]) })))));
}

async function show(event) {
  if (event) event.preventDefault();
  const kindName = form.kind.value;
  const kind = KINDS[kindName];
  const params = {
    since: `${form.since.value}T00:00`,
    until: `${nextDay(form.until.value)}T00:00`,
    bucket: form.bucket.value,
    queue: form.queue.value,
  };
  csv.href = `/api/reports/${kindName}${query({ ...params, format: 'csv' })}`;
  csv.setAttribute('download', `${kindName}-${form.since.value}-${form.until.value}.csv`);
  const pageQuery = query({ kind: kindName, since: form.since.value, until: form.until.value, bucket: form.bucket.value, queue: form.queue.value });
  window.history.replaceState(null, '', `${window.location.pathname}${pageQuery}`);
  const summary = document.getElementById('report-summary');
  summary.textContent = 'Loading…';
  try {
    const report = await api('GET', `/api/reports/${kindName}${query(params)}`);
    const rows = (report.rows || []).map(normalRow);
    const totals = (report.totals || []).map(normalRow);
    drawCharts(rows, kind, form.bucket.value);
    fillTotals(rows, totals, kind);
    summary.textContent = `${rows.length} rows, ${form.since.value} to ${form.until.value}${report.timezone ? ` (${report.timezone})` : ''}.`;
  } catch (err) {
    summary.textContent = '';
    flash(err.message, 'error');
  }
}

async function main() {
  await startPage(['supervisor', 'admin']);
  const params = new URLSearchParams(window.location.search);
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  let queues = [];
  try {
    queues = (await api('GET', '/api/config/public')).queues || [];
  } catch (err) {
    flash(`Settings could not be loaded: ${err.message}`, 'error');
  }
  options(form.queue, queues.map((q) => (typeof q === 'string' ? q : q.name || q.id)), { blank: 'All queues', selected: params.get('queue') });
  form.kind.value = params.get('kind') === 'agents' ? 'agents' : 'queues';
  form.since.value = params.get('since') || isoDay(weekAgo);
  form.until.value = params.get('until') || isoDay(today);
  if (['15m', 'hour', 'day'].includes(params.get('bucket'))) form.bucket.value = params.get('bucket');
  form.addEventListener('submit', show);
  await show();
}

main().catch(() => {});
