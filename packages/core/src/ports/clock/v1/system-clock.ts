import { setTimeout as sleepFor } from 'node:timers/promises';
import type { ClockV1 } from './clock.js';

/** The real wall clock. */
export const systemClock: ClockV1 = {
  specificationVersion: 'v1',
  now: () => Date.now(),
  sleep: async (milliseconds, signal) => {
    await sleepFor(milliseconds, undefined, signal === undefined ? undefined : { signal });
  },
};
