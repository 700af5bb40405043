import { BellmanError, CheckpointError, ConfigError, DatasetError, UsageError } from '@bellman/core';

/**
 * A mistake in how the command was called (unknown name, bad value, missing or malformed input
 * file). The CLI prints its message on one line and exits with code 2.
 */
export { UsageError };

/** Exit codes of the `bellman` command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Run a library call that consumes the user's input and whose errors are not all typed (backend
 * selection, learner construction from a config or snapshot, reading a JSON file), or whose
 * message needs the flag it came from in front. Whatever it throws is about that input, so it
 * becomes a UsageError carrying the library's own message (prefixed with `context` when given)
 * and, from a BellmanError, its context.
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
  const details = err instanceof BellmanError ? err.context : {};
  return new UsageError(context ? `${context}: ${message}` : message, details, { cause: err });
}

/**
 * The error types about the user's input, wherever they are thrown: a config field, a dataset
 * file, a checkpoint, an unknown name or a bad value. Any other error is a failure of the run.
 */
const USER_INPUT_ERRORS = [ConfigError, DatasetError, CheckpointError, UsageError] as const;

/** The exit code for an error that ended a command: 2 for the user's input (by its type), 1 for anything else. */
export function exitCodeFor(err: unknown): typeof EXIT_USAGE | typeof EXIT_FAILURE {
  return USER_INPUT_ERRORS.some((type) => err instanceof type) ? EXIT_USAGE : EXIT_FAILURE;
}

/** The message of an error squeezed onto one line. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}
