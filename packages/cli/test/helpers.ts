import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/index.js';
import type { CliIo } from '../src/index.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Non-TTY streams that keep what a command writes, for calling a command function directly. */
export function captureIo(cwd: string): { io: CliIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Run the CLI in-process with captured, non-TTY streams. */
export async function runCli(argv: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { BELLMAN_CACHE_DIR: join(options.cwd ?? tempDir(), '.cache'), ...options.env },
    cwd: options.cwd ?? tempDir(),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bellman-cli-'));
}

/** Lines of text without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}
