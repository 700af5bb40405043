import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../src/index.js';

// The `bellman` command is the committed bin/bellman.js, not dist/bin.js: npm links bins when it
// installs, and in a fresh clone `npm ci` runs before anything is built.
const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const binFile = join(cliDir, 'bin', 'bellman.js');
const rootDir = join(cliDir, '..', '..');
const built = existsSync(join(cliDir, 'dist', 'bin.js'));

describe('the bellman bin', () => {
  it('is the committed bin/bellman.js in package.json and in the packed tarball', () => {
    const pkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ bellman: './bin/bellman.js' });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: cliDir, encoding: 'utf8' })) as [
      { files: { path: string }[] },
    ];
    expect(packed[0].files.map((f) => f.path)).toContain('bin/bellman.js');
    expect(readFileSync(binFile, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('is what node_modules/.bin/bellman links to', () => {
    const link = join(rootDir, 'node_modules', '.bin', 'bellman');
    if (!existsSync(link) || realpathSync(link) !== realpathSync(binFile)) {
      throw new Error(`${link} does not resolve to ${binFile}; reinstall (npm ci) to relink it`);
    }
  });

  it('says to build first when dist/ is missing', () => {
    // A copy of the bin file in a folder of its own has no ../dist/bin.js beside it.
    const dir = mkdtempSync(join(tmpdir(), 'bellman-bin-'));
    const copy = join(dir, 'bin', 'bellman.js');
    mkdirSync(join(dir, 'bin'));
    copyFileSync(binFile, copy);
    const res = spawnSync(process.execPath, [copy, '--version'], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^bellman: .*dist[/\\]bin\.js is missing.*run `npm run build` first\n$/);
  });

  // Needs the built CLI (`npm run build`; CI builds before it tests).
  (built ? it : it.skip)('runs the built CLI: --version prints the version', () => {
    const res = spawnSync(process.execPath, [binFile, '--version'], { encoding: 'utf8' });
    expect({ status: res.status, stdout: res.stdout, stderr: res.stderr }).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});
