// One app server of the fleet test: a Transaction State Manager on the shared PostgreSQL journal,
// the real Stripe and PayPal adapters against the parent's loopback fakes, a recovery loop, and a
// fixed seeded list of checkouts (authorize, capture, refund). It reports every operation the state
// manager answered and every claim its recovery loop took (so the parent can kill it while it holds
// leases), reports `done` when its list is finished, and keeps its recovery loop running until the
// parent says `stop`.
import { type JournalV1, Money } from '@paymigrate/core';
import { createPostgresJournal } from '@paymigrate/store-postgres';
// Deep imports, not the testkit's index: a child loads in a fraction of the time without msw and
// every fake behind it.
import { payPalTestPaymentTokens } from '../../../packages/testkit/src/fakes/paypal/paypal-test-tokens.js';
import { createSeededRandom } from '../../../packages/testkit/src/http/seeded-random.js';
import { crashProviderOf } from '../crash/crash-protocol.js';
import { createLoopbackTransactions } from '../crash/crash-wiring.js';
import { type FleetNodeConfig, fleetNodeConfigVariable, type FleetNodeReport } from './fleet-protocol.js';

function report(message: FleetNodeReport): void {
  process.send?.(message);
}

/**
 * Reports every claim of intents, so the parent knows when this node holds leases; with `hold`, the
 * claim is handed to the recovery loop only once the parent answered `resume`.
 */
function reportingClaims(journal: JournalV1, hold: (() => Promise<void>) | undefined): JournalV1 {
  return new Proxy(journal, {
    get(target, property, receiver) {
      if (property !== 'claim') {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return async (options: Parameters<JournalV1['claim']>[0]) => {
        const claimed = await target.claim(options);
        if (options.collection === 'payment-intents' && claimed.length > 0) {
          report({ type: 'claimed', keys: claimed.map((record) => record.key) });
          await hold?.();
        }
        return claimed;
      };
    },
  });
}

async function main(): Promise<void> {
  // Never outlive the parent (a test run that is interrupted must not leave children behind).
  process.once('disconnect', () => process.exit(0));
  const config = JSON.parse(process.env[fleetNodeConfigVariable] ?? '{}') as FleetNodeConfig;
  const messages: string[] = [];
  let onMessage: (() => void) | undefined;
  const resumeWaiters: (() => void)[] = [];
  process.on('message', (message) => {
    const type = (message as { type: string }).type;
    if (type === 'resume') {
      resumeWaiters.shift()?.();
      return;
    }
    messages.push(type);
    onMessage?.();
  });
  const hold = config.holdClaimsUntilResumed === true ? () => new Promise<void>((resolve) => resumeWaiters.push(resolve)) : undefined;
  const waitFor = (type: string): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (messages.includes(type)) resolve();
      };
      onMessage = check;
      check();
    });
  report({ type: 'loaded' });
  await waitFor('go');

  const journal = createPostgresJournal({ connectionString: config.connectionString, schema: config.schema, poolSize: 6 });
  await journal.open();
  const transactions = createLoopbackTransactions(reportingClaims(journal, hold), config, { owner: config.node, leaseMs: config.leaseMs, graceMs: config.graceMs });
  const stop = new AbortController();
  const loop = transactions.startRecoveryLoop({ intervalMs: config.recoveryIntervalMs, signal: stop.signal, owner: config.node, limit: 50 });

  const random = createSeededRandom(config.seed);
  const ids = Array.from({ length: config.payments }, (_, index) => `${config.node}n${index}${random.next() < 0.5 ? 's' : 'p'}`);
  let next = 0;
  const checkout = async (paymentId: string): Promise<void> => {
    const amount = random.integer(500, 50_000);
    const token = crashProviderOf(paymentId) === 'stripe' ? 'pm_card_visa' : payPalTestPaymentTokens.visa.vaultId;
    const steps = [
      () => transactions.authorize({ paymentId, merchantReference: `order-${paymentId}`, amount: Money.of(amount, 'EUR'), paymentMethodToken: token }),
      () => transactions.capture({ paymentId }),
      () => transactions.refund({ paymentId, amount: Money.of(Math.max(1, Math.floor(amount / 3)), 'EUR') }),
    ];
    for (const step of steps) {
      try {
        const result = await step();
        report({ type: 'ack', intentId: result.intent.intentId, status: result.status });
        // An operation not finished yet (unknown, waiting) is left to the recovery loops; so is the rest of this checkout.
        if (result.status !== 'succeeded') return;
      } catch (error) {
        report({ type: 'error', message: `${paymentId}: ${error instanceof Error ? error.message : String(error)}` });
        return;
      }
    }
  };
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next] as string;
        next += 1;
        await checkout(id);
      }
    }),
  );
  report({ type: 'done' });
  await waitFor('stop');
  stop.abort();
  await loop;
  await journal.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet node failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
