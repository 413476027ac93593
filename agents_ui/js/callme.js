// The public "call me back" form (/callme), meant to be framed on the company's website.
//
// Strategy: standalone (no login, no other module): it loads a form token and the topics
// from GET /api/public/callback/form, and posts the filled form as JSON to
// POST /api/public/callback. A refused field is marked at the field (aria-invalid, its
// message next to it, focus moved there); any other refusal shows above the form. On
// success the form gives way to the answer: when to expect the call. Everything the server
// or the customer wrote reaches the page as text (textContent), never as markup. A topic can
// be preselected with ?topic=<queue> when it is one of the topics offered.

const form = document.getElementById('callme-form');
const formError = document.getElementById('form-error');
const send = document.getElementById('send');
const topic = document.getElementById('topic');
const windowBox = document.getElementById('window');
const done = document.getElementById('done');
const FIELDS = ['number', 'name', 'topic', 'window_start', 'window_end'];
const INPUT_OF = { window_start: 'day', window_end: 'to' };
let token = null;

async function loadForm() {
  const response = await fetch('/api/public/callback/form', { credentials: 'omit' });
  if (!response.ok) throw new Error('The form cannot be loaded right now. Please try again later.');
  const body = await response.json();
  if (!body.enabled) throw new Error('Callbacks cannot be requested here at the moment. Please call us.');
  token = body.token;
  return body;
}

function showTopics(topics) {
  topic.replaceChildren();
  for (const item of topics) {
    const option = document.createElement('option');
    option.value = item.id;
    option.textContent = item.label;
    topic.append(option);
  }
  const wanted = new URLSearchParams(window.location.search).get('topic');
  if (wanted && topics.some((item) => item.id === wanted)) topic.value = wanted;
}

function clearErrors() {
  formError.hidden = true;
  formError.textContent = '';
  for (const name of FIELDS) {
    const message = document.getElementById(`${name}-error`);
    message.hidden = true;
    message.textContent = '';
    document.getElementById(INPUT_OF[name] || name).removeAttribute('aria-invalid');
  }
}

function fieldError(name, text) {
  const message = document.getElementById(`${name}-error`);
  const input = document.getElementById(INPUT_OF[name] || name);
  message.textContent = text;
  message.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  return input;
}

function formProblem(text) {
  formError.textContent = text;
  formError.hidden = false;
  formError.focus();
}

function localIso(day, time) {
  // The customer's own clock: the browser's time zone, sent with its offset (as UTC).
  const moment = new Date(`${day}T${time}`);
  return Number.isNaN(moment.getTime()) ? null : moment.toISOString();
}

function collect() {
  const when = form.elements.when.value;
  const fields = {
    number: form.elements.number.value,
    name: document.getElementById('name').value,
    topic: topic.value,
    when,
    token,
    website: form.elements.website.value,
  };
  if (when === 'window') {
    fields.window_start = localIso(form.elements.day.value, form.elements.from.value);
    fields.window_end = localIso(form.elements.day.value, form.elements.to.value);
  }
  return fields;
}

function checkLocally(fields) {
  // The server checks everything again; this only spares a round trip for empty fields.
  const missing = [];
  if (!fields.number.trim()) missing.push(['number', 'Please enter your phone number.']);
  if (!fields.name.trim()) missing.push(['name', 'Please enter your name.']);
  if (fields.when === 'window' && !fields.window_start) {
    missing.push(['window_start', 'Please choose a day and a time.']);
  }
  return missing;
}

function showAnswer(answer) {
  form.hidden = true;
  document.getElementById('done-message').textContent = answer.message;
  const at = new Date(answer.expected_at);
  document.getElementById('done-time').textContent =
    answer.status === 'scheduled'
      ? `That is ${at.toLocaleString([], { dateStyle: 'full', timeStyle: 'short' })} your time.`
      : '';
  done.hidden = false;
  document.getElementById('done-title').focus();
}

async function explain(response) {
  let error = {};
  try {
    error = (await response.json()).error || {};
  } catch {
    // not JSON: a proxy's page; the status says enough
  }
  const fields = (error.details || []).filter((d) => d.field && FIELDS.includes(d.field));
  if (response.status === 422 && fields.length) {
    const first = fields.map((d) => fieldError(d.field, d.problem))[0];
    first.focus();
    return;
  }
  if (error.code === 'form_expired') {
    await loadForm();
    formProblem('The form had expired. Please check your details and send it again.');
    return;
  }
  if (response.status === 429) {
    formProblem(error.message || 'Too many requests. Please try again later.');
    return;
  }
  formProblem(error.message || 'Your request could not be sent. Please try again later.');
}

form.addEventListener('change', (event) => {
  if (event.target.name === 'when') windowBox.hidden = form.elements.when.value !== 'window';
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const fields = collect();
  const missing = checkLocally(fields);
  if (missing.length) {
    const first = missing.map(([name, text]) => fieldError(name, text))[0];
    first.focus();
    return;
  }
  send.disabled = true;
  try {
    const response = await fetch('/api/public/callback', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(fields),
    });
    if (response.ok) showAnswer(await response.json());
    else await explain(response);
  } catch {
    formProblem('Your request could not be sent. Please check your connection and try again.');
  } finally {
    send.disabled = false;
  }
});

formError.tabIndex = -1;
const tomorrow = new Date(Date.now() + 86_400_000);
form.elements.day.value = tomorrow.toLocaleDateString('sv');  // YYYY-MM-DD, local
loadForm()
  .then((body) => showTopics(body.topics))
  .catch((err) => {
    formProblem(err.message);
    send.disabled = true;
  });
