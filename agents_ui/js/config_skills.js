// Strategy: skills are not a list of their own in the document: a skill exists where a queue
// needs it or an agent has it. The table is derived from the queues and agents shown, and
// renaming or removing a skill changes every queue and agent that names it, in one version.

import { el } from './dom.js';

function skillMap(queues, agents) {
  const skills = new Map();
  const entry = (name) => {
    if (!skills.has(name)) skills.set(name, { queues: [], agents: [] });
    return skills.get(name);
  };
  for (const queue of queues) {
    for (const [name, level] of Object.entries(queue.skills || {})) entry(name).queues.push(`${queue.name} (≥${level})`);
  }
  for (const agent of agents) {
    for (const [name, level] of Object.entries(agent.skills || {})) entry(name).agents.push(`${agent.id} (${level})`);
  }
  return skills;
}

/** The skills in use, sorted. */
export function skillNames(queues, agents) {
  return [...skillMap(queues, agents).keys()].sort();
}

/** The skills rows: each skill with the queues that need it and the agents who have it. */
export function skillRows(queues, agents) {
  const skills = skillMap(queues, agents);
  return [...skills.keys()].sort().map((name) => el(
    'tr',
    { dataset: { skill: name } },
    el('th', { scope: 'row', text: name }),
    el('td', { text: skills.get(name).queues.join(', ') || '–' }),
    el('td', { text: skills.get(name).agents.join(', ') || '–' }),
  ));
}

function entries(document) {
  return [
    ...document.queues.map((queue) => [`queue ${queue.name}`, queue]),
    ...document.agents.map((agent) => [`agent ${agent.id}`, agent]),
  ];
}

/** Rename skill `from` to `to` in every queue and agent of `document` (changed in place);
 * an Error when an entry already has both. */
export function renameSkill(document, from, to) {
  for (const [who, item] of entries(document)) {
    const skills = item.skills || {};
    if (!(from in skills)) continue;
    if (to in skills) throw new Error(`${who} has both ${from} and ${to}: remove one there first`);
    const renamed = {};
    for (const [name, level] of Object.entries(skills)) renamed[name === from ? to : name] = level;
    item.skills = renamed;
  }
}

/** Remove skill `name` from every queue and agent of `document` (in place). */
export function removeSkill(document, name) {
  for (const [, item] of entries(document)) {
    if (item.skills && name in item.skills) delete item.skills[name];
  }
}
