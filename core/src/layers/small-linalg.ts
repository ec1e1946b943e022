/**
 * log |det A| for a small dense row-major n x n matrix, by LU with partial pivoting in float64.
 * Jacobians of invertible blocks are small (d <= a few dozen), so plain JS beats a tensor round trip.
 */
export function logAbsDet(matrix: ArrayLike<number>, n: number): number {
  const a = Float64Array.from(matrix);
  if (a.length !== n * n) throw new Error(`logAbsDet: expected ${n * n} entries, got ${a.length}`);
  let logDet = 0;
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[pivot * n + k]!)) pivot = i;
    const p = a[pivot * n + k]!;
    if (p === 0) return -Infinity;
    if (pivot !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[pivot * n + j]!;
        a[pivot * n + j] = t;
      }
    }
    logDet += Math.log(Math.abs(p));
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k]! / p;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j]! -= f * a[k * n + j]!;
    }
  }
  return logDet;
}
