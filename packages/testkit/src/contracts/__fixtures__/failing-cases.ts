// Test support for the contract suites themselves: run a suite against a (deliberately broken)
// subject outside vitest's runner and learn which of its cases fail.
import type { ContractSuite, ContractTest } from '../contract-suite.js';

/** Runs every case a suite registers against `create` and returns the names of the cases that failed. */
export async function failingCases<Subject, Options>(suite: ContractSuite<Subject, Options>, create: () => Subject, options: Options): Promise<string[]> {
  const cases: [string, () => unknown][] = [];
  const recorder = ((name: string, body: () => unknown) => {
    cases.push([name, body]);
  }) as unknown as ContractTest;
  suite({ test: recorder, create, options });
  const failed: string[] = [];
  for (const [name, body] of cases) {
    try {
      await body();
    } catch {
      failed.push(name);
    }
  }
  return failed;
}
