// One run: state and live progress, stage timeline, last messages, live stdout/stderr tail,
// the highlighted definition and its parameters, the mesh quality report, the preview image,
// downloads, and the actions the server offers (cancel; suspend, resume, reschedule; sweeps).
import { api, el, me, hms, localTime, runDuration, progressBar, setProgress, stateBadge, showError, runPath,
  onEvent, onReconnect, displayed, activeStates, terminalStates, APIError } from './common.js';
import { highlightXML, parameters } from './xml.js';

export async function render(main) {
  const wanted = decodeURIComponent(location.pathname.slice('/runs/'.length));
  let detail;
  try {
    detail = await api('GET', `/web/api/runs/${encodeURIComponent(wanted)}/detail`);
  } catch (error) {
    main.replaceChildren(el('h1', {}, `Run ${wanted}`));
    const box = el('div'); main.append(box); showError(box, error);
    if (error instanceof APIError && error.candidates) {
      main.append(el('p', {}, 'Runs with this prefix:'), el('ul', {}, error.candidates.map((guid) =>
        el('li', {}, el('a', { href: `/runs/${encodeURIComponent(guid)}` }, guid)))));
    }
    return;
  }
  let run = detail.summary;
  const guid = run.guid;
  if (wanted !== guid) history.replaceState(null, '', `/runs/${encodeURIComponent(guid)}`);
  document.title = `${guid.slice(0, 8)} · gssa`;

  const state = el('span', { id: 'run-state' }, stateBadge(run.state));
  const bar = progressBar(percentOf(run), true);
  bar.id = 'run-progress';
  const percent = el('span', { id: 'run-percent' }, `${Math.round(percentOf(run))} %`);
  const message = el('p', { id: 'run-message' }, run.status?.message ?? '');
  const actions = el('div', { class: 'actions', id: 'run-actions' });
  const actionResult = el('div', { role: 'status' });
  const facts = el('dl');
  const timeline = el('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Stages' });
  const messages = el('ol', { id: 'messages' });
  const stdout = el('pre', { class: 'log', id: 'stdout', tabindex: 0, 'aria-label': 'stdout' });
  const stderr = el('pre', { class: 'log', id: 'stderr', tabindex: 0, 'aria-label': 'stderr' });
  const sweep = el('section', { id: 'sweep', hidden: true });
  let events = detail.events ?? [];

  main.replaceChildren(
    el('h1', {}, 'Run ', el('span', { class: 'mono' }, guid)),
    el('p', {}, state, ' ', bar, ' ', percent), message, actions, actionResult,
    el('div', { class: 'grid' },
      el('section', { class: 'card', 'aria-label': 'Facts' }, facts),
      meshCard(detail, run),
      detail.preview ? el('section', { class: 'card' }, el('h2', {}, 'Preview'),
        el('img', { class: 'preview', alt: `Preview of run ${guid}`, src: `/web/api/runs/${encodeURIComponent(guid)}/preview` })) : null),
    el('h2', {}, 'Stages'), timeline,
    el('h2', {}, 'Last messages'), messages,
    sweep,
    el('h2', {}, 'Output'), el('div', { class: 'grid' },
      el('section', {}, el('h3', {}, 'stdout (tail)'), stdout), el('section', {}, el('h3', {}, 'stderr (tail)'), stderr)),
    definitionSection(detail.definition));

  const drawFacts = () => {
    const rows = [['Family', run.family ?? '—'], ['Owner', run.owner], ['Project', run.project], ['Created', localTime(run.created)],
      ['Started', localTime(run.started)], ['Finished', localTime(run.finished)], ['Duration', runDuration(run)],
      ['Queue', run.state === 'queued' ? [run.position ? `#${run.position}` : '', run.queue_reason ?? ''].filter(Boolean).join(' · ') : ''],
      ['Exit status', run.exit_status && terminalStates.has(run.state) ? `${run.exit_status.code}: ${run.exit_status.message ?? ''}` : ''],
      ['Parent', run.parent ? el('a', { href: `/runs/${encodeURIComponent(run.parent)}` }, run.parent) : ''],
      ['Swept values', Object.entries(run.sweep_values ?? {}).map(([k, v]) => `${k} = ${v}`).join(', ')],
      ['After', (run.after ?? []).length ? el('span', {}, ...run.after.flatMap((a, i) => [i ? ', ' : '', el('a', { href: `/runs/${encodeURIComponent(a)}` }, a)])) : ''],
      ['Rescheduled from', run.rescheduled_from ? el('a', { href: `/runs/${encodeURIComponent(run.rescheduled_from)}` }, run.rescheduled_from) : ''],
      ['Rescheduled as', run.rescheduled_as ? el('a', { href: `/runs/${encodeURIComponent(run.rescheduled_as)}`, id: 'rescheduled-as' }, run.rescheduled_as) : ''],
      ['Warnings', (run.warnings ?? []).join('; ')]];
    facts.replaceChildren(...rows.filter(([, value]) => value).flatMap(([key, value]) => [el('dt', {}, key), el('dd', {}, value)]));
  };

  const drawActions = () => {
    const caps = new Set(me.capabilities);
    const button = (label, tail, kind, confirmText) => el('button', { class: kind, 'data-action': tail, onclick: async (event) => {
      if (confirmText && !confirm(confirmText)) return;
      event.target.disabled = true;
      try {
        const reply = await api('POST', runPath(guid, `/${tail}`), {});
        if (tail === 'reschedule' && reply?.guid) { location.assign(`/runs/${encodeURIComponent(reply.guid)}`); return; }
        actionResult.replaceChildren(el('p', { class: 'notice' }, `${label}: done`));
        if (reply?.state) { run = { ...run, ...reply }; redraw(); }
      } catch (error) { showError(actionResult, error); event.target.disabled = false; }
    } }, label);
    const list = [];
    if (activeStates.has(run.state) || run.state === 'finalized') list.push(button('Cancel', 'cancel', 'danger', `Cancel run ${guid}?`));
    if (caps.has('suspend') && !run.sweep && run.state === 'running') list.push(button('Suspend', 'suspend', 'secondary'));
    if (caps.has('resume') && !run.sweep && run.state === 'suspended') list.push(button('Resume', 'resume', 'secondary'));
    if (caps.has('reschedule') && terminalStates.has(run.state) && !run.rescheduled_as) list.push(button('Reschedule', 'reschedule', 'secondary'));
    if (terminalStates.has(run.state) && !run.cleaned) {
      list.push(el('a', { href: runPath(guid, '/results'), download: '', id: 'download-results' }, 'Download results'));
      list.push(el('a', { href: runPath(guid, '/diagnostic'), download: '', id: 'download-diagnostic' }, 'Download diagnostic bundle'));
    }
    list.push(el('a', { href: `/submit?from=${encodeURIComponent(guid)}` }, 'Submit a variation'));
    actions.replaceChildren(...list);
  };

  const drawTimeline = () => timeline.replaceChildren(...stages(run, events).map((stage) =>
    el('li', { class: stage.state }, `${stage.name}${stage.seconds !== null ? ' ' + hms(stage.seconds) : ''}`)));
  const drawMessages = () => messages.replaceChildren(...events.filter((event) => event.message).slice(-10).reverse()
    .map((event) => el('li', {}, el('time', { datetime: event.at }, localTime(event.at)), ' ', event.message)));

  const redraw = () => {
    state.replaceChildren(stateBadge(run.state));
    setProgress(bar, percentOf(run));
    percent.textContent = `${Math.round(percentOf(run))} %`;
    message.textContent = run.status?.message ?? '';
    drawFacts(); drawActions(); drawTimeline(); drawMessages();
  };

  let logsBusy = false, logsAgain = false;
  const loadLogs = async () => {
    if (logsBusy) { logsAgain = true; return; }
    logsBusy = true;
    try {
      const logs = await api('GET', runPath(guid, '/logs'));
      stdout.textContent = tail(logs.stdout); stderr.textContent = tail(logs.stderr);
    } catch (error) {
      stdout.textContent = run.state === 'created' || run.state === 'finalized' || run.state === 'queued' ? '(not started)' : `(${error.message})`;
    } finally {
      logsBusy = false;
      if (logsAgain) { logsAgain = false; setTimeout(loadLogs, 500); }
    }
  };

  const refresh = async () => {
    try {
      const fresh = await api('GET', `/web/api/runs/${encodeURIComponent(guid)}/detail`);
      run = fresh.summary; events = fresh.events ?? []; redraw();
      if (sweepPage) sweepPage.load(run.sweep);
    } catch (error) { showError(actionResult, error); }
  };

  const sweepPage = run.sweep ? sweepView(sweep, guid) : null;
  onEvent((event) => {
    if (sweepPage && event.guid?.startsWith(guid + '-')) { sweepPage.load(); return; }
    if (event.guid !== guid || event.type === 'announce') return;
    if (event.state) run.state = event.state;
    if (event.percentage !== undefined && event.percentage !== null) run.status = { ...(run.status ?? {}), percentage: event.percentage };
    if (event.type === 'complete') run.status = { ...(run.status ?? {}), percentage: 100 };
    if (event.status?.message) run.status = { ...(run.status ?? {}), message: event.status.message };
    if (event.position !== undefined) run.position = event.position;
    events.push({ kind: event.type, percentage: event.percentage, message: event.status?.message, code: event.status?.code, at: event.timestamp });
    redraw();
    displayed(event);
    loadLogs();
    if (event.type === 'complete' || event.type === 'fail') refresh();
  });
  onReconnect(refresh);

  redraw();
  loadLogs();
  if (sweepPage) sweepPage.load(run.sweep);
}

