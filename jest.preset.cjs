// Shared jest settings: tests run on the TypeScript sources (no build needed) as native ESM.
const path = require('node:path');
const root = __dirname;
const packages = ['core', 'nn', 'envs', 'envs-mujoco', 'datasets', 'training', 'q-learning', 'regularizers', 'classifier-reward', 'diffusion', 'cli'];
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
for (const name of ['core', 'datasets', 'training', 'q-learning']) {
  moduleNameMapper[`^@bellman/${name}/node$`] = path.join(root, 'packages', name, 'src', 'node.ts');
}
for (const name of packages) {
  moduleNameMapper[`^@bellman/${name}$`] = path.join(root, 'packages', name, 'src', 'index.ts');
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
