// Runs: one server-side page of the user's runs (an admin's: everyone's), filtered by state,
// family, owner, text and dates, kept live by the event socket (no polling).
import { api, el, me, hms, localTime, runDuration, progressBar, setProgress, stateBadge, showError,
  onEvent, onReconnect, displayed } from './common.js';

const states = ['created', 'finalized', 'queued', 'waiting', 'starting', 'running', 'suspended', 'succeeded', 'failed', 'cancelled'];

export async function render(main) {
  const params = new URLSearchParams(location.search);
  const field = (name, label, attributes = {}) => el('label', {}, label, el('br'),
    el('input', { name, id: `f-${name}`, value: params.get(name) ?? '', ...attributes }));
  const stateSelect = el('select', { name: 'state', id: 'f-state' }, el('option', { value: '' }, 'any'),
    states.map((state) => el('option', { value: state, selected: params.get('state') === state }, state)));
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
    el('label', {}, 'State', el('br'), stateSelect),
    field('family', 'Family', { size: 14 }),
    me.admin ? field('owner', 'Owner', { size: 10 }) : null,
    field('q', 'Search', { type: 'search', size: 18, placeholder: 'GUID, family, message' }),
    field('from', 'Created from', { type: 'date' }),
    field('to', 'to', { type: 'date' }),
    el('button', { type: 'submit' }, 'Apply'));
  const summary = el('p', { id: 'runs-count', role: 'status' });
  const table = el('table', { id: 'runs' },
    el('thead', {}, el('tr', {}, ['GUID', 'Family', 'State', 'Progress', me.admin ? 'Owner' : null, 'Project', 'Queue',
      'Created', 'Duration'].filter(Boolean).map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody'));
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  const failure = el('div');
  main.replaceChildren(el('h1', {}, 'Runs'), form, failure, summary, el('div', { class: 'scroll' }, table), pager);

  let page = Number(params.get('page') ?? 1) || 1;
  const rows = new Map();
  let pending = null;

  const query = () => {
    const data = new FormData(form);
    const out = new URLSearchParams();
    for (const [key, value] of data) if (String(value).trim()) out.set(key, String(value).trim());
    if (page > 1) out.set('page', String(page));
    return out;
  };

  const load = async () => {
    const q = query();
    history.replaceState(null, '', q.toString() ? `/runs?${q}` : '/runs');
    try {
      const result = await api('GET', `/web/api/runs?${q}`);
      failure.replaceChildren();
      draw(result);
    } catch (error) { showError(failure, error); }
  };

  const draw = (result) => {
    rows.clear();
    const body = table.tBodies[0];
    body.replaceChildren(...result.runs.map((run) => row(run)));
    const pages = Math.max(1, Math.ceil(result.total / result.size));
    summary.textContent = result.total === 0 ? 'No runs match.' : `${result.total} runs · page ${result.page} of ${pages}`;
    pager.replaceChildren(
      el('button', { class: 'secondary', disabled: result.page <= 1, onclick: () => { page -= 1; load(); } }, '← Newer'),
      el('span', {}, `Page ${result.page} of ${pages}`),
      el('button', { class: 'secondary', disabled: result.page >= pages, onclick: () => { page += 1; load(); } }, 'Older →'));
  };

  const row = (run) => {
    const bar = progressBar(run.status?.percentage ?? (run.state === 'succeeded' ? 100 : 0));
    const cells = {
      state: el('td', {}, stateBadge(run.state)),
      queue: el('td', {}, queueText(run)),
      duration: el('td', { class: 'num' }, runDuration(run)),
    };
    const tr = el('tr', { 'data-guid': run.guid },
      el('td', { class: 'mono' }, el('a', { href: `/runs/${encodeURIComponent(run.guid)}`, title: run.guid }, run.guid.slice(0, 8))),
      el('td', {}, run.family ?? ''),
      cells.state,
      el('td', {}, bar),
      me.admin ? el('td', {}, run.owner) : null,
      el('td', {}, run.project ?? ''),
      cells.queue,
      el('td', {}, localTime(run.created)),
      cells.duration);
    rows.set(run.guid, { run, bar, cells });
    return tr;
  };

  // At most one reload per 300 ms however many events arrive (a throttle, not a debounce that a
  // steady stream of events could postpone forever).
  const reloadSoon = () => {
    if (pending) return;
    pending = setTimeout(() => { pending = null; load(); }, 300);
  };

  form.addEventListener('submit', (event) => { event.preventDefault(); page = 1; load(); });

  // Live: a known row changes in place; a run not on the page reloads the first page (newest first).
  onEvent((event) => {
    if (!event.guid || event.type === 'announce' || event.type === 'identify') return;
    const entry = rows.get(event.guid);
    if (entry) {
      if (event.state) { entry.run.state = event.state; entry.cells.state.replaceChildren(stateBadge(event.state)); }
      if (event.percentage !== undefined && event.percentage !== null) setProgress(entry.bar, event.percentage);
      else if (event.type === 'complete') setProgress(entry.bar, 100);
      entry.run.position = event.position;
      entry.cells.queue.textContent = queueText(entry.run);
      if (event.type === 'complete' || event.type === 'fail') {
        entry.run.duration = undefined;
        reloadSoon();
      } else entry.cells.duration.textContent = runDuration(entry.run);
      displayed(event);
    } else if (page === 1) {
      reloadSoon();
    }
  });
  onReconnect(load);
  await load();
}

function queueText(run) {
  if (run.state !== 'queued' && run.state !== 'waiting') return '';
  const parts = [];
  if (run.position) parts.push(`#${run.position}`);
  if (run.queue_reason) parts.push(run.queue_reason);
  return parts.join(' · ');
}

export { hms };
