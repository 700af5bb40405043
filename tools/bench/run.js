#!/usr/bin/env node
// Bellman benchmark harness: the standard training workloads (defined in docs/performance.md, with
// their PyTorch versions in torch_workloads.py beside this file), updates of the real learners (learner-*), the offline training
// loop on a recipe dataset (train-*-cartpole), the classifier rewards of @bellman/classifier-reward
// (reward-*, meta-nml-meta-step), Diffuser's training step and planning (unet-train-step,
// diffuser-sample-plan), one COMs update of @bellman/mbo (coms-train-step, coms-train-step-256),
// replay sampling and environment stepping.
// Run after the root build: `npm run bench -- [--workload NAME ...] [--backend B] [--seconds S] [--torch]`.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Box, Discrete, Rng } from '@bellman/core';
import { Adam, Mlp, initBackend, kernelOptions, setKernelOptions } from '@bellman/nn';

// The PyTorch references sit beside this file; python3 is looked up on PATH unless --python says otherwise.
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const DEFAULT_TORCH_SCRIPT = process.env.BELLMAN_TORCH_REFERENCE ?? join(BENCH_DIR, 'torch_workloads.py');
const DEFAULT_TORCH_LEARNERS_SCRIPT = process.env.BELLMAN_TORCH_LEARNERS ?? join(BENCH_DIR, 'torch_learners.py');
const DEFAULT_TORCH_CLASSIFIER_SCRIPT = process.env.BELLMAN_TORCH_CLASSIFIER_REWARD ?? join(BENCH_DIR, 'torch_classifier_reward.py');
const DEFAULT_TORCH_DIFFUSION_SCRIPT = process.env.BELLMAN_TORCH_DIFFUSION ?? join(BENCH_DIR, 'torch_diffusion.py');
const DEFAULT_TORCH_MBO_SCRIPT = process.env.BELLMAN_TORCH_MBO ?? join(BENCH_DIR, 'torch_mbo.py');
const DEFAULT_PYTHON = 'python3';

function usage() {
  return [
    'usage: node tools/bench/run.js [options]',
    '  --workload NAME     run only this workload (repeatable); default: all',
    '  --backend B         wasm | cpu | tensorflow | auto (default wasm)',
    '  --seconds S         timed seconds per workload (default 2)',
    '  --torch             also run the PyTorch references (each right after its Bellman workload) and print ratios',
    '  --torch-script P    path of the training-workload reference (default $BELLMAN_TORCH_REFERENCE or ' + DEFAULT_TORCH_SCRIPT + ')',
    '  --torch-learners P  path of torch_learners.py, the learner-* reference (default $BELLMAN_TORCH_LEARNERS or ' + DEFAULT_TORCH_LEARNERS_SCRIPT + ')',
    '  --torch-classifier P  path of torch_classifier_reward.py, the reward-* / meta-nml-* reference (default $BELLMAN_TORCH_CLASSIFIER_REWARD or ' + DEFAULT_TORCH_CLASSIFIER_SCRIPT + ')',
    '  --torch-diffusion P  path of torch_diffusion.py, the unet-train-step / diffuser-sample-plan reference (default $BELLMAN_TORCH_DIFFUSION or ' + DEFAULT_TORCH_DIFFUSION_SCRIPT + ')',
    '  --torch-mbo P       path of torch_mbo.py, the coms-train-step* reference (default $BELLMAN_TORCH_MBO or ' + DEFAULT_TORCH_MBO_SCRIPT + ')',
    '  --python P          python interpreter with PyTorch for the references (default ' + DEFAULT_PYTHON + ' on PATH)',
    '  --torch-plain-malloc  run PyTorch with glibc malloc as configured in the environment (default: mmap',
    '                      threshold raised to 16 MiB, 32 MiB for the classifier rewards, which makes PyTorch 2-3x faster here; see docs/performance.md)',
    '  --ablation          time the training workloads under each kernel setting (stock tfjs first)',
    '  --ablation-rounds N rounds over the settings, each taking seconds / N per setting; the fastest is reported (default 3)',
    '  --list              print the workload names and exit',
  ].join('\n');
}

