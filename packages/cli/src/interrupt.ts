/** The command line that continues a run a signal stopped (the signal handling is @bellman/training/node's). */

/** A shell-safe rendering of one argument. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `bellman <argv>` with `--resume` added when missing: the command that continues an interrupted run. */
export function resumeCommand(argv: readonly string[]): string {
  const args = argv.includes('--resume') ? [...argv] : [...argv, '--resume'];
  return ['bellman', ...args.map(shellQuote)].join(' ');
}
