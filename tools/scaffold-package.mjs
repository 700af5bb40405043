#!/usr/bin/env node
// Create the package.json, tsconfig, tsup and jest configs of a workspace package (the tsup config
// calls the shared one in tsup.shared.ts with the package's entry points).
// Usage: node tools/scaffold-package.mjs <name> "<description>" [dep ...] [--entry name=src/file.ts ...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [name, description, ...rest] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node tools/scaffold-package.mjs <name> "<description>" [@bellman/dep ...] [--entry sub=src/file.ts ...]');
  process.exit(2);
}
const deps = rest.filter((a) => !a.startsWith('--entry') && !a.includes('='));
const extra = rest.filter((a) => a.includes('=')).map((a) => a.split('='));
const dir = join('packages', name);
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const entries = { index: 'src/index.ts', ...Object.fromEntries(extra.map(([k, v]) => [k, v])) };
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
  dependencies: Object.fromEntries(deps.map((d) => [d, '0.1.0'])),
  // The sources import @tensorflow/tfjs-core; @bellman/nn brings the backends and Node's gradients.
  peerDependencies: { '@tensorflow/tfjs-core': '4.22.0' },
  publishConfig: { access: 'public' },
};
const pkgPath = join(dir, 'package.json');
if (!existsSync(pkgPath)) writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { rootDir: '../..', noEmit: true }, include: ['src', 'test'] }, null, 2)}\n`,
);
// the build settings live in tsup.shared.ts at the root; a package only names its entry points
const entryLiteral = `{ ${Object.entries(entries).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: '${v}'`).join(', ')} }`;
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { bellmanPackage } from '../../tsup.shared';\n\nexport default bellmanPackage(${entryLiteral});\n`,
);
writeFileSync(join(dir, 'jest.config.cjs'), `module.exports = { ...require('../../jest.preset.cjs'), rootDir: __dirname };\n`);
console.log(`scaffolded ${dir}`);
