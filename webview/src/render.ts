/**
 * Renders a report into a root element: a pure function of (report, static bounds, post). DOM is built with
 * createElement and textContent only, so nothing in a report (model names, messages) is ever parsed as HTML.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type uPlot from 'uplot';
import type { FromWebview, StaticBlockBound, WebviewRange } from '../../core/src/protocol/webview';
import type { Report } from '../../core/src/report/schema';
import { blockBars, curveChart } from './charts';
import { breakable, el, num, scrollBox } from './dom';
import { type BlockRow, type FindingRow, sourceLink, toViewModel } from './view-model';

type Post = (m: FromWebview) => void;

/** What each kind of number in the blocks table is: proved, measured, or unknown (never a default). */
const BLOCKS_LEGEND =
  'Proved: holds for every input, under the assumptions in the last column (for example a constraint applied, ' +
  "or these weights); 'unknown' where the code does not determine it, 'unbounded' where no finite bound exists. " +
  "Measured: the largest Jacobian norm found at the probe points, with these weights: a lower bound on the block's " +
  'constant, never a guarantee.';

function clickable(
  e: HTMLElement,
  file: string | undefined,
  range: WebviewRange | undefined,
  post: Post,
): void {
  if (!file || !range) return;
  e.classList.add('clickable');
  e.tabIndex = 0;
  e.dataset.file = file;
  const go = (): void => post({ type: 'reveal', file, range });
  e.addEventListener('click', go);
  e.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') go();
  });
}

/** A standalone page has no editor to reveal source in: it shows file:line, linked to the file. */
function sourceAnchor(
  file: string | undefined,
  range: WebviewRange | undefined,
): HTMLAnchorElement | undefined {
  if (!file || !range) return undefined;
  const link = sourceLink(file, range);
  return el('a', { class: 'source', href: link.href, title: link.title }, link.label);
}

/** Forward and inverse each head a proved and a measured column: short headers, so the numbers set the width. */
function blocksHead(): HTMLTableSectionElement {
  const both = { rowspan: '2' };
  return el(
    'thead',
    {},
    el(
      'tr',
      {},
      el('th', both, 'block'),
      el('th', { colspan: '2' }, 'forward Lipschitz'),
      el('th', { colspan: '2' }, 'inverse Lipschitz'),
      el('th', both, 'how the bound is proved'),
      el('th', both, 'lint'),
    ),
    el('tr', {}, ...['proved bound', 'measured', 'proved bound', 'measured'].map((h) => el('th', {}, h))),
  );
}

/** Longer than this, a proof shows its first clause and opens to the rest: rows stay a line or two tall. */
const PROOF_FOLD = 60;

/** How a bound is proved: short ones in full, long ones folded after their first clause. */
function proof(text: string): Node | string {
  if (text.length <= PROOF_FOLD) return text;
  const clause = /^.{8,60}?[:;](?=\s)/.exec(text)?.[0];
  const space = text.lastIndexOf(' ', 48);
  const at = clause?.length ?? (space > 8 ? space : 48);
  const head = clause ?? `${text.slice(0, at)}…`;
  const rest = `${clause ? '' : '…'}${text.slice(at).trimStart()}`;
  const details = el('details', { class: 'bound-source' }, el('summary', {}, head), rest);
  // The row reveals the block's source on click and Enter; opening the proof must not.
  for (const type of ['click', 'keydown'] as const)
    details.addEventListener(type, (e) => e.stopPropagation());
  return details;
}

export interface Rendered {
  charts: uPlot[];
  dispose(): void;
}

