// Type-checks the README examples that the tests run: every runnable ```ts block of every
// packages/*/README.md and of docs/getting-started.md is written to a file beside its Markdown and
// compiled with the repository's strict settings (tsconfig.base.json, whose paths map each
// @bellman package to its sources). A block that still runs but no longer type-checks against
// the API it shows (a renamed option, a wrong type) fails here. Exits 1 and names the Markdown
// file and line of each error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks } from './index.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES_DIR = '.readme-examples';

/** The Markdown files whose ```ts blocks are examples: each package's README and the getting-started page. */
export function exampleSources(repoRoot = root) {
  const packages = join(repoRoot, 'packages');
  const readmes = readdirSync(packages)
    .map((name) => join(packages, name, 'README.md'))
    .filter((file) => existsSync(file));
  const guide = join(repoRoot, 'docs', 'getting-started.md');
  return existsSync(guide) ? [...readmes, guide] : readmes;
}

/** Write every runnable block to `<dir of the Markdown>/.readme-examples/typecheck/`; returns where each came from. */
function writeExamples(sources) {
  const origins = new Map(); // example file -> { markdown, line }
  for (const markdown of sources) {
    const dir = join(dirname(markdown), EXAMPLES_DIR, 'typecheck');
    const stem = markdown.endsWith('README.md') ? 'readme' : 'guide';
    for (const block of codeBlocks(readFileSync(markdown, 'utf8')).filter((b) => b.run)) {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${stem}-line-${block.line}.ts`);
      // `export {}` makes each block a module, so top-level names and awaits do not clash.
      writeFileSync(file, `${block.code}export {};\n`);
      origins.set(file, { markdown, line: block.line });
    }
  }
  return origins;
}

/** `file.ts(12,5): error TS...` -> `README.md:<fence line + 12>:5: error TS...`. */
function toMarkdownLocation(line, origins) {
  const match = /^(.*?\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
  if (!match) return line;
  const origin = origins.get(join(root, match[1]));
  if (!origin) return line;
  return `${relative(root, origin.markdown)}:${origin.line + Number(match[2])}:${match[3]}: ${match[4]}`;
}

function main() {
  const sources = exampleSources();
  const origins = writeExamples(sources);
  const config = join(root, 'tools', 'readme-examples', '.tsconfig.examples.json');
  writeFileSync(
    config,
    JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true, rootDir: '../..' }, files: [...origins.keys()].map((f) => relative(dirname(config), f)) }, null, 2),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  rmSync(config, { force: true });
  for (const markdown of sources) rmSync(join(dirname(markdown), EXAMPLES_DIR, 'typecheck'), { recursive: true, force: true });
  if (result.status !== 0) {
    const lines = `${result.stdout}${result.stderr}`.split('\n').filter(Boolean);
    console.error(`README examples: ${lines.filter((l) => / error TS\d+:/.test(l)).length} type error(s)`);
    for (const line of lines) console.error(toMarkdownLocation(line, origins));
    process.exit(1);
  }
  console.log(`README examples: ${origins.size} blocks from ${sources.length} files type-check`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
