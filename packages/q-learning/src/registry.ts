/**
 * Algorithms by name, so that a command line or a checkpoint can build any learner.
 * Built-in algorithms are listed in BUILTIN_LEARNERS; `registerLearner` adds others at run time.
 */
import { closestMatches, spaceFromJSON, type Learner, type LearnerSnapshot, type SpaceSpec } from '@bellman/core';
import { bcDefinition } from './bc.js';
import { discreteCqlDefinition } from './cql-discrete.js';
import { dqnDefinition } from './dqn.js';
import { fqeDefinition, sarsaDefinition } from './sarsa.js';
import { continuousFqeDefinition, continuousSarsaDefinition } from './sarsa-continuous.js';
import { cqlDefinition } from './cql.js';
import { crrDefinition } from './crr.js';
import { iqlDefinition, type IQL, type IQLConfig } from './iql.js';
import { discreteIqlDefinition, type DiscreteIQL } from './iql-discrete.js';
import { sacDefinition } from './sac.js';
import { td3bcDefinition } from './td3bc.js';
import type { ActionKind, LearnerDefinition, LearnerInit } from './learner-base.js';

/**
 * One algorithm name over implementations for different action spaces (IQL: iql.ts for Box
 * actions, iql-discrete.ts for Discrete): `create` builds the one whose action kinds hold the
 * action space's kind. The implementations must share the name and the defaults, so that a config
 * or a snapshot reads the same whichever one it belongs to.
 */
export function definitionByActionKind<const A extends string, C extends object, I extends LearnerInit<C>, const L extends readonly Learner[]>(
  description: string,
  implementations: { readonly [K in keyof L]: LearnerDefinition<C, I, L[K]> & { readonly algo: A } },
): LearnerDefinition<C, I, L[number]> & { readonly algo: A } {
  const first = implementations[0];
  if (!first) throw new Error('definitionByActionKind: needs at least one implementation');
  const { algo, defaults } = first;
  const kinds: ActionKind[] = [];
  for (const impl of implementations) {
    if (impl.algo !== algo) throw new Error(`definitionByActionKind: implementations are named "${algo}" and "${impl.algo}"; they must share one name`);
    if (JSON.stringify(impl.defaults) !== JSON.stringify(defaults)) {
      throw new Error(`definitionByActionKind: the "${algo}" implementations for ${first.actionKinds.join(', ')} and ${impl.actionKinds.join(', ')} have different defaults`);
    }
    for (const kind of impl.actionKinds) {
      if (kinds.includes(kind)) throw new Error(`definitionByActionKind: two "${algo}" implementations handle ${kind} action spaces`);
      kinds.push(kind);
    }
  }
  return {
    algo,
    description,
    actionKinds: kinds,
    defaults,
    create: (init: I) => {
      const kind = (init.actionSpace as { kind?: unknown } | undefined)?.kind;
      const impl = implementations.find((d) => d.actionKinds.some((k) => k === kind));
      if (!impl) {
        const names = kinds.map((k) => (k === 'box' ? 'Box' : 'Discrete')).join(' and ');
        throw new TypeError(`${algo} supports ${names} action spaces, got ${JSON.stringify(init.actionSpace)}`);
      }
      return impl.create(init);
    },
  };
}

/** One entry per algorithm name (IQL's covers two files). Keep sorted by algo name. */
const BUILTIN_LEARNERS = [
  bcDefinition,
  cqlDefinition,
  discreteCqlDefinition,
  crrDefinition,
  dqnDefinition,
  fqeDefinition,
  continuousFqeDefinition,
  // Type arguments spelled out: the two classes differ, and inference through the tuple loses the init type.
  definitionByActionKind<'iql', IQLConfig, LearnerInit<IQLConfig>, readonly [DiscreteIQL, IQL]>(
    'Implicit Q-Learning: expectile value regression, V-based TD backup, advantage-weighted policy, categorical (Discrete actions) or Gaussian (Box actions) (offline)',
    [discreteIqlDefinition, iqlDefinition],
  ),
  sacDefinition,
  sarsaDefinition,
  continuousSarsaDefinition,
  td3bcDefinition,
] as const;

type BuiltinLearner = (typeof BUILTIN_LEARNERS)[number];

/** The names of the built-in algorithms: what `createLearner` takes. */
export type AlgorithmName = BuiltinLearner['algo'];

/** What `createLearner(algo, init)` takes for a built-in algorithm: its init, with `config` typed by its config. */
export type LearnerInitOf<A extends AlgorithmName> = Parameters<Extract<BuiltinLearner, { readonly algo: A }>['create']>[0];

/** The learner `createLearner(algo, init)` returns for a built-in algorithm (a union where one name has one class per action kind). */
export type LearnerOf<A extends AlgorithmName> = ReturnType<Extract<BuiltinLearner, { readonly algo: A }>['create']>;

/** The config of a built-in algorithm. */
export type LearnerConfigOf<A extends AlgorithmName> = NonNullable<LearnerInitOf<A>['config']>;

/**
 * A LearnerInit whose algorithm is known only at run time (a command line's `--algo`): the config
 * is any record, checked by the algorithm, and algorithm-specific fields pass through.
 */
export interface UntypedLearnerInit extends Omit<LearnerInit, 'config'> {
  config?: Record<string, unknown>;
  [field: string]: unknown;
}

const definitions = new Map<string, LearnerDefinition>();
for (const def of BUILTIN_LEARNERS as readonly LearnerDefinition[]) registerLearner(def);

