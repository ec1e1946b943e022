/** DOM building shared by the report and the comparison pages: elements from tag, attributes and children. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** A measured number as the pages show it: a dash when absent, exponent notation when very large or small. */
export function num(v: number | null): string {
  if (v === null) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/**
 * A name that may break between its words (`affine_coupling_|Affine|Coupling1`): after underscores and dots and
 * before a capital that follows a lower-case letter, as text nodes and <wbr>s.
 */
export function breakable(name: string): DocumentFragment {
  const f = document.createDocumentFragment();
  for (const part of name.split(/(?<=[_.])|(?<=[a-z])(?=[A-Z])/))
    f.append(part, document.createElement('wbr'));
  f.lastChild?.remove();
  return f;
}

/** A table in its own scroll box: if it cannot fit, it scrolls there and the page keeps the panel's width. */
export function scrollBox(table: HTMLTableElement): HTMLDivElement {
  return el('div', { class: 'table-scroll' }, table);
}
