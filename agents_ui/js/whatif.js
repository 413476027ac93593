// Strategy: the what-if page. The form maps onto POST /api/whatif with a day, either a past
// one (`day: "2026-12-03"`, the event log's calls) or a synthetic one (`day: {synthetic:
// {loads, seed}}`: per queue, or for all queues, calls per hour for each of the 24 hours, AHT
// and mean patience, edited as a table of hours), and a change: a stored version from GET
// /api/config/versions, or the textarea (a copy of GET /api/config/acd as pretty JSON, edited
// by hand). The server replays the day under the configuration in force and the changed one.
// A 422 names each bad key: a document's (`document.queues[0].ring_timeout_seconds`) are
// listed next to the textarea, each a button that puts the caret on that key in the text; a
// synthetic day's (`day.synthetic.loads[0].aht_seconds`) mark their input and are listed
// above the loads, each a button to that input. Per queue the page shows the day's figures
// current vs changed, the difference in words and colour, and a line chart of the service
// level per 15 minutes. Times are the call center's, as on the reports page.
//
// After a comparison the change can be applied (PUT /api/config/acd with the compared
// document and, as base_version, the version the comparison ran against: a change made
// meanwhile by someone else is a 409, not overwritten) or discarded (the editor goes back to
// the configuration in force). Apply is offered as the server allows it: admins change
// anything; a supervisor only their queues' settings and their agents' queues and skills
// (callcenter/web/config_scope.py, mirrored in `supervisorProblem`); otherwise the button is
// disabled and says why. A refusal (403, 409, 422) is shown with its key or reason and
// nothing changes. Apply applies what was compared: an edit after the comparison disables it.

import { ApiError, api } from './api.js';
import { center, centerDay, centerTime, duration, el, fill, percent, when } from './dom.js';
import { clearFlash, flash, startPage } from './shell.js';

const form = document.getElementById('whatif-form');
const textarea = document.getElementById('document');
const errorBox = document.getElementById('document-errors');
const summary = document.getElementById('whatif-summary');
const charts = new Map();
const STEP_MS = 15 * 60 * 1000;
let currentDocument = null;
let inForceVersion = null;
let user = null;
/** The last comparison: {source, document, text, version, base, applied}; null before. */
let compared = null;
const HOURS = 24;
const DEFAULT_RATES = Array.from({ length: HOURS }, (_, h) => (h >= 8 && h < 18 ? 30 : 0));
const ALL_QUEUES = '*';
let loadSerial = 0;

const count = (v) => (v === null || v === undefined ? '–' : String(v));
const points = (d) => signed(Math.round(d * 100), (v) => `${v} points`);

/**
 * The figures of the comparison table: title, field, format, the difference's format, and
 * which way is better (+1 higher, -1 lower, 0 neither: the words say higher or lower).
 * Offered is the same day's calls; occupancy is good or bad only against what a center
 * wants of it; more agents needed for the same calls costs more, so fewer is better.
 */
const FIGURES = [
  ['Offered', 'offered', count, (d) => signed(d, String), 0],
  ['Answered', 'answered', count, (d) => signed(d, String), 1],
  ['Abandoned', 'abandoned', count, (d) => signed(d, String), -1],
  ['Service level', 'service_level', percent, points, 1],
  ['ASA', 'asa', duration, (d) => `${d < 0 ? '−' : '+'}${duration(Math.abs(d))}`, -1],
  ['Abandon rate', 'abandon_rate', percent, points, -1],
  ['Occupancy', 'occupancy', percent, points, 0],
  ['Agents needed', 'agents_needed', count, (d) => signed(d, String), -1],
];

function signed(value, format) {
  if (value === 0) return '0';
  return `${value < 0 ? '−' : '+'}${format(Math.abs(value))}`;
}

/** The difference of one figure: its text, and "better", "worse" or "" (no judgement). */
function difference(figure, current, changed) {
  const [, field, , formatDiff, better] = figure;
  const a = current ? current[field] : null;
  const b = changed ? changed[field] : null;
  if (a === null || a === undefined || b === null || b === undefined) return { text: '–', verdict: '' };
  const delta = b - a;
  const shown = formatDiff(delta);
  // A change that rounds away (0 points, +0:00) is no change to the reader either.
  if (delta === 0 || /^[+−]?0(:00)?( points)?$/.test(shown)) return { text: 'no change', verdict: 'same' };
  if (better === 0) return { text: `${shown} (${delta > 0 ? 'higher' : 'lower'})`, verdict: '' };
  const verdict = Math.sign(delta) === better ? 'better' : 'worse';
  return { text: `${shown} ${verdict}`, verdict };
}

