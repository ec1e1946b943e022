/** Largest singular value by power iteration on W^T W, in float64 (no tfjs: this runs in the language server). */

/** A dense row-major matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface PowerIterationOptions {
  maxIterations?: number;
  tolerance?: number;
}

/** Returns sigma_max(W). Deterministic start vector, so results are reproducible across runs. */
export function spectralNorm(m: Matrix, options: PowerIterationOptions = {}): number {
  const { rows, cols, data } = m;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-12;
  if (rows === 0 || cols === 0) return 0;
  let v = new Float64Array(cols);
  // A non-symmetric start avoids being orthogonal to the top singular vector for structured matrices.
  for (let j = 0; j < cols; j++) v[j] = 1 + j / cols;
  normalise(v);
  const u = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < maxIterations; it++) {
    // u = W v
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[i * cols + j]! * v[j]!;
      u[i] = s;
    }
    // w = W^T u
    const w = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const ui = u[i]!;
      for (let j = 0; j < cols; j++) w[j] = w[j]! + data[i * cols + j]! * ui;
    }
    const norm = normalise(w);
    if (norm === 0) return 0;
    const next = Math.sqrt(norm);
    v = w;
    if (Math.abs(next - sigma) <= tolerance * next) return next;
    sigma = next;
  }
  return sigma;
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return n;
}
