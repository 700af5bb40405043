const path = require('node:path');
const preset = require('../../jest.preset.cjs');

// The node-only entries of sibling packages map to their sources like the main entries do.
module.exports = {
  ...preset,
  rootDir: __dirname,
  moduleNameMapper: {
    '^@bellman/datasets/node$': path.join(__dirname, '..', 'datasets', 'src', 'node.ts'),
    '^@bellman/q-learning/node$': path.join(__dirname, '..', 'q-learning', 'src', 'node.ts'),
    ...preset.moduleNameMapper,
  },
};