// ---------------------------------------------------------------------------------------
// The changed document: where a key is in the text, and the server's problems shown by it.

/**
 * Where each value of a JSON text is: path ("queues[0].ring_timeout_seconds") to [start,
 * end] offsets. A small recursive scanner, so that a problem the server names can be shown
 * where the user typed it; it stops quietly at the first thing it cannot read.
 */
export function jsonPositions(text) {
  const found = new Map();
  let i = 0;
  const space = () => { while (i < text.length && /\s/.test(text[i])) i += 1; };
  const string = () => {
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i += 1;
    return JSON.parse(text.slice(start, i));
  };
  const join = (path, key) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  const value = (path) => {
    space();
    const start = i;
    if (text[i] === '{') {
      i += 1;
      space();
      while (text[i] === '"') {
        const keyStart = i;
        const key = string();
        space();
        if (text[i] !== ':') throw new Error('colon');
        i += 1;
        const child = join(path, key);
        value(child);
        found.set(child, [keyStart, found.get(child)[1]]);
        space();
        if (text[i] === ',') { i += 1; space(); }
      }
      if (text[i] !== '}') throw new Error('object');
      i += 1;
    } else if (text[i] === '[') {
      i += 1;
      space();
      let index = 0;
      while (i < text.length && text[i] !== ']') {
        value(join(path, index));
        index += 1;
        space();
        if (text[i] === ',') i += 1;
        else break;
      }
      space();
      if (text[i] !== ']') throw new Error('array');
      i += 1;
    } else if (text[i] === '"') {
      string();
    } else {
      const match = /^[-+0-9.eE]+|^true|^false|^null/.exec(text.slice(i, i + 40));
      if (!match) throw new Error('value');
      i += match[0].length;
    }
    found.set(path, [start, i]);
  };
  try {
    value('');
  } catch {
    // Positions up to the unreadable part are still useful.
  }
  return found;
}

/** The longest known prefix of `path` among `positions` ("" for the whole document). */
function nearest(path, positions) {
  let candidate = path;
  while (candidate && !positions.has(candidate)) {
    candidate = candidate.replace(/(\[\d+\]|\.[^.[\]]+|^[^.[\]]+)$/, '');
  }
  return positions.get(candidate) || null;
}

/** "queues[0].ring_timeout_seconds" in words a supervisor knows: "queue general". */
function whereIn(root, path) {
  const names = [];
  let node = root;
  for (const part of path.match(/[^.[\]]+/g) || []) {
    const index = /^\d+$/.test(part) ? Number(part) : null;
    node = node && typeof node === 'object' ? node[index === null ? part : index] : undefined;
    if (index !== null && node && typeof node === 'object') {
      const name = node.name ?? node.id;
      if (name !== undefined) names.push(String(name));
    }
  }
  return names;
}

function showDocumentErrors(title, problems) {
  const list = document.getElementById('document-error-list');
  document.getElementById('document-errors-title').textContent = title;
  let parsed = null;
  try {
    parsed = JSON.parse(textarea.value);
  } catch {
    parsed = null;
  }
  const positions = jsonPositions(textarea.value);
  fill(list, problems.map(({ field, problem, at }) => {
    const path = field.replace(/^document\.?/, '');
    const names = parsed ? whereIn(parsed, path) : [];
    const place = at ?? nearest(path, positions);
    const text = `${path || 'the document'}${names.length ? ` (${names.join(', ')})` : ''}: ${problem}`;
    return el('li', {},
      place
        ? el('button', {
          type: 'button',
          class: 'link',
          text,
          title: 'Show it in the text',
          onclick: () => {
            textarea.focus();
            textarea.setSelectionRange(place[0], place[1]);
            scrollToSelection(place[0]);
          },
        })
        : el('span', { text }));
  }));
  errorBox.hidden = false;
  textarea.setAttribute('aria-invalid', 'true');
  errorBox.focus();
}

function clearDocumentErrors() {
  errorBox.hidden = true;
  textarea.removeAttribute('aria-invalid');
}

/** Bring the caret's line into the textarea's view (browsers do not on a selection). */
function scrollToSelection(offset) {
  const line = textarea.value.slice(0, offset).split('\n').length - 1;
  const height = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
  textarea.scrollTop = Math.max(0, line * height - textarea.clientHeight / 3);
}

