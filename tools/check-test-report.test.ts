import { describe, expect, test } from 'vitest';
import { summarizeTestReport } from './check-test-report.js';

describe('test report check', () => {
  test('a passing report has no problems and a closing line', () => {
    const summary = summarizeTestReport({ numTotalTests: 3, numPassedTests: 2, numFailedTests: 0, numPendingTests: 1, numTodoTests: 0, numFailedTestSuites: 0, testResults: [] });
    expect(summary.problems).toEqual([]);
    expect(summary.line).toBe('2 passed, 0 failed, 1 skipped');
  });

  test('an empty, failing or broken report is refused', () => {
    expect(summarizeTestReport({ numTotalTests: 0 }).problems).toContain('the report lists no test');
    expect(summarizeTestReport({ numTotalTests: 2, numFailedTests: 1, numFailedTestSuites: 0 }).problems).toContain('1 test(s) failed');
    expect(summarizeTestReport({ numTotalTests: 2, numFailedTests: 0, numFailedTestSuites: 1 }).problems).toContain('1 test file(s) failed to run');
    expect(
      summarizeTestReport({ numTotalTests: 2, numFailedTests: 0, numFailedTestSuites: 0, testResults: [{ status: 'failed', name: 'a.test.ts' }] }).problems,
    ).toContain('failed files: a.test.ts');
  });
});
