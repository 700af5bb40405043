/** The algorithms `bellman quickstart` trains, in table order. One list: add an algorithm here. */
export const QUICKSTART_ALGOS: readonly string[] = ['bc', 'cql-discrete', 'iql'];
export const QUICKSTART_ENV = 'CartPole-v1';
export const QUICKSTART_DATASET = 'cartpole-mixed-v0';
