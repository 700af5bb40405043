/** The algorithms `bellman quickstart` trains, in table order. One list: add an algorithm here. */
export const QUICKSTART_ALGOS: readonly string[] = ['bc', 'cql-discrete', 'iql'];
export const QUICKSTART_ENV = 'CartPole-v1';
export const QUICKSTART_DATASET = 'cartpole-mixed-v0';
/**
 * `bellman train` writes its checkpoint every this many steps (besides after every evaluation and
 * at the end), so that a killed run loses at most this much work. An offline checkpoint costs
 * 7-30 ms (the learners' weights and Adam state), under 1% of 1000 updates; an online one also
 * holds the replay buffer (about 400 ms for a million CartPole transitions), under 2% of 10,000
 * environment steps with their updates.
 */
export const DEFAULT_CHECKPOINT_EVERY = { offline: 1000, online: 10_000 } as const;
