/**
 * The progress line the CLI and the editor show for an audit: "probe i of n: <title> — <detail> — ~N s left in
 * this probe". The time left is the probe's own measured rate (time elapsed over the fraction it reported done
 * since a basis was taken) applied to what remains; before that basis exists (under a tenth of the probe, or
 * under a second, or a probe that reports no fraction) it says nothing. It is the current probe's time only: the
 * probes still to come have not been measured, and their cost varies by an order of magnitude between models.
 */
import type { AuditProgress } from '../protocol/worker-messages';

/** A rate is trusted from this much of the probe done and this much time spent on it. */
const MIN_FRACTION = 0.1;
const MIN_ELAPSED_MS = 1000;

export class ProgressClock {
  private index = Number.NaN;
  private basisAt = 0;
  private basisFraction = 0;
  private lastFraction = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds left in the current probe by its measured rate, or undefined while there is no basis. */
  secondsLeft(p: AuditProgress): number | undefined {
    const t = this.now();
    const f = Math.min(1, Math.max(0, p.fraction));
    // A new probe, or a fraction that went back (a probe's phases each counting from 0): a new basis.
    if (p.index !== this.index || f < this.lastFraction) {
      this.index = p.index;
      this.basisAt = t;
      this.basisFraction = f;
    }
    this.lastFraction = f;
    const done = f - this.basisFraction;
    const elapsed = t - this.basisAt;
    if (f >= 1 || done < MIN_FRACTION || elapsed < MIN_ELAPSED_MS) return undefined;
    return (elapsed * (1 - f)) / done / 1000;
  }

  line(p: AuditProgress): string {
    const left = this.secondsLeft(p);
    if (p.index < 0) return p.message ?? p.probe;
    const head = `probe ${p.index + 1} of ${p.count}: ${p.title ?? p.probe}`;
    const detail = p.message === undefined ? '' : ` — ${p.message}`;
    const eta = left === undefined ? '' : ` — ~${formatSeconds(left)} left in this probe`;
    return `${head}${detail}${eta}`;
  }
}

function formatSeconds(s: number): string {
  if (s < 10) return `${Math.max(1, Math.round(s))} s`;
  if (s < 120) return `${Math.round(s / 5) * 5} s`;
  return `${Math.round(s / 60)} min`;
}
