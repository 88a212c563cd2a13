// XML shown with line numbers and coloured tags, attributes, values and comments; built from
// text nodes only, so a hostile definition cannot inject markup.
import { el } from './common.js';

const token = /(<!--[\s\S]*?-->)|(<\/?[\w:.-]+)|([\w:.-]+)(=)("[^"]*"|'[^']*')|(\/?>)/g;

export function highlightXML(text) {
  const pre = el('pre', { class: 'xml', tabindex: 0, 'aria-label': 'definition' });
  const lines = text.split('\n');
  const width = String(lines.length).length;
  let inTag = false;
  lines.forEach((line, index) => {
    pre.append(el('span', { class: 'comment' }, String(index + 1).padStart(width, ' ') + '  '));
    let last = 0;
    for (const match of line.matchAll(token)) {
      if (match.index > last) pre.append(line.slice(last, match.index));
      if (match[1]) pre.append(el('span', { class: 'comment' }, match[1]));
      else if (match[2]) { pre.append(el('span', { class: 'tag' }, match[2])); inTag = true; }
      else if (match[3] && inTag) pre.append(el('span', { class: 'attr' }, match[3]), '=', el('span', { class: 'val' }, match[5]));
      else if (match[6]) { pre.append(el('span', { class: 'tag' }, match[6])); inTag = false; }
      else pre.append(match[0]);
      last = match.index + match[0].length;
    }
    pre.append(line.slice(last) + '\n');
  });
  return pre;
}

/** The `<parameter name value type>` elements of a definition, with where they sit. */
export function parameters(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.querySelector('parsererror')) return { doc: null, list: [] };
  const list = [...doc.getElementsByTagName('parameter')].map((node) => ({
    node, name: node.getAttribute('name') ?? '', value: node.getAttribute('value') ?? node.textContent.trim(),
    type: node.getAttribute('type') ?? '',
    scope: node.parentElement?.parentElement?.tagName === 'needle' ? `needle ${node.parentElement.parentElement.getAttribute('index') ?? ''}` : 'global',
  }));
  return { doc, list };
}
