/**
 * Slots for running audits: each audit forks a probe worker that can use all of a core and up to the memory cap,
 * so by default one runs at a time and later ones wait, first come first served. A waiting audit hears how many
 * are ahead of it and can be cancelled before it ever starts a worker.
 */

/** Rejection of `acquire` when its signal aborts first. */
export class QueueAbortedError extends Error {
  constructor() {
    super('cancelled while waiting for other audits');
    this.name = 'QueueAbortedError';
  }
}

interface Waiter {
  grant: (release: () => void) => void;
  onWait: (ahead: number) => void;
}

export class AuditQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private limit = 1) {}

  /** A new limit applies to the next slot handed out; running audits are not stopped. */
  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit));
    this.pump();
  }

  /** Audits running plus waiting. */
  get size(): number {
    return this.running + this.waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free (call it exactly when the audit ends; more calls do
   * nothing). Until then `onWait` hears how many audits are ahead, on entry and whenever that changes; rejects
   * with QueueAbortedError when `signal` aborts first.
   */
  acquire(signal: AbortSignal, onWait: (ahead: number) => void = () => undefined): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new QueueAbortedError());
    if (this.running < this.limit && this.waiting.length === 0) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new QueueAbortedError());
        this.announce();
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
        onWait,
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      onWait(this.running + this.waiting.length - 1);
    });
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!.grant(this.take());
    this.announce();
  }

  /** Tells every waiter its place after the line moved. */
  private announce(): void {
    this.waiting.forEach((w, i) => w.onWait(this.running + i));
  }
}
