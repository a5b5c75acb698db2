// Starts the Stripe and PayPal fakes in a child process, served over loopback HTTP, for benchmarks:
// the code under test keeps this process's event loop and core to itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkReportingChild } from '../child-process.js';
import { bundleChild } from '../crash/bundle-child.js';
import type { LoopbackProviders } from '../crash/crash-wiring.js';
import type { ProviderTruth } from '../provider-truth.js';
import type { FakeServerReport } from './loopback-fakes-protocol.js';

/** Fakes running in a child process. */
export interface LoopbackFakes extends LoopbackProviders {
  /** The fakes' truth (waits for calls still being answered). */
  truth(): Promise<readonly ProviderTruth[]>;
  /** Stops the servers and the child. */
  stop(): Promise<void>;
}

/** Starts the fake-server child; `recordCalls: false` for long runs that do not check invariants. */
export async function startLoopbackFakes(options: { readonly recordCalls?: boolean | undefined } = {}): Promise<LoopbackFakes> {
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-fakes-'));
  const script = await bundleChild('../loopback-fakes/fake-server-child.ts', directory, 'fake-server-child');
  const child = forkReportingChild<FakeServerReport>(script, { env: { PAYMIGRATE_FAKES_RECORD: String(options.recordCalls ?? true) } });
  const listening = await Promise.race([child.next('listening'), child.exited.then((exit) => Promise.reject(new Error(`fake server exited: ${JSON.stringify(exit)}`)))]);
  return {
    stripeUrl: listening.stripeUrl,
    payPalUrl: listening.payPalUrl,
    payPalClientId: listening.payPalClientId,
    payPalClientSecret: listening.payPalClientSecret,
    async truth() {
      const answer = new Promise<readonly ProviderTruth[]>((resolve) => {
        const onMessage = (message: unknown): void => {
          const report = message as FakeServerReport;
          if (report.type !== 'truth') return;
          child.process.off('message', onMessage);
          resolve(report.truths);
        };
        child.process.on('message', onMessage);
      });
      child.process.send({ type: 'truth' });
      return answer;
    },
    async stop() {
      if (!child.hasExited()) child.process.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill(), 5_000);
      await child.exited;
      clearTimeout(timer);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
