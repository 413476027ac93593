// Strategy: the sections of the center settings page, each a pair: `show*` fills its part of
// the form from the configuration document (GET /api/config/acd), `read*` returns that
// part of the document back from the form. Every input carries `data-key`, the document's
// key path it edits (`dialled_numbers.300`, `calendars.hotline.weekly`), so a refusal
// naming a key (`document.calendars.hotline.weekly`) can be shown next to its input.
// Values are read as typed: the server validates them and names what is wrong.

import { el, fill } from './dom.js';

export const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];

let rowSeq = 0;

const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** A number typed into an input ('' for none): a number, or the text for the server to refuse. */
function typed(input, scale = 1) {
  const text = input.value.trim();
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value / scale : text;
}

function removeButton(label, row) {
  return el('button', {
    type: 'button',
    class: 'link',
    'aria-label': label,
    text: 'Remove',
    onclick: () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (next) next.querySelector('input')?.focus();
    },
  });
}

function numberRow(number = '', flow = '') {
  const id = `n${(rowSeq += 1)}`;
  const numberInput = el('input', {
    id: `${id}-number`,
    value: number,
    class: 'number',
    inputmode: 'tel',
    autocapitalize: 'off',
    spellcheck: 'false',
    'aria-label': 'Dialled number',
  });
  const flowInput = el('input', {
    id: `${id}-flow`,
    value: flow,
    list: 'flow-names',
    autocapitalize: 'off',
    spellcheck: 'false',
    'aria-label': 'Flow',
  });
  const row = el('tr', {}, el('td', {}, numberInput), el('td', {}, flowInput));
  // The key follows the number as it is typed, so an error about it lands on this row.
  const keyed = () => {
    const key = `dialled_numbers.${numberInput.value.trim()}`;
    numberInput.dataset.key = key;
    flowInput.dataset.key = key;
  };
  numberInput.addEventListener('input', keyed);
  keyed();
  row.append(el('td', {}, removeButton(`Remove number ${number || 'new'}`, row)));
  return row;
}

export function showNumbers(document, flows) {
  const body = window.document.querySelector('#numbers tbody');
  fill(body, Object.entries(document.dialled_numbers).map(([n, f]) => numberRow(n, f)));
  window.document.getElementById('default-flow').value = document.default_flow;
  fill(
    window.document.getElementById('flow-names'),
    flows.map((name) => el('option', { value: name })),
  );
}

export function addNumber() {
  const row = numberRow();
  window.document.querySelector('#numbers tbody').append(row);
  row.querySelector('input').focus();
}

export function readNumbers() {
  const numbers = {};
  for (const row of window.document.querySelectorAll('#numbers tbody tr')) {
    const [number, flow] = row.querySelectorAll('input');
    if (number.value.trim() === '' && flow.value.trim() === '') continue;
    numbers[number.value.trim()] = flow.value.trim();
  }
  return {
    dialled_numbers: numbers,
    default_flow: window.document.getElementById('default-flow').value.trim(),
  };
}

function calendarBox(name, hours) {
  const key = `calendars.${name}`;
  const days = DAYS.map(([day, title]) =>
    el(
      'div',
      { class: 'field' },
      el('label', { for: `cal-${name}-${day}`, text: title }),
      el('input', {
        id: `cal-${name}-${day}`,
        value: (hours.weekly[day] || []).join(', '),
        dataset: { key: `${key}.weekly`, day },
        placeholder: 'closed',
        size: 24,
        spellcheck: 'false',
      }),
    ),
  );
  return el(
    'fieldset',
    { class: 'stack calendar', dataset: { name } },
    el('legend', { text: `Calendar “${name}”` }),
    el(
      'div',
      { class: 'field' },
      el('label', { for: `cal-${name}-zone`, text: 'Time zone (empty: the center’s)' }),
      el('input', {
        id: `cal-${name}-zone`,
        value: hours.timezone || '',
        dataset: { key: `${key}.timezone` },
        spellcheck: 'false',
      }),
    ),
    el('div', { class: 'inline-fields' }, days),
    el(
      'div',
      { class: 'field' },
      el('label', { for: `cal-${name}-holidays`, text: 'Holidays (one per line)' }),
      el(
        'textarea',
        { id: `cal-${name}-holidays`, rows: 4, dataset: { key: `${key}.holidays` }, spellcheck: 'false' },
        hours.holidays.join('\n'),
      ),
    ),
  );
}