/** Add an algorithm. Names are case-sensitive and must be unique. */
export function registerLearner<C extends object>(definition: LearnerDefinition<C>): void {
  const { algo } = definition;
  if (!/^[a-z0-9][a-z0-9+_.-]*$/.test(algo)) {
    throw new Error(`registerLearner: algo name "${algo}" must be lower-case letters, digits and + _ . -`);
  }
  if (definitions.has(algo)) throw new Error(`registerLearner: an algorithm named "${algo}" is already registered`);
  definitions.set(algo, definition as LearnerDefinition);
}

export interface AlgorithmInfo {
  algo: string;
  description: string;
  actionKinds: readonly ActionKind[];
  defaults: Readonly<object>;
  /**
   * Init fields the algorithm cannot be built without besides the spaces, config and seed (FQE's
   * `evaluationPolicy`); empty for most. What gives only those (a command line) cannot build it.
   */
  requiredInit: readonly string[];
}

/** The registered algorithms, sorted by name. */
export function listAlgorithms(): AlgorithmInfo[] {
  return [...definitions.values()]
    .map(({ algo, description, actionKinds, defaults, requiredInit }) => ({ algo, description, actionKinds, defaults, requiredInit: Object.freeze([...(requiredInit ?? [])]) }))
    .sort((a, b) => a.algo.localeCompare(b.algo));
}

const KIND_NAMES: Readonly<Record<ActionKind, string>> = { box: 'Box', discrete: 'Discrete' };

/** The name shared by an algorithm's implementations for either kind of action space: cql for cql-discrete, sarsa for sarsa-continuous. */
function familyName(algo: string): string {
  return algo.replace(/-(discrete|continuous)$/, '');
}

/**
 * Throws when `def` cannot take this action space, naming what can: the algorithm's counterpart
 * for that kind of space (cql-discrete for cql on Discrete actions, sarsa-continuous for sarsa on
 * Box actions, ...), else every algorithm that takes it. Spaces of unknown kind are left to `create`.
 */
function checkActionKind(def: LearnerDefinition, actionSpace: unknown): void {
  const spec = (actionSpace && typeof (actionSpace as { toJSON?: unknown }).toJSON === 'function' ? (actionSpace as { toJSON(): SpaceSpec }).toJSON() : actionSpace) as
    | { kind?: unknown }
    | undefined;
  const kind = spec?.kind;
  if (kind !== 'box' && kind !== 'discrete') return;
  if (def.actionKinds.includes(kind)) return;
  let shown: string;
  try {
    shown = String(spaceFromJSON(spec as SpaceSpec));
  } catch {
    shown = JSON.stringify(spec);
  }
  const supported = def.actionKinds.map((k) => KIND_NAMES[k]).join(' and ');
  const others = [...definitions.values()].filter((d) => d.algo !== def.algo && d.actionKinds.includes(kind)).map((d) => d.algo).sort();
  const twins = others.filter((a) => familyName(a) === familyName(def.algo));
  const hint =
    twins.length > 0
      ? `; for ${KIND_NAMES[kind]} action spaces use ${twins.join(' or ')}`
      : others.length > 0
        ? `; algorithms for ${KIND_NAMES[kind]} action spaces: ${others.join(', ')}`
        : '';
  throw new TypeError(`${def.algo} supports ${supported} action spaces, got ${shown}${hint}`);
}

export function getLearnerDefinition(algo: string): LearnerDefinition {
  const def = definitions.get(algo);
  if (def) return def;
  const names = [...definitions.keys()].sort();
  const close = closestMatches(algo, names);
  const hint = close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
  throw new Error(`unknown algorithm "${algo}"${hint}; available: ${names.join(', ')}`);
}

/**
 * Build a built-in learner: `algo` picks the algorithm and types the init and its config, so a
 * misspelt config field does not compile. The config is validated again at run time.
 */
export function createLearner<A extends AlgorithmName>(algo: A, init: LearnerInitOf<A>): LearnerOf<A> {
  return createLearnerByName(algo, init as UntypedLearnerInit) as LearnerOf<A>;
}

/**
 * Build a learner by a name known only at run time (a built-in or a `registerLearner` one). An
 * unknown name throws with the closest names; the config is validated by the algorithm.
 */
export function createLearnerByName(algo: string, init: UntypedLearnerInit): Learner {
  const def = getLearnerDefinition(algo);
  checkActionKind(def, init?.actionSpace);
  return def.create(init);
}

/** What a snapshot cannot hold (live objects such as regularizers), passed again when rebuilding. */
export type SnapshotExtras = Omit<LearnerInit, 'observationSpace' | 'actionSpace' | 'config' | 'seed'>;

/**
 * Rebuild a learner (config, spaces, weights, optimizer state, rng, update count) from a snapshot.
 * Regularizers and probes are objects, not data: pass them in `extras` as when the run started.
 */
export function learnerFromSnapshot(snapshot: LearnerSnapshot, extras: SnapshotExtras = {}): Learner {
  if (!snapshot || typeof snapshot !== 'object' || typeof snapshot.algo !== 'string') {
    throw new TypeError('learnerFromSnapshot: expected a learner snapshot with an "algo" field');
  }
  const def = getLearnerDefinition(snapshot.algo);
  checkActionKind(def, snapshot.actionSpace);
  const learner = def.create({
    ...extras,
    observationSpace: spaceFromJSON(snapshot.observationSpace),
    actionSpace: spaceFromJSON(snapshot.actionSpace),
    config: snapshot.config ?? {},
  });
  try {
    learner.load(snapshot);
  } catch (err) {
    learner.dispose();
    throw err;
  }
  return learner;
}
