import { CutoverRequestError } from './cutover-errors.js';

/** The number of decimals a ramp percentage may carry (0.001 % is one payment in 100,000). */
export const rampPercentDecimals = 3;

/**
 * Checks that `value` is a non-empty string and returns it.
 *
 * @throws CutoverRequestError naming `field` otherwise.
 */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CutoverRequestError({ field, problem: 'must be a non-empty string' });
  }
  return value;
}

/**
 * Checks that `value` is a ramp percentage: a finite number from 0 to 100 with at most 3 decimals.
 *
 * @throws CutoverRequestError (`percent`) otherwise.
 */
export function requireRampPercent(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new CutoverRequestError({ field: 'percent', problem: `must be a number from 0 to 100, got ${String(value)}` });
  }
  const scale = 10 ** rampPercentDecimals;
  if (Math.round(value * scale) / scale !== value) {
    throw new CutoverRequestError({ field: 'percent', problem: `may have at most ${rampPercentDecimals} decimals, got ${value}` });
  }
  return value;
}
