// README examples as tests. Every ```ts block of a package README runs, unless its fence is tagged
// ```ts no-run (a fragment that needs context from the text around it). Each block is written to a
// file in the package's .readme-examples/ folder and run by Node on the TypeScript sources (see
// loader.mjs), in an empty temporary working directory with $BELLMAN_DATA_DIR inside it; the test
// fails unless it exits with code 0 within the timeout.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(new URL('./register.mjs', import.meta.url));

/** The ```ts blocks of a markdown text: `{ line, code, run }`, `line` the 1-based line of the fence. */
export function codeBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
    const tags = open[2].split(/\s+/).filter(Boolean);
    if (open[1] === 'ts' || open[1] === 'typescript') {
      blocks.push({ line: i + 1, code: `${lines.slice(i + 1, end).join('\n')}\n`, run: !tags.includes('no-run') });
    }
    i = end;
  }
  return blocks;
}

/** Run one example file with Node; resolves to `{ code, signal, stdout, stderr, timedOut }`. */
export function runExample(file, { cwd, env = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--no-warnings', '--enable-source-maps', '--import', register, file], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Define one jest test per runnable ```ts block of `<packageDir>/README.md`. */
export function testReadmeExamples(packageDir, { timeoutMs = 120_000 } = {}) {
  const dir = packageDir instanceof URL ? fileURLToPath(packageDir) : packageDir;
  const blocks = codeBlocks(readFileSync(join(dir, 'README.md'), 'utf8')).filter((b) => b.run);
  const examplesDir = join(dir, '.readme-examples');

  describe('README examples', () => {
    afterAll(() => rmSync(examplesDir, { recursive: true, force: true }));

    test('the README has a runnable ```ts block', () => {
      expect(blocks.length).toBeGreaterThan(0);
    });

    for (const block of blocks) {
      test(`README.md:${block.line} runs`, async () => {
        mkdirSync(examplesDir, { recursive: true });
        const file = join(examplesDir, `line-${block.line}.ts`);
        writeFileSync(file, block.code);
        const cwd = mkdtempSync(join(tmpdir(), 'bellman-readme-'));
        try {
          const result = await runExample(file, { cwd, env: { BELLMAN_DATA_DIR: join(cwd, 'datasets') }, timeoutMs });
          const output = `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? `, killed after ${timeoutMs} ms` : ''}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
          if (result.code !== 0) throw new Error(`README.md:${block.line} failed: ${output}`);
        } finally {
          rmSync(cwd, { recursive: true, force: true });
        }
      }, timeoutMs + 10_000);
    }
  });
}
