// The dashboard's entry: marks the current page in the navigation, opens the live events,
// loads what the server says about this session, and runs the page's module.
import { connectEvents, api, me, el } from './common.js';

const path = location.pathname;
const page = path === '/submit' ? 'submit' : path === '/admin' ? 'admin' : path.startsWith('/runs/') ? 'run' : 'runs';
for (const link of document.querySelectorAll('[data-nav]')) {
  if (link.dataset.nav === (page === 'run' ? 'runs' : page)) link.setAttribute('aria-current', 'page');
}
if (me.admin) for (const item of document.querySelectorAll('.admin-only')) item.hidden = false;

const main = document.getElementById('main');
try {
  const info = await api('GET', '/web/api/me');
  me.capabilities = info.capabilities ?? [];
  connectEvents();
  const module = await import(`./${page}.js`);
  await module.render(main);
} catch (error) {
  main.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message ?? String(error)));
}
