// Submit: a GSSA-XML and its files, or a previous run's definition with edited parameters.
// Every check is the server's: its errors are shown as it words them, with the line where the
// named element sits in the definition when the message names none.
import { api, el, me, runPath, showError, APIError } from './common.js';
import { parameters } from './xml.js';
import { tarGz } from './tar.js';

export async function render(main) {
  const params = new URLSearchParams(location.search);
  const xmlFile = el('input', { type: 'file', id: 'definition-file', name: 'definition', accept: '.xml,application/xml,text/xml' });
  const inputFiles = el('input', { type: 'file', id: 'input-files', name: 'files', multiple: true });
  const text = el('textarea', { class: 'definition', id: 'definition-text', name: 'xml', spellcheck: 'false', 'aria-describedby': 'definition-help' });
  const previous = el('select', { id: 'previous' }, el('option', { value: '' }, '— choose a run —'));
  const paramTable = el('div', { id: 'parameter-editor' });
  const sweepText = el('textarea', { id: 'sweep', name: 'sweep', rows: 3, spellcheck: 'false', 'aria-describedby': 'sweep-help' });
  const afterText = el('input', { id: 'after', name: 'after', spellcheck: 'false', 'aria-describedby': 'after-help' });
  const result = el('div', { id: 'submit-result', role: 'status', 'aria-live': 'polite' });
  const submit = el('button', { type: 'submit', id: 'submit' }, 'Submit and start');

  const form = el('form', { id: 'submit-form' },
    el('fieldset', {}, el('legend', {}, 'Start from a previous run (optional)'),
      el('label', { for: 'previous' }, 'Run'), previous),
    el('label', { for: 'definition-file' }, 'GSSA-XML definition file'), xmlFile,
    el('label', { for: 'definition-text' }, 'Definition'),
    el('p', { id: 'definition-help' }, 'Pick a file above, or paste or edit the XML here.'), text,
    el('h2', {}, 'Parameters'), paramTable,
    el('label', { for: 'input-files' }, 'Input files (surfaces, meshes…)'), inputFiles,
    el('p', {}, el('small', {}, 'Files are sent as one tar.gz input archive, by base name.')),
    el('fieldset', {}, el('legend', {}, 'Sweep and dependencies (optional)'),
      el('label', { for: 'sweep' }, 'Sweep'),
      el('p', { id: 'sweep-help' }, el('small', {}, 'One global parameter per line: NAME=v1,v2,v3 or NAME=start:stop:step. ' +
        'The run becomes the parent of one child per combination (the last line varies fastest).')), sweepText,
      el('label', { for: 'after' }, 'Start after'),
      el('p', { id: 'after-help' }, el('small', {}, 'GUIDs of your runs that must succeed first, separated by commas.')), afterText),
    el('div', { class: 'actions' }, submit), result);
  main.replaceChildren(el('h1', {}, 'Submit a run'), form);

  const drawParameters = () => {
    const { doc, list } = parameters(text.value);
    if (!doc) { paramTable.replaceChildren(el('p', {}, text.value.trim() ? 'The XML does not parse yet; the server will say where.' : '')); return; }
    paramTable.replaceChildren(list.length === 0 ? el('p', {}, 'No parameters.') : el('div', { class: 'scroll params' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Name', 'Value', 'Type', 'Scope'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, list.map((p, index) => {
        const input = el('input', { value: p.value, 'aria-label': `value of ${p.name}`, 'data-parameter': p.name, id: `param-${index}` });
        input.addEventListener('change', () => {
          const current = parameters(text.value);
          const node = current.list[index]?.node;
          if (!node) return;
          node.setAttribute('value', input.value);
          text.value = serialize(current.doc);
        });
        return el('tr', {}, el('td', { class: 'mono' }, p.name), el('td', {}, input), el('td', {}, p.type), el('td', {}, p.scope));
      })))));
  };

  xmlFile.addEventListener('change', async () => {
    const file = xmlFile.files[0];
    if (file) { text.value = await file.text(); drawParameters(); }
  });
  text.addEventListener('change', drawParameters);

  const loadPrevious = async (guid) => {
    try {
      const detail = await api('GET', `/web/api/runs/${encodeURIComponent(guid)}/detail`);
      text.value = detail.definition ?? '';
      drawParameters();
      result.replaceChildren(el('p', { class: 'notice' }, `Loaded the definition of ${detail.summary.guid}. Attach its input files again.`));
    } catch (error) { showError(result, error); }
  };
  previous.addEventListener('change', () => { if (previous.value) loadPrevious(previous.value); });
  try {
    const recent = await api('GET', '/web/api/runs?size=50');
    previous.append(...recent.runs.map((run) => el('option', { value: run.guid }, `${run.guid.slice(0, 8)} · ${run.family ?? '?'} · ${run.state}${me.admin ? ' · ' + run.owner : ''}`)));
  } catch { /* the list is optional */ }
  if (params.get('from')) { previous.value = params.get('from'); await loadPrevious(params.get('from')); }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const xml = text.value;
    if (!xml.trim()) { showError(result, 'Choose or paste a GSSA-XML definition first.'); return; }
    let start;
    try { start = startBody(sweepText.value, afterText.value); } catch (error) { showError(result, error.message); return; }
    submit.disabled = true;
    const guid = crypto.randomUUID().toUpperCase();
    let created = false;
    try {
      result.replaceChildren(el('p', {}, 'Checking the definition…'));
      await api('PUT', runPath(guid, '/definition'), xml, 'application/xml');
      created = true;
      if (inputFiles.files.length) {
        result.replaceChildren(el('p', {}, 'Uploading the input files…'));
        await api('PUT', runPath(guid, '/archive'), await tarGz([...inputFiles.files]), 'application/gzip');
      }
      await api('POST', runPath(guid, '/finalize'), { directory: '.' });
      await api('POST', runPath(guid, '/start'), start);
      location.assign(`/runs/${encodeURIComponent(guid)}`);
    } catch (error) {
      const box = el('div', { class: 'error', role: 'alert', id: 'submit-error', tabindex: -1 }, explain(error, xml));
      result.replaceChildren(box);
      box.scrollIntoView({ block: 'center' });
      box.focus();
      if (created) { try { await api('DELETE', runPath(guid)); } catch { /* already gone */ } }
      submit.disabled = false;
    }
  });
}

