// Strategy: a queue as the configuration page shows and edits it: the table row, the form's
// fields (every QueueSettings key a supervisor touches), and the short text forms of
// skills ("billing:2, lang-de:3") and relaxation steps ("60:1, 120:any").

import { numberOrNull } from './config_form.js';
import { duration, el, label, percent } from './dom.js';

const STRATEGIES = ['longest_idle', 'best_proficiency', 'fewest_calls', 'round_robin'];
const FORMULAS = ['answered_and_abandoned', 'offered', 'answered'];

/** A new queue's settings (the models' defaults). */
export function newQueue() {
  return {
    name: '', skills: {}, strategy: 'longest_idle', weight: 1, relaxation: [],
    ring_timeout_seconds: 15, wrap_up_seconds: 10, max_wait_seconds: null, overflow: null,
    overflow_when_no_agents: false,
    announcements: { position: true, estimated_wait: true, first_after_seconds: 30, every_seconds: 60 },
    service_level_seconds: 20, service_level_target: 0.8, short_abandon_seconds: 5,
    service_level_formula: 'answered_and_abandoned', default_handle_seconds: 180,
  };
}

/** "billing:2, lang-de:3" from {billing: 2, "lang-de": 3}. */
export function skillsText(skills) {
  return Object.entries(skills || {}).map(([name, level]) => `${name}:${level}`).join(', ');
}

/** {billing: 2} from "billing:2"; an Error naming the entry it cannot read. */
export function parseSkills(text) {
  const skills = {};
  for (const entry of String(text).split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([^:\s]+)\s*:\s*(\d+)$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not skill:level (e.g. billing:3)`);
    skills[match[1]] = Number(match[2]);
  }
  return skills;
}

function relaxationText(steps) {
  return (steps || [])
    .map((step) => `${step.after_seconds}:${step.min_level === null ? 'any' : step.min_level}`)
    .join(', ');
}

function parseRelaxation(text) {
  return String(text).split(',').map((part) => part.trim()).filter(Boolean).map((entry) => {
    const match = /^(\d+(?:\.\d+)?)\s*:\s*(\d+|any)$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not seconds:level or seconds:any (e.g. 60:1)`);
    return { after_seconds: Number(match[1]), min_level: match[2] === 'any' ? null : Number(match[2]) };
  });
}

const blankIsNull = (raw) => (String(raw).trim() === '' ? null : String(raw).trim());

/** The fields of the queue form, in the order a supervisor reads them. */
export function queueSpecs() {
  return [
    { key: 'name', label: 'Name', kind: 'text', parse: (raw) => String(raw).trim() },
    { key: 'strategy', label: 'Strategy', kind: 'select', options: STRATEGIES.map((s) => [s, label(s)]) },
    { key: 'skills', label: 'Skills required', kind: 'text', size: 28, placeholder: 'billing:2, lang-de:3', format: skillsText, parse: parseSkills, hint: 'skill:minimum level' },
    { key: 'service_level_seconds', label: 'Service-level threshold (s)', kind: 'number', parse: numberOrNull },
    { key: 'service_level_target', label: 'Service-level target (0 to 1)', kind: 'number', parse: numberOrNull },
    { key: 'service_level_formula', label: 'Service level counts', kind: 'select', options: FORMULAS.map((f) => [f, label(f)]) },
    { key: 'short_abandon_seconds', label: 'Short abandon (s)', kind: 'number', parse: numberOrNull },
    { key: 'ring_timeout_seconds', label: 'Ring timeout (s)', kind: 'number', parse: numberOrNull },
    { key: 'wrap_up_seconds', label: 'Wrap-up (s)', kind: 'number', parse: numberOrNull },
    { key: 'max_wait_seconds', label: 'Max wait (s, blank: none)', kind: 'number', parse: numberOrNull },
    { key: 'overflow.kind', label: 'Overflow to', kind: 'select', options: [['', 'Nowhere (the call times out)'], ['queue', 'Another queue'], ['voicemail', 'Voicemail'], ['callback', 'Callback offer']], parse: blankIsNull },
    { key: 'overflow.name', label: 'Overflow queue or box', kind: 'text', parse: blankIsNull },
    { key: 'overflow_when_no_agents', label: 'Overflow at once when nobody is logged in', kind: 'check' },
    { key: 'relaxation', label: 'Relax skills after', kind: 'text', size: 20, placeholder: '60:1, 120:any', format: relaxationText, parse: parseRelaxation, hint: 'seconds:level' },
    { key: 'announcements.position', label: 'Announce position', kind: 'check' },
    { key: 'announcements.estimated_wait', label: 'Announce estimated wait', kind: 'check' },
    { key: 'announcements.first_after_seconds', label: 'First announcement after (s)', kind: 'number', parse: numberOrNull },
    { key: 'announcements.every_seconds', label: 'Announce every (s, blank: once)', kind: 'number', parse: numberOrNull },
    { key: 'weight', label: 'Weight', kind: 'number', parse: numberOrNull },
    { key: 'default_handle_seconds', label: 'Assumed handle time (s)', kind: 'number', parse: numberOrNull },
  ];
}

/** The queue as the form read it, with an overflow of no kind as none. */
export function tidyQueue(queue) {
  if (!queue.overflow || !queue.overflow.kind) queue.overflow = null;
  return queue;
}

function overflowText(queue) {
  const target = queue.overflow;
  if (!target) return 'none';
  const where = target.name ? ` ${target.name}` : '';
  const wait = queue.max_wait_seconds ? ` after ${duration(queue.max_wait_seconds)}` : '';
  return `${label(target.kind)}${where}${wait}`;
}

/** The table row of `queue`; `actions` are its buttons. */
export function queueRow(queue, actions) {
  return el(
    'tr',
    { dataset: { queue: queue.name } },
    el('th', { scope: 'row', text: queue.name }),
    el('td', { text: label(queue.strategy) }),
    el('td', { text: skillsText(queue.skills) || '–' }),
    el('td', { text: `${percent(queue.service_level_target)} in ${queue.service_level_seconds} s` }),
    el('td', { class: 'num', text: `${queue.ring_timeout_seconds} s` }),
    el('td', { class: 'num', text: `${queue.wrap_up_seconds} s` }),
    el('td', { text: overflowText(queue) }),
    el('td', {}, actions),
  );
}
