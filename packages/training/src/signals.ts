/**
 * Ctrl-C and `kill` during training (Node): the first SIGINT or SIGTERM asks the trainer to stop
 * after the current step (it then writes its checkpoint); a second SIGINT exits at once.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The conventional exit codes: 128 + the signal's number. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface InterruptWatch {
  /** The first signal received, or null. */
  readonly signal: StopSignal | null;
  /** Remove the handlers (the process's default behaviour returns). */
  dispose(): void;
}

/**
 * Call `onStop` on the first SIGINT or SIGTERM (after `announce` printed what happens next). A
 * second SIGINT ends the process with code 130 without waiting.
 */
export function watchInterrupts(onStop: (signal: StopSignal) => void, announce: (line: string) => void): InterruptWatch {
  let received: StopSignal | null = null;
  const handler = (signal: StopSignal): void => {
    if (received !== null) {
      if (signal === 'SIGINT') {
        announce('second interrupt: exiting now, without a checkpoint of the current step');
        process.exit(SIGNAL_EXIT_CODES.SIGINT);
      }
      return;
    }
    received = signal;
    announce(`${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: finishing the current step and writing a checkpoint (Ctrl-C again to exit at once)`);
    onStop(signal);
  };
  const onInt = (): void => handler('SIGINT');
  const onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    get signal() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
