// A child process serving the Stripe and PayPal fakes over loopback HTTP (the benchmarks run the
// code under test in the parent, the fakes on the other core). Reports `listening` with the URLs;
// answers `truth` with the fakes' truth (ProviderTruth JSON) for the invariant check.
import { createPayPalFake, createStripeFake, payPalSandboxBaseUrl, serveOverHttp } from '@paymigrate/testkit';
import { payPalTruth, stripeTruth } from '../provider-truth.js';
import type { FakeServerReport, FakeServerRequest } from './loopback-fakes-protocol.js';

function report(message: FakeServerReport): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  // Never outlive the parent (a test run that is interrupted must not leave children behind).
  process.once('disconnect', () => process.exit(0));
  const recordCalls = process.env.PAYMIGRATE_FAKES_RECORD !== 'false';
  const stripe = createStripeFake({ baseUrl: 'http://127.0.0.1', recordCalls });
  const payPal = createPayPalFake({ recordCalls });
  // Longer than any client's idle timeout, so the client always closes first.
  const stripeServer = await serveOverHttp(stripe.api.handlers, { rewriteOrigin: stripe.baseUrl });
  const payPalServer = await serveOverHttp(payPal.handlers, { rewriteOrigin: payPalSandboxBaseUrl });
  process.on('message', (message) => {
    const request = message as FakeServerRequest;
    if (request.type === 'truth') {
      void Promise.all([stripe.api.waitForPendingCalls(), payPal.api.waitForPendingCalls()]).then(() =>
        report({ type: 'truth', truths: [stripeTruth(stripe), payPalTruth(payPal)] }),
      );
    } else if (request.type === 'stop') {
      void Promise.all([stripeServer.close(), payPalServer.close()]).then(() => process.exit(0));
    }
  });
  report({ type: 'listening', stripeUrl: stripeServer.url, payPalUrl: payPalServer.url, payPalClientId: payPal.clientId, payPalClientSecret: payPal.clientSecret });
}

main().catch((error: unknown) => {
  process.stderr.write(`fake server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
