/**
 * A standalone HTML rendering of a Report for the CLI: one file, no scripts, inline CSS and SVG curves, every
 * string escaped (model names and error messages come from user code).
 */
import type { Curve, Figure, ProbeResult, Report, Table } from './schema';

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function num(v: number | null | undefined, nonFinite?: string): string {
  if (v === null || v === undefined) return nonFinite ?? '–';
  if (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

function figureRows(figures: readonly Figure[]): string {
  return figures
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.label)}</td><td class="n">${escapeHtml(num(f.value, f.nonFinite))}${f.unit ? ` ${escapeHtml(f.unit)}` : ''}</td></tr>`,
    )
    .join('');
}

function table(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${typeof c === 'number' || c === null ? ' class="n"' : ''}>${escapeHtml(typeof c === 'number' || c === null ? num(c) : c)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><caption>${escapeHtml(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];

/** A small line chart; null points break the line and are marked on the axis as failures. */
export function curveSvg(c: Curve): string {
  const W = 420;
  const H = 220;
  const pad = 44;
  const tx = (v: number): number => (c.logX ? Math.log10(Math.max(v, 1e-300)) : v);
  const ty = (v: number): number => (c.logY ? Math.log10(Math.max(v, 1e-30)) : v);
  const ys = c.series.flatMap((s) => s.y.filter((v): v is number => v !== null)).map(ty);
  const xs = c.x.map(tx);
  if (xs.length === 0) return '';
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const sx = (v: number): number => pad + ((tx(v) - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const sy = (v: number): number => H - pad - ((ty(v) - y0) / (y1 - y0 || 1)) * (H - 2 * pad);
  const parts: string[] = [];
  c.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    let d = '';
    s.y.forEach((v, i) => {
      if (v === null) {
        parts.push(
          `<text x="${sx(c.x[i]!).toFixed(1)}" y="${pad - 6 - 10 * k}" fill="${color}" font-size="10" text-anchor="middle">✕</text>`,
        );
        d += ' ';
        return;
      }
      d += `${d.endsWith(' ') || d === '' ? 'M' : 'L'}${sx(c.x[i]!).toFixed(1)},${sy(v).toFixed(1)}`;
    });
    parts.push(`<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<text x="${W - pad + 4}" y="${pad + 14 * k}" fill="${color}" font-size="11">${escapeHtml(s.name)}</text>`,
    );
  });
  const ticks = c.x.map(
    (v) =>
      `<text x="${sx(v).toFixed(1)}" y="${H - pad + 14}" font-size="10" text-anchor="middle">${escapeHtml(num(v))}</text>`,
  );
  const yLabels = [y0, y1].map(
    (v) =>
      `<text x="${pad - 4}" y="${(H - pad - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * pad)).toFixed(1)}" font-size="10" text-anchor="end">${escapeHtml(num(c.logY ? 10 ** v : v))}</text>`,
  );
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${W + 60}" height="${H}" role="img" aria-label="${escapeHtml(c.title)}">
<rect x="${pad}" y="${pad}" width="${W - 2 * pad}" height="${H - 2 * pad}" fill="none" stroke="#999"/>${ticks.join('')}${yLabels.join('')}${parts.join('')}
<text x="${W / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${escapeHtml(c.xLabel)}</text></svg>
<figcaption>${escapeHtml(c.title)} (${escapeHtml(c.yLabel)}${c.logY ? ', log scale' : ''}; ✕ = NaN/Inf)</figcaption></figure>`;
}

function probeSection(p: ProbeResult): string {
  const status = p.status === 'ok' ? '' : ` <span class="status ${p.status}">${escapeHtml(p.status)}</span>`;
  return `<section><h2>${escapeHtml(p.title)}${status}</h2>
${p.message ? `<p class="msg">${escapeHtml(p.message)}</p>` : ''}
${p.figures.length > 0 ? `<table class="figs"><tbody>${figureRows(p.figures)}</tbody></table>` : ''}
${p.curves.map(curveSvg).join('\n')}
${p.tables.map(table).join('\n')}
${p.notes.length > 0 ? `<ul>${p.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<p class="meta">${p.durationMs} ms; passes: ${p.passes.forward} forward, ${p.passes.inverse} inverse, ${p.passes.backward} backward</p></section>`;
}

export function renderHtml(r: Report): string {
  const where = r.model.file
    ? `${r.model.file}${r.model.range ? `:${r.model.range.start.line + 1}` : ''}`
    : r.model.source;
  const findings = r.findings
    .map((f) => {
      const line = f.range
        ? ` <span class="meta">(${escapeHtml(f.range.file)}:${f.range.start.line + 1})</span>`
        : '';
      return `<li class="${f.severity}"><b>${escapeHtml(f.severity)}</b> [${escapeHtml(f.code)}] ${escapeHtml(f.message)}${line}</li>`;
    })
    .join('');
  const backend = r.backend
    ? `${escapeHtml(r.backend.package)} ${escapeHtml(r.backend.version)} on ${escapeHtml(r.backend.name)}${r.backend.bundled ? ' (bundled copy)' : ''}`
    : 'not started';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lipschitz Lens audit: ${escapeHtml(r.model.name)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:60em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:2px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600}.meta{color:#777;font-size:12px}.error{color:#b00}.warning{color:#a60}.info{color:#06c}
.status{font-size:12px;padding:1px 6px;border-radius:3px;background:#eee}.status.error,.status.timeout,.status.cancelled{background:#fdd}
.msg{color:#a60}
</style></head><body>
<h1>Audit of ${escapeHtml(r.model.name)}</h1>
<p class="meta">${escapeHtml(where)} · ${escapeHtml(r.status)} · ${escapeHtml(r.createdAt)} · ${r.durationMs} ms · ${backend} · report v${r.version}</p>
${r.error ? `<p class="error"><b>${escapeHtml(r.error.phase)}:</b> ${escapeHtml(r.error.message)}</p>${r.error.detail ? `<pre>${escapeHtml(r.error.detail)}</pre>` : ''}` : ''}
<h2>Findings</h2>${findings ? `<ul>${findings}</ul>` : '<p>None.</p>'}
<h2>Summary</h2><table><tbody>${figureRows(r.figures)}</tbody></table>
${r.probes.map(probeSection).join('\n')}
<p class="meta">Settings: ${escapeHtml(JSON.stringify(r.settings))}</p>
${r.backend && r.backend.notes.length > 0 ? `<p class="meta">Backend notes: ${escapeHtml(r.backend.notes.join('; '))}</p>` : ''}
</body></html>
`;
}
