// What the registry says when an algorithm cannot take the action space it is given, and which
// algorithms need more than spaces, a config and a seed to be built.
import { Box, Discrete } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { BC, CQL, createLearner, createLearnerByName, learnerFromSnapshot, listAlgorithms, registerLearner, type LearnerDefinition } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-1, 1, [3]);
const DISCRETE = new Discrete(2);
const BOX = new Box(-2, 2, [1]);

function errorOf(fn: () => unknown): Error {
  try {
    const learner = fn() as { dispose?: () => void };
    learner?.dispose?.();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('an algorithm on the wrong kind of action space', () => {
  it.each([
    ['cql', DISCRETE, 'cql supports Box action spaces, got Discrete(2); for Discrete action spaces use cql-discrete'],
    ['cql-discrete', BOX, 'cql-discrete supports Discrete action spaces, got Box(-2, 2, [1]); for Box action spaces use cql'],
    ['sarsa', BOX, 'sarsa supports Discrete action spaces, got Box(-2, 2, [1]); for Box action spaces use sarsa-continuous'],
    ['sarsa-continuous', DISCRETE, 'sarsa-continuous supports Box action spaces, got Discrete(2); for Discrete action spaces use sarsa'],
    ['fqe', BOX, 'fqe supports Discrete action spaces, got Box(-2, 2, [1]); for Box action spaces use fqe-continuous'],
    ['fqe-continuous', DISCRETE, 'fqe-continuous supports Box action spaces, got Discrete(2); for Discrete action spaces use fqe'],
  ])('%s names its counterpart', (algo, actionSpace, message) => {
    const err = errorOf(() => createLearnerByName(algo, { observationSpace: OBS, actionSpace }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe(message);
    // the same from a JSON spec of the space
    expect(errorOf(() => createLearnerByName(algo, { observationSpace: OBS.toJSON(), actionSpace: actionSpace.toJSON() })).message).toBe(message);
  });

  it('an algorithm without a counterpart lists the ones that take the space, iql among them', () => {
    const dqn = errorOf(() => createLearnerByName('dqn', { observationSpace: OBS, actionSpace: BOX })).message;
    const forBox = listAlgorithms()
      .filter((a) => a.actionKinds.includes('box'))
      .map((a) => a.algo);
    expect(dqn).toBe(`dqn supports Discrete action spaces, got Box(-2, 2, [1]); algorithms for Box action spaces: ${forBox.join(', ')}`);
    expect(forBox).toEqual(expect.arrayContaining(['bc', 'cql', 'iql', 'sac']));
    expect(errorOf(() => createLearnerByName('sac', { observationSpace: OBS, actionSpace: DISCRETE })).message).toMatch(
      /^sac supports Box action spaces, got Discrete\(2\); algorithms for Discrete action spaces: bc, cql-discrete, dqn, fqe, iql, sarsa$/,
    );
  });

  it('every single-kind algorithm names at least one that takes the other kind', () => {
    for (const { algo, actionKinds } of listAlgorithms()) {
      if (actionKinds.length !== 1) continue;
      const other = actionKinds[0] === 'box' ? DISCRETE : BOX;
      expect(errorOf(() => createLearnerByName(algo, { observationSpace: OBS, actionSpace: other })).message).toMatch(/; (for (Box|Discrete) action spaces use |algorithms for (Box|Discrete) action spaces: )[a-z]/);
    }
  });

  it('iql takes both kinds; an unknown kind of space keeps its own message', () => {
    for (const actionSpace of [DISCRETE, BOX]) createLearnerByName('iql', { observationSpace: OBS, actionSpace, config: { hiddenSizes: [4] } }).dispose();
    expect(errorOf(() => createLearnerByName('iql', { observationSpace: OBS, actionSpace: { kind: 'interval' } as never })).message).toBe(
      'iql supports Discrete and Box action spaces, got {"kind":"interval"}',
    );
  });

  it('learnerFromSnapshot checks the same way', () => {
    const bc = createLearnerByName('bc', { observationSpace: OBS, actionSpace: DISCRETE, config: { hiddenSizes: [4] } });
    const snapshot = { ...bc.save(), algo: 'cql' };
    bc.dispose();
    expect(errorOf(() => learnerFromSnapshot(snapshot)).message).toBe('cql supports Box action spaces, got Discrete(2); for Discrete action spaces use cql-discrete');
  });

  it('an algorithm registered at run time is found as a counterpart', () => {
    const boxOnly: LearnerDefinition = { algo: 'hint-test-continuous', description: 'test', actionKinds: ['box'], defaults: {}, create: (init) => new BC(init) };
    const discreteOnly: LearnerDefinition = { algo: 'hint-test', description: 'test', actionKinds: ['discrete'], defaults: {}, create: (init) => new BC(init) };
    registerLearner(boxOnly);
    registerLearner(discreteOnly);
    expect(errorOf(() => createLearnerByName('hint-test', { observationSpace: OBS, actionSpace: BOX })).message).toMatch(/; for Box action spaces use hint-test-continuous$/);
  });
});

describe('algorithms that need more than spaces, a config and a seed', () => {
  it('fqe and fqe-continuous list evaluationPolicy; the others nothing', () => {
    const needs = Object.fromEntries(listAlgorithms().map((a) => [a.algo, a.requiredInit]));
    expect(needs.fqe).toEqual(['evaluationPolicy']);
    expect(needs['fqe-continuous']).toEqual(['evaluationPolicy']);
    for (const [algo, fields] of Object.entries(needs)) if (!algo.startsWith('fqe')) expect(fields).toEqual([]);
    // and indeed cannot be built without it
    expect(() => createLearnerByName('fqe', { observationSpace: OBS, actionSpace: DISCRETE })).toThrow(/evaluationPolicy/);
    expect(() => createLearnerByName('fqe-continuous', { observationSpace: OBS, actionSpace: BOX })).toThrow(/evaluationPolicy/);
  });

  it('a definition registered at run time lists its requiredInit', () => {
    registerLearner({ algo: 'needs-test', description: 'test', actionKinds: ['discrete'], defaults: {}, requiredInit: ['teacher'], create: (init) => new BC(init) });
    expect(listAlgorithms().find((a) => a.algo === 'needs-test')?.requiredInit).toEqual(['teacher']);
  });
});

describe('createLearner types the init by algorithm name', () => {
  const init = { observationSpace: OBS, actionSpace: BOX };

  it('a misspelt config field, an unknown name or a missing init field does not compile, and throws at run time', () => {
    // @ts-expect-error: CQL's config has no field "alhpa"
    expect(() => createLearner('cql', { ...init, config: { alhpa: 1 } })).toThrow(/CQL config: unknown field "alhpa"/);
    // @ts-expect-error: a value of the wrong type
    expect(() => createLearner('cql', { ...init, config: { lagrange: 'yes' } })).toThrow('CQL config: "lagrange" must be true or false, got "yes"');
    // @ts-expect-error: not a built-in algorithm
    expect(() => createLearner('cqll', init)).toThrow(/unknown algorithm "cqll" \(did you mean "cql"/);
    // @ts-expect-error: fqe-continuous cannot be built without the policy it evaluates
    expect(() => createLearner('fqe-continuous', init)).toThrow(/evaluationPolicy/);
  });

  it('a well-typed call builds the algorithm named, with its config', () => {
    const learner = createLearner('cql', { ...init, config: { hiddenSizes: [4], cqlAlpha: 2 } });
    expect(learner).toBeInstanceOf(CQL);
    expect((learner as CQL).config.cqlAlpha).toBe(2);
    learner.dispose();
  });

  it('createLearnerByName takes a name and config known only at run time and checks both', () => {
    const algo: string = 'cql';
    const config: Record<string, unknown> = { alhpa: 1 };
    expect(() => createLearnerByName(algo, { ...init, config })).toThrow(/CQL config: unknown field "alhpa"/);
    expect(() => createLearnerByName('cqll', init)).toThrow(/unknown algorithm "cqll" \(did you mean "cql"/);
    createLearnerByName(algo, { ...init, config: { hiddenSizes: [4] } }).dispose();
  });
});
