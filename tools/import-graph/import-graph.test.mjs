// The package graph of the repository follows the rule table, and the checker catches each kind
// of violation in a small workspace written for the purpose.
//
//   node --test tools/import-graph/    (part of `npm test`: tools/import-graph/project.json)

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ALLOWED_IMPORTS, checkImportGraph, importsOf, readWorkspace } from './index.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the packages of this repository import only what the rule table allows', () => {
  const packages = readWorkspace(repoRoot);
  assert.ok(packages.some((p) => p.name === '@bellman/core' && p.files.length > 0), 'reads packages/core/src');
  assert.deepEqual(checkImportGraph(packages), []);
});

test('the rule table keeps core, envs and datasets free of tensors and lets the CLI use everything', () => {
  assert.deepEqual(ALLOWED_IMPORTS.core, []);
  assert.deepEqual(ALLOWED_IMPORTS.envs, ['core']);
  assert.deepEqual(ALLOWED_IMPORTS.datasets, ['core', 'envs']);
  assert.equal(ALLOWED_IMPORTS.cli, '*');
  for (const algorithm of ['q-learning', 'classifier-reward', 'diffusion']) assert.ok(ALLOWED_IMPORTS[algorithm].includes('training'));
});

test('importsOf sees static, type-only, re-exported and dynamic imports, not comments or strings', () => {
  const text = [
    "// import { x } from '@bellman/commented';",
    "import type { A } from '@bellman/core';",
    "export * from './local.js';",
    "const nn = await import('@bellman/nn');",
    "const s = \"from '@bellman/in-a-string'\";",
  ].join('\n');
  assert.deepEqual(importsOf(text), ['@bellman/core', './local.js', '@bellman/nn']);
});

/** A workspace on disk: packages/<dir>/package.json and src files, from a plain description. */
function writeWorkspace(description) {
  const root = mkdtempSync(join(tmpdir(), 'bellman-import-graph-'));
  for (const [dir, { manifest, files }] of Object.entries(description)) {
    const packageDir = join(root, 'packages', dir);
    mkdirSync(join(packageDir, 'src'), { recursive: true });
    writeFileSync(join(packageDir, 'package.json'), JSON.stringify(manifest));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(packageDir, 'src', name)), { recursive: true });
      writeFileSync(join(packageDir, 'src', name), text);
    }
  }
  return root;
}

test('reports each kind of violation, naming the package, the file and the import', (t) => {
  const exportsOf = (...subpaths) => Object.fromEntries(subpaths.map((s) => [s, './dist/x.js']));
  const root = writeWorkspace({
    core: { manifest: { name: '@bellman/core', exports: exportsOf('.', './node') }, files: { 'index.ts': "export const x = 1;\n" } },
    nn: {
      // imports core without declaring it
      manifest: { name: '@bellman/nn', exports: exportsOf('.') },
      files: { 'index.ts': "import { x } from '@bellman/core';\nexport const y = x;\n" },
    },
    envs: {
      // nn is not allowed in envs (imported and declared); core internals by subpath and by relative path
      manifest: { name: '@bellman/envs', exports: exportsOf('.'), dependencies: { '@bellman/core': '0.1.0', '@bellman/nn': '0.1.0' } },
      files: {
        'index.ts': "import { y } from '@bellman/nn';\nimport { x } from '@bellman/core/node';\nexport { y, x };\n",
        'deep/inner.ts': "import { Rng } from '@bellman/core/src/rng.js';\nimport { x } from '../../../core/src/index.js';\nimport { z } from '../index.js';\nexport { Rng, x, z };\n",
      },
    },
    widgets: { manifest: { name: '@bellman/widgets', exports: exportsOf('.') }, files: { 'index.ts': "export const w = 0;\n" } },
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));

  const found = checkImportGraph(readWorkspace(root)).map((v) => [v.rule, v.package, v.file ?? null, v.specifier ?? null]);
  assert.deepEqual(found, [
    ['declared', '@bellman/envs', null, null],
    ['internals', '@bellman/envs', 'packages/envs/src/deep/inner.ts', '@bellman/core/src/rng.js'],
    ['internals', '@bellman/envs', 'packages/envs/src/deep/inner.ts', '../../../core/src/index.js'],
    ['graph', '@bellman/envs', 'packages/envs/src/index.ts', '@bellman/nn'],
    ['undeclared', '@bellman/nn', 'packages/nn/src/index.ts', '@bellman/core'],
    ['no-rule', '@bellman/widgets', null, null],
  ]);
  const graph = checkImportGraph(readWorkspace(root)).find((v) => v.rule === 'graph');
  assert.equal(graph.message, 'packages/envs/src/index.ts imports @bellman/nn, which @bellman/envs may not import (allowed: @bellman/core)');
});

test('a rule table given to the checker replaces the default one', (t) => {
  const root = writeWorkspace({
    core: { manifest: { name: '@bellman/core' }, files: { 'index.ts': "export const x = 1;\n" } },
    envs: { manifest: { name: '@bellman/envs', dependencies: { '@bellman/core': '0.1.0' } }, files: { 'index.ts': "export { x } from '@bellman/core';\n" } },
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const packages = readWorkspace(root);
  assert.deepEqual(checkImportGraph(packages), []);
  assert.deepEqual(
    checkImportGraph(packages, { core: [], envs: [] }).map((v) => v.rule),
    ['declared', 'graph'],
  );
});