/** The textarea as a document, or null after showing why it is not JSON. */
function readDocument() {
  try {
    const value = JSON.parse(textarea.value);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      showDocumentErrors('The changed configuration must be a JSON object { … }.', []);
      return null;
    }
    return value;
  } catch (err) {
    const match = /position (\d+)/.exec(err.message);
    const at = match ? Number(match[1]) : null;
    const line = at === null ? null : textarea.value.slice(0, at).split('\n').length;
    showDocumentErrors('The changed configuration is not valid JSON.', [{
      field: '',
      // Newer browsers name the line themselves.
      problem: line === null || /line \d/.test(err.message) ? err.message : `${err.message} (line ${line})`,
      at: at === null ? null : [at, at + 1],
    }]);
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Results

function destroyCharts() {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}

function comparisonTable(queue, row) {
  const caption = el('caption', { class: 'sr-only', text: `Queue ${queue}: the day under the configuration in force and under the change` });
  const head = el('thead', {}, el('tr', {},
    el('th', { scope: 'col', text: 'Figure' }),
    el('th', { scope: 'col', class: 'num', text: 'Current' }),
    el('th', { scope: 'col', class: 'num', text: 'Changed' }),
    el('th', { scope: 'col', class: 'num', text: 'Difference' })));
  const body = el('tbody', {}, FIGURES.map((figure) => {
    const [title, field, format] = figure;
    const { text, verdict } = difference(figure, row.current, row.changed);
    return el('tr', { dataset: { figure: field } },
      el('th', { scope: 'row', text: title }),
      el('td', { class: 'num', text: row.current ? format(row.current[field]) : 'no such queue' }),
      el('td', { class: 'num', text: row.changed ? format(row.changed[field]) : 'no such queue' }),
      el('td', { class: `num diff ${verdict}`, dataset: { verdict }, text }));
  }));
  return el('div', { class: 'table-wrap' }, el('table', { class: 'whatif-table' }, caption, head, body));
}

/**
 * The 15-minute steps from the day's first interval with calls to its last, in any queue:
 * the server sends only intervals with calls, and every chart shares one honest time axis.
 */
function steps(intervals) {
  const times = intervals.map((row) => new Date(row.start).getTime()).filter(Number.isFinite);
  if (times.length === 0) return [];
  const out = [];
  const last = Math.max(...times);
  for (let t = Math.min(...times); t <= last; t += STEP_MS) out.push(t);
  return out;
}

function slChart(canvas, queue, intervals) {
  const byStart = new Map(intervals.filter((row) => row.queue === queue)
    .map((row) => [new Date(row.start).getTime(), row]));
  const axis = steps(intervals);
  const labels = axis.map((t) => centerTime(t / 1000, { hour: '2-digit', minute: '2-digit' }));
  const sl = (side) => axis.map((t) => {
    const row = byStart.get(t);
    const value = row && row[side] ? row[side].service_level : null;
    return value === null || value === undefined ? null : Math.round(value * 1000) / 10;
  });
  charts.set(queue, new window.Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'Current', data: sl('current'), borderColor: '#0b5fb3', backgroundColor: '#0b5fb3', pointStyle: 'circle' },
        // Dashed and square-pointed, so the two lines differ without colour too.
        { label: 'Changed', data: sl('changed'), borderColor: '#c77700', backgroundColor: '#c77700', borderDash: [6, 4], pointStyle: 'rect' },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: true,
      interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: 'Service level %' } } },
    },
  }));
}