const percentOf = (run) => run.state === 'succeeded' ? 100 : Number(run.status?.percentage ?? 0);
const tail = (text, lines = 200) => (text ?? '').split('\n').slice(-lines).join('\n');

/** configure, mesh, queue, container, collect: from the run's times and its stored events. */
function stages(run, events) {
  const at = (test) => { const event = events.find(test); return event ? Date.parse(event.at) : null; };
  const t = {
    created: Date.parse(run.created),
    queued: at((event) => /queue/i.test(event.message ?? '') || event.code === 'QUEUED'),
    mesh: at((event) => /mesh/i.test(event.message ?? '')),
    started: run.started ? Date.parse(run.started) : at((event) => /start/i.test(event.message ?? '')),
    collect: at((event) => /collect|bundl|result/i.test(event.message ?? '')),
    finished: run.finished ? Date.parse(run.finished) : null,
  };
  const now = Date.now();
  const span = (from, to) => (from !== null && !isNaN(from) ? ((to ?? now) - from) / 1000 : null);
  const list = [
    { name: 'configure', from: t.created, to: t.queued ?? t.mesh ?? t.started },
    { name: 'mesh', from: t.mesh, to: t.started },
    { name: 'queue', from: t.queued, to: t.mesh ?? t.started },
    { name: 'container', from: t.started, to: t.collect ?? t.finished },
    { name: 'collect', from: t.collect, to: t.finished },
  ];
  const done = terminalStates.has(run.state);
  return list.map((stage) => {
    const begun = stage.from !== null && !isNaN(stage.from);
    const ended = stage.to !== null && stage.to !== undefined && !isNaN(stage.to);
    return { name: stage.name, seconds: begun ? span(stage.from, ended ? stage.to : (done ? t.finished : null)) : null,
      state: begun ? (ended || done ? 'done' : 'current') : '' };
  });
}

