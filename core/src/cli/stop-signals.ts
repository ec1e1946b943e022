/**
 * SIGINT, SIGTERM and SIGHUP while a command runs a probe worker (Ctrl-C, a CI timeout, a closed terminal).
 * Node's default for the last two ends the process without running 'exit' listeners, which is what kills a
 * worker stuck in the model's code. The first signal aborts the audit (its worker group is killed within the
 * cancel grace, and the partial report is written); a second one exits at once, and runAudit's 'exit' listener
 * kills the group. Either way the exit code is 128 + the signal's number, as shells and CI expect.
 */
import { constants } from 'node:os';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface StopListener {
  /** Aborted on the first stop signal. */
  signal: AbortSignal;
  /** The first stop signal received, if any. */
  caught(): StopSignal | undefined;
  /** Restores Node's default handling. */
  dispose(): void;
}

export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

export function listenForStop(): StopListener {
  const controller = new AbortController();
  let caught: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = (): void => {
      if (caught !== undefined) process.exit(signalExitCode(name));
      caught = name;
      controller.abort();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    caught: () => caught,
    dispose: () => handlers.forEach(([name, handler]) => process.removeListener(name, handler)),
  };
}