function queueSection(queue, row, intervals) {
  const id = `queue-${queue.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const canvas = el('canvas', {
    id: `chart-${id}`,
    role: 'img',
    'aria-label': `Service level per 15 minutes in queue ${queue}, current and changed`,
  });
  const section = el('section', { class: 'panel queue-result', id, 'aria-labelledby': `${id}-heading`, dataset: { queue } },
    el('h3', { id: `${id}-heading`, class: 'queue-name', text: `Queue ${queue}` }),
    el('div', { class: 'whatif-queue' },
      comparisonTable(queue, row),
      el('figure', {},
        el('figcaption', { class: 'muted', text: 'Service level per 15 minutes (current solid, changed dashed)' }),
        el('div', { class: 'chart-box' }, canvas))));
  return { section, canvas };
}

function showResult(result) {
  destroyCharts();
  const results = document.getElementById('results');
  const empty = document.getElementById('empty');
  if (result.timezone) center.timeZone = result.timezone;
  if (!result.calls || result.totals.length === 0) {
    results.hidden = true;
    empty.hidden = false;
    // A supervisor sees only their queues: a day busy elsewhere is empty for them.
    const where = result.calls ? 'none of your queues had calls' : 'the event log holds no calls';
    document.getElementById('empty-text').textContent = result.synthetic
      ? 'The synthetic day has no calls in your queues, so there is nothing to compare. Raise the rates.'
      : `On ${result.day} (${result.timezone}) ${where}, so there is nothing to compare. Pick another day.`;
    summary.textContent = '';
    return;
  }
  empty.hidden = true;
  results.hidden = false;
  summary.textContent = summaryText(result);
  const refused = document.getElementById('refused');
  refused.hidden = result.refused.length === 0;
  refused.textContent = result.refused.length
    ? `The changed configuration could not take ${result.refused.length} of the day's staffing requests: ${result.refused.join('; ')}`
    : '';

  const totals = [...result.totals].sort((a, b) => a.queue.localeCompare(b.queue));
  const boxes = document.getElementById('queue-boxes');
  const container = document.getElementById('queues');
  const sections = totals.map((row) => ({ row, ...queueSection(row.queue, row, result.intervals) }));
  fill(container, sections.map(({ section }) => section));
  fill(boxes, sections.map(({ row, section }) => {
    const input = el('input', {
      type: 'checkbox',
      checked: true,
      onchange: () => { section.hidden = !input.checked; },
    });
    return el('label', { class: 'inline' }, input, ` ${row.queue}`);
  }));
  for (const { row, canvas } of sections) slChart(canvas, row.queue, result.intervals);
}

function summaryText(result, inForce = result.current_version) {
  const against = result.changed_version ? `version ${result.changed_version}` : 'your edited copy';
  const calls = result.synthetic
    ? `${result.calls} made-up calls (seed ${result.seed})`
    : `${result.calls} calls on ${result.day}`;
  const versions = inForce === result.current_version
    ? `version ${result.current_version} in force against ${against}`
    : `version ${result.current_version}, in force then, against ${against}, in force now as version ${inForce}`;
  const added = (result.added_shifts || []).map((shift) => shift.agent);
  const shifts = added.length
    ? ` Agents the change adds (${added.join(', ')}) work that day's hours, from ${centerTime(result.added_shifts[0].from, { hour: '2-digit', minute: '2-digit' })}.`
    : '';
  return `${calls}, ${versions}; times in ${result.timezone}.${shifts}`;
}

// ---------------------------------------------------------------------------------------
// The synthetic day: loads, each a queue (or all), AHT, mean patience and a rate per hour.

const loadsBox = document.getElementById('loads');
const syntheticErrors = document.getElementById('synthetic-errors');

const hour = (h) => `${String(h).padStart(2, '0')}:00`;

/** The queues a load may name: those in force that the user oversees. */
function queueNames() {
  const names = currentDocument && Array.isArray(currentDocument.queues)
    ? currentDocument.queues.map((q) => q.name)
    : [];
  return user && Array.isArray(user.queues) ? names.filter((n) => user.queues.includes(n)) : names;
}

function loadSets() {
  return [...loadsBox.querySelectorAll('fieldset.load')];
}

/** Number the loads 1, 2 ... after one is added or removed; only a second one can go. */
function renumberLoads() {
  const sets = loadSets();
  sets.forEach((set, index) => {
    set.querySelector('legend').textContent = `Load ${index + 1}`;
    set.querySelector('.remove-load').hidden = sets.length === 1;
    set.querySelector('.remove-load').textContent = `Remove load ${index + 1}`;
  });
}

