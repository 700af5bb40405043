#!/usr/bin/env node
// Create the package.json, tsconfig, tsup and jest configs of a workspace package (the tsup config
// calls the shared one in tsup.shared.ts with the package's entry points). `npm run new-package`
// (tools/new-package/) uses packageConfigs for a whole new package: sources, tests, README, docs.
// Usage: node tools/scaffold-package.mjs <name> "<description>" [dep ...] [--entry name=src/file.ts ...]
/* global process, console */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The config files of package `name` as `{ 'package.json': text, 'tsconfig.json': text, ... }`:
 * paths relative to the package folder. `entries` maps output names to sources besides
 * `index: 'src/index.ts'`; `dependencies` are the Bellman packages it imports, at 0.1.0.
 */
export function packageConfigs({ name, description, dependencies = [], entries: extraEntries = {} }) {
  const entries = { index: 'src/index.ts', ...extraEntries };
  const exportsMap = {};
  for (const key of Object.keys(entries)) {
    const sub = key === 'index' ? '.' : `./${key}`;
    // each condition with its own types: CommonJS TypeScript users need the .d.cts
    exportsMap[sub] = {
      import: { types: `./dist/${key}.d.ts`, default: `./dist/${key}.js` },
      require: { types: `./dist/${key}.d.cts`, default: `./dist/${key}.cjs` },
    };
  }
  exportsMap['./package.json'] = './package.json';
  const pkg = {
    name: `@bellman/${name}`,
    version: '0.1.0',
    description,
    license: 'MIT',
    type: 'module',
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    exports: exportsMap,
    files: ['dist', 'README.md'],
    sideEffects: false,
    scripts: {
      build: 'tsup',
      test: 'node --experimental-vm-modules --no-warnings ../../node_modules/jest/bin/jest.js',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      lint: 'eslint src test',
    },
    dependencies: Object.fromEntries(dependencies.map((d) => [d, '0.1.0'])),
    // The sources import @tensorflow/tfjs-core; @bellman/nn brings the backends and Node's gradients.
    peerDependencies: { '@tensorflow/tfjs-core': '4.22.0' },
    publishConfig: { access: 'public' },
  };
  const tsconfig = { extends: '../../tsconfig.base.json', compilerOptions: { rootDir: '../..', noEmit: true }, include: ['src', 'test'] };
  // the build settings live in tsup.shared.ts at the root; a package only names its entry points
  const entryLiteral = `{ ${Object.entries(entries).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: '${v}'`).join(', ')} }`;
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    'tsup.config.ts': `import { bellmanPackage } from '../../tsup.shared';\n\nexport default bellmanPackage(${entryLiteral});\n`,
    'jest.config.cjs': `module.exports = { ...require('../../jest.preset.cjs'), rootDir: __dirname };\n`,
  };
}

function main(argv) {
  const [name, description, ...rest] = argv;
  if (!name || !description) {
    console.error('usage: node tools/scaffold-package.mjs <name> "<description>" [@bellman/dep ...] [--entry sub=src/file.ts ...]');
    process.exit(2);
  }
  const dependencies = rest.filter((a) => !a.startsWith('--entry') && !a.includes('='));
  const entries = Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => a.split('=')));
  const dir = join('packages', name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'test'), { recursive: true });
  for (const [file, text] of Object.entries(packageConfigs({ name, description, dependencies, entries }))) {
    // an existing package.json keeps its version, dependencies and scripts
    if (file === 'package.json' && existsSync(join(dir, file))) continue;
    writeFileSync(join(dir, file), text);
  }
  console.log(`scaffolded ${dir}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
