import { describe, expect, it } from 'vitest';
import { CutoverRequestError } from './cutover-errors.js';
import { rampPercentDecimals, requireRampPercent, requireText } from './cutover-request.js';

function requestError(action: () => unknown): CutoverRequestError {
  try {
    action();
  } catch (error) {
    if (CutoverRequestError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected CutoverRequestError');
}

describe('requireText', () => {
  it('returns a non-empty string and refuses anything else, naming the field', () => {
    expect(requireText('alice', 'actor')).toBe('alice');
    for (const value of ['', '   ', undefined, 7, null]) {
      const error = requestError(() => requireText(value, 'actor'));
      expect(error.field).toBe('actor');
      expect(error.message).toBe("Invalid cutover request: 'actor' must be a non-empty string.");
    }
  });
});

describe('requireRampPercent', () => {
  it.each([0, 0.001, 1, 12.5, 33.333, 99.999, 100])('accepts %s', (percent) => {
    expect(requireRampPercent(percent)).toBe(percent);
  });

  it.each([-0.001, 100.001, Number.NaN, Number.POSITIVE_INFINITY, '50', undefined])('refuses %s as out of range', (percent) => {
    expect(requestError(() => requireRampPercent(percent)).message).toContain("'percent' must be a number from 0 to 100");
  });

  it.each([0.0001, 12.3456, 1 / 3])('refuses %s for having more than 3 decimals', (percent) => {
    expect(requestError(() => requireRampPercent(percent)).message).toContain('may have at most 3 decimals');
    expect(rampPercentDecimals).toBe(3);
  });
});
