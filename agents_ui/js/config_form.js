// Strategy: the configuration page's forms are built from field specs (key path in the
// document, label, kind, how to show and read the value), so that a refusal naming a key
// (`document.queues[1].ring_timeout_seconds`) finds its input by that key: the error is
// shown under the input, the input is marked invalid, and focus goes to the first one.
// A problem naming no input (the document as a whole, a 409) goes to the form's alert box.

import { el, fill } from './dom.js';

/** The value at a dotted path ("announcements.position") of `obj`. */
export function getPath(obj, path) {
  return path.split('.').reduce((node, part) => (node == null ? undefined : node[part]), obj);
}

/** Set the value at a dotted path, making the objects on the way. */
export function setPath(obj, path, value) {
  const parts = path.split('.');
  let node = obj;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === null || typeof node[part] !== 'object') node[part] = {};
    node = node[part];
  }
  node[parts[parts.length - 1]] = value;
}

function control(spec, id, value) {
  const common = { id, name: spec.key, dataset: { key: spec.key }, 'aria-describedby': `${id}-error` };
  if (spec.kind === 'select') {
    return el('select', common, spec.options.map(([optValue, text]) =>
      el('option', { value: optValue, text, selected: optValue === (value ?? '') })));
  }
  if (spec.kind === 'check') return el('input', { ...common, type: 'checkbox', checked: Boolean(value) });
  const shown = spec.format ? spec.format(value) : value ?? '';
  return el('input', {
    ...common,
    type: spec.kind === 'number' ? 'number' : spec.kind === 'password' ? 'password' : 'text',
    step: spec.kind === 'number' ? 'any' : null,
    value: String(shown),
    size: spec.size || null,
    autocomplete: spec.kind === 'password' ? 'new-password' : 'off',
    spellcheck: 'false',
    placeholder: spec.placeholder || null,
  });
}

/** Fill `container` with one labelled input per spec, showing `item`'s values. */
export function renderFields(container, prefix, specs, item, { locked = () => false } = {}) {
  fill(container, specs.map((spec) => {
    const id = `${prefix}-${spec.key.replaceAll('.', '-')}`;
    const input = control(spec, id, getPath(item, spec.key));
    input.disabled = locked(spec.key);
    const hint = spec.hint ? el('span', { class: 'muted hint', text: ` ${spec.hint}` }) : null;
    const error = el('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    if (spec.kind === 'check') {
      return el('div', { class: 'field' }, el('label', { class: 'inline', for: id }, input, ` ${spec.label}`), hint, error);
    }
    return el('div', { class: 'field' }, el('label', { for: id, text: spec.label }), input, hint, error);
  }));
}

/** `item` with the inputs' values; problems of inputs that cannot be read, by key. */
export function readFields(container, specs, item) {
  const value = structuredClone(item);
  const problems = [];
  for (const spec of specs) {
    const input = container.querySelector(`[data-key="${spec.key}"]`);
    if (!input || input.disabled) continue;
    const raw = spec.kind === 'check' ? input.checked : input.value;
    try {
      setPath(value, spec.key, spec.parse ? spec.parse(raw) : raw);
    } catch (err) {
      problems.push({ key: spec.key, message: err.message });
    }
  }
  return { value, problems };
}

/** A number from an input; blank is null (the server names a required one). */
export function numberOrNull(raw) {
  const text = String(raw).trim();
  if (text === '') return null;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error('must be a number');
  return value;
}

/** Remove every error shown in `form`. */
export function clearErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) {
    node.hidden = true;
    node.textContent = '';
  }
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const box = form.querySelector('.form-error');
  box.hidden = true;
  fill(box);
}

function inputFor(form, key) {
  // "skills.billing" -> skills; "relaxation[0].after_seconds" -> relaxation.
  const parts = key.replace(/\[(\w+)\]/g, '.$1').split('.').filter(Boolean);
  for (let n = parts.length; n > 0; n -= 1) {
    const found = form.querySelector(`[data-key="${parts.slice(0, n).join('.')}"]`);
    if (found) return found;
  }
  return null;
}

/**
 * Show `problems` ([{key, message}], keys relative to the form's item) next to their
 * inputs; the rest, with `general` (a refusal's message), in the form's alert box. Focus
 * goes to the first input named, else to the box.
 */
export function showErrors(form, problems, general = null) {
  clearErrors(form);
  const box = form.querySelector('.form-error');
  const loose = [];
  let first = null;
  for (const problem of problems) {
    const input = problem.key ? inputFor(form, problem.key) : null;
    if (!input) {
      loose.push(problem.key ? `${problem.key}: ${problem.message}` : problem.message);
      continue;
    }
    input.setAttribute('aria-invalid', 'true');
    const error = document.getElementById(input.getAttribute('aria-describedby'));
    error.hidden = false;
    error.textContent = error.textContent ? `${error.textContent}; ${problem.message}` : problem.message;
    first = first || input;
  }
  const lines = general && (loose.length || !first) ? [general, ...loose] : loose;
  if (lines.length) {
    fill(box, lines.length === 1 ? lines[0] : el('ul', {}, lines.map((line) => el('li', { text: line }))));
    box.hidden = false;
  }
  (first || box).focus();
}

/**
 * The problems of an API refusal for the document entry at `prefix`
 * (`document.queues[1]`): keys relative to the entry; other keys kept whole.
 */
export function problemsOf(err, prefix) {
  const details = Array.isArray(err.details) ? err.details : [];
  return details
    .filter((detail) => detail && typeof detail.field === 'string')
    .map((detail) => {
      const field = detail.field;
      let key = null;
      if (field === prefix) key = null;
      else if (field.startsWith(`${prefix}.`)) key = field.slice(prefix.length + 1);
      else return { key: null, message: `${field.replace(/^document\.?/, '') || 'configuration'}: ${detail.problem}` };
      return { key, message: detail.problem };
    });
}
