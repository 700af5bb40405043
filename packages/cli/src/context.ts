import { fromUserInputAsync } from './errors.js';
import { Reporter } from './io.js';
import type { CliIo } from './io.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolvePath, type BackendChoice } from './args.js';

/** What every command gets: the streams, and the process-wide setup done once per invocation. */
export class CommandContext {
  private backendReady: Promise<{ name: string; reason: string }> | undefined;
  private backendAnnounced = false;

  /** `argv`: the arguments after the program name, as given (the resume hint repeats them). */
  constructor(
    readonly io: CliIo,
    readonly argv: readonly string[] = [],
  ) {}

  reporter(json = false): Reporter {
    return new Reporter(this.io, json);
  }

  /** Select the tfjs backend once per invocation; returns its name. An unavailable backend is a usage error. */
  async backend(choice: BackendChoice): Promise<string> {
    this.backendReady ??= fromUserInputAsync(async () => {
      const { initBackend } = await import('@bellman/nn');
      return initBackend({ backend: choice });
    }, '--backend');
    return (await this.backendReady).name;
  }

  /**
   * Print, once, the line saying which backend runs and why: to stderr, so that it never mixes
   * with results, and only once the work starts, so that a usage error stays a single line.
   */
  async announceBackend(): Promise<void> {
    if (this.backendAnnounced || !this.backendReady) return;
    this.backendAnnounced = true;
    this.io.stderr.write(`${(await this.backendReady).reason}\n`);
  }

  /** Where dataset recipes are cached: --data-dir, else $BELLMAN_DATA_DIR, else ~/.bellman/datasets. */
  dataDir(override?: string): string {
    if (override) return resolvePath(this.io.cwd, override);
    const fromEnv = this.io.env.BELLMAN_DATA_DIR;
    return fromEnv && fromEnv.trim() !== '' ? resolvePath(this.io.cwd, fromEnv) : join(homedir(), '.bellman', 'datasets');
  }
}