function meshCard(detail, run) {
  const card = el('section', { class: 'card', id: 'mesh-report' }, el('h2', {}, 'Mesh quality'));
  let report = null;
  try { report = detail.mesh_report ? JSON.parse(detail.mesh_report) : null; } catch { report = null; }
  if (!report) { card.append(el('p', {}, detail.mesh_report ? 'The mesh report cannot be read.' : 'No host mesh for this run.')); return card; }
  const find = (...names) => { for (const name of names) { const value = deepFind(report, name); if (value !== undefined) return value; } return undefined; };
  const rows = [['Tetrahedra', find('tetrahedra', 'cells', 'number_of_cells')], ['Minimum dihedral', find('minimum_dihedral', 'min_dihedral', 'minimum_dihedral_angle')],
    ['Slivers', find('slivers', 'sliver_count')], ['Vertices', find('vertices', 'points')]];
  card.append(el('dl', {}, rows.filter(([, value]) => value !== undefined).flatMap(([key, value]) =>
    [el('dt', {}, key), el('dd', {}, typeof value === 'number' ? Number(value.toFixed(3)).toString() : JSON.stringify(value))])));
  const warnings = [...(Array.isArray(report.warnings) ? report.warnings : []), ...(run.warnings ?? []).filter((w) => /mesh/i.test(w))];
  if (warnings.length) card.append(el('p', { class: 'warning', role: 'alert' }, 'Poor mesh: ', [...new Set(warnings)].join('; ')));
  return card;
}

