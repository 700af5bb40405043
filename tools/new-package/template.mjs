// The files a new package starts with, besides its configs (tools/scaffold-package.mjs): one small
// module behind src/index.ts, its test with values worked out by hand, the README whose ```ts
// example the tests run, and the test that runs it. The module is a real function, one-step TD
// targets, so that the package builds, tests and lints as it is; its author replaces it with the
// algorithm.

/** `{ 'src/index.ts': text, ... }`, paths relative to the package folder. */
export function packageSources({ name, description }) {
  const scoped = `@bellman/${name}`;
  return {
    'src/index.ts': `export { tdTargets, type RewardsAndTerminals } from './td-targets.js';
`,
    'src/td-targets.ts': `import { ConfigError, DatasetError, type TransitionBatch } from '@bellman/core';

/** The fields of a transition batch that a one-step TD target reads. */
export type RewardsAndTerminals = Pick<TransitionBatch, 'rewards' | 'terminals'>;

/**
 * One-step TD targets r + discount * (1 - terminal) * V(s'), one per transition: what a value
 * learner regresses its critic onto. Only \`terminals\` (an end of the MDP) stops the bootstrap; a
 * time limit is not a terminal, so a truncated transition still bootstraps.
 */
export function tdTargets(batch: RewardsAndTerminals, nextValues: Float32Array, discount: number): Float32Array {
  const size = batch.rewards.length;
  if (batch.terminals.length !== size || nextValues.length !== size) {
    throw new DatasetError(
      \`tdTargets: \${size} rewards, \${batch.terminals.length} terminals and \${nextValues.length} next values; they must have one per transition\`,
      { rewards: size, terminals: batch.terminals.length, nextValues: nextValues.length },
    );
  }
  if (!(discount >= 0 && discount <= 1)) throw new ConfigError('tdTargets', 'discount', \`must be in [0, 1], got \${discount}\`);
  const targets = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    targets[i] = batch.rewards[i]! + discount * (1 - batch.terminals[i]!) * nextValues[i]!;
  }
  return targets;
}
`,
    'test/td-targets.test.ts': `import { ConfigError, DatasetError } from '@bellman/core';
import { tdTargets } from '../src/index.js';

describe('tdTargets', () => {
  test('bootstraps from the next value, except after a terminal transition', () => {
    // by hand, discount 0.5: 1 + 0.5 * 4 = 3; 0.5 + 0.5 * 2 = 1.5; terminal: the reward 2 alone
    const batch = { rewards: Float32Array.of(1, 0.5, 2), terminals: Float32Array.of(0, 0, 1) };
    expect(Array.from(tdTargets(batch, Float32Array.of(4, 2, 10), 0.5))).toEqual([3, 1.5, 2]);
  });

  test('a discount of 0 leaves the rewards', () => {
    const batch = { rewards: Float32Array.of(1, -2), terminals: Float32Array.of(0, 0) };
    expect(Array.from(tdTargets(batch, Float32Array.of(7, 7), 0))).toEqual([1, -2]);
  });

  test('rejects arrays of different lengths and a discount outside [0, 1]', () => {
    const batch = { rewards: Float32Array.of(1, 0), terminals: Float32Array.of(0, 0) };
    expect(() => tdTargets(batch, Float32Array.of(1), 0.9)).toThrow(DatasetError);
    expect(() => tdTargets(batch, Float32Array.of(1, 1), 1.5)).toThrow(ConfigError);
    expect(() => tdTargets(batch, Float32Array.of(1, 1), Number.NaN)).toThrow(ConfigError);
  });
});
`,
    'test/readme.test.ts': `// Every \`\`\`ts block of README.md (but those tagged no-run) runs and exits with code 0.
import { testReadmeExamples } from '../../../tools/readme-examples/index.mjs';

testReadmeExamples(new URL('..', import.meta.url));
`,
    'README.md': `# ${scoped}

${description}

\`\`\`ts
import { tdTargets } from '${scoped}';

// one-step TD targets r + discount * (1 - terminal) * V(s') of three transitions, the last one terminal
const targets = tdTargets(
  { rewards: Float32Array.of(1, 0.5, 2), terminals: Float32Array.of(0, 0, 1) },
  Float32Array.of(4, 2, 10),
  0.5,
);
console.log(Array.from(targets)); // [ 3, 1.5, 2 ]
\`\`\`

## API

- \`tdTargets(batch, nextValues, discount)\`: r + discount * (1 - terminal) * V(s') per transition,
  from a batch's \`rewards\` and \`terminals\` (a \`TransitionBatch\` of \`@bellman/core\` has both).
  Throws a \`DatasetError\` when the arrays differ in length and a \`ConfigError\` for a discount
  outside [0, 1].
`,
  };
}
