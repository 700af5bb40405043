#!/usr/bin/env node
// The `bellman` command. This file is committed (dist/ is not) so that `npm ci` in a fresh clone
// can link node_modules/.bin/bellman before anything is built; it runs the built CLI.
/* global process, URL */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`bellman: the CLI is not built (${fileURLToPath(entry)} is missing); run \`npm run build\` first\n`);
  process.exit(1);
}
await import(entry.href);