function deepFind(object, key, depth = 0) {
  if (!object || typeof object !== 'object' || depth > 4) return undefined;
  if (key in object && typeof object[key] !== 'object') return object[key];
  for (const value of Object.values(object)) { const found = deepFind(value, key, depth + 1); if (found !== undefined) return found; }
  return undefined;
}

function definitionSection(text) {
  const section = el('section', { id: 'definition' }, el('h2', {}, 'Definition'));
  if (!text) { section.append(el('p', {}, 'No definition uploaded.')); return section; }
  const { list } = parameters(text);
  if (list.length) {
    section.append(el('h3', {}, 'Parameters'), el('div', { class: 'scroll' }, el('table', { id: 'parameters' },
      el('thead', {}, el('tr', {}, ['Name', 'Value', 'Type', 'Scope'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map((p) => el('tr', {}, el('td', { class: 'mono' }, p.name), el('td', { class: 'mono' }, p.value), el('td', {}, p.type), el('td', {}, p.scope)))))));
  }
  section.append(el('h3', {}, 'GSSA-XML'), highlightXML(text));
  return section;
}

/** A sweep: its children in a table and one numeric field of their summary.json against a swept
 * parameter, as inline SVG. Redrawn (at most twice a second) while its children report. */
function sweepView(section, guid) {
  section.hidden = false;
  const head = el('p', { id: 'sweep-counts' });
  const xSelect = el('select', { id: 'sweep-x' });
  const ySelect = el('select', { id: 'sweep-y' });
  const plot = el('div', { id: 'sweep-plot' });
  const table = el('div', { class: 'scroll' });
  const problem = el('div');
  section.replaceChildren(el('h2', {}, 'Sweep'), head, problem,
    el('div', { class: 'filters' }, el('label', {}, 'x ', xSelect), el('label', {}, 'y ', ySelect)), plot, table);
  let data = { parameters: [], children: [] };
  const numeric = (text) => text !== undefined && text !== null && text !== '' && isFinite(Number(text));
  // Until the user picks one, each select shows its first choice (the first swept parameter; the
  // first summary field, once a child has one).
  const chosen = new Set();
  const options = (select, keys) => {
    const keep = select.value;
    if ([...select.options].map((o) => o.value).join('\n') !== keys.join('\n')) select.replaceChildren(...keys.map((k) => el('option', { value: k }, k)));
    select.value = chosen.has(select) && keys.includes(keep) ? keep : keys[0];
  };
  const value = (child, key, index) => key === 'index' ? index : key === 'duration' ? durationOf(child.summary)
    : key in (child.summary.sweep_values ?? {}) ? Number(child.summary.sweep_values[key]) : Number(child.scalars[key]);
  const draw = () => plot.replaceChildren(svgPlot(data.children.map((child, index) => [value(child, xSelect.value, index), value(child, ySelect.value, index)])
    .filter(([x, y]) => isFinite(x) && isFinite(y)), xSelect.value, ySelect.value));
  for (const select of [xSelect, ySelect]) select.addEventListener('change', () => { chosen.add(select); draw(); });
  const redraw = (sweep) => {
    if (sweep) head.textContent = `${sweep.size ?? '?'} runs · ${Math.round(sweep.percentage ?? 0)} % · ` +
      Object.entries(sweep.counts ?? {}).map(([state, n]) => `${state}: ${n}`).join(', ');
    const xKeys = data.parameters.filter((k) => data.children.some((child) => numeric(child.summary.sweep_values?.[k])));
    const scalarKeys = [...new Set(data.children.flatMap((child) => Object.keys(child.scalars).filter((k) => numeric(child.scalars[k]))))].sort();
    options(xSelect, [...xKeys, 'index']);
    options(ySelect, [...scalarKeys, 'duration']);
    table.replaceChildren(el('table', { id: 'sweep-children' },
      el('thead', {}, el('tr', {}, ['Run', 'State', 'Progress', ...data.parameters, ...scalarKeys, 'Duration'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, data.children.map((child) => el('tr', { 'data-guid': child.summary.guid },
        el('td', { class: 'mono' }, el('a', { href: `/runs/${encodeURIComponent(child.summary.guid)}` }, child.summary.guid.slice(guid.length + 1) || child.summary.guid)),
        el('td', {}, stateBadge(child.summary.state)), el('td', {}, progressBar(percentOf(child.summary))),
        data.parameters.map((k) => el('td', { class: 'num' }, child.summary.sweep_values?.[k] ?? '')),
        scalarKeys.map((k) => el('td', { class: 'num' }, numeric(child.scalars[k]) ? String(+Number(child.scalars[k]).toPrecision(6)) : '')),
        el('td', { class: 'num' }, runDuration(child.summary)))))));
    draw();
  };
  let busy = false, again = false;
  const load = async (sweep) => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      data = await api('GET', `/web/api/runs/${encodeURIComponent(guid)}/sweep`);
      problem.replaceChildren();
      redraw(data.parent?.sweep ?? sweep);
    } catch (error) { showError(problem, error); }
    finally {
      setTimeout(() => { busy = false; if (again) { again = false; load(); } }, 500);
    }
  };
  return { load, counts: (sweep) => redraw(sweep) };
}

const durationOf = (run) => run.started ? ((run.finished ? Date.parse(run.finished) : Date.now()) - Date.parse(run.started)) / 1000 : NaN;

function svgPlot(points, xLabel, yLabel) {
  const ns = 'http://www.w3.org/2000/svg';
  const make = (tag, attributes, text) => { const node = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v); if (text !== undefined) node.textContent = text; return node; };
  const width = 480, height = 300, pad = 48;
  const svg = make('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', role: 'img', 'aria-label': `${yLabel} against ${xLabel}` });
  if (!points.length) { svg.append(make('text', { x: pad, y: height / 2 }, 'no values to plot yet')); return svg; }
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - 2 * pad);
  const sy = (y) => height - pad - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (height - 2 * pad);
  svg.append(make('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'axis' }),
    make('line', { x1: pad, y1: pad, x2: pad, y2: height - pad, class: 'axis' }),
    make('text', { x: width / 2, y: height - 10, 'text-anchor': 'middle' }, xLabel),
    make('text', { x: 12, y: pad - 16 }, yLabel),
    make('text', { x: pad, y: height - pad + 16, 'text-anchor': 'middle' }, String(+x0.toPrecision(4))),
    make('text', { x: width - pad, y: height - pad + 16, 'text-anchor': 'middle' }, String(+x1.toPrecision(4))),
    make('text', { x: pad - 4, y: height - pad, 'text-anchor': 'end' }, String(+y0.toPrecision(4))),
    make('text', { x: pad - 4, y: pad, 'text-anchor': 'end' }, String(+y1.toPrecision(4))));
  for (const [x, y] of points.sort((a, b) => a[0] - b[0])) svg.append(make('circle', { cx: sx(x), cy: sy(y), r: 4 }, undefined));
  return svg;
}