export function render(
  root: HTMLElement,
  report: Report,
  staticBounds: readonly StaticBlockBound[],
  post: Post,
  options: { standalone: boolean },
): Rendered {
  const vm = toViewModel(report, staticBounds);
  root.replaceChildren();
  const charts: uPlot[] = [];

  const badge = el(
    'span',
    { class: `verdict ${vm.verdict}`, 'data-testid': 'verdict', 'data-verdict': vm.verdict },
    vm.verdictText,
  );
  const header = el('header', {}, el('h1', {}, vm.title), badge);
  if (!options.standalone) {
    for (const format of ['html', 'json'] as const) {
      const b = el('vscode-button', { secondary: '' }, `Export ${format.toUpperCase()}`);
      b.addEventListener('click', () => post({ type: 'export', format }));
      header.append(b);
    }
  }
  root.append(header, el('div', { class: 'subtitle' }, vm.subtitle));
  // Provenance before any number: what was audited decides what the numbers mean.
  const provenance = el('dl', { class: 'provenance', 'data-testid': 'provenance' });
  for (const line of vm.provenance)
    provenance.append(el('dt', {}, line.label), el('dd', { 'data-provenance': line.label }, line.text));
  root.append(provenance);

  const cards = el('div', { class: 'cards' });
  for (const c of vm.cards) {
    cards.append(
      el(
        'div',
        { class: `card${c.bad ? ' bad' : ''}`, title: c.title, 'data-card': c.id },
        el('div', { class: 'label' }, c.label),
        el('div', { class: 'value' }, c.value),
      ),
    );
  }
  if (vm.cards.length === 0) cards.append(el('div', { class: 'muted' }, 'No measurements in this report.'));
  root.append(cards);

  for (const curve of vm.curves) {
    const host = el('div', { class: 'chart', 'data-chart': curve.id });
    root.append(el('section', {}, host));
    charts.push(curveChart(host, curve));
  }

  if (vm.blocks.length > 0) {
    const onBlock = (row: BlockRow): void => {
      if (row.file && row.range) post({ type: 'reveal', file: row.file, range: row.range });
    };
    if (vm.blocks.some((b) => b.measuredForward !== null || b.measuredInverse !== null)) {
      const host = el('div', { class: 'chart', 'data-chart': 'blocks' });
      root.append(el('section', {}, host));
      charts.push(blockBars(host, vm.blocks, onBlock));
    }
    const table = el('table', { 'data-testid': 'blocks' }, blocksHead());
    const body = el('tbody');
    for (const b of vm.blocks) {
      const name = el('td', { class: 'name' }, breakable(b.name));
      // The kind is a word of its own beside the name: "block0_in residual", not "residual".
      if (b.kind) name.append(' ', el('span', { class: 'muted' }, b.kind));
      const tr = el(
        'tr',
        { 'data-block': b.name },
        name,
        ...[b.staticForward, num(b.measuredForward), b.staticInverse, num(b.measuredInverse)].map((c) =>
          el('td', { class: 'number' }, c),
        ),
        el('td', { class: 'prose' }, proof(b.source)),
        el('td', { class: 'name' }, b.lint),
      );
      // A standalone page has no editor to reveal in: file:line goes under the name, not in a column of its own.
      const anchor = options.standalone ? sourceAnchor(b.file, b.range) : undefined;
      if (anchor) name.append(el('div', {}, anchor));
      else if (!options.standalone) clickable(tr, b.file, b.range, post);
      body.append(tr);
    }
    table.append(body);
    root.append(
      el(
        'section',
        {},
        el('h2', {}, 'Blocks: proved bound beside measured value'),
        scrollBox(table),
        el('p', { class: 'muted', 'data-testid': 'blocks-legend' }, BLOCKS_LEGEND),
      ),
    );
  }

  const findingList = (rows: readonly FindingRow[], testid: string, empty: string): HTMLElement => {
    const list = el('ul', { class: 'findings', 'data-testid': testid });
    for (const f of rows) {
      const li = el(
        'li',
        { 'data-severity': f.severity },
        el('span', { class: `sev ${f.severity}` }, f.severity),
        f.message,
        ' ',
        el('span', { class: 'muted' }, `(${f.where})`),
      );
      if (!options.standalone) clickable(li, f.file, f.range, post);
      else li.append(' ', sourceAnchor(f.file, f.range) ?? '');
      list.append(li);
    }
    if (rows.length === 0) list.append(el('li', { class: 'muted' }, empty));
    return list;
  };
  root.append(
    el('section', {}, el('h2', {}, 'Findings'), findingList(vm.findings, 'findings', 'No findings.')),
  );
  if (vm.lint.length > 0 || vm.lintRelation) {
    const section = el('section', {}, el('h2', {}, 'Lint findings (static, from the code)'));
    if (vm.lintRelation) section.append(el('p', { 'data-testid': 'lint-relation' }, vm.lintRelation));
    section.append(findingList(vm.lint, 'lint', 'No lint findings.'));
    root.append(section);
  }
  if (vm.notes.length > 0) {
    root.append(
      el(
        'section',
        {},
        el('h2', {}, 'Notes'),
        el('ul', {}, ...vm.notes.map((n) => el('li', { class: 'muted' }, n))),
      ),
    );
  }
  return { charts, dispose: () => charts.forEach((c) => c.destroy()) };
}
