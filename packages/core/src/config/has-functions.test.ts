import { describe, expect, it } from 'vitest';
import { hasFunctions } from './has-functions.js';

describe('hasFunctions', () => {
  it('is true only for an object with a function under every name', () => {
    expect(hasFunctions({ list: () => [], write: async () => undefined }, ['list', 'write'])).toBe(true);
    expect(hasFunctions({ list: () => [], write: 'no' }, ['list', 'write'])).toBe(false);
    expect(hasFunctions({ list: () => [] }, ['list', 'write'])).toBe(false);
    expect(hasFunctions(null, ['list'])).toBe(false);
    expect(hasFunctions(() => undefined, ['call'])).toBe(false);
    expect(hasFunctions({}, [])).toBe(true);
  });
});