function addLoad({ queue = ALL_QUEUES, aht = 180, patience = 60, rates = DEFAULT_RATES } = {}) {
  loadSerial += 1;
  const id = (key) => `load${loadSerial}-${key}`;
  const field = (key, label, input, hint) => el('div', { class: 'field' },
    el('label', { for: id(key), text: label }), input, hint ? el('span', { class: 'hint muted', text: hint }) : null);
  const number = (key, value, props = {}) => el('input', {
    id: id(key), type: 'number', min: '0', step: 'any', inputmode: 'decimal',
    value: value === null ? '' : String(value), dataset: { key }, ...props,
  });
  const select = el('select', { id: id('queue'), dataset: { key: 'queue' } },
    el('option', { value: ALL_QUEUES, text: 'All queues' }),
    queueNames().map((name) => el('option', { value: name, text: name })));
  select.value = queue;
  const inputs = Array.from({ length: HOURS }, (_, h) => el('input', {
    type: 'number', min: '0', step: 'any', inputmode: 'decimal',
    value: String(rates[h] ?? 0),
    id: id(`h${h}`),
    'aria-label': `Calls per hour from ${hour(h)} to ${hour(h + 1)}`,
    dataset: { key: `calls_per_hour[${h}]` },
  }));
  const every = number('every', '');
  const set = el('fieldset', { class: 'load panel' },
    el('legend', { text: 'Load' }),
    el('div', { class: 'inline-fields' },
      field('queue', 'Queue', select),
      field('aht_seconds', 'AHT, seconds', number('aht_seconds', aht)),
      field('patience_seconds', 'Mean patience, seconds', number('patience_seconds', patience),
        'empty: callers never hang up')),
    el('div', { class: 'hours', role: 'group', 'aria-label': 'Calls per hour, hour by hour' },
      inputs.map((input, h) => el('div', {},
        el('label', { for: input.id, text: `${hour(h)}–${hour(h + 1).slice(0, 2)}` }), input))),
    el('div', { class: 'inline-fields' },
      field('every', 'Calls per hour for every hour', every),
      el('button', {
        type: 'button',
        text: 'Set every hour',
        onclick: () => {
          if (every.value === '') { every.focus(); return; }
          for (const input of inputs) input.value = every.value;
        },
      }),
      el('button', {
        type: 'button',
        class: 'remove-load',
        onclick: () => {
          set.remove();
          renumberLoads();
          document.getElementById('add-load').focus();
        },
      })));
  loadsBox.append(set);
  renumberLoads();
  return set;
}

const numberOrNull = (text) => (text.trim() === '' ? null : Number(text));

/** The synthetic day as the API takes it: empty rates are 0, an empty patience null. */
function syntheticDay() {
  const loads = loadSets().map((set) => {
    const value = (key) => set.querySelector(`[data-key="${key}"]`).value;
    return {
      queue: value('queue'),
      aht_seconds: numberOrNull(value('aht_seconds')),
      patience_seconds: numberOrNull(value('patience_seconds')),
      calls_per_hour: Array.from({ length: HOURS }, (_, h) => numberOrNull(value(`calls_per_hour[${h}]`)) ?? 0),
    };
  });
  return { synthetic: { loads, seed: numberOrNull(form.seed.value) ?? 0 } };
}

const KEY_WORDS = {
  queue: 'queue',
  aht_seconds: 'AHT seconds',
  patience_seconds: 'mean patience seconds',
  calls_per_hour: 'calls per hour',
};

/** Where `day.synthetic.<path>` is on the page: the words for it and its input. */
function syntheticPlace(path) {
  if (path === 'seed') return { words: 'Random seed', input: form.seed };
  const match = /^loads\[(\d+)\]\.?([a-z_]*)(?:\[(\d+)\])?/.exec(path);
  if (!match) return { words: 'The loads', input: loadSets()[0]?.querySelector('select') ?? null };
  const [, index, key, h] = match;
  const set = loadSets()[Number(index)];
  if (!set) return { words: `Load ${Number(index) + 1}`, input: null };
  const queue = set.querySelector('[data-key="queue"]');
  const name = queue.value === ALL_QUEUES ? 'all queues' : queue.value;
  let words = `Load ${Number(index) + 1} (${name})`;
  let input = set.querySelector(`[data-key="${key}"]`);
  if (key === 'calls_per_hour') {
    const at = h === undefined ? 0 : Number(h);
    input = set.querySelector(`[data-key="calls_per_hour[${at}]"]`);
    words += h === undefined ? ', calls per hour' : `, calls per hour ${hour(at)}–${hour(at + 1)}`;
  } else if (key) {
    words += `, ${KEY_WORDS[key] || key}`;
  }
  return { words, input };
}

function clearSyntheticErrors() {
  syntheticErrors.hidden = true;
  for (const input of document.querySelectorAll('#synthetic-part [aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-errormessage');
  }
}

