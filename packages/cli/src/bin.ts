#!/usr/bin/env node
import { exitOnClosedPipe } from './io.js';
import { run } from './program.js';

// `bellman ... | head -1`: a reader that stops early ends the command, without a stack trace.
exitOnClosedPipe(process.stdout, 'stdout');
exitOnClosedPipe(process.stderr, 'stderr');

// A cell of `bellman sweep` (forked with an IPC channel): when the sweep's process dies, the
// channel closes; stop as on SIGTERM, so that a training run writes its checkpoint.
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bellman: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
