/**
 * Running one cell: a `CellRunner` takes a cell and its run folder and reports how it ended.
 * `processCellRunner` runs the cell's command as a child Node process; the child notices when
 * its parent dies (its IPC channel closes) and stops as on SIGTERM, leaving its checkpoint.
 */
import { fork } from 'node:child_process';
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SweepCell } from './cells.js';

export type CellOutcome =
  /** The command succeeded; `result` is the JSON object its stdout ended with. */
  | { status: 'done'; result: Record<string, unknown>; wallSeconds: number; worker: string }
  /** The command failed; `error` is its error line. */
  | { status: 'failed'; error: string; exitCode: number | null }
  /** Stopped by the sweep (its signal aborted); the cell's checkpoint stays for a resume. */
  | { status: 'stopped' };

export interface CellRunner {
  run(cell: SweepCell, cellDir: string, signal?: AbortSignal): Promise<CellOutcome>;
}

export interface ProcessRunnerOptions {
  /** The Node script of the command (the `bellman` bin). */
  script: string;
  /** The child's arguments for a cell and its run folder (the cell's args with `--out`, `--resume`, ...). */
  argvFor(cell: SweepCell, cellDir: string): string[];
  /** Working directory of the children (relative paths in a spec are relative to it). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Node flags of the children (default: this process's). */
  execArgv?: string[];
}

/** `host:pid` of this process. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Runs each cell as `node <script> <argv>`, with stdout read for the result (its last line, a JSON
 * object) and stderr appended to `<cellDir>/cell.log` (the error line of a failed cell is read from there).
 */
export function processCellRunner(options: ProcessRunnerOptions): CellRunner {
  return {
    run(cell, cellDir, signal) {
      // the command line first: it may clear the folder (a run to start again)
      const argv = options.argvFor(cell, cellDir);
      mkdirSync(cellDir, { recursive: true });
      const log = join(cellDir, 'cell.log');
      appendFileSync(log, `# ${new Date().toISOString()} ${workerName()}: ${argv.join(' ')}\n`);
      const started = performance.now();
      return new Promise<CellOutcome>((resolve) => {
        if (signal?.aborted) return resolve({ status: 'stopped' });
        // stderr goes straight to the log file, not through this process, so that a child whose
        // parent died can still say what it does while it writes its checkpoint
        const logFd = openSync(log, 'a');
        const child = fork(options.script, argv, {
          cwd: options.cwd,
          env: options.env ?? process.env,
          execArgv: options.execArgv ?? process.execArgv,
          stdio: ['ignore', 'pipe', logFd, 'ipc'],
        });
        closeSync(logFd);
        let stdout = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        const stop = (): void => {
          child.kill('SIGTERM');
        };
        signal?.addEventListener('abort', stop, { once: true });
        child.on('error', (err) => {
          signal?.removeEventListener('abort', stop);
          resolve({ status: 'failed', error: `could not start ${options.script}: ${err.message}`, exitCode: null });
        });
        child.on('close', (code, killedBy) => {
          signal?.removeEventListener('abort', stop);
          if (signal?.aborted) return resolve({ status: 'stopped' });
          if (code === 0) {
            const result = lastJsonObject(stdout);
            if (result) return resolve({ status: 'done', result, wallSeconds: (performance.now() - started) / 1000, worker: workerName() });
            return resolve({ status: 'failed', error: 'the command succeeded but printed no JSON result line', exitCode: code });
          }
          resolve({ status: 'failed', error: errorLine(logTail(log), code, killedBy), exitCode: code });
        });
      });
    },
  };
}

/** The last lines of a log file (its last few kilobytes). */
function logTail(path: string, bytes = 16_384): string[] {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString('utf8').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('# '));
  } finally {
    closeSync(fd);
  }
}

/** The last line of `text` that is a JSON object, parsed. */
export function lastJsonObject(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i]!.startsWith('{')) continue;
    try {
      const value = JSON.parse(lines[i]!) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

/** The failed command's own error line (`bellman: error: ...`), else its last stderr line, else its exit. */
function errorLine(stderr: readonly string[], code: number | null, signal: NodeJS.Signals | null): string {
  const exit = code !== null ? `exit code ${code}` : `killed by ${signal ?? 'a signal'}`;
  const own = [...stderr].reverse().find((line) => /\berror:/.test(line));
  const line = own ?? stderr[stderr.length - 1];
  return line ? `${line.trim()} (${exit})` : exit;
}