/** Where a problem's input comes in the page, so the list reads in the page's order. */
function pageOrder(field) {
  const path = String(field).replace(/^day\.synthetic\.?/, '');
  const match = /^loads\[(\d+)\]\.?([a-z_]*)(?:\[(\d+)\])?/.exec(path);
  if (!match) return path === 'seed' ? [1e6, 0, 0] : [-1, 0, 0];
  const keys = ['', 'queue', 'aht_seconds', 'patience_seconds', 'calls_per_hour'];
  return [Number(match[1]), keys.indexOf(match[2]), Number(match[3] ?? -1)];
}

function showSyntheticErrors(unordered) {
  const problems = [...unordered].sort((a, b) => {
    const [x, y] = [pageOrder(a.field), pageOrder(b.field)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  clearSyntheticErrors();
  const n = problems.length;
  document.getElementById('synthetic-errors-title').textContent =
    `The synthetic day has ${n} problem${n === 1 ? '' : 's'}; nothing was compared.`;
  fill(document.getElementById('synthetic-error-list'), problems.map(({ field, problem }) => {
    const { words, input } = syntheticPlace(String(field).replace(/^day\.synthetic\.?/, ''));
    const text = `${words}: ${problem}`;
    if (!input) return el('li', { text });
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-errormessage', 'synthetic-errors');
    return el('li', {}, el('button', {
      type: 'button', class: 'link', text, title: 'Go to the field', onclick: () => input.focus(),
    }));
  }));
  syntheticErrors.hidden = false;
  syntheticErrors.focus();
}

// ---------------------------------------------------------------------------------------
// Compare

function hideResults() {
  destroyCharts();
  document.getElementById('results').hidden = true;
  document.getElementById('empty').hidden = true;
}

async function compare(event) {
  event.preventDefault();
  clearDocumentErrors();
  clearSyntheticErrors();
  const synthetic = form.daykind.value === 'synthetic';
  const day = synthetic ? syntheticDay() : form.day.value;
  if (!day) {
    flash('Pick a day to replay.', 'error');
    form.day.focus();
    return;
  }
  const body = { day };
  if (form.source.value === 'document') {
    const changed = readDocument();
    if (changed === null) return;
    body.document = changed;
  } else {
    if (!form.version.value) {
      flash('Pick a stored version to compare.', 'error');
      return;
    }
    body.version = Number(form.version.value);
  }
  const text = textarea.value;
  const button = document.getElementById('compare');
  button.disabled = true;
  summary.textContent = 'Replaying the day…';
  try {
    const result = await api('POST', '/api/whatif', body);
    const document_ = body.document
      ?? (await api('GET', `/api/config/versions/${body.version}`)).document;
    clearFlash(['error']);
    showResult(result);
    compared = {
      source: body.document ? 'document' : 'version',
      document: document_,
      text,
      version: body.version ?? null,
      base: result.current_version,
      result,
      applied: null,
    };
    showDecision();
  } catch (err) {
    summary.textContent = '';
    compared = null;
    showDecision();
    const details = err instanceof ApiError && err.status === 422 ? err.details : [];
    const documentProblems = details.filter((d) => String(d.field).startsWith('document'));
    const dayProblems = details.filter((d) => String(d.field).startsWith('day.'));
    if (documentProblems.length > 0 && body.document) {
      hideResults();
      const n = documentProblems.length;
      showDocumentErrors(`The changed configuration has ${n} problem${n === 1 ? '' : 's'}; nothing was compared.`, documentProblems);
    } else if (dayProblems.length > 0 && synthetic) {
      hideResults();
      showSyntheticErrors(dayProblems);
    } else {
      flash(`The comparison failed: ${err.message}`, 'error');
    }
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------
// Apply or discard

const decide = document.getElementById('decide');
const applyButton = document.getElementById('apply');
const applyNote = document.getElementById('apply-note');
const applyErrors = document.getElementById('apply-errors');
const applied = document.getElementById('applied');

/** JSON with sorted keys: two documents are the same whatever the order of their keys. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
const same = (a, b) => canonical(a) === canonical(b);

/**
 * The first key a supervisor overseeing `scope` (null: every queue) may not change from
 * `before` to `after`, with why; null when the change is all theirs. The page's copy of
 * `supervisor_problem` in callcenter/web/config_scope.py: the server decides, this only
 * spares a click that would be refused.
 */
export function supervisorProblem(scope, before, after) {
  const queuesOf = (doc) => (Array.isArray(doc.queues) ? doc.queues : []);
  const agentsOf = (doc) => (Array.isArray(doc.agents) ? doc.agents : []);
  const mine = new Set(scope ?? queuesOf(before).map((q) => q.name));
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    if (key !== 'queues' && key !== 'agents' && !same(before[key], after[key])) {
      return [key, 'supervisors may change only queues and agents'];
    }
  }
  const oldQueues = queuesOf(before);
  const newQueues = queuesOf(after);
  if (!same(oldQueues.map((q) => q.name), newQueues.map((q) => q.name))) {
    return ['queues', 'supervisors may not add, remove, rename or reorder queues'];
  }
  for (const [index, queue] of oldQueues.entries()) {
    if (!same(queue, newQueues[index]) && !mine.has(queue.name)) {
      return [`queues[${index}]`, `queue '${queue.name}' is not one of yours`];
    }
  }
  const oldAgents = agentsOf(before);
  const newAgents = agentsOf(after);
  if (!same(oldAgents.map((a) => a.id), newAgents.map((a) => a.id))) {
    return ['agents', 'supervisors may not add, remove or rename agents'];
  }
  for (const [index, was] of oldAgents.entries()) {
    const now = newAgents[index];
    const fields = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
    for (const field of fields) {
      if (field !== 'queues' && field !== 'skills' && !same(was[field], now[field])) {
        return [`agents[${index}].${field}`, 'supervisors may change only queues and skills'];
      }
    }
    const wasQueues = new Set(was.queues || []);
    const nowQueues = new Set(now.queues || []);
    const moved = [...wasQueues, ...nowQueues].filter((q) => wasQueues.has(q) !== nowQueues.has(q));
    const outside = moved.filter((q) => !mine.has(q)).sort();
    if (outside.length) return [`agents[${index}].queues`, `queue '${outside[0]}' is not one of yours`];
    const servesMine = [...wasQueues, ...nowQueues].some((q) => mine.has(q));
    if (!same(was.skills || {}, now.skills || {}) && !servesMine) {
      return [`agents[${index}].skills`, `agent '${was.id}' serves none of your queues`];
    }
  }
  return null;
}

/** Why Apply is not offered now, or null when it is. */
function applyBlocker() {
  if (!compared) return 'Compare a change first.';
  if (compared.applied !== null) return `Applied: version ${compared.applied} is in force.`;
  if (compared.source === 'document' && textarea.value !== compared.text) {
    return 'The configuration was edited after the comparison: compare again before applying it.';
  }
  if (compared.source === 'version' && (form.source.value !== 'version' || Number(form.version.value) !== compared.version)) {
    return 'Another change was chosen after the comparison: compare again before applying it.';
  }
  if (compared.base !== inForceVersion) {
    return `Version ${inForceVersion} came into force after the comparison: compare again before applying.`;
  }
  if (currentDocument && same(compared.document, currentDocument)) {
    return `The change is the configuration in force (version ${inForceVersion}): there is nothing to apply.`;
  }
  if (!user || (user.role !== 'admin' && user.role !== 'supervisor')) {
    return 'Only admins and supervisors change the configuration.';
  }
  if (user.role === 'supervisor' && currentDocument) {
    const problem = supervisorProblem(user.queues ?? null, currentDocument, compared.document);
    if (problem) {
      return `You cannot apply this change: supervisors change only their queues' settings and their agents' queues and skills (${problem[0]}: ${problem[1]}). An admin can.`;
    }
  }
  return null;
}

function updateApply() {
  if (!compared) return;
  const reason = applyBlocker();
  applyButton.disabled = reason !== null;
  applyNote.textContent = reason
    ?? `Apply stores the change as a new version and puts it in force at once, in place of version ${compared.base}. Discard puts the configuration in force back into the editor.`;
}

function showDecision() {
  decide.hidden = compared === null;
  applyErrors.hidden = true;
  applied.hidden = true;
  if (compared) document.getElementById('apply-comment').value = '';
  updateApply();
}

function showApplyErrors(err) {
  const details = err instanceof ApiError ? err.details : [];
  const title = err instanceof ApiError && err.status === 422 && details.length
    ? `Not applied: the configuration has ${details.length} problem${details.length === 1 ? '' : 's'}. Nothing was changed: version ${inForceVersion} stays in force.`
    : `Not applied: ${err.message}. Nothing was changed: version ${inForceVersion} stays in force.`;
  document.getElementById('apply-errors-title').textContent = title;
  fill(document.getElementById('apply-error-list'),
    details.map(({ field, problem }) => el('li', { text: `${field}: ${problem}` })));
  applyErrors.hidden = false;
  applyErrors.focus();
}

/** The configuration in force is `acd` (GET or PUT /api/config/acd): label, editor, list. */
async function adoptInForce(acd) {
  currentDocument = acd.document;
  inForceVersion = acd.version;
  document.getElementById('current-version').textContent = String(acd.version);
  resetDocument();
  await loadVersions();
}

async function applyChange() {
  if (applyBlocker() !== null) return;
  const change = compared;
  const comment = document.getElementById('apply-comment').value.trim()
    || (change.version ? `what-if: version ${change.version} applied` : 'what-if: edited copy applied');
  applyButton.disabled = true;
  applyErrors.hidden = true;
  try {
    const stored = await api('PUT', '/api/config/acd', {
      document: change.document, base_version: change.base, comment,
    });
    change.applied = stored.version;
    const before = change.base;
    await adoptInForce(stored);
    summary.textContent = summaryText(change.result, stored.version);
    applied.textContent = `Applied: version ${stored.version} is in force now, in place of version ${before}. `
      + `The next comparison runs against version ${stored.version}.`;
    applied.hidden = false;
    applied.focus();
  } catch (err) {
    showApplyErrors(err);
  } finally {
    updateApply();
  }
}

async function discardChange() {
  applyErrors.hidden = true;
  try {
    await adoptInForce(await api('GET', '/api/config/acd'));
  } catch (err) {
    flash(`The configuration in force could not be loaded: ${err.message}`, 'error');
    return;
  }
  compared = null;
  showDecision();
  hideResults();
  clearSyntheticErrors();
  summary.textContent = `Discarded: the editor holds version ${inForceVersion}, the configuration in force.`;
  (form.source.value === 'document' ? textarea : document.getElementById('compare')).focus();
}

// ---------------------------------------------------------------------------------------
// The page

function showSource() {
  const editing = form.source.value === 'document';
  document.getElementById('version-part').hidden = editing;
  document.getElementById('document-part').hidden = !editing;
  updateApply();
}

function showDayKind() {
  const synthetic = form.daykind.value === 'synthetic';
  document.getElementById('past-part').hidden = synthetic;
  document.getElementById('synthetic-part').hidden = !synthetic;
}

function resetDocument() {
  if (currentDocument) textarea.value = JSON.stringify(currentDocument, null, 2);
  clearDocumentErrors();
  updateApply();
}

async function loadVersions() {
  const versions = await api('GET', '/api/config/versions');
  fill(form.version, versions.map((v) => el('option', {
    value: String(v.version),
    text: `Version ${v.version}${v.version === inForceVersion ? ' (in force)' : ''} · ${v.author}, ${when(v.created_at)}${v.summary ? ` · ${v.summary}` : ''}`,
    selected: versions.length > 1 ? v.version === versions[1].version : true,
  })));
}

async function main() {
  user = await startPage(['supervisor', 'admin']);
  try {
    center.configure(await api('GET', '/api/config/public'));
  } catch (err) {
    flash(`Settings could not be loaded: ${err.message}`, 'error');
  }
  form.day.value = centerDay(new Date(Date.now() - 86400000));
  form.day.max = form.day.value;
  try {
    const acd = await api('GET', '/api/config/acd');
    currentDocument = acd.document;
    inForceVersion = acd.version;
    document.getElementById('current-version').textContent = String(acd.version);
    resetDocument();
    await loadVersions();
  } catch (err) {
    flash(`The configuration could not be loaded: ${err.message}`, 'error');
  }
  addLoad();
  for (const radio of form.querySelectorAll('input[name="source"]')) radio.addEventListener('change', showSource);
  for (const radio of form.querySelectorAll('input[name="daykind"]')) radio.addEventListener('change', showDayKind);
  document.getElementById('reset-document').addEventListener('click', resetDocument);
  document.getElementById('add-load').addEventListener('click', () => {
    addLoad({ queue: queueNames()[0] ?? ALL_QUEUES }).querySelector('select').focus();
  });
  textarea.addEventListener('input', updateApply);
  form.version.addEventListener('change', updateApply);
  applyButton.addEventListener('click', applyChange);
  document.getElementById('discard').addEventListener('click', discardChange);
  form.addEventListener('submit', compare);
  showSource();
  showDayKind();
  // Disabled in the page until now: a click before would have sent the form as a GET.
  document.getElementById('compare').disabled = false;
}

main().catch(() => {});
