/** Where the CLI writes: injectable so that tests run commands in-process. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Environment variables the CLI reads (CI, BELLMAN_DEBUG, BELLMAN_CACHE_DIR). */
  env: Record<string, string | undefined>;
  /** The directory relative paths are resolved against. */
  cwd: string;
}

/**
 * End the process quietly when the reader of `stream` has gone away (`bellman envs | head -1`):
 * the next write then fails with EPIPE, which Node reports as an 'error' event on the stream and,
 * unhandled, as a crash with a stack trace. A closed pipe is the reader saying it has read
 * enough, not a failure: the command ends there, silently, with exit code 0 (so that a
 * `set -o pipefail` pipeline passes). Other write errors print one line and exit 1.
 */
export function exitOnClosedPipe(stream: NodeJS.WriteStream, name: string, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      exit(0);
      return;
    }
    if (stream !== process.stderr) {
      try {
        process.stderr.write(`bellman: error: cannot write to ${name}: ${err.message}\n`);
      } catch {
        // nowhere left to say it
      }
    }
    exit(1);
  });
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Human-readable output of one command. With --json it goes to stderr, so that the last line
 * of stdout is the machine-readable result.
 */
export class Reporter {
  readonly human: OutputStream;

  constructor(
    readonly io: CliIo,
    readonly json = false,
  ) {
    this.human = json ? io.stderr : io.stdout;
  }

  /** A line for people. */
  say(line = ''): void {
    this.human.write(`${line}\n`);
  }

  /** A diagnostic line (backend choice, warnings): always stderr. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** The machine-readable result: one line of JSON, last on stdout. */
  result(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** True when animated progress bars suit the human stream: a terminal, outside CI. */
  get interactive(): boolean {
    return Boolean(this.human.isTTY) && !isCi(this.io.env);
  }
}

export function isCi(env: Record<string, string | undefined>): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
