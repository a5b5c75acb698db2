import { describe, type TestAPI } from 'vitest';

/** The test function a contract registers its cases with: vitest's `test` or `it`. */
export type ContractTest = TestAPI;

/**
 * What every contract suite receives. `create` builds a fresh subject for each test case (a new
 * adapter against a clean fake or a fresh server namespace); `destroy` releases it.
 */
export interface ContractContext<Subject, Options> {
  /** vitest's `test` (or `it`). */
  readonly test: ContractTest;
  /** Builds a fresh subject for one test case. */
  readonly create: () => Subject | Promise<Subject>;
  /** Releases a subject after its test case. */
  readonly destroy?: ((subject: Subject) => void | Promise<void>) | undefined;
  /** Suite-specific options (what the subject's fake can be made to do, tuning). */
  readonly options: Options;
}

/** One named group of contract cases. */
export type ContractSuite<Subject, Options> = (context: ContractContext<Subject, Options>) => void;

/**
 * Opt-outs: suite name -> the written reason the subject cannot pass it. A reason is mandatory and
 * must say why (at least 15 characters); skipped suites still appear in the test report, named
 * with their reason, so nobody mistakes a skip for a pass.
 */
export type ContractOptOuts<SuiteName extends string> = Partial<Record<SuiteName, string>>;

/** Input of a whole-port contract: the context plus opt-outs. */
export interface ContractInput<Subject, Options, SuiteName extends string> {
  /** vitest's `test` (or `it`). */
  readonly test: ContractTest;
  /** Builds a fresh subject for one test case. */
  readonly create: () => Subject | Promise<Subject>;
  /** Releases a subject after its test case. */
  readonly destroy?: ((subject: Subject) => void | Promise<void>) | undefined;
  /** Suite-specific options. */
  readonly options: Options;
  /** Suites this subject opts out of, each with its reason. */
  readonly optOuts?: ContractOptOuts<SuiteName> | undefined;
}

/** The shortest opt-out reason accepted. */
export const minimumOptOutReasonLength = 15;

/**
 * Runs a port's contract: every suite in its own `describe`, skipped suites registered as skipped
 * tests whose name carries the reason.
 */
export function runContract<Subject, Options, SuiteName extends string>(
  portName: string,
  suites: Readonly<Record<SuiteName, ContractSuite<Subject, Options>>>,
  input: ContractInput<Subject, Options, SuiteName>,
): void {
  const optOuts: ContractOptOuts<SuiteName> = input.optOuts ?? {};
  for (const name of Object.keys(optOuts) as SuiteName[]) {
    if (!(name in suites)) {
      throw new TypeError(`${portName} contract has no suite '${name}' to opt out of. Known suites: ${Object.keys(suites).join(', ')}.`);
    }
    const reason = optOuts[name];
    if (typeof reason !== 'string' || reason.trim().length < minimumOptOutReasonLength) {
      throw new TypeError(
        `${portName} contract: opting out of '${name}' needs a written reason of at least ${minimumOptOutReasonLength} characters.`,
      );
    }
  }
  describe(`${portName} contract`, () => {
    for (const [name, suite] of Object.entries(suites) as [SuiteName, ContractSuite<Subject, Options>][]) {
      const reason = optOuts[name];
      if (reason !== undefined) {
        input.test.skip(`${name}: opted out: ${reason}`, () => undefined);
        continue;
      }
      describe(name, () => {
        suite({ test: input.test, create: input.create, destroy: input.destroy, options: input.options });
      });
    }
  });
}

/**
 * Runs `body` with a fresh subject and always destroys it afterwards; the building block of every
 * contract case.
 */
export async function withSubject<Subject, Options, Result>(
  context: ContractContext<Subject, Options>,
  body: (subject: Subject) => Promise<Result>,
): Promise<Result> {
  const subject = await context.create();
  try {
    return await body(subject);
  } finally {
    await context.destroy?.(subject);
  }
}
