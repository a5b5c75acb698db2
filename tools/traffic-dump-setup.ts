// Vitest setup file: when PAYMIGRATE_TRAFFIC_DIR is set, every test file writes the traffic its
// fake APIs served (each request and response, secret headers redacted) to
// $PAYMIGRATE_TRAFFIC_DIR/<test file>/<api>-traffic.json, so it can be checked against the
// providers' official specs. Without the variable this costs nothing: the testkit is not loaded.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

const variable = 'PAYMIGRATE_TRAFFIC_DIR';
const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

afterAll(async () => {
  const directory = process.env[variable];
  if (directory === undefined || directory.trim() === '') return;
  const testFile = relative(repositoryRoot, expect.getState().testPath ?? 'unknown');
  const { writeTrafficDumps } = await import('@paymigrate/testkit');
  await writeTrafficDumps({ directory: `${directory}/${testFile.replace(/[\\/]/g, '__')}` });
});
