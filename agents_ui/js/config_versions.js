// Strategy: the versions table: who changed what when, each change listed under the
// summary, and a "Roll back" button on every version but the one in force.

import { el, fill, when } from './dom.js';

function shown(value) {
  return value === undefined ? '' : JSON.stringify(value);
}

function changeText(change) {
  if (change.op === 'changed') return `${change.path}: ${shown(change.old)} → ${shown(change.new)}`;
  return `${change.path} ${change.op}${change.op === 'added' ? `: ${shown(change.new)}` : ''}`;
}

/** Fill the table body with `versions` (newest first); `onRollback(n)` restores one. */
export function renderVersions(body, versions, current, onRollback) {
  fill(body, versions.map((version) => {
    const changes = version.changes || [];
    const what = changes.length
      ? el('details', {},
        el('summary', { text: version.summary || `${changes.length} changes` }),
        el('ul', {}, changes.map((change) => el('li', { text: changeText(change) }))))
      : el('span', { class: 'muted', text: version.summary || 'first version' });
    const action = version.version === current
      ? el('span', { class: 'muted', text: 'in force' })
      : el('button', {
        type: 'button',
        text: 'Roll back to this version',
        'aria-label': `Roll back to version ${version.version}`,
        onclick: (event) => onRollback(version.version, event.currentTarget),
      });
    return el(
      'tr',
      { dataset: { version: version.version } },
      el('th', { scope: 'row', text: String(version.version) }),
      el('td', { text: when(version.created_at) }),
      el('td', { text: version.author }),
      el('td', { text: version.comment || '–' }),
      el('td', {}, what),
      el('td', {}, action),
    );
  }));
}