function parseArgs(argv) {
  const opts = {
    workloads: [],
    backend: 'wasm',
    seconds: 2,
    torch: false,
    torchScript: DEFAULT_TORCH_SCRIPT,
    torchLearnersScript: DEFAULT_TORCH_LEARNERS_SCRIPT,
    torchClassifierScript: DEFAULT_TORCH_CLASSIFIER_SCRIPT,
    torchDiffusionScript: DEFAULT_TORCH_DIFFUSION_SCRIPT,
    torchMboScript: DEFAULT_TORCH_MBO_SCRIPT,
    python: DEFAULT_PYTHON,
    torchPlainMalloc: false,
    list: false,
    ablation: false,
    ablationRounds: 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${arg} needs a value\n${usage()}`);
      return v;
    };
    if (arg === '--workload') opts.workloads.push(value());
    else if (arg === '--backend') opts.backend = value();
    else if (arg === '--seconds') opts.seconds = Number(value());
    else if (arg === '--torch') opts.torch = true;
    else if (arg === '--torch-script') opts.torchScript = value();
    else if (arg === '--torch-learners') opts.torchLearnersScript = value();
    else if (arg === '--torch-classifier') opts.torchClassifierScript = value();
    else if (arg === '--torch-diffusion') opts.torchDiffusionScript = value();
    else if (arg === '--torch-mbo') opts.torchMboScript = value();
    else if (arg === '--python') opts.python = value();
    else if (arg === '--torch-plain-malloc') opts.torchPlainMalloc = true;
    else if (arg === '--list') opts.list = true;
    else if (arg === '--ablation') opts.ablation = true;
    else if (arg === '--ablation-rounds') opts.ablationRounds = Number(value());
    else if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`bench: unknown argument "${arg}"\n${usage()}`);
  }
  if (!['wasm', 'cpu', 'tensorflow', 'auto'].includes(opts.backend)) throw new Error(`bench: --backend must be wasm, cpu, tensorflow or auto, got "${opts.backend}"`);
  if (!Number.isInteger(opts.ablationRounds) || opts.ablationRounds < 1) throw new Error(`bench: --ablation-rounds must be a positive integer, got "${opts.ablationRounds}"`);
  if (!(opts.seconds > 0)) throw new Error(`bench: --seconds must be a positive number, got "${opts.seconds}"`);
  return opts;
}

/** Thrown by a workload's set-up when it cannot run here; the harness reports it as skipped. */
class Skip extends Error {}

function randomTensor(rng, shape) {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillNormal(values);
  return tf.tensor(values, shape, 'float32');
}

/** Fixed DQN inputs: states, next states, uniform integer actions (as one-hot masks), rewards, 5% terminals. */
function dqnInputs(rng, batch, obsDim, numActions) {
  const actions = new Int32Array(batch);
  rng.fillInts(actions, numActions);
  const nextActions = new Int32Array(batch);
  rng.fillInts(nextActions, numActions);
  const terminals = new Float32Array(batch);
  for (let i = 0; i < batch; i++) terminals[i] = rng.uniform() < 0.05 ? 1 : 0;
  return {
    s: randomTensor(rng, [batch, obsDim]),
    s2: randomTensor(rng, [batch, obsDim]),
    actionMask: tf.tidy(() => tf.oneHot(tf.tensor1d(actions, 'int32'), numActions).toFloat()),
    r: randomTensor(rng, [batch]),
    notDone: tf.tensor1d(terminals.map((d) => 1 - d)),
  };
}

/** Huber (smooth L1, delta 1) mean loss, as torch's smooth_l1_loss. */
function huber(pred, target) {
  return tf.losses.huberLoss(target, pred, undefined, 1, tf.Reduction.MEAN);
}

function criticMlp(hidden) {
  return () => {
    const rng = new Rng(0);
    const net = new Mlp({ inputDim: 23, hiddenSizes: [hidden, hidden], outputDim: 1 }, rng, `critic${hidden}`);
    const opt = new Adam(net.variables, { learningRate: 3e-4 });
    const x = randomTensor(rng, [256, 23]);
    const y = randomTensor(rng, [256, 1]);
    return {
      step: () => opt.minimize(() => ({ loss: tf.mean(tf.square(tf.sub(net.forward(x), y))) })),
      dispose: () => {
        net.dispose();
        opt.dispose();
        tf.dispose([x, y]);
      },
    };
  };
}

function dqn(dr3Weight) {
  return () => {
    const rng = new Rng(0);
    const cfg = { inputDim: 4, hiddenSizes: [256, 256], outputDim: 2 };
    const q = new Mlp(cfg, rng, 'q');
    const target = new Mlp(cfg, rng, 'qTarget');
    target.copyFrom(q);
    const opt = new Adam(q.variables, { learningRate: 1e-3 });
    const { s, s2, actionMask, r, notDone } = dqnInputs(rng, 256, 4, 2);
    const step = () => {
      const y = tf.tidy(() => tf.add(r, tf.mul(tf.mul(notDone, 0.99), tf.max(target.forward(s2), 1))));
      const metrics = opt.minimize(() => {
        if (dr3Weight === 0) {
          const qa = tf.sum(tf.mul(q.forward(s), actionMask), 1);
          return { loss: huber(qa, y) };
        }
        // As the DQN learner does with a regularizer: s and s' through the online network in one
        // pass of 2 x 256 rows, phi(s) and phi(s') sliced out of its features.
        const both = q.forwardWithFeatures(tf.concat([s, s2], 0));
        const phi = tf.slice(both.features, [0, 0], [256, 256]);
        const phiNext = tf.slice(both.features, [256, 0], [256, 256]);
        const qa = tf.sum(tf.mul(tf.slice(both.output, [0, 0], [256, 2]), actionMask), 1);
        const dr3 = tf.mean(tf.sum(tf.mul(phi, phiNext), 1));
        return { loss: tf.add(huber(qa, y), tf.mul(dr3, dr3Weight)), metrics: { dr3 } };
      });
      y.dispose();
      return metrics;
    };
    return {
      step,
      dispose: () => {
        q.dispose();
        target.dispose();
        opt.dispose();
        tf.dispose([s, s2, actionMask, r, notDone]);
      },
    };
  };
}

async function replaySample() {
  const datasets = await loadPackage('@bellman/datasets');
  if (typeof datasets.ReplayBuffer !== 'function') throw new Skip('@bellman/datasets has no ReplayBuffer export');
  const capacity = 1_000_000;
  const observationDim = 4;
  const buffer = new datasets.ReplayBuffer({ capacity, observationDim, actionDim: 1 });
  // Filled in chunks of random CartPole-sized transitions (uniform actions, 5% terminals).
  const rng = new Rng(0);
  const chunk = 10_000;
  const rows = {
    observations: new Float32Array(chunk * observationDim),
    actions: new Float32Array(chunk),
    rewards: new Float32Array(chunk),
    nextObservations: new Float32Array(chunk * observationDim),
    terminals: new Uint8Array(chunk),
  };
  for (let filled = 0; filled < capacity; filled += chunk) {
    rng.fillNormal(rows.observations);
    rng.fillNormal(rows.nextObservations);
    rng.fillUniform(rows.rewards);
    for (let i = 0; i < chunk; i++) {
      rows.actions[i] = rng.int(2);
      rows.terminals[i] = rng.uniform() < 0.05 ? 1 : 0;
    }
    buffer.addBatch(rows, chunk);
  }
  if (buffer.size !== capacity) throw new Error(`replay-sample-256: the buffer holds ${buffer.size} transitions after ${capacity} were added`);
  const sampleRng = new Rng(1);
  let out;
  return {
    step: () => {
      out = buffer.sampleTransitions(256, sampleRng, out);
      return out;
    },
    dispose: () => {},
  };
}

/** Import a workspace package, or skip the workload when it is missing or not built. */
async function loadPackage(name) {
  try {
    return await import(name);
  } catch (err) {
    throw new Skip(`${name} cannot be imported (${firstLine(err)}); build it first`);
  }
}

/** Steps per timed call for env workloads: one env step is too short to time on its own. */
const ENV_STEPS_PER_CALL = 1000;

function envStepper(env, seed) {
  const rng = new Rng(seed);
  env.reset({ seed });
  let episodes = 0;
  const step = () => {
    for (let i = 0; i < ENV_STEPS_PER_CALL; i++) {
      const out = env.step(env.actionSpace.sample(rng));
      if (out.terminated || out.truncated) {
        env.reset();
        episodes++;
      }
    }
    return episodes;
  };
  return step;
}

function envWorkload(id) {
  return async () => {
    const envs = await loadPackage('@bellman/envs');
    const env = envs.make(id);
    return { step: envStepper(env, 0), dispose: () => env.close?.(), stepsPerCall: ENV_STEPS_PER_CALL };
  };
}

function vectorCartPole(n, copy = true) {
  return async () => {
    const envs = await loadPackage('@bellman/envs');
    if (typeof envs.SyncVectorEnv !== 'function') throw new Skip('@bellman/envs has no SyncVectorEnv export');
    // copy false: step() returns the env's own batch arrays, overwritten by the next step.
    const vec = new envs.SyncVectorEnv(Array.from({ length: n }, () => () => envs.make('CartPole-v1')), { copy });
    vec.reset({ seed: 0 });
    const rng = new Rng(0);
    const actions = new Int32Array(n);
    const callsPerStep = ENV_STEPS_PER_CALL / 10;
    return {
      // Actions are drawn outside the env; episodes that end are reset inside step().
      step: () => {
        for (let i = 0; i < callsPerStep; i++) {
          rng.fillInts(actions, 2);
          vec.step(actions);
        }
      },
      dispose: () => vec.close?.(),
      stepsPerCall: callsPerStep * n,
    };
  };
}

/** Throws Skip when the built @bellman/q-learning has no algorithm of this name. */
function requireAlgorithm(qLearning, algo) {
  const known = qLearning.listAlgorithms().map((a) => a.algo);
  if (!known.includes(algo)) throw new Skip(`@bellman/q-learning has no algorithm "${algo}" (has ${known.join(', ')})`);
}

/** Batch and network sizes of the learner-* workloads (torch_learners.py uses the same). */
const LEARNER_BATCH = 256;
const LEARNER_HIDDEN = [256, 256];
/** Fixed batches, made before timing and cycled through. */
const LEARNER_BATCHES = 4;
const CARTPOLE_DIMS = { observationDim: 4, discreteActions: 2 };
/** MuJoCo locomotion sizes (HalfCheetah's and Walker2d's; Hopper's are obs 11, act 3), actions in Box [-1, 1]. */
const LOCOMOTION_DIMS = { observationDim: 17, boxActions: 6 };

/**
 * One `learner.update(batch)` of the learner `createLearner(algo)` builds with its default config
 * (hidden [256, 256]); torch_learners.py holds the PyTorch version of each.
 */
const LEARNERS = {
  'learner-dqn': { algo: 'dqn', ...CARTPOLE_DIMS },
  'learner-cql-discrete': { algo: 'cql-discrete', ...CARTPOLE_DIMS },
  'learner-sac': { algo: 'sac', ...LOCOMOTION_DIMS },
  'learner-cql': { algo: 'cql', ...LOCOMOTION_DIMS },
  'learner-iql': { algo: 'iql', ...LOCOMOTION_DIMS },
};

/**
 * A random TransitionBatch: normal observations and rewards, 5% terminals, uniform integer actions
 * (Discrete) or uniform actions in the Box.
 */
function randomTransitionBatch(rng, size, observationDim, actionSpace) {
  const actionDim = actionSpace.kind === 'discrete' ? 1 : actionSpace.size;
  const actions = new Float32Array(size * actionDim);
  if (actionSpace.kind === 'discrete') {
    for (let i = 0; i < size; i++) actions[i] = actionSpace.start + rng.int(actionSpace.n);
  } else {
    for (let i = 0; i < actions.length; i++) actions[i] = rng.uniformRange(actionSpace.low[i % actionDim], actionSpace.high[i % actionDim]);
  }
  const terminals = new Float32Array(size);
  for (let i = 0; i < size; i++) terminals[i] = rng.uniform() < 0.05 ? 1 : 0;
  return {
    size,
    observationDim,
    actionDim,
    observations: rng.fillNormal(new Float32Array(size * observationDim)),
    actions,
    rewards: rng.fillNormal(new Float32Array(size)),
    nextObservations: rng.fillNormal(new Float32Array(size * observationDim)),
    terminals,
  };
}

function learnerUpdate({ algo, observationDim, discreteActions, boxActions }) {
  return async () => {
    const qLearning = await loadPackage('@bellman/q-learning');
    requireAlgorithm(qLearning, algo);
    const observationSpace = new Box(-Infinity, Infinity, [observationDim]);
    const actionSpace = discreteActions !== undefined ? new Discrete(discreteActions) : new Box(-1, 1, [boxActions]);
    const learner = qLearning.createLearner(algo, { observationSpace, actionSpace, config: { hiddenSizes: LEARNER_HIDDEN }, seed: 0 });
    const rng = new Rng(0);
    const batches = Array.from({ length: LEARNER_BATCHES }, () => randomTransitionBatch(rng, LEARNER_BATCH, observationDim, actionSpace));
    let calls = 0;
    return {
      step: () => learner.update(batches[calls++ % LEARNER_BATCHES]),
      dispose: () => learner.dispose(),
    };
  };
}

/** The labelled set of the reward workloads (torch_classifier_reward.py makes the same kind): 1024 + 1024 2-d points. */
const REWARD_POINTS_PER_LABEL = 1024;
/** Query states scored per rewards() call of the meta-NML workloads. */
const REWARD_QUERIES = 256;
/** Query states cycled through by reward-cnml-1, one per call. */
const CNML_QUERIES = 8;

/** n 2-d points uniform in [-4, 4]^2. */
function uniformStates(rng, n) {
  const observations = new Float32Array(2 * n);
  for (let i = 0; i < observations.length; i++) observations[i] = rng.uniformRange(-4, 4);
  return { size: n, observationDim: 2, observations };
}

/** The maze setting's labelled set: positives near the goal (3, 3) (normal, sd 0.3), negatives uniform in [-4, 4]^2. */
function labelledRewardSet(rng) {
  const positives = new Float32Array(2 * REWARD_POINTS_PER_LABEL);
  for (let i = 0; i < positives.length; i++) positives[i] = rng.normal(3, 0.3);
  return { positives: { size: REWARD_POINTS_PER_LABEL, observationDim: 2, observations: positives }, negatives: uniformStates(rng, REWARD_POINTS_PER_LABEL) };
}

/**
 * A meta-NML model of the default config (2 x 2048) but for `config`, and the labelled set. The
 * reward workloads set queriesPerEpoch 1 for the update that gives the model its labelled set
 * (2 tasks, not the default's 512): rewards() does not depend on it.
 */
async function metaNmlModel(config) {
  const { metaNml } = await loadPackage('@bellman/classifier-reward');
  const rng = new Rng(0);
  const { positives, negatives } = labelledRewardSet(rng);
  const model = metaNml({ observationDim: 2, config, seed: 0 });
  return { model, positives, negatives, rng };
}

/** 63 distinct rows of the 2048-point set: the data points of the inner batch (innerBatchSize 64 less the query). */
function innerBatchRows(rng) {
  const rows = new Set();
  while (rows.size < 63) rows.add(rng.int(2 * REWARD_POINTS_PER_LABEL));
  return Int32Array.from(rows);
}

/**
 * The reward-* and meta-nml-* workloads: one call of the @bellman/classifier-reward API each
 * (torch_classifier_reward.py holds the PyTorch version). minWarmup / minTimed: the fewest calls
 * the harness makes, for workloads whose one call takes seconds or more.
 */
const CLASSIFIER_REWARDS = {
  // rewards() of 256 queries: both one-step adaptations of every query, batched (low-rank)
  'reward-meta-nml-256': {
    make: async () => {
      const { model, positives, negatives, rng } = await metaNmlModel({ queriesPerEpoch: 1 });
      model.update(positives, negatives);
      const queries = uniformStates(rng, REWARD_QUERIES);
      return { step: () => model.rewards(queries), dispose: () => model.dispose() };
    },
  },
  // the same 256 queries' adaptations one at a time: copy the classifier, step, evaluate (x 2 labels)
  'reward-meta-nml-256-one-by-one': {
    minWarmup: 1,
    minTimed: 2,
    make: async () => {
      const { model, positives, negatives, rng } = await metaNmlModel({ queriesPerEpoch: 1 });
      model.update(positives, negatives);
      const queries = uniformStates(rng, REWARD_QUERIES);
      const rows = innerBatchRows(rng);
      return { step: () => model.adaptedProbabilities(queries, rows, 'copy-and-step'), dispose: () => model.dispose() };
    },
  },
  // one meta-epoch of 8 queries = 16 tasks = one second-order meta-Adam step
  'meta-nml-meta-step': {
    minWarmup: 1,
    minTimed: 2,
    make: async () => {
      const { model, positives, negatives } = await metaNmlModel({ queriesPerEpoch: 8 });
      return { step: () => model.update(positives, negatives), dispose: () => model.dispose() };
    },
  },
  // exact CNML of one query: 2 labels x 10 SGD steps on 31 data points + the query
  'reward-cnml-1': {
    make: async () => {
      const { cnml } = await loadPackage('@bellman/classifier-reward');
      const rng = new Rng(0);
      const { positives, negatives } = labelledRewardSet(rng);
      const model = cnml({ observationDim: 2, seed: 0 });
      model.update(positives, negatives);
      const queries = Array.from({ length: CNML_QUERIES }, () => uniformStates(rng, 1));
      let calls = 0;
      return { step: () => model.rewards(queries[calls++ % CNML_QUERIES]), dispose: () => model.dispose() };
    },
  },
};

/** maze2d's layout: a row is [action (2), observation (4)], as the umaze Diffuser trains on. */
const MAZE2D_ACTION_DIM = 2;
const MAZE2D_OBSERVATION_DIM = 4;

/**
 * A fixed window batch of `size` windows of the horizon: rows uniform in [-1, 1], no padding, with
 * a normaliser fitted on it (torch_diffusion.py makes the same kind of batch, already normalised).
 */
function randomWindowBatch(diffusion, rng, size, horizon) {
  const rows = size * horizon;
  const fill = (n) => Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1));
  const batch = {
    size,
    horizon,
    observationDim: MAZE2D_OBSERVATION_DIM,
    actionDim: MAZE2D_ACTION_DIM,
    observations: fill(rows * MAZE2D_OBSERVATION_DIM),
    actions: fill(rows * MAZE2D_ACTION_DIM),
    rewards: new Float32Array(rows),
    terminals: new Float32Array(rows),
    mask: new Float32Array(rows).fill(1),
    returnsToGo: new Float32Array(rows),
  };
  return { batch, normalizer: diffusion.fitTrajectoryNormalizer(batch) };
}

/** A Diffuser of the maze2d umaze config (dim 32, mults (1, 4, 8), H 128, T 64, GroupNorm(8), Mish, x0 prediction). */
async function mazeDiffuser() {
  const diffusion = await loadPackage('@bellman/diffusion');
  const config = diffusion.MAZE2D_DIFFUSER;
  const rng = new Rng(0);
  const { batch, normalizer } = randomWindowBatch(diffusion, rng, config.batchSize, config.horizon);
  const diffuser = new diffusion.Diffuser({ observationDim: MAZE2D_OBSERVATION_DIM, actionDim: MAZE2D_ACTION_DIM, normalizer, seed: 0 });
  return { diffuser, batch, config, rng };
}

/**
 * The diffusion workloads (@bellman/diffusion, maze2d umaze config; torch_diffusion.py holds the
 * PyTorch version): one training step, and one plan of 64 DDPM steps. One call takes seconds.
 */
const DIFFUSION = {
  // one Diffuser.trainStep: steps and noise drawn, x_t with the start and goal states written in,
  // x0-prediction MSE, one Adam step (2e-4), the moving average (a copy every 10 steps this early)
  'unet-train-step': {
    minWarmup: 2,
    minTimed: 3,
    make: async () => {
      const { diffuser, batch } = await mazeDiffuser();
      return { step: () => diffuser.trainStep(batch), dispose: () => diffuser.dispose() };
    },
  },
  // one Diffuser.plan of one trajectory: 64 ancestral DDPM steps, start and goal inpainted after each
  'diffuser-sample-plan': {
    minWarmup: 1,
    minTimed: 3,
    make: async () => {
      const { diffuser, config } = await mazeDiffuser();
      const conditions = new Map([
        [0, [-0.5, -0.5, 0, 0]],
        [config.horizon - 1, [0.5, 0.5, 0, 0]],
      ]);
      const planRng = new Rng(1);
      return { step: () => diffuser.plan(conditions, { rng: planRng, sampler: { kind: 'ddpm' } }), dispose: () => diffuser.dispose() };
    },
  },
};

/** toy-continuous-v0's design width (8: one point per cell of the 4^8 grid of [0, 1]^8) and COMs' default batch. */
const COMS_INPUT_WIDTH = 8;
const COMS_BATCH = 128;

/**
 * One `ConservativeObjectiveModel.update(z, y)` of @bellman/mbo with its continuous defaults but
 * for the hidden width (torch_mbo.py holds the PyTorch version): 50 ascent steps from the batch
 * (eta 0.05 sqrt(8)), one Adam step (3e-4) on mse + alpha gap, one Adam step (0.01) on log alpha,
 * on a fixed batch made before timing (z ~ N(0, I) [128, 8], standardised designs; y ~ N(0, 1)).
 */
function comsUpdate(hidden) {
  return async () => {
    const mbo = await loadPackage('@bellman/mbo');
    if (typeof mbo.ConservativeObjectiveModel !== 'function') throw new Skip('@bellman/mbo has no ConservativeObjectiveModel export');
    const coms = new mbo.ConservativeObjectiveModel(COMS_INPUT_WIDTH, 'continuous', { hiddenSizes: [hidden, hidden] }, 0);
    const rng = new Rng(0);
    const z = randomTensor(rng, [COMS_BATCH, COMS_INPUT_WIDTH]);
    const y = randomTensor(rng, [COMS_BATCH]);
    return {
      step: () => coms.update(z, y),
      dispose: () => {
        coms.dispose();
        tf.dispose([z, y]);
      },
    };
  };
}

/**
 * The COMs workloads: the default 2 x 2048 model (114 GFLOP of products per update, 4-7 s on
 * wasm here, hence 1 warm-up and at least 2 timed calls, as in torch_mbo.py) and a 2 x 256 one
 * (1.84 GFLOP) for a quicker ratio.
 */
const MBO = {
  'coms-train-step': { minWarmup: 1, minTimed: 2, make: comsUpdate(2048) },
  'coms-train-step-256': { make: comsUpdate(256) },
};

/** The offline recipe the train-* workloads learn from (about 50k CartPole-v1 transitions). */
const TRAIN_RECIPE = 'cartpole-mixed-v0';

/**
 * The offline training loop on TRAIN_RECIPE, per step, batch sampling included, no evaluation.
 * d3rlpy: the per-step times of d3rlpy 2.8 on a 48k-transition CartPole-v1 dataset, batch 256,
 * one thread, as quoted in docs/performance.md (not measured by this harness).
 */
const TRAIN_LOOPS = {
  'train-dqn-cartpole': { algo: 'dqn', d3rlpy: { algo: 'DQN', msPerStep: 8.8 } },
  'train-cql-discrete-cartpole': { algo: 'cql-discrete', d3rlpy: { algo: 'DiscreteCQL', msPerStep: 9.5 } },
  'train-bc-cartpole': { algo: 'bc', d3rlpy: { algo: 'DiscreteBC', msPerStep: 6.0 } },
};

let recipeDataset = null;

async function trainRecipe() {
  if (recipeDataset) return recipeDataset;
  const datasets = await loadPackage('@bellman/datasets');
  if (typeof datasets.makeRecipe !== 'function') throw new Skip('@bellman/datasets has no makeRecipe export');
  const t0 = performance.now();
  recipeDataset = datasets.makeRecipe(TRAIN_RECIPE);
  console.error(`${TRAIN_RECIPE}: ${recipeDataset.size} transitions, ${recipeDataset.numEpisodes} episodes, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return recipeDataset;
}

/** Keeps the logged rows' count only: the trainer flushes its metric window to it every 100 steps, as in `bellman train`. */
class CountingLogger {
  rows = 0;
  log() {
    this.rows++;
  }
  close() {}
}

function trainLoop({ algo }) {
  return async () => {
    const qLearning = await loadPackage('@bellman/q-learning');
    const training = await loadPackage('@bellman/training');
    requireAlgorithm(qLearning, algo);
    const dataset = await trainRecipe();
    const learner = qLearning.createLearner(algo, {
      observationSpace: dataset.observationSpace,
      actionSpace: dataset.actionSpace,
      config: { hiddenSizes: LEARNER_HIDDEN },
      seed: 0,
    });
    let session = 0;
    /** Run OfflineTrainer (no env: no evaluation) until `seconds` have passed and at least `minSteps` were taken. */
    const runFor = async (seconds, minSteps) => {
      let deadline = Infinity;
      const trainer = new training.OfflineTrainer({
        learner,
        dataset,
        steps: 1_000_000_000,
        batchSize: LEARNER_BATCH,
        seed: session++,
        logger: new CountingLogger(),
        onProgress: (event) => {
          if (event.type === 'update' && event.step >= minSteps && performance.now() > deadline) trainer.stop();
        },
      });
      const t0 = performance.now();
      deadline = t0 + seconds * 1000;
      const summary = await trainer.run();
      return { ms: performance.now() - t0, steps: summary.steps };
    };
    return {
      measure: async (seconds) => {
        await runFor(Math.min(1, seconds / 4), 3);
        const { ms, steps } = await runFor(seconds, 3);
        return { ms: ms / steps, steps };
      },
      dispose: () => learner.dispose(),
    };
  };
}

/** Built-in env ids, asked of @bellman/envs at run time (empty if it is not built yet). */
async function builtinEnvIds() {
  try {
    const envs = await import('@bellman/envs');
    if (typeof envs.listEnvs === 'function') return envs.listEnvs().map((e) => e.id);
  } catch {
    // Reported by the env workloads themselves.
  }
  return [];
}

const TRAINING = {
  'critic-mlp-256': criticMlp(256),
  'critic-mlp-1024': criticMlp(1024),
  'dqn-256': dqn(0),
  'dqn-dr3-256': dqn(0.03),
};

async function allWorkloads() {
  const list = Object.entries(TRAINING).map(([name, make]) => ({ name, make, kind: 'update' }));
  for (const [name, spec] of Object.entries(LEARNERS)) list.push({ name, make: learnerUpdate(spec), kind: 'update' });
  for (const [name, spec] of Object.entries(TRAIN_LOOPS)) list.push({ name, make: trainLoop(spec), kind: 'train' });
  for (const [name, spec] of Object.entries({ ...CLASSIFIER_REWARDS, ...DIFFUSION, ...MBO })) list.push({ name, make: spec.make, kind: 'update', minWarmup: spec.minWarmup, minTimed: spec.minTimed });
  list.push({ name: 'replay-sample-256', make: replaySample, kind: 'sample' });
  const ids = await builtinEnvIds();
  if (ids.length === 0) {
    list.push({
      name: 'env-steps',
      make: async () => {
        await loadPackage('@bellman/envs');
        throw new Skip('@bellman/envs exposes no listEnvs() to enumerate its built-in envs');
      },
      kind: 'env',
    });
  }
  for (const id of ids) list.push({ name: `env-${id}`, make: envWorkload(id), kind: 'env' });
  list.push({ name: 'vector-cartpole-16', make: vectorCartPole(16), kind: 'env' });
  list.push({ name: 'vector-cartpole-16-nocopy', make: vectorCartPole(16, false), kind: 'env' });
  return list;
}

function firstLine(err) {
  return String(err?.message ?? err).split('\n')[0];
}

/** Warm up (at least `minWarmup` calls), then call `step` for `seconds` (at least `minTimed` times) and return ms per call. */
function timeLoop(step, seconds, { minWarmup = 3, minTimed = 3 } = {}) {
  const warmupEnd = performance.now() + Math.min(1000, seconds * 250);
  let warm = 0;
  while (warm < minWarmup || (performance.now() < warmupEnd && warm < 50)) {
    step();
    warm++;
  }
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let now = t0;
  while (n < minTimed || now < deadline) {
    step();
    n++;
    now = performance.now();
  }
  return (now - t0) / n;
}

function runTorch(opts, script, names) {
  if (!existsSync(script)) return { error: `torch reference script not found at ${script}` };
  const args = [script, '--threads', '1', '--seconds', String(opts.seconds), '--workload', ...names];
  const res = spawnSync(opts.python, args, { encoding: 'utf8', env: torchEnvironment(opts, script === opts.torchClassifierScript ? LARGEST_MMAP_THRESHOLD : DEFAULT_MMAP_THRESHOLD) });
  if (res.error) return { error: `could not run ${opts.python}: ${res.error.message}` };
  if (res.status !== 0 && /No module named '?torch/.test(res.stderr)) return { error: `${opts.python} has no PyTorch: pass --python with an interpreter that has it` };
  if (res.status !== 0) return { error: `${opts.python} ${script} exited with ${res.status}: ${lastLine(res.stderr)}` };
  const out = {};
  for (const line of res.stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const rec = JSON.parse(line);
    out[rec.workload] = rec;
    console.log(line);
  }
  return { results: out };
}

/**
 * glibc serves every allocation above its mmap threshold (128 KiB at first) with a fresh mmap, so a
 * PyTorch update that frees and re-allocates 256 KiB activations page-faults them in on every step;
 * the threshold only grows after a larger block is freed. A fixed 16 MiB threshold keeps those
 * blocks in the heap, as jemalloc or tcmalloc would, and gives PyTorch's steady-state speed.
 * The classifier rewards' 2048 x 2048 weights and gradients are 16 MiB blocks themselves, so their
 * reference runs with glibc's largest threshold on 64-bit, 32 MiB.
 */
const DEFAULT_MMAP_THRESHOLD = 16 << 20;
const LARGEST_MMAP_THRESHOLD = 32 << 20;

function torchEnvironment(opts, mmapThreshold) {
  // torch.set_num_threads(1) does not reach a pthreads OpenBLAS: without these its matrix
  // products use every core, and the reference is no longer one thread
  const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  if (opts.torchPlainMalloc) return { ...oneThread, ...process.env };
  return { ...oneThread, MALLOC_MMAP_THRESHOLD_: String(mmapThreshold), MALLOC_TRIM_THRESHOLD_: String(4 * mmapThreshold), ...process.env };
}

function lastLine(text) {
  const lines = String(text ?? '').trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

function fmt(x, digits = 2) {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workloads = await allWorkloads();
  if (opts.list) {
    for (const w of workloads) console.log(w.name);
    return;
  }
  const known = new Set(workloads.map((w) => w.name));
  for (const name of opts.workloads) {
    if (!known.has(name)) throw new Error(`bench: unknown workload "${name}" (known: ${[...known].join(', ')})`);
  }
  const selected = opts.workloads.length > 0 ? workloads.filter((w) => opts.workloads.includes(w.name)) : workloads;
  const info = await initBackend({ backend: opts.backend });
  console.error(info.reason);
  const backend = tf.getBackend();
  const rows = [];
  const torch = {};
  /** Scripts that failed once are not run again. */
  const torchErrors = new Set();
  for (const w of selected) {
    let instance;
    try {
      instance = await w.make();
    } catch (err) {
      if (!(err instanceof Skip)) throw err;
      const rec = { workload: w.name, skipped: true, reason: err.message, impl: 'bellman', backend };
      console.log(JSON.stringify(rec));
      rows.push({ kind: w.kind, rec });
      continue;
    }
    const rec = { workload: w.name };
    if (w.kind === 'train') {
      const { ms, steps } = await instance.measure(opts.seconds);
      instance.dispose();
      rec.msPerStep = Number(ms.toFixed(3));
      rec.stepsPerSec = Number((1000 / ms).toFixed(1));
      rec.steps = steps;
    } else {
      const ms = timeLoop(instance.step, opts.seconds, { minWarmup: w.minWarmup, minTimed: w.minTimed });
      instance.dispose();
      if (w.kind === 'env') {
        rec.msPerStep = Number((ms / instance.stepsPerCall).toPrecision(4));
        rec.stepsPerSec = Math.round((1000 / ms) * instance.stepsPerCall);
      } else if (w.kind === 'sample') {
        rec.msPerSample = Number(ms.toFixed(4));
        rec.samplesPerSec = Number((1000 / ms).toFixed(1));
      } else {
        rec.msPerUpdate = Number(ms.toFixed(3));
        // 4 decimals below one update per second (meta-nml-meta-step takes tens of seconds)
        rec.updatesPerSec = Number((1000 / ms).toFixed(ms > 1000 ? 4 : 1));
      }
    }
    Object.assign(rec, { impl: 'bellman', backend });
    console.log(JSON.stringify(rec));
    rows.push({ kind: w.kind, rec });
    // The PyTorch figure is taken right after Bellman's, so that both see the same load on a shared machine.
    const script = w.name in TRAINING ? opts.torchScript : w.name in LEARNERS ? opts.torchLearnersScript : w.name in CLASSIFIER_REWARDS ? opts.torchClassifierScript : w.name in DIFFUSION ? opts.torchDiffusionScript : w.name in MBO ? opts.torchMboScript : null;
    if (opts.torch && script && !torchErrors.has(script)) {
      const res = runTorch(opts, script, [w.name]);
      if (res.error) {
        console.error(`torch reference skipped: ${res.error}`);
        torchErrors.add(script);
      } else Object.assign(torch, res.results);
    }
  }
  if (opts.ablation) runAblation(selected.filter((w) => w.name in TRAINING), opts.seconds, backend, opts.ablationRounds);
  printTable(rows, torch, backend);
  const leaks = tf.memory().numTensors;
  if (leaks > 0) console.error(`note: ${leaks} tensors still allocated after the run`);
}

/** Kernel switches of setKernelOptions, all off (stock tfjs), in the order the ablation turns them on. */
const STOCK_KERNELS = {
  explicitTranspose: false,
  fusedKernels: false,
  simd: false,
  shareIdentity: false,
  packSmallerOperand: false,
  simdGemm: false,
  packGemmPanels: false,
  heapSlice: false,
};

/** Kernel settings from stock tfjs to everything on, each adding one change. */
const ABLATION_STEPS = [
  ['stock tfjs kernels', {}],
  ['+ explicit transpose before matMul (JS)', { explicitTranspose: true }],
  ['+ fused dense/Adam kernels (JS loops)', { fusedKernels: true }],
  ['+ wasm SIMD loops and transpose', { simd: true }],
  ['+ shared (not copied) saved tensors', { shareIdentity: true }],
  ['+ narrow operand packed (XNNPACK)', { packSmallerOperand: true }],
  ["+ Bellman's SIMD GEMM, operands in place", { simdGemm: true }],
  ['+ GEMM operands packed in panels', { packGemmPanels: true }],
  ['+ slice, split and reverse copied on the heap', { heapSlice: true }],
].reduce((steps, [label, change]) => {
  const previous = steps.length > 0 ? steps[steps.length - 1].options : STOCK_KERNELS;
  steps.push({ label, options: { ...previous, ...change } });
  return steps;
}, []);

/**
 * Times every training workload under each kernel setting, in `rounds` rounds that each visit
 * every setting once (so that a burst of load on a shared machine hits one round, not one
 * setting), and reports each setting's fastest round.
 */
function runAblation(workloads, seconds, backend, rounds) {
  const missing = Object.keys(kernelOptions()).filter((key) => !(key in STOCK_KERNELS));
  if (missing.length > 0) throw new Error(`bench --ablation: no ablation step switches the kernel option(s) ${missing.join(', ')}`);
  const results = [];
  for (const w of workloads) {
    const best = ABLATION_STEPS.map(() => Infinity);
    for (let round = 0; round < rounds; round++) {
      ABLATION_STEPS.forEach((step, i) => {
        setKernelOptions(step.options);
        const instance = w.make();
        const ms = timeLoop(instance.step, seconds / rounds);
        instance.dispose();
        best[i] = Math.min(best[i], ms);
        console.log(JSON.stringify({ workload: w.name, setting: step.label, round, msPerUpdate: Number(ms.toFixed(3)), impl: 'bellman', backend }));
      });
    }
    ABLATION_STEPS.forEach((step, i) => results.push({ workload: w.name, setting: step.label, msPerUpdate: best[i] }));
  }
  setKernelOptions(ABLATION_STEPS[ABLATION_STEPS.length - 1].options);
  console.log(`\nablation on ${backend} (ms per update, fastest of ${rounds} rounds; each row adds one change)`);
  const width = Math.max(...ABLATION_STEPS.map((s) => s.label.length));
  for (const w of workloads) {
    console.log(w.name);
    for (const r of results.filter((x) => x.workload === w.name)) console.log(`  ${r.setting.padEnd(width)}  ${fmt(r.msPerUpdate, 3).padStart(10)}`);
  }
}

/** Right-aligned columns after a left-aligned first one. */
function printColumns(lines) {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '));
}

function printTable(rows, torch, backend) {
  const rate = (x) => fmt(x, x < 1 ? 4 : 1);
  const updates = [['workload', 'ms/update', 'updates/s', 'torch ms', 'torch upd/s', 'ratio']];
  const loops = [['workload', 'ms/step', 'steps/s', 'd3rlpy ms/step (WORKLOADS.md)', 'ratio']];
  const other = [];
  for (const { kind, rec: r } of rows) {
    if (r.skipped) other.push(`${r.workload}: skipped: ${r.reason}`);
    else if (kind === 'train') {
      const quoted = TRAIN_LOOPS[r.workload].d3rlpy;
      loops.push([r.workload, fmt(r.msPerStep, 3), fmt(r.stepsPerSec, 1), `${quoted.algo} ${fmt(quoted.msPerStep, 1)}`, fmt(quoted.msPerStep / r.msPerStep, 3)]);
    } else if (kind === 'env') other.push(`${r.workload}: ${r.stepsPerSec.toLocaleString('en-US')} env steps/s (${fmt(r.msPerStep * 1000, 3)} us per step)`);
    else if (kind === 'sample') other.push(`${r.workload}: ${fmt(r.samplesPerSec, 0)} batches/s (${fmt(r.msPerSample, 4)} ms per batch of 256)`);
    else {
      const t = torch[r.workload];
      // the ratio of updates/s from the unrounded times
      updates.push([r.workload, fmt(r.msPerUpdate, 3), rate(r.updatesPerSec), t ? fmt(t.msPerUpdate, 3) : '', t ? rate(t.updatesPerSec) : '', t ? fmt(t.msPerUpdate / r.msPerUpdate, 3) : '']);
    }
  }
  console.log(`\nbackend ${backend}, one thread${Object.keys(torch).length ? '; ratio = bellman updates/s / torch updates/s (same machine, this run)' : ''}`);
  if (updates.length > 1) printColumns(updates);
  if (loops.length > 1) {
    console.log(`\noffline training loop on ${TRAIN_RECIPE} (OfflineTrainer, batch 256, sampling included, no evaluation)`);
    console.log('d3rlpy figures are QUOTED in docs/performance.md (d3rlpy 2.8, PyTorch CPU, one thread,');
    console.log('48k-transition CartPole-v1 data), NOT measured here; ratio = d3rlpy ms/step / bellman ms/step (> 1: bellman faster)');
    printColumns(loops);
  }
  const speedUp = batchedRewardSpeedUp(rows, torch);
  if (speedUp.length > 0) console.log('');
  for (const line of speedUp) console.log(line);
  if (other.length > 0) console.log('');
  for (const line of other) console.log(line);
}

/** The batched meta-NML reward against the same 256 queries adapted one at a time, for Bellman and (when run) PyTorch. */
function batchedRewardSpeedUp(rows, torch) {
  const ms = (name) => rows.find(({ rec }) => rec.workload === name && !rec.skipped)?.rec.msPerUpdate;
  const lines = [];
  const pairs = [
    ['bellman', ms('reward-meta-nml-256'), ms('reward-meta-nml-256-one-by-one')],
    ['torch', torch['reward-meta-nml-256']?.msPerUpdate, torch['reward-meta-nml-256-one-by-one']?.msPerUpdate],
  ];
  for (const [impl, batched, oneByOne] of pairs) {
    if (batched === undefined || oneByOne === undefined) continue;
    lines.push(`meta-NML reward of ${REWARD_QUERIES} queries, ${impl}: batched ${fmt(batched, 1)} ms, one by one ${fmt(oneByOne, 1)} ms: ${fmt(oneByOne / batched, 1)}x faster batched${impl === 'bellman' ? ' (target >= 50x)' : ''}`);
  }
  return lines;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

