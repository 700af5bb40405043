/** The algorithms `bellman quickstart` trains, in table order. One list: add an algorithm here. */
export const QUICKSTART_ALGOS: readonly string[] = ['bc', 'cql-discrete', 'iql'];
export const QUICKSTART_ENV = 'CartPole-v1';
export const QUICKSTART_DATASET = 'cartpole-mixed-v0';
/**
 * `bellman train` writes its checkpoint every this many steps (besides after every evaluation and
 * at the end), so that a killed run loses at most this much work. Measured cost: see the CLI README.
 */
export const DEFAULT_CHECKPOINT_EVERY = 1000;
