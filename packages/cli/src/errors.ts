/**
 * A mistake in how the command was called (unknown name, bad value, missing or malformed input
 * file). The CLI prints its message on one line and exits with code 2.
 */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Exit codes of the `bellman` command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Run a library call that consumes the user's input (an env id, a dataset file, a config, a
 * checkpoint). Whatever it throws is about that input, so it becomes a UsageError carrying the
 * library's own message (prefixed with `context` when given).
 */
export function fromUserInput<T>(fn: () => T, context?: string): T {
  try {
    return fn();
  } catch (err) {
    throw toUsageError(err, context);
  }
}

/** The async form of `fromUserInput`. */
export async function fromUserInputAsync<T>(fn: () => Promise<T>, context?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toUsageError(err, context);
  }
}

function toUsageError(err: unknown, context?: string): UsageError {
  if (err instanceof UsageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UsageError(context ? `${context}: ${message}` : message, { cause: err });
}

/** Errors that count as usage errors wherever they come from: config validation names the field. */
export function isUsageError(err: unknown): boolean {
  return err instanceof Error && (err instanceof UsageError || err.name === 'ConfigError');
}

/** The message of an error squeezed onto one line. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}
