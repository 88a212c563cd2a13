// Admin: users and their usage (most runs first), runs by state, the daemon's free slots, a
// few metrics, and the projects/quotas views when the server has them.
import { api, el, me, showError } from './common.js';

export async function render(main) {
  main.replaceChildren(el('h1', {}, 'Admin'));
  if (!me.admin) { main.append(el('p', { class: 'error' }, 'This page needs an admin account.')); return; }
  const box = el('div'); main.append(box);
  let overview;
  try { overview = await api('GET', '/web/api/admin'); } catch (error) { showError(box, error); return; }
  const slots = el('dd', { id: 'free-slots' }, overview.free_slots ?? 'unknown (daemon not answering)');
  main.append(el('div', { class: 'grid' },
    el('section', { class: 'card' }, el('h2', {}, 'Server'), el('dl', {},
      el('dt', {}, 'Server id'), el('dd', {}, overview.server_id),
      el('dt', {}, 'Host'), el('dd', {}, overview.hostname ?? ''),
      el('dt', {}, 'Free daemon slots'), slots)),
    el('section', { class: 'card' }, el('h2', {}, 'Runs by state'), el('dl', { id: 'states' },
      Object.entries(overview.states).sort().flatMap(([state, n]) => [el('dt', {}, state), el('dd', {}, String(n))])))),
  el('h2', {}, 'Users by usage'),
  el('div', { class: 'scroll' }, el('table', { id: 'users' },
    el('thead', {}, el('tr', {}, ['User', 'Admin', 'Runs', 'Active'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, overview.users.map((user) => el('tr', {}, el('td', {}, user.name), el('td', {}, user.admin ? 'yes' : ''),
      el('td', { class: 'num' }, String(user.runs)), el('td', { class: 'num' }, String(user.active))))))));

  for (const [capability, path, title] of [['admin-users', '/api/v1/admin/users', 'Users, projects and quotas'], ['admin-projects', '/api/v1/admin/projects', 'Projects and quotas'], ['admin-usage', '/api/v1/admin/usage', 'Usage']]) {
    if (!me.capabilities.includes(capability)) continue;
    try { main.append(el('h2', {}, title), jsonTable(await api('GET', path))); } catch (error) { const b = el('div'); main.append(b); showError(b, error); }
  }

  const metrics = el('pre', { class: 'log', id: 'metrics', tabindex: 0 });
  main.append(el('h2', {}, 'Metrics at a glance'), metrics);
  try {
    const text = await (await fetch('/metrics')).text();
    metrics.textContent = text.split('\n').filter((line) => line.startsWith('gssa_')).slice(0, 60).join('\n') || '(no gssa metrics yet)';
  } catch (error) { metrics.textContent = error.message; }
}

/** The first array in a JSON answer as a table of its objects' scalar fields. */
function jsonTable(json) {
  const rows = Array.isArray(json) ? json : Object.values(json ?? {}).find(Array.isArray) ?? [];
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row ?? {}).filter((k) => typeof row[k] !== 'object' || row[k] === null)))];
  return el('div', { class: 'scroll' }, el('table', {},
    el('thead', {}, el('tr', {}, keys.map((k) => el('th', { scope: 'col' }, k)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, keys.map((k) => el('td', {}, String(row?.[k] ?? ''))))))));
}