export function showCalendars(document) {
  const box = window.document.getElementById('calendars');
  const names = Object.keys(document.calendars);
  fill(
    box,
    names.length
      ? names.map((name) => calendarBox(name, document.calendars[name]))
      : el('p', { class: 'muted', text: 'No calendars: the flows name none.' }),
  );
}

export function readCalendars() {
  const calendars = {};
  for (const box of window.document.querySelectorAll('#calendars fieldset.calendar')) {
    const { name } = box.dataset;
    const weekly = {};
    for (const input of box.querySelectorAll('input[data-day]')) {
      const ranges = input.value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      if (ranges.length) weekly[input.dataset.day] = ranges;
    }
    const zone = box.querySelector(`#cal-${CSS.escape(name)}-zone`).value.trim();
    calendars[name] = {
      timezone: zone === '' ? null : zone,
      weekly,
      holidays: lines(box.querySelector('textarea').value),
    };
  }
  return { calendars };
}

export function showQueueHours(document) {
  const calendars = Object.keys(document.calendars);
  fill(
    window.document.querySelector('#queue-hours tbody'),
    document.queues.map((queue) => {
      const select = el(
        'select',
        { id: `hours-${queue.name}`, dataset: { key: `queue_hours.${queue.name}`, queue: queue.name } },
        el('option', { value: '', text: 'Always open' }),
        calendars.map((name) => el('option', { value: name, text: `Calendar “${name}”` })),
      );
      select.value = document.queue_hours[queue.name] || '';
      return el(
        'tr',
        {},
        el('th', { scope: 'row' }, el('label', { for: select.id, text: queue.name })),
        el('td', {}, select),
      );
    }),
  );
}

export function readQueueHours() {
  const hours = {};
  for (const select of window.document.querySelectorAll('#queue-hours select')) {
    if (select.value) hours[select.dataset.queue] = select.value;
  }
  return { queue_hours: hours };
}

function categoryRow(name = '', hours = '') {
  const id = `c${(rowSeq += 1)}`;
  const nameInput = el('input', {
    id: `${id}-name`,
    value: name,
    dataset: { key: 'ticket_categories' },
    'aria-label': 'Category',
    spellcheck: 'false',
  });
  const hoursInput = el('input', {
    id: `${id}-hours`,
    value: String(hours),
    inputmode: 'decimal',
    size: 6,
    dataset: { key: 'ticket_categories' },
    'aria-label': `Due within (hours) for ${name || 'the new category'}`,
  });
  const row = el('tr', {}, el('td', {}, nameInput), el('td', {}, hoursInput));
  row.append(el('td', {}, removeButton(`Remove category ${name || 'new'}`, row)));
  return row;
}

export function showLists(document) {
  window.document.getElementById('pause-reasons').value = document.pause_reasons.join('\n');
  window.document.getElementById('dispositions').value = document.dispositions.join('\n');
  fill(
    window.document.querySelector('#categories tbody'),
    Object.entries(document.ticket_categories).map(([name, hours]) => categoryRow(name, hours)),
  );
}

export function addCategory() {
  const row = categoryRow();
  window.document.querySelector('#categories tbody').append(row);
  row.querySelector('input').focus();
}

export function readLists() {
  const categories = {};
  for (const row of window.document.querySelectorAll('#categories tbody tr')) {
    const [name, hours] = row.querySelectorAll('input');
    if (name.value.trim() === '' && hours.value.trim() === '') continue;
    categories[name.value.trim()] = typed(hours);
  }
  return {
    pause_reasons: lines(window.document.getElementById('pause-reasons').value),
    dispositions: lines(window.document.getElementById('dispositions').value),
    ticket_categories: categories,
  };
}

