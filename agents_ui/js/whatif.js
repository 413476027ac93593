// Strategy: the what-if page. The form maps onto POST /api/whatif with {day, version} (a
// stored version from GET /api/config/versions) or {day, document} (the textarea: a copy of
// GET /api/config/acd as pretty JSON, edited by hand). The server replays the day's calls
// from the event log under the configuration in force and the changed one; nothing is
// applied. A document the server refuses comes back as a 422 whose details name each bad
// key (`document.queues[0].ring_timeout_seconds`): they are listed next to the textarea, each
// a button that puts the caret on that key in the text. Per queue the page shows the day's
// figures current vs changed, the difference in words and colour, and a line chart of the
// service level per 15 minutes. Times are the call center's, as on the reports page.

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
    document.getElementById('empty-text').textContent =
      `On ${result.day} (${result.timezone}) ${where}, so there is nothing to compare. Pick another day.`;
    summary.textContent = '';
    return;
  }
  empty.hidden = true;
  results.hidden = false;
  const against = result.changed_version ? `version ${result.changed_version}` : 'your edited copy';
  summary.textContent = `${result.calls} calls on ${result.day}, version ${result.current_version} in force against ${against}; times in ${result.timezone}.`;
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

async function compare(event) {
  event.preventDefault();
  clearDocumentErrors();
  const day = form.day.value;
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
  const button = document.getElementById('compare');
  button.disabled = true;
  summary.textContent = 'Replaying the day…';
  try {
    const result = await api('POST', '/api/whatif', body);
    clearFlash(['error']);
    showResult(result);
  } catch (err) {
    summary.textContent = '';
    const documentProblems = err instanceof ApiError && err.status === 422
      ? err.details.filter((d) => String(d.field).startsWith('document'))
      : [];
    if (documentProblems.length > 0 && body.document) {
      destroyCharts();
      document.getElementById('results').hidden = true;
      document.getElementById('empty').hidden = true;
      const n = documentProblems.length;
      showDocumentErrors(`The changed configuration has ${n} problem${n === 1 ? '' : 's'}; nothing was compared.`, documentProblems);
    } else {
      flash(`The comparison failed: ${err.message}`, 'error');
    }
  } finally {
    button.disabled = false;
  }
}

function showSource() {
  const editing = form.source.value === 'document';
  document.getElementById('version-part').hidden = editing;
  document.getElementById('document-part').hidden = !editing;
}

function resetDocument() {
  if (currentDocument) textarea.value = JSON.stringify(currentDocument, null, 2);
  clearDocumentErrors();
}

async function main() {
  await startPage(['supervisor', 'admin']);
  try {
    center.configure(await api('GET', '/api/config/public'));
  } catch (err) {
    flash(`Settings could not be loaded: ${err.message}`, 'error');
  }
  form.day.value = centerDay(new Date(Date.now() - 86400000));
  form.day.max = form.day.value;
  try {
    const [acd, versions] = await Promise.all([
      api('GET', '/api/config/acd'),
      api('GET', '/api/config/versions'),
    ]);
    currentDocument = acd.document;
    document.getElementById('current-version').textContent = String(acd.version);
    resetDocument();
    fill(form.version, versions.map((v) => el('option', {
      value: String(v.version),
      text: `Version ${v.version}${v.version === acd.version ? ' (in force)' : ''} · ${v.author}, ${when(v.created_at)}${v.summary ? ` · ${v.summary}` : ''}`,
      selected: versions.length > 1 ? v.version === versions[1].version : true,
    })));
  } catch (err) {
    flash(`The configuration could not be loaded: ${err.message}`, 'error');
  }
  for (const radio of form.querySelectorAll('input[name="source"]')) radio.addEventListener('change', showSource);
  document.getElementById('reset-document').addEventListener('click', resetDocument);
  form.addEventListener('submit', compare);
  showSource();
  // Disabled in the page until now: a click before would have sent the form as a GET.
  document.getElementById('compare').disabled = false;
}

main().catch(() => {});
