import { describe, expect, test } from 'vitest';
import { type ContractSuite, type ContractTest, minimumOptOutReasonLength, runContract, withSubject } from './contract-suite.js';

/**
 * A test function that records what the contract registers and forwards it to vitest's `test`
 * (vitest refuses a `describe` without tests).
 */
function recordingTest(): { test: ContractTest; registered: string[]; skipped: string[] } {
  const registered: string[] = [];
  const skipped: string[] = [];
  const register = (name: string, body: () => unknown): void => {
    registered.push(name);
    test(name, body);
  };
  const recorder = Object.assign(register, {
    skip: (name: string, body: () => unknown): void => {
      skipped.push(name);
      test.skip(name, body);
    },
  });
  return { test: recorder as unknown as ContractTest, registered, skipped };
}

/** Runs `action` and returns what it threw synchronously. */
function thrownBy(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Two tiny suites: `alpha` registers one case, `beta` two. */
const suites = {
  alpha: ({ test: register }) => {
    register('alpha case', () => undefined);
  },
  beta: ({ test: register }) => {
    register('beta first', () => undefined);
    register('beta second', () => undefined);
  },
} satisfies Record<string, ContractSuite<string, undefined>>;

describe('runContract opt-out validation', () => {
  // runContract validates before it registers anything, so its errors are thrown synchronously
  // while this describe block is being collected; the cases below assert on what was caught.
  const unknownSuite = thrownBy(() =>
    runContract('ExamplePort', suites, {
      test: recordingTest().test,
      create: () => 'subject',
      options: undefined,
      optOuts: { gamma: 'this suite does not exist at all' } as Partial<Record<'alpha' | 'beta', string>>,
    }),
  );
  const missingReason = thrownBy(() =>
    runContract('ExamplePort', suites, { test: recordingTest().test, create: () => 'subject', options: undefined, optOuts: { alpha: '' } }),
  );
  const shortReason = thrownBy(() =>
    runContract('ExamplePort', suites, { test: recordingTest().test, create: () => 'subject', options: undefined, optOuts: { beta: 'too short' } }),
  );
  const paddedReason = thrownBy(() =>
    runContract('ExamplePort', suites, {
      test: recordingTest().test,
      create: () => 'subject',
      options: undefined,
      optOuts: { beta: `   ${'x'.repeat(minimumOptOutReasonLength - 1)}     ` },
    }),
  );
  const nonStringReason = thrownBy(() =>
    runContract('ExamplePort', suites, {
      test: recordingTest().test,
      create: () => 'subject',
      options: undefined,
      optOuts: { alpha: 42 as unknown as string },
    }),
  );

  test('an opt-out of an unknown suite is a TypeError listing the known suites', () => {
    expect(unknownSuite).toEqual(new TypeError("ExamplePort contract has no suite 'gamma' to opt out of. Known suites: alpha, beta."));
  });

  test('an opt-out without a reason, with a short one, or with a non-string one is a TypeError', () => {
    const expected = (name: string) =>
      new TypeError(`ExamplePort contract: opting out of '${name}' needs a written reason of at least ${minimumOptOutReasonLength} characters.`);
    expect(missingReason).toEqual(expected('alpha'));
    expect(shortReason).toEqual(expected('beta'));
    expect(paddedReason).toEqual(expected('beta'));
    expect(nonStringReason).toEqual(expected('alpha'));
  });
});

describe('runContract registration', () => {
  const everything = recordingTest();
  runContract('ExamplePort', suites, { test: everything.test, create: () => 'subject', options: undefined });
  const withOptOut = recordingTest();
  const reason = 'the example subject cannot do beta';
  runContract('ExamplePort', suites, { test: withOptOut.test, create: () => 'subject', options: undefined, optOuts: { beta: reason } });

  test('registers every case of every suite when nothing is opted out', () => {
    expect(everything.registered).toEqual(['alpha case', 'beta first', 'beta second']);
    expect(everything.skipped).toEqual([]);
  });

  test('registers an opted-out suite as one skipped test named with its reason', () => {
    expect(withOptOut.registered).toEqual(['alpha case']);
    expect(withOptOut.skipped).toEqual([`beta: opted out: ${reason}`]);
  });
});

describe('withSubject', () => {
  test('creates a subject, hands it to the body, returns its result and destroys the subject', async () => {
    const events: string[] = [];
    const result = await withSubject(
      {
        test: recordingTest().test,
        create: async () => 'subject',
        destroy: (subject) => void events.push(`destroyed ${subject}`),
        options: undefined,
      },
      async (subject) => {
        events.push(`used ${subject}`);
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(events).toEqual(['used subject', 'destroyed subject']);
  });

  test('destroys the subject even when the body fails, and rethrows the failure', async () => {
    const events: string[] = [];
    const failure = new Error('body failed');
    await expect(
      withSubject(
        { test: recordingTest().test, create: () => 'subject', destroy: () => void events.push('destroyed'), options: undefined },
        async () => {
          throw failure;
        },
      ),
    ).rejects.toBe(failure);
    expect(events).toEqual(['destroyed']);
  });

  test('works without destroy', async () => {
    await expect(withSubject({ test: recordingTest().test, create: () => 'subject', options: undefined }, async (subject) => subject.length)).resolves.toBe(7);
  });
});
