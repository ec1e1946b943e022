/**
 * A model's declared input domain (JSDoc `@inputDomain`): the set its inputs are promised to lie in. Maps that
 * are not globally Lipschitz (affine couplings) have finite bounds on a bounded domain; those bounds hold for
 * every pair of inputs inside it, and say nothing outside.
 *
 * - `box [lo, hi]`: every coordinate in [lo, hi] (pixels in [0, 1], dequantised data in [-1, 1]);
 * - `ball r`: Euclidean norm at most r.
 */

export type InputDomain = { kind: 'box'; lo: number; hi: number } | { kind: 'ball'; radius: number };

/** `box [-3, 3]`, `box -3 3`, `ball 5`; a reason when the text is not one of them (never guessed). */
export function parseInputDomain(text: string): InputDomain | { error: string } {
  const words = text
    .trim()
    .replace(/[[\](),]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const [kind, ...rest] = words;
  const nums = rest.map(Number);
  const usage = "expected 'box [lo, hi]' or 'ball r'";
  if (kind === 'box') {
    const [lo, hi] = nums;
    if (nums.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo! < hi!))
      return { error: `@inputDomain box needs two finite numbers lo < hi, got '${rest.join(' ')}'` };
    return { kind: 'box', lo: lo!, hi: hi! };
  }
  if (kind === 'ball') {
    const [radius] = nums;
    if (nums.length !== 1 || !Number.isFinite(radius) || !(radius! > 0))
      return { error: `@inputDomain ball needs one finite radius > 0, got '${rest.join(' ')}'` };
    return { kind: 'ball', radius: radius! };
  }
  return { error: `@inputDomain '${text.trim()}': ${usage}` };
}

/** The largest |x_i| over the domain: what multiplies the scale's slope in an affine coupling. */
export function domainSupNorm(d: InputDomain): number {
  return d.kind === 'box' ? Math.max(Math.abs(d.lo), Math.abs(d.hi)) : d.radius;
}

export function describeDomain(d: InputDomain): string {
  return d.kind === 'box' ? `every x_i in [${d.lo}, ${d.hi}]` : `||x|| <= ${d.radius}`;
}

/**
 * The largest singular value of [[a, 0], [c, d]] (closed form): the bound of a map whose differences satisfy
 * |dy1| <= a |dx1| and |dy2| <= c |dx1| + d |dx2|, over |dx|^2 = |dx1|^2 + |dx2|^2.
 */
export function lowerTriangularNorm(a: number, c: number, d: number): number {
  if (!Number.isFinite(c) || !Number.isFinite(d)) return Infinity;
  return (Math.hypot(a + d, c) + Math.hypot(a - d, c)) / 2;
}
