import { UsageError } from '@bellman/core';

/** D4RL's reference returns (random, expert) of each maze2d task, for the normalised score. */
export const MAZE2D_REFERENCE_RETURNS: Readonly<Record<string, { min: number; max: number }>> = {
  'maze2d-umaze-v1': { min: 23.85, max: 161.86 },
  'maze2d-medium-v1': { min: 13.13, max: 277.39 },
  'maze2d-large-v1': { min: 6.7, max: 273.99 },
  'maze2d-umaze-dense-v1': { min: 68.537689, max: 193.66285642381482 },
  'maze2d-medium-dense-v1': { min: 44.264742, max: 297.4552547777125 },
  'maze2d-large-dense-v1': { min: 30.569041, max: 303.4857382709002 },
};

/** D4RL's normalised score of an episode return: 100 (R - min) / (max - min). */
export function maze2dNormalizedScore(envId: string, episodeReturn: number): number {
  const ref = MAZE2D_REFERENCE_RETURNS[envId];
  if (!ref) throw new UsageError(`maze2dNormalizedScore: no reference returns for "${envId}"; known: ${Object.keys(MAZE2D_REFERENCE_RETURNS).join(', ')}`, { envId });
  return (100 * (episodeReturn - ref.min)) / (ref.max - ref.min);
}
