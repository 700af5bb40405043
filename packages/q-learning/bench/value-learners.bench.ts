/**
 * CartPole runs of the discrete value-based learners, online (DQN) and offline (DQN, discrete CQL,
 * SARSA on dataset recipes). Not part of `npm test` (minutes, not seconds). Run from the package:
 *   RUN=online SEED=0 node --experimental-vm-modules --no-warnings ../../node_modules/jest/bin/jest.js \
 *     --testMatch '<rootDir>/bench/*.bench.ts' --testTimeout 3600000 bench/value-learners.bench.ts
 *   RUN=offline ALGO=cql-discrete RECIPE=cartpole-medium-v0 ...(same command)
 */
import { initBackend } from '@bellman/nn';
import { makeRecipe } from '@bellman/datasets';
import { make } from '@bellman/envs';
import { OfflineTrainer, OnlineTrainer } from '@bellman/training';
import { createLearner, createLearnerByName } from '../src/index.js';

const env = process.env;
const seed = Number(env.SEED ?? 0);
const hiddenSizes = (env.HIDDEN ?? '256,256').split(',').map(Number);

it('runs', async () => {
  await initBackend({ backend: (env.BACKEND ?? 'wasm') as 'wasm' });
  const started = Date.now();
  const log = (line: string) => console.log(`${((Date.now() - started) / 1000).toFixed(0)}s ${line}`);
  if ((env.RUN ?? 'online') === 'online') {
    const probe = make('CartPole-v1');
    const learner = createLearner('dqn', {
      observationSpace: probe.observationSpace,
      actionSpace: probe.actionSpace,
      config: {
        hiddenSizes,
        learningRate: Number(env.LR ?? 1e-3),
        targetUpdateInterval: Number(env.TARGET ?? 500),
        epsilonDecaySteps: Number(env.EPS_STEPS ?? 10_000),
        nStep: Number(env.NSTEP ?? 1),
      },
      seed,
    });
    probe.close();
    let solvedAt: number | null = null;
    const trainer = new OnlineTrainer({
      learner,
      envFactory: () => make('CartPole-v1'),
      steps: Number(env.STEPS ?? 50_000),
      batchSize: Number(env.BATCH ?? 64),
      warmupSteps: 1000,
      evalEvery: Number(env.EVAL_EVERY ?? 2500),
      evalEpisodes: 10,
      seed,
      onProgress: (e) => {
        if (e.type !== 'evaluation') return;
        log(`eval step ${e.step} return ${e.evaluation.returnMean.toFixed(1)} +- ${e.evaluation.returnStd.toFixed(1)}`);
        if (solvedAt === null && e.evaluation.returnMean >= 475) {
          solvedAt = e.step;
          trainer.stop();
        }
      },
    });
    const summary = await trainer.run();
    log(`online dqn seed ${seed}: first eval >= 475 at step ${solvedAt ?? 'never'}; best ${JSON.stringify(summary.bestEval)}`);
    return;
  }
  const algo = env.ALGO ?? 'dqn';
  const recipe = env.RECIPE ?? 'cartpole-medium-v0';
  const dataset = makeRecipe(recipe);
  const stats = dataset.statistics();
  log(`${recipe}: ${stats.transitions} transitions, ${stats.episodes} episodes, return ${stats.returnMean.toFixed(1)} +- ${stats.returnStd.toFixed(1)}`);
  const config: Record<string, unknown> = { hiddenSizes };
  if (env.LR) config.learningRate = Number(env.LR);
  if (env.TARGET) config.targetUpdateInterval = Number(env.TARGET);
  if (env.ALPHA) config.alpha = Number(env.ALPHA);
  if (env.CRITIC) config.critic = env.CRITIC;
  const learner = createLearnerByName(algo, { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace, config, seed });
  const trainer = new OfflineTrainer({
    learner,
    dataset,
    envFactory: () => make('CartPole-v1'),
    steps: Number(env.STEPS ?? 10_000),
    batchSize: Number(env.BATCH ?? 256),
    evalEvery: Number(env.EVAL_EVERY ?? 2000),
    evalEpisodes: 10,
    seed,
    onProgress: (e) => {
      if (e.type === 'evaluation') log(`eval step ${e.step} return ${e.evaluation.returnMean.toFixed(1)} +- ${e.evaluation.returnStd.toFixed(1)}`);
    },
  });
  const summary = await trainer.run();
  log(`${algo} on ${recipe} seed ${seed}: final ${summary.evalReturnMean?.toFixed(1)} +- ${summary.evalReturnStd?.toFixed(1)}, best ${JSON.stringify(summary.bestEval)}`);
});
