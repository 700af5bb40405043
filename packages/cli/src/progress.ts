import cliProgress from 'cli-progress';
import type { Reporter } from './io.js';

/** Progress of one long task (dataset generation, training). */
export interface Progress {
  /** Report that `value` of `total` units are done; `detail` is a short status (e.g. the last eval return). */
  update(value: number, detail?: string): void;
  /** End the task; the bar (if any) is cleared of its animation and left showing the final state. */
  stop(): void;
}

export interface ProgressOptions {
  /** Minimum time between two plain lines, in ms (default 5000). */
  lineIntervalMs?: number;
  /** Plain lines are also printed every this fraction of the total (default 0.1). */
  lineFraction?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A progress bar on an interactive terminal; outside one (pipes, CI logs) plain lines at most
 * every 10% of the work or every few seconds, so that logs stay readable, and one last line, once,
 * when the task stops.
 */
export function startProgress(reporter: Reporter, label: string, total: number, options: ProgressOptions = {}): Progress {
  if (reporter.interactive) return new BarProgress(reporter, label, total);
  return new LineProgress(reporter, label, total, options);
}

class BarProgress implements Progress {
  private readonly bar: cliProgress.SingleBar;

  constructor(reporter: Reporter, label: string, total: number) {
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left | {detail}`,
        stream: reporter.human as unknown as NodeJS.WritableStream,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { detail: '' });
  }

  update(value: number, detail?: string): void {
    this.bar.update(value, detail === undefined ? undefined : { detail });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements Progress {
  private lastLineAt: number;
  private lastFraction = 0;
  private lastValue = -1;
  private lastDetail = '';
  private readonly startedAt: number;
  private readonly now: () => number;
  private stopped = false;
  private latestValue = 0;
  private latestDetail = '';

  constructor(
    private readonly reporter: Reporter,
    private readonly label: string,
    private readonly total: number,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.lastLineAt = this.startedAt;
  }

  update(value: number, detail?: string): void {
    if (this.stopped) return;
    this.latestValue = value;
    if (detail !== undefined) this.latestDetail = detail;
    // The line of the finished work waits for stop(), so that it is printed once and carries what
    // comes after the last step (a training run's final evaluation).
    if (value >= this.total) return;
    const fraction = this.total > 0 ? value / this.total : 1;
    const interval = this.options.lineIntervalMs ?? 5000;
    const step = this.options.lineFraction ?? 0.1;
    const t = this.now();
    if (fraction - this.lastFraction >= step - 1e-12 || t - this.lastLineAt >= interval) this.line(value, t);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // the last line: the finished work (or where it stopped), unless the previous line said it all
    if (this.latestValue !== this.lastValue || this.latestDetail !== this.lastDetail) this.line(this.latestValue, this.now());
  }

  private line(value: number, t: number): void {
    const pct = this.total > 0 ? Math.floor((100 * value) / this.total) : 100;
    const elapsed = ((t - this.startedAt) / 1000).toFixed(1);
    const detail = this.latestDetail ? ` ${this.latestDetail}` : '';
    this.reporter.say(`${this.label}: ${value}/${this.total} (${pct}%) ${elapsed}s${detail}`);
    this.lastLineAt = t;
    this.lastFraction = this.total > 0 ? value / this.total : 1;
    this.lastValue = value;
    this.lastDetail = this.latestDetail;
  }
}