/** `supervisors`: the supervisor logins (users with that role) and whoever the document names. */
export function showSupervisors(document, supervisors) {
  const queues = document.queues.map((q) => q.name);
  const names = [...new Set([...supervisors, ...Object.keys(document.supervisors)])].sort();
  const box = window.document.getElementById('supervisors');
  if (!names.length) {
    fill(box, el('p', { class: 'muted', text: 'No supervisor logins yet (create them on the Admin page).' }));
    return;
  }
  fill(
    box,
    names.map((name) => {
      const mine = new Set(document.supervisors[name] || []);
      return el(
        'fieldset',
        { class: 'inline-fields supervisor', dataset: { name, key: `supervisors.${name}` } },
        el('legend', { text: name }),
        queues.map((queue) =>
          el(
            'label',
            { class: 'inline' },
            el('input', { type: 'checkbox', value: queue, checked: mine.has(queue) }),
            ` ${queue}`,
          ),
        ),
      );
    }),
  );
}

export function readSupervisors() {
  const supervisors = {};
  for (const box of window.document.querySelectorAll('#supervisors fieldset.supervisor')) {
    const ticked = [...box.querySelectorAll('input:checked')].map((input) => input.value);
    if (ticked.length) supervisors[box.dataset.name] = ticked;
  }
  return { supervisors };
}

function alertRow(label, key, limits) {
  const id = `a${(rowSeq += 1)}`;
  const cell = (field, value, scale, title) =>
    el(
      'td',
      {},
      el('input', {
        id: `${id}-${field}`,
        value: value === null || value === undefined ? '' : String(Math.round(value * scale * 100) / 100),
        inputmode: 'decimal',
        size: 6,
        dataset: { key: `${key}.${field}`, field, scale },
        'aria-label': `${title}, ${label}`,
      }),
    );
  return el(
    'tr',
    { dataset: { key } },
    el('th', { scope: 'row', text: label }),
    cell('service_level_below', limits.service_level_below, 100, 'Service level below (%)'),
    cell('longest_wait_seconds', limits.longest_wait_seconds, 1, 'A caller waited longer than (s)'),
    cell('calls_waiting_above', limits.calls_waiting_above, 1, 'More callers waiting than'),
  );
}

export function showAlerts(document) {
  const rows = [alertRow('Every queue', 'alerts.default', document.alerts.default)];
  for (const queue of document.queues) {
    rows.push(
      alertRow(queue.name, `alerts.queues.${queue.name}`, document.alerts.queues[queue.name] || {}),
    );
  }
  fill(window.document.querySelector('#alerts tbody'), rows);
}

export function readAlerts() {
  const alerts = { default: {}, queues: {} };
  for (const row of window.document.querySelectorAll('#alerts tbody tr')) {
    const limits = {};
    for (const input of row.querySelectorAll('input')) {
      const value = typed(input, Number(input.dataset.scale));
      if (value !== null) limits[input.dataset.field] = value;
    }
    if (row.dataset.key === 'alerts.default') alerts.default = limits;
    else if (Object.keys(limits).length) alerts.queues[row.dataset.key.split('.')[2]] = limits;
  }
  return { alerts };
}

function retryRow(label, key, policy, required) {
  const id = `r${(rowSeq += 1)}`;
  const byResult = policy.by_result || {};
  const cell = (field, value, title) =>
    el(
      'td',
      {},
      el('input', {
        id: `${id}-${field}`,
        value: value === null || value === undefined ? '' : String(value),
        inputmode: 'numeric',
        size: 6,
        dataset: { key: `${key}.${field === 'busy' || field === 'no-answer' ? `by_result.${field}` : field}`, field },
        'aria-label': `${title}, ${label}`,
        required,
      }),
    );
  return el(
    'tr',
    { dataset: { key } },
    el('th', { scope: 'row', text: label }),
    cell('max_attempts', policy.max_attempts, 'Attempts at most'),
    cell('busy', byResult.busy, 'After busy (s)'),
    cell('no-answer', byResult['no-answer'], 'After no answer (s)'),
    cell('retry_seconds', policy.retry_seconds, 'After other misses (s)'),
  );
}

