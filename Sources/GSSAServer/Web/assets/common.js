// Shared helpers of the dashboard's pages: DOM building (text only, never HTML from data),
// the API with the session's CSRF token, times in the browser's zone, durations h:mm:ss, and
// the live event socket.

export const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
export const me = {
  user: document.querySelector('meta[name="gssa-user"]')?.content ?? '',
  admin: document.querySelector('meta[name="gssa-admin"]')?.content === 'true',
  capabilities: [],
};

/** el('td', {class: 'num'}, 'text', child…): an element with attributes and text/element children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export class APIError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.candidates = body?.candidates;
  }
}

/** A JSON request; state-changing ones carry the CSRF token. A lost sign-in goes back to /signin. */
export async function api(method, path, body, contentType = 'application/json') {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  let payload = body;
  if (body !== undefined && contentType === 'application/json' && typeof body !== 'string') payload = JSON.stringify(body);
  if (body !== undefined) headers['Content-Type'] = contentType;
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (response.status === 401) {
    location.assign('/signin?expired=1&next=' + encodeURIComponent(location.pathname));
    throw new APIError(401, json);
  }
  if (!response.ok) throw new APIError(response.status, json);
  return json;
}

export const runPath = (guid, tail = '') => `/api/v1/simulations/${encodeURIComponent(guid)}${tail}`;

/** Seconds as h:mm:ss. */
export function hms(seconds) {
  if (seconds === undefined || seconds === null || !isFinite(seconds)) return '';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
/** An ISO time in the browser's time zone. */
export function localTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : timeFormat.format(date);
}

/** A run's duration: finished runs from the summary, running ones up to now. */
export function runDuration(run) {
  if (run.duration !== undefined && run.duration !== null) return hms(run.duration);
  if (run.started) return hms((Date.now() - Date.parse(run.started)) / 1000);
  return '';
}

export function progressBar(percentage, big = false) {
  const value = Math.max(0, Math.min(100, Number(percentage ?? 0)));
  const bar = el('span', { class: 'progress' + (big ? ' big' : ''), role: 'progressbar',
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': value.toFixed(0), 'aria-label': 'progress' }, el('span'));
  bar.firstChild.style.width = value + '%';
  return bar;
}

export function setProgress(bar, percentage) {
  const value = Math.max(0, Math.min(100, Number(percentage ?? 0)));
  bar.setAttribute('aria-valuenow', value.toFixed(0));
  bar.firstChild.style.width = value + '%';
}

export const stateBadge = (state) => el('span', { class: `state state-${state}` }, state);
export const activeStates = new Set(['queued', 'starting', 'running', 'waiting', 'suspended']);
export const terminalStates = new Set(['succeeded', 'failed', 'cancelled']);

/** Shows a failure in `where` (replacing what was there). */
export function showError(where, error) {
  const message = error instanceof APIError || error instanceof Error ? error.message : String(error);
  where.replaceChildren(el('p', { class: 'error', role: 'alert' }, message));
}

// ---- live events: one WebSocket per page, reconnecting with a growing delay ----

const listeners = new Set();
const latencies = [];
window.__gssaLatencies = latencies;  // event timestamp → displayed, in ms (docs/performance.md)

/** Calls `listener(event)` for every event of the user's runs; returns the unsubscribe function. */
export function onEvent(listener) { listeners.add(listener); return () => listeners.delete(listener); }

/** Called by pages after they have drawn an event, to record how long it took to reach the screen. */
export function displayed(event) {
  const at = Date.parse(event.timestamp);
  if (!isNaN(at)) requestAnimationFrame(() => { latencies.push(Date.now() - at); if (latencies.length > 10000) latencies.shift(); });
}

let reconnectListeners = new Set();
export function onReconnect(listener) { reconnectListeners.add(listener); }

export function connectEvents() {
  const status = document.getElementById('live');
  let delay = 500, opened = false;
  const open = () => {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/events`);
    socket.addEventListener('open', () => {
      if (status) { status.textContent = 'live'; status.classList.add('on'); }
      if (opened) for (const listener of reconnectListeners) listener();
      opened = true; delay = 500;
    });
    socket.addEventListener('message', (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (event.type === 'identify') { window.__gssaIdentify = event; }
      for (const listener of listeners) {
        try { listener(event); } catch (error) { console.error(error); }
      }
    });
    socket.addEventListener('close', () => {
      if (status) { status.textContent = 'reconnecting…'; status.classList.remove('on'); }
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    });
  };
  open();
}
