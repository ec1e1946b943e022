/** Plain-text tables for the terminal and CI logs, shared by the commands that print measured figures. */

/** A measured number in a table cell: '-' when absent, exponent notation when very large or small. */
export function cell(v: number | null): string {
  if (v === null) return '-';
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(1) : v.toPrecision(3);
}

/** Left-aligned columns two spaces apart, each as wide as its widest cell. */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((v, i) => v.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
