#!/usr/bin/env node
// Fails unless test-results.json (Vitest's JSON reporter) exists, ran at least one test and
// reports no failure. Coverage gates fail through the exit code of `npm test`, not this report.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function summarizeTestReport(report) {
  const problems = [];
  if (typeof report.numTotalTests !== 'number' || report.numTotalTests === 0) problems.push('the report lists no test');
  if (report.numFailedTests > 0) problems.push(`${report.numFailedTests} test(s) failed`);
  if (report.numFailedTestSuites > 0) problems.push(`${report.numFailedTestSuites} test file(s) failed to run`);
  const failedFiles = (report.testResults ?? []).filter((file) => file.status === 'failed').map((file) => file.name);
  if (failedFiles.length > 0 && report.numFailedTestSuites === 0) problems.push(`failed files: ${failedFiles.join(', ')}`);
  return {
    problems,
    line: `${report.numPassedTests ?? 0} passed, ${report.numFailedTests ?? 0} failed, ${(report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)} skipped`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2] ?? 'test-results.json';
  if (!existsSync(path)) {
    console.error(`${path} is missing: npm test must write it (Vitest JSON reporter).`);
    process.exit(1);
  }
  const { problems, line } = summarizeTestReport(JSON.parse(readFileSync(path, 'utf8')));
  console.log(`Test report: ${line}`);
  if (problems.length > 0) {
    console.error(`Test report check failed: ${problems.join('; ')}.`);
    process.exit(1);
  }
}
