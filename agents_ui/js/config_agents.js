// Strategy: an agent as the configuration page shows and edits it (login id, name, skills
// with levels, queues, phone and Asterisk server).

import { parseSkills, skillsText } from './config_queues.js';
import { el, fill } from './dom.js';

const blankIsNull = (raw) => (String(raw).trim() === '' ? null : String(raw).trim());

/** A new agent's entry. */
export function newAgent() {
  return { id: '', name: '', skills: {}, queues: [], endpoint: null, server: null };
}

/** The fields of the agent form (the queues are check boxes of their own); `isNew` adds
 * the password of the login made for a new agent. */
export function agentSpecs(isNew) {
  const specs = [
    { key: 'id', label: 'Agent id (their login)', kind: 'text', parse: (raw) => String(raw).trim() },
    { key: 'name', label: 'Name', kind: 'text', parse: (raw) => String(raw).trim() },
    { key: 'skills', label: 'Skills', kind: 'text', size: 32, placeholder: 'billing:3, lang-de:5', format: skillsText, parse: parseSkills, hint: 'skill:level, 1 (basic) to 5 (expert)' },
    { key: 'endpoint', label: 'Phone (channel)', kind: 'text', placeholder: 'PJSIP/agent1001', parse: blankIsNull, hint: 'blank: PJSIP/<agent id>' },
    { key: 'server', label: 'Asterisk server', kind: 'text', placeholder: 'pbx1', parse: blankIsNull, hint: 'blank: the first' },
  ];
  if (isNew) {
    specs.push({ key: 'password', label: 'Password of their login', kind: 'password', hint: 'made if no login of that id exists' });
  }
  return specs;
}

/** One check box per queue in `names`; those not in `mine` (null: all) cannot be changed. */
export function queueBoxes(container, names, checked, mine) {
  fill(container, names.map((name, index) => el(
    'label',
    { class: 'inline' },
    el('input', {
      type: 'checkbox',
      name: 'queues',
      value: name,
      checked: checked.includes(name),
      disabled: mine !== null && !mine.includes(name),
      // The first box stands for the list when a refusal names `queues`.
      dataset: index === 0 ? { key: 'queues' } : {},
      'aria-describedby': index === 0 ? 'agent-queues-error' : null,
    }),
    ` ${name}`,
  )));
}

/** The queues ticked, in the order of `names` (boxes that cannot be changed keep theirs). */
export function readQueueBoxes(container) {
  return [...container.querySelectorAll('input[name="queues"]')]
    .filter((box) => box.checked)
    .map((box) => box.value);
}

/** The table row of `agent`. */
export function agentRow(agent, actions) {
  return el(
    'tr',
    { dataset: { agent: agent.id } },
    el('th', { scope: 'row', text: agent.id }),
    el('td', { text: agent.name || '–' }),
    el('td', { text: skillsText(agent.skills) || '–' }),
    el('td', { text: (agent.queues || []).join(', ') || '–' }),
    el('td', { text: agent.endpoint || `default (settings file, else PJSIP/${agent.id})` }),
    el('td', { text: agent.server || '–' }),
    el('td', {}, actions),
  );
}
