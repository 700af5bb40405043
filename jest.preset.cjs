// Shared jest settings: tests run on the TypeScript sources (no build needed) as native ESM.
// `@bellman/<name>[/<entry>]` maps to packages/<name>/src/<entry>.ts for every package folder, so a
// new package resolves without an edit here.
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');
const packagesDir = path.join(__dirname, 'packages');
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
for (const name of readdirSync(packagesDir).sort()) {
  const src = path.join(packagesDir, name, 'src');
  for (const entry of existsSync(src) ? readdirSync(src) : []) {
    const match = /^(index|node)\.ts$/.exec(entry);
    if (!match) continue;
    const subpath = match[1] === 'index' ? '' : `/${match[1]}`;
    moduleNameMapper[`^@bellman/${name}${subpath}$`] = path.join(src, entry);
  }
}
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
};