/** The body of `start`: `sweep` with its `sweep_order` (lines in order) and `after`; ranges expanded here. */
export function startBody(sweepSpec, afterSpec) {
  const body = {};
  const lines = sweepSpec.split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines.length) {
    body.sweep = {}; body.sweep_order = [];
    for (const line of lines) {
      const at = line.indexOf('=');
      const name = at > 0 ? line.slice(0, at).trim() : '';
      if (!name) throw new Error(`Sweep line '${line}': write NAME=v1,v2 or NAME=start:stop:step`);
      if (name in body.sweep) throw new Error(`Sweep: ${name} is given twice`);
      body.sweep[name] = sweepValues(name, line.slice(at + 1).trim());
      body.sweep_order.push(name);
    }
  }
  const after = afterSpec.split(',').map((guid) => guid.trim()).filter(Boolean);
  if (after.length) body.after = after;
  return body;
}

function sweepValues(name, spec) {
  const range = spec.split(':');
  if (range.length === 3 && range.every((part) => part.trim() !== '' && isFinite(Number(part)))) {
    const [start, stop, step] = range.map(Number);
    if (!(step > 0) || stop < start) throw new Error(`Sweep ${name}: a range needs start <= stop and a positive step`);
    const count = Math.floor((stop - start) / step + 1e-9) + 1;
    if (count > 1000) throw new Error(`Sweep ${name}: ${count} values is more than 1000`);
    return Array.from({ length: count }, (_, i) => String(+(start + i * step).toPrecision(12)));
  }
  const values = spec.split(',').map((value) => value.trim()).filter(Boolean);
  if (!values.length) throw new Error(`Sweep ${name}: no values`);
  return values;
}

function serialize(doc) {
  const text = new XMLSerializer().serializeToString(doc);
  return text.startsWith('<?xml') ? text : '<?xml version="1.0" encoding="UTF-8"?>\n' + text;
}

/** The server's message, plus the line of the element or attribute it names when it gives none. */
function explain(error, xml) {
  const message = error instanceof APIError || error instanceof Error ? error.message : String(error);
  if (/line \d+/i.test(message)) return message;
  const lines = xml.split('\n');
  const names = [...message.matchAll(/<([\w:-]+)>|'([^']+)'|"([^"]+)"|\b(family|definition|parameter|region|needle)\b/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
  for (const name of names) {
    const index = lines.findIndex((line) => line.includes(`<${name}`) || line.includes(`"${name}"`) || line.includes(`'${name}'`) || line.includes(`${name}=`));
    if (index >= 0) return `${message} (line ${index + 1}: ${lines[index].trim()})`;
  }
  return message;
}
