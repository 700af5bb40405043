/**
 * Bellman's error types. Every error Bellman throws on purpose about what a caller gave it (a
 * config, a file, an id) is a `BellmanError` subclass, so that a caller can tell them apart by
 * type (`err instanceof DatasetError`) and read the details from `context` instead of parsing the
 * message. The CLI, for instance, maps these types to its exit codes.
 */

/** One value of an error's context: what was given, what was expected, where. */
export type ErrorContextValue = string | number | boolean | readonly string[] | readonly number[] | undefined;

/** The facts behind an error, by name: e.g. `{ file, key, row }` or `{ envId, known }`. */
export type ErrorContext = Readonly<Record<string, ErrorContextValue>>;

/** The base of Bellman's error types: a message for people and a `context` record for code. */
export class BellmanError extends Error {
  /** The facts behind the error (the field, file, id, what was expected), for code to read. */
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BellmanError';
    this.context = Object.freeze({ ...context });
  }
}

/**
 * An invalid configuration: an unknown field, a value of the wrong type or out of range. The
 * message starts with the config's name; `context` holds `config` and `field`.
 */
export class ConfigError extends BellmanError {
  constructor(
    readonly configName: string,
    readonly field: string,
    message: string,
  ) {
    super(`${configName} config: ${message}`, { config: configName, field });
    this.name = 'ConfigError';
  }
}

/**
 * A dataset that cannot be used: a missing, unreadable or malformed file, arrays of the wrong
 * shape, values that are not finite, flags that are not 0 or 1, actions outside the action space.
 */
export class DatasetError extends BellmanError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'DatasetError';
  }
}

/** A checkpoint that cannot be loaded: unreadable, not JSON, not a Bellman checkpoint, another version. */
export class CheckpointError extends BellmanError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'CheckpointError';
  }
}

/**
 * A call that asks for something that does not exist or cannot be done: an unknown environment
 * id, dataset recipe or algorithm, a bad option value, a command-line mistake.
 */
export class UsageError extends BellmanError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'UsageError';
  }
}
