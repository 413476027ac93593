// Strategy: tiny DOM helpers. Data only ever reaches the page as text (textContent or
// attribute values), never as HTML. Times from the server are epoch seconds on the server's
// clock; `clock` keeps the offset to ours so that tickers agree with the server. Dates and
// times are shown in the call center's time zone (`center`, from GET /api/config/public),
// not the browser's, with the zone named, so that a desk abroad and the reports agree.

/** Create an element: el('td', {class: 'num', dataset: {id: 1}, onclick: fn}, 'text', child). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Set text only when it changed (keeps screen readers and selections calm). */
export function setText(node, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

/**
 * Keyed update of a container's children: one node per item, created once and updated in
 * place, so that focus and open controls survive the once-a-second refresh.
 */
export function syncChildren(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of container.children) existing.set(child.dataset.key, child);
  const wanted = new Set();
  items.forEach((item, index) => {
    const key = String(keyOf(item));
    wanted.add(key);
    let node = existing.get(key);
    if (!node) {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
  for (const [key, node] of existing) if (!wanted.has(key)) node.remove();
}

/** The server's clock, estimated from the times the server reports. */
export const clock = {
  offset: 0,
  now() {
    return Date.now() / 1000 + this.offset;
  },
  sync(serverNow) {
    if (typeof serverNow === 'number' && Number.isFinite(serverNow)) this.offset = serverNow - Date.now() / 1000;
  },
};

/** "m:ss" or "h:mm:ss"; a dash for unknown values. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A fraction (0..1) as a whole percentage; a dash for unknown values. */
export function percent(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${Math.round(fraction * 100)}%`;
}

/** A number or a dash. */
export function num(value, digits = 0) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(digits);
}

/** The call center: its time zone and its agents' names (set once the config is loaded). */
export const center = {
  timeZone: undefined,
  agents: {},
  /** Take the time zone and agent names of GET /api/config/public. */
  configure(config) {
    if (config && config.timezone) this.timeZone = config.timezone;
    if (config && config.agents) this.agents = config.agents;
  },
  /** An agent's name as the wallboard shows it (the id when unknown). */
  agentName(agentId) {
    if (agentId === null || agentId === undefined || agentId === '') return null;
    return this.agents[agentId] || agentId;
  },
};

function asDate(value) {
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}

/**
 * Format a moment in the call center's time zone; `parts` are Intl.DateTimeFormat options.
 * A zone the browser does not know falls back to the browser's own.
 */
export function centerTime(value, parts) {
  const date = asDate(value);
  if (Number.isNaN(date.getTime())) return String(value);
  try {
    return date.toLocaleString([], { ...parts, timeZone: center.timeZone });
  } catch {
    return date.toLocaleString([], parts);
  }
}

/** A date and time in the call center's zone, the zone named ("03/08/2024, 14:05 GMT+1"). */
export function when(value) {
  if (value === null || value === undefined || value === '') return '–';
  return centerTime(value, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  });
}

/** The call center's date of a moment as YYYY-MM-DD (what a date input holds). */
export function centerDay(value) {
  const date = asDate(value);
  // Built from the parts, so that the browser's locale cannot reorder them.
  const parts = (timeZone) => new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(date);
  let found;
  try {
    found = parts(center.timeZone);
  } catch {
    found = parts(undefined);
  }
  const by = Object.fromEntries(found.map((part) => [part.type, part.value]));
  return `${by.year}-${by.month}-${by.day}`;
}

/**
 * Words for machine names: "not_ready" -> "Not ready",
 * "abandoned_in_ivr" -> "Abandoned in IVR".
 */
export function label(name) {
  if (!name) return '–';
  const text = String(name).replaceAll('_', ' ').replace(/\bivr\b/gi, 'IVR');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Every second, refresh elements with data-since (time elapsed since a server epoch) and
 * data-until (time left until a server epoch).
 */
export function startTicker(root = document) {
  const tick = () => {
    const now = clock.now();
    for (const node of root.querySelectorAll('[data-since]')) {
      setText(node, duration(now - Number(node.dataset.since)));
    }
    for (const node of root.querySelectorAll('[data-until]')) {
      setText(node, duration(Number(node.dataset.until) - now));
    }
  };
  tick();
  return window.setInterval(tick, 1000);
}

/** Options for a <select> from plain strings. */
export function options(select, values, { blank = null, selected = null } = {}) {
  const list = [];
  if (blank !== null) list.push(el('option', { value: '', text: blank }));
  for (const value of values) {
    list.push(el('option', { value, text: label(value), selected: value === selected }));
  }
  fill(select, list);
}
