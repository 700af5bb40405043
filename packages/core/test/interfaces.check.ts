// Compile-time checks of the interfaces in types.ts, run by `npm run typecheck` (tsc reads test/;
// jest does not run this file). Each `@ts-expect-error` fails the typecheck if the line it marks
// starts to compile, i.e. if an interface becomes looser than documented.
import type { Learner, Planner, Policy, RewardBatch, RewardModel, TransitionBatch, WindowBatch } from '../src/index.js';

declare const transitions: TransitionBatch;
declare const windows: WindowBatch;

// A learner trains on transitions unless it says otherwise; a sequence model takes windows.
declare const qLearner: Learner;
declare const sequenceModel: Learner<WindowBatch>;
qLearner.update(transitions);
sequenceModel.update(windows);
// @ts-expect-error a transition learner does not take trajectory windows
qLearner.update(windows);
// @ts-expect-error a window learner does not take transitions
sequenceModel.update(transitions);

// reset() is optional on a policy and required on a planner, whose metrics carry its planning time.
export const stateless: Policy = { act: () => 0 };
// @ts-expect-error a planner keeps a plan across steps, so it must be resettable
export const planner: Planner = { act: () => 0, metrics: () => ({ plan_ms: 0, plans: 0 }) };
// @ts-expect-error a planner's metrics include the time spent planning
export const untimed: Planner = { act: () => 0, reset: () => undefined, metrics: () => ({ plans: 0 }) };
export const asPolicy: Policy = planner;

// A transition batch can be scored as it is; a reward model says what it reads.
declare const reward: RewardModel;
export const scored: Float32Array = reward.rewards(transitions);
export const rows: RewardBatch = { size: 1, observationDim: 2, observations: new Float32Array(2) };
// @ts-expect-error inputs is 'observation' or 'observation-action'
export const inputs: RewardModel['inputs'] = 'action';
