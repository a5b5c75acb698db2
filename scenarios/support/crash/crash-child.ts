// A crash-test child: one "app server" of a lane. Bundled by bundle-crash-child.ts and forked by
// the parent, which SIGKILLs it at a seeded point. It recovers what its dead predecessor left
// (recover() until nothing is left), then runs a seeded stream of checkouts, captures, refunds and
// cancellations against the loopback fakes, and reports every operation the Transaction State
// Manager answered (its intent and status are then durable in the SQLite journal).
import { Money, type PaymentRecord, PaymentRepository, type TransactionResult } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
// Deep imports, not the testkit's index: a child loads in a fraction of the time without msw and
// every fake behind it.
import { payPalTestPaymentTokens } from '../../../packages/testkit/src/fakes/paypal/paypal-test-tokens.js';
import { createSeededRandom } from '../../../packages/testkit/src/http/seeded-random.js';
import {
  type CrashChildConfig,
  type CrashChildReport,
  crashChildConfigVariable,
  type CrashOperation,
  crashProviderOf,
  crashRecoveryOwner,
} from './crash-protocol.js';
import { createLoopbackTransactions } from './crash-wiring.js';

function report(message: CrashChildReport): void {
  process.send?.(message);
}

const tokens = { stripe: 'pm_card_visa', paypal: payPalTestPaymentTokens.visa.vaultId } as const;

async function main(): Promise<void> {
  // Never outlive the parent (a test run that is interrupted must not leave children behind).
  process.once('disconnect', () => process.exit(0));
  const config = JSON.parse(process.env[crashChildConfigVariable] ?? '{}') as CrashChildConfig;
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  report({ type: 'loaded' });
  await go;

  const journal = createSqliteJournal({ filename: config.journal });
  await journal.open();
  const owner = crashRecoveryOwner(config.lane);
  const transactions = createLoopbackTransactions(journal, config, { owner });

  // Recovery on start: drive every intent the previous generation left until none is left.
  const started = performance.now();
  const totals = { passes: 0, examined: 0, succeeded: 0, failed: 0, unresolved: 0 };
  for (let pass = 0; pass < 50; pass += 1) {
    const pending = (await journal.count('payment-intents', { index: 'pending' })) + (await journal.count('payment-intents', { index: 'unknown' })) + (await journal.count('payment-intents', { index: 'waiting' }));
    if (pending === 0) break;
    const result = await transactions.recover({ owner, limit: 1_000 });
    totals.passes += 1;
    totals.examined += result.examined;
    totals.succeeded += result.succeeded;
    totals.failed += result.failed;
    totals.unresolved += result.unresolved;
    if (result.examined === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  report({ type: 'recovered', ...totals, milliseconds: Math.round(performance.now() - started) });

  // What can be followed up: payments already in the journal, and those this child makes.
  const payments = new PaymentRepository(journal);
  const authorized: string[] = [];
  const captured: string[] = [];
  for (const state of ['authorized'] as const) for await (const stored of payments.listByState(state)) authorized.push(stored.key);
  for (const state of ['captured', 'partially_refunded'] as const) for await (const stored of payments.listByState(state)) captured.push(stored.key);

  const random = createSeededRandom(config.seed * 100_003 + config.lane * 1_009 + config.generation);
  let made = 0;
  const take = (list: string[]): string | undefined => (list.length === 0 ? undefined : (list.splice(random.integer(0, list.length - 1), 1)[0] as string));

  const acknowledge = (operation: CrashOperation, paymentId: string, result: TransactionResult, amountMinor: number): void => {
    report({ type: 'ack', operation, paymentId, intentId: result.intent.intentId, status: result.status, amountMinor });
    const payment = result.payment;
    if (result.status !== 'succeeded') return;
    if (payment.state === 'authorized') authorized.push(paymentId);
    if (payment.state === 'captured' || payment.state === 'partially_refunded') captured.push(paymentId);
  };

  const runOne = async (): Promise<void> => {
    const roll = random.next();
    let operation: CrashOperation = 'authorize';
    let paymentId: string | undefined;
    if (roll < 0.25) {
      operation = 'capture';
      paymentId = take(authorized);
    } else if (roll < 0.42) {
      operation = 'refund';
      paymentId = take(captured);
    } else if (roll < 0.5) {
      operation = 'cancel';
      paymentId = take(authorized);
    }
    if (paymentId === undefined) operation = 'authorize';
    try {
      if (operation === 'authorize') {
        made += 1;
        const id = `L${config.lane}g${config.generation}n${made}${random.next() < 0.5 ? 's' : 'p'}`;
        const amountMinor = random.integer(100, 90_000);
        const result = await transactions.authorize({
          paymentId: id,
          merchantReference: `order-${id}`,
          orderId: `order-${id}`,
          amount: Money.of(amountMinor, 'EUR'),
          paymentMethodToken: tokens[crashProviderOf(id)],
        });
        acknowledge('authorize', id, result, amountMinor);
        return;
      }
      const id = paymentId as string;
      const payment = (await transactions.payment(id)) as PaymentRecord;
      if (operation === 'capture') {
        const authorizedMinor = payment.authorizedAmount.toNumberOfMinorUnits();
        const amountMinor = random.next() < 0.6 ? authorizedMinor : random.integer(1, Math.max(1, authorizedMinor));
        const result = await transactions.capture({ paymentId: id, amount: Money.of(amountMinor, 'EUR') });
        acknowledge('capture', id, result, amountMinor);
      } else if (operation === 'refund') {
        const refundable = payment.capturedAmount.subtract(payment.refundedAmount).toNumberOfMinorUnits();
        const amountMinor = random.next() < 0.5 ? refundable : random.integer(1, Math.max(1, refundable));
        const result = await transactions.refund({ paymentId: id, amount: Money.of(amountMinor, 'EUR') });
        acknowledge('refund', id, result, amountMinor);
      } else {
        const result = await transactions.cancel({ paymentId: id });
        acknowledge('cancel', id, result, 0);
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'TRANSACTION_AMOUNT_INVALID' || code === 'TRANSACTION_OPERATION_NOT_ALLOWED' || code === 'UNSUPPORTED_OPERATION') {
        // Refused before anything was written or sent (the amount or the state does not allow it).
        report({ type: 'ack', operation, paymentId: paymentId ?? '', intentId: undefined, status: 'refused', amountMinor: 0 });
        return;
      }
      report({ type: 'error', operation, paymentId: paymentId ?? '', message: error instanceof Error ? `${String(code)}: ${error.message}` : String(error) });
    }
  };

  // Runs until the parent kills it.
  await Promise.all(
    Array.from({ length: config.workers }, async () => {
      for (;;) await runOne();
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`crash child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