export function showRetries(document) {
  const retries = document.callback_retries || { default: {}, queues: {} };
  const rows = [retryRow('Every queue', 'callback_retries.default', retries.default, true)];
  for (const queue of document.queues) {
    rows.push(
      retryRow(queue.name, `callback_retries.queues.${queue.name}`, retries.queues[queue.name] || {}, false),
    );
  }
  fill(window.document.querySelector('#retries tbody'), rows);
}

export function readRetries() {
  const retries = { default: {}, queues: {} };
  for (const row of window.document.querySelectorAll('#retries tbody tr')) {
    const policy = {};
    const byResult = {};
    for (const input of row.querySelectorAll('input')) {
      const value = typed(input);
      if (value === null) continue;
      const { field } = input.dataset;
      if (field === 'busy' || field === 'no-answer') byResult[field] = value;
      else policy[field] = value;
    }
    if (Object.keys(byResult).length) policy.by_result = byResult;
    if (row.dataset.key === 'callback_retries.default') retries.default = policy;
    else if (Object.keys(policy).length) {
      // A queue's own policy starts from every queue's: what is left empty is the same.
      retries.queues[row.dataset.key.split('.')[2]] = {
        ...retries.default,
        ...policy,
        by_result: { ...(retries.default.by_result || {}), ...(policy.by_result || {}) },
      };
    }
  }
  return { callback_retries: retries };
}

const FOLLOWUP_MODES = [
  ['agent', 'An agent calls'],
  ['automated', 'Automated call (keypad)'],
];

function followupRow(label, key, policy, required) {
  const id = `f${(rowSeq += 1)}`;
  const mode = el(
    'select',
    { id: `${id}-mode`, dataset: { key: `${key}.mode`, field: 'mode' }, 'aria-label': `Who calls, ${label}` },
    ...(required ? [] : [el('option', { value: '', text: 'As every category' })]),
    ...FOLLOWUP_MODES.map(([value, text]) => el('option', { value, text, selected: policy.mode === value })),
  );
  if (!required && !policy.mode) mode.value = '';
  const cell = (field, title) =>
    el(
      'td',
      {},
      el('input', {
        id: `${id}-${field}`,
        value: policy[field] === null || policy[field] === undefined ? '' : String(policy[field]),
        inputmode: 'decimal',
        size: 6,
        dataset: { key: `${key}.${field}`, field },
        'aria-label': `${title}, ${label}`,
        required,
      }),
    );
  return el(
    'tr',
    { dataset: { key } },
    el('th', { scope: 'row', text: label }),
    el('td', {}, mode),
    cell('delay_hours', 'Automated call after (h)'),
    cell('max_attempts', 'Calls at most'),
    cell('retry_minutes', 'Wait after a miss (min)'),
  );
}

export function showFollowups(document) {
  const followups = document.followups || { default: {}, categories: {} };
  const policy = { mode: 'agent', delay_hours: 24, max_attempts: 3, retry_minutes: 120, ...followups.default };
  const rows = [followupRow('Every category', 'followups.default', policy, true)];
  for (const category of Object.keys(document.ticket_categories || {})) {
    rows.push(
      followupRow(category, `followups.categories.${category}`, followups.categories[category] || {}, false),
    );
  }
  fill(window.document.querySelector('#followups tbody'), rows);
}

export function readFollowups() {
  const followups = { default: {}, categories: {} };
  for (const row of window.document.querySelectorAll('#followups tbody tr')) {
    const policy = {};
    const mode = row.querySelector('select').value;
    if (mode) policy.mode = mode;
    for (const input of row.querySelectorAll('input')) {
      const value = typed(input);
      if (value !== null) policy[input.dataset.field] = value;
    }
    if (row.dataset.key === 'followups.default') followups.default = policy;
    else if (Object.keys(policy).length) {
      // A category's own policy starts from every category's: what is left empty is the same.
      followups.categories[row.dataset.key.slice('followups.categories.'.length)] = {
        ...followups.default,
        ...policy,
      };
    }
  }
  return { followups };
}
